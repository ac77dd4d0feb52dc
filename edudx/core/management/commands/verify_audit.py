"""Walk the audit hash chain and say whether it holds; exit code 1 names the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from edudx.core.audit import verify_chain

__all__ = ["Command"]


class Command(BaseCommand):
    help = "Kiểm tra tính toàn vẹn của chuỗi nhật ký thay đổi (hash chain)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Chuỗi nhật ký bị hỏng tại sự kiện số {report.broken_at}: {report.problem} "
                f"(đã kiểm tra đúng {report.checked} sự kiện trước đó).",
                returncode=1,
            )
        self.stdout.write(f"Đã kiểm tra {report.checked} sự kiện: OK.")
