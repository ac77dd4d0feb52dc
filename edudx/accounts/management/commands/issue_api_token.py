"""Issue an API token for a user; only the raw token is printed, so it can be piped into a secret store."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from edudx.core.errors import DomainError

from ... import services


class Command(BaseCommand):
    help = "Cấp khoá API cho một người dùng; in ra đúng khoá (chỉ hiển thị một lần)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="Tên đăng nhập của người dùng mà khoá đại diện")
        parser.add_argument("--name", default="Khoá cấp từ dòng lệnh", help="Tên gợi nhớ của khoá")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"Không tìm thấy người dùng '{options['username']}'.")
        try:
            token, raw = services.api_token_issue(actor=None, user=user, name=options["name"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(raw)
        self.stderr.write(f"Đã cấp khoá #{token.pk} ({token.prefix}…) cho {user.username}.")
