"""``manage.py simulate_bank_credit <reference> [amount]``: the simulated bank pays a bill (demo/DEBUG only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from edudx.core.api import DomainError

from ...api import bill_for_reference
from ...services.simulator import simulate_payment


class Command(BaseCommand):
    help = "Gửi thông báo tiền vào có chữ ký hợp lệ cho một khoản thu (ngân hàng mô phỏng, chỉ để thử nghiệm)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", help="Mã thanh toán của khoản thu")
        parser.add_argument("amount", nargs="?", type=int, default=None, help="Số tiền (mặc định: số còn phải nộp)")
        parser.add_argument("--transaction-id", default=None, help="Mã giao dịch (mặc định: ngẫu nhiên)")

    def handle(self, *args: Any, **options: Any) -> None:
        bill = bill_for_reference(options["reference"])
        if bill is None:
            raise CommandError(f"Không có khoản thu mã {options['reference']}.")
        try:
            answer = simulate_payment(bill=bill, amount=options["amount"], transaction_id=options["transaction_id"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        bill.refresh_from_db()
        self.stdout.write(f"{answer.status} {answer.body} — {bill.reference}: {bill.get_status_display()}")
        if answer.status != 200:
            raise CommandError("Máy chủ từ chối thông báo.")
