"""Payment fixtures: collection accounts for the test world's units and a bank secret, and a helper that sends a
signed notification to the endpoint."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edudx.payments import webhook
from edudx.payments.models import PaymentAccount
from edudx.payments.services.accounts import payment_account_set, webhook_secret_add

SECRET = "test-secret-0123456789abcdef"
BANK = "VCB"


@dataclass
class PayWorld:
    world: Any
    account1: PaymentAccount
    account2: PaymentAccount
    authority_account: PaymentAccount

    @property
    def school1(self) -> Any:
        return self.world.school1.school

    @property
    def school2(self) -> Any:
        return self.world.school2.school


def _account(unit: Any, number: str) -> PaymentAccount:
    return payment_account_set(
        user=None,
        org_unit=unit,
        bank_code=BANK,
        bank_bin="970436",
        bank_name="Vietcombank",
        account_number=number,
        account_name=unit.name.upper(),
        is_demo=True,
    )


@pytest.fixture
def pay(world: Any) -> PayWorld:
    webhook_secret_add(user=None, bank_code=BANK, secret=SECRET)
    return PayWorld(
        world=world,
        account1=_account(world.school1.school, "1011001001"),
        account2=_account(world.school2.school, "1011001002"),
        authority_account=_account(world.authority, "1011009999"),
    )


def notification(
    *,
    account: PaymentAccount,
    amount: int,
    content: str,
    transaction_id: str = "FT26000000001",
    sent_at: dt.datetime | None = None,
    secret: str = SECRET,
) -> tuple[bytes, str]:
    moment = timezone.localtime(sent_at or timezone.now())
    body = json.dumps(
        {
            "bank_code": account.bank_code,
            "transaction_id": transaction_id,
            "account": account.account_number,
            "amount": amount,
            "content": content,
            "occurred_at": moment.isoformat(timespec="seconds"),
            "sent_at": moment.isoformat(timespec="seconds"),
            "type": "credit",
        }
    ).encode()
    return body, webhook.sign(body, secret)


def post_notification(body: bytes, signature: str | None, bank: str = BANK) -> Any:
    headers = {webhook.SIGNATURE_HEADER: signature} if signature is not None else {}
    return Client(enforce_csrf_checks=True).post(
        reverse("payments:bank_notify", args=[bank]), data=body, content_type="application/json", headers=headers
    )


def send(account: PaymentAccount, amount: int, content: str, transaction_id: str = "FT26000000001", **kw: Any) -> Any:
    body, signature = notification(account=account, amount=amount, content=content, transaction_id=transaction_id, **kw)
    return post_notification(body, signature)


def make_bill(pay: PayWorld, *, unit: Any = None, payer: Any = None, amount: int = 150_000, **kw: Any) -> Any:
    from edudx.payments.api import issue_bill

    payer = payer if payer is not None else pay.world.school1.users["guardian"]
    return issue_bill(
        actor=payer,
        org_unit=unit or pay.school1,
        payer_user=payer,
        payer_name=kw.pop("payer_name", "Trần Thị Bình"),
        purpose=kw.pop("purpose", "Lệ phí cấp bản sao văn bằng"),
        lines=kw.pop("lines", [("Lệ phí", amount)]),
        source=kw.pop("source", "test"),
        **kw,
    )


@pytest.fixture
def fast_receipts(monkeypatch: Any) -> None:
    """Receipts without WeasyPrint, for tests about money rather than paper (a few bytes standing in for the PDF)."""
    from edudx.payments.services import receipts

    monkeypatch.setattr(
        receipts, "render_receipt_pdf", lambda content, bill: b"%PDF-1.7 " + content.number.number_text.encode()
    )
