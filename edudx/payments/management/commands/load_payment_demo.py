"""``manage.py load_payment_demo``: demo collection accounts for every authority and school (see ``demo``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ...demo import load_payment_accounts


class Command(BaseCommand):
    help = "Tạo tài khoản thu minh họa cho các phòng GDĐT, trường và khóa bí mật của ngân hàng mô phỏng."

    def handle(self, *args: Any, **options: Any) -> None:
        created = load_payment_accounts()
        self.stdout.write(f"Đã tạo {created} tài khoản thu minh họa.")
