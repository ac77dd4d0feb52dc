"""Collection accounts and the secrets agreed with banks (configuration, written by set-up code and the demo)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction

from edudx.core import crypto
from edudx.core.api import OrgUnit, audit

from .. import webhook
from ..models import PaymentAccount, WebhookSecret

__all__ = ["active_secrets", "payment_account_set", "webhook_config", "webhook_secret_add"]


@transaction.atomic
def payment_account_set(
    *,
    user: Any,
    org_unit: OrgUnit,
    bank_code: str,
    bank_bin: str,
    bank_name: str,
    account_number: str,
    account_name: str,
    is_demo: bool = False,
) -> PaymentAccount:
    """Create or replace a unit's collection account (audited)."""
    existing = PaymentAccount.objects.filter(org_unit=org_unit).first()
    before = audit.snapshot(existing) if existing else None
    account, _created = PaymentAccount.objects.update_or_create(
        org_unit=org_unit,
        defaults={
            "bank_code": bank_code.strip().upper(),
            "bank_bin": bank_bin.strip(),
            "bank_name": bank_name.strip(),
            "account_number": account_number.strip(),
            "account_name": account_name.strip(),
            "is_demo": is_demo,
        },
    )
    account.full_clean()
    audit.record(
        actor=user,
        action="payments.account_set",
        obj=account,
        org_unit=org_unit,
        before=before,
        after=audit.snapshot(account),
    )
    return account


@transaction.atomic
def webhook_secret_add(*, user: Any, bank_code: str, secret: str, note: str = "") -> WebhookSecret:
    """Register a bank's signing secret (kept encrypted). The audit trail records that it was added, not its value."""
    webhook.WebhookConfig(bank_code=bank_code, secrets=(secret.encode(),))  # validates the code and the secret's length
    row = WebhookSecret.objects.create(
        bank_code=bank_code.strip().upper(), secret_encrypted=crypto.encrypt(secret), note=note
    )
    audit.record(actor=user, action="payments.webhook_secret_added", obj=row, after={"bank_code": row.bank_code})
    return row


def active_secrets(bank_code: str) -> list[str]:
    """The active secrets of a bank: stored ones, then those given in the environment (``BANK:secret``)."""
    code = bank_code.strip().upper()
    secrets = [
        crypto.decrypt(token)
        for token in WebhookSecret.objects.filter(bank_code=code, is_active=True)
        .order_by("-created_at", "-id")
        .values_list("secret_encrypted", flat=True)
    ]
    for entry in getattr(settings, "PAYMENTS_WEBHOOK_SECRETS", []):
        bank, _colon, secret = str(entry).partition(":")
        if bank.strip().upper() == code and secret:
            secrets.append(secret)
    return secrets


def webhook_config(bank_code: str) -> webhook.WebhookConfig | None:
    """What we agreed with a bank, or None when it has no secret or no collection account with us."""
    code = bank_code.strip().upper()
    secrets = active_secrets(code)
    accounts = frozenset(PaymentAccount.objects.filter(bank_code=code).values_list("account_number", flat=True))
    if not secrets or not accounts:
        return None
    tolerance = dt.timedelta(seconds=getattr(settings, "PAYMENTS_WEBHOOK_TOLERANCE_SECONDS", 300))
    keys = tuple(secret.encode() for secret in secrets)
    return webhook.WebhookConfig(bank_code=code, secrets=keys, accounts=accounts, tolerance=tolerance)
