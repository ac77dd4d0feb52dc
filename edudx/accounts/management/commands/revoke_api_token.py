"""Revoke an API token by its id or the prefix shown in lists."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from edudx.core.errors import DomainError

from ... import selectors, services


class Command(BaseCommand):
    help = "Thu hồi một khoá API theo mã số hoặc tiền tố (ví dụ: edx_AbCdEfGh)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix_or_id", help="Mã số hoặc tiền tố của khoá")

    def handle(self, *args: Any, **options: Any) -> None:
        token = selectors.api_token_find(prefix_or_id=options["prefix_or_id"])
        if token is None:
            raise CommandError(
                f"Không tìm thấy đúng một khoá API ứng với '{options['prefix_or_id']}'. "
                "Hãy dùng mã số hoặc tiền tố dài hơn."
            )
        try:
            services.api_token_revoke(actor=None, token=token)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Đã thu hồi khoá #{token.pk} ({token.prefix}…) của {token.user.username}.")
