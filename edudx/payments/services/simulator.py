"""A simulated bank for the demo and the browser journey: a correctly signed credit notification for a bill,
delivered to the real endpoint view (resolved from its URL, so the same code path runs as for a bank).

Only available when ``PAYMENTS_SIMULATOR_ENABLED`` is on (DEBUG or the demo), and only for banks whose secret we
hold: it signs with the bank's active secret, exactly as the bank would.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets

from django.conf import settings
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.api import ValidationFailed

from .. import vietqr, webhook
from ..models import Bill, PaymentAccount
from .accounts import active_secrets
from .notifications import Answer

__all__ = ["build_notification", "simulate_payment", "simulator_enabled"]


def simulator_enabled() -> bool:
    """On when ``PAYMENTS_SIMULATOR_ENABLED`` says so, or (left empty) when DEBUG is on."""
    value = getattr(settings, "PAYMENTS_SIMULATOR_ENABLED", "")
    if isinstance(value, bool):
        return value
    if not str(value or "").strip():
        return bool(settings.DEBUG)
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def build_notification(
    *,
    account: PaymentAccount,
    amount: int,
    content: str,
    transaction_id: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[bytes, str]:
    """The body and ``X-Signature`` header a bank would send for a credit to ``account``."""
    keys = active_secrets(account.bank_code)
    if not keys:
        raise ValidationFailed(
            _("Chưa có khóa bí mật của ngân hàng %(bank)s để ký thông báo.") % {"bank": account.bank_code},
            code="NO_WEBHOOK_SECRET",
        )
    moment = timezone.localtime(now or timezone.now())
    payload = {
        "bank_code": account.bank_code,
        "transaction_id": transaction_id or "SIM" + secrets.token_hex(6).upper(),
        "account": account.account_number,
        "amount": amount,
        "content": content,
        "occurred_at": moment.isoformat(timespec="seconds"),
        "sent_at": moment.isoformat(timespec="seconds"),
        "type": "credit",
    }
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return body, webhook.sign(body, keys[0])


def deliver(*, bank_code: str, body: bytes, signature: str) -> Answer:
    """POST to the notification endpoint's view, as the bank's server would."""
    path = reverse("payments:bank_notify", args=[bank_code])
    request = RequestFactory().post(
        path, data=body, content_type="application/json", headers={webhook.SIGNATURE_HEADER: signature}
    )
    match = resolve(path)
    response = match.func(request, *match.args, **match.kwargs)
    return Answer(response.status_code, json.loads(response.content or b"{}"))


def simulate_payment(*, bill: Bill, amount: int | None = None, transaction_id: str | None = None) -> Answer:
    """Pay ``bill`` (its outstanding amount unless ``amount`` is given) through a simulated bank transfer whose
    content carries the bill's reference, as a banking app does after scanning the VietQR."""
    if not simulator_enabled():
        raise ValidationFailed(_("Ngân hàng mô phỏng chỉ dùng trong môi trường thử nghiệm."), code="SIMULATOR_OFF")
    account = PaymentAccount.objects.filter(org_unit=bill.org_unit).first()
    if account is None:
        raise ValidationFailed(
            _("Đơn vị %(unit)s chưa khai báo tài khoản thu.") % {"unit": bill.org_unit.name}, code="NO_ACCOUNT"
        )
    amount = amount if amount is not None else (bill.outstanding or bill.total)
    body, signature = build_notification(
        account=account,
        amount=amount,
        content=f"{bill.reference} {transfer_purpose(bill)}",
        transaction_id=transaction_id,
    )
    return deliver(bank_code=account.bank_code, body=body, signature=signature)


def transfer_purpose(bill: Bill) -> str:
    return vietqr.transfer_text(bill.purpose)[:40]
