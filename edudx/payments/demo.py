"""Demo collection accounts: every authority and school of the demo gets a PaymentAccount, and the demo bank a
webhook secret, so bills can be paid through the simulated bank.

The accounts are **fictitious**: the BIN 970436 has the format of a real bank's (Vietcombank, NAPAS), but the
account numbers (``0000`` + the unit's id) belong to nobody, and every account is marked ``is_demo`` (the pay page
says so). The demo webhook secret is public on purpose, like the demo ``SECRET_KEY``; a real deployment registers
the secret agreed with its bank instead.
"""

from __future__ import annotations

from django.db import transaction

from edudx.core.api import OrgUnit, OrgUnitKind

from .models import WebhookSecret
from .services.accounts import payment_account_set, webhook_secret_add

__all__ = ["DEMO_BANK_BIN", "DEMO_BANK_CODE", "DEMO_WEBHOOK_SECRET", "load_payment_accounts"]

DEMO_BANK_CODE = "VCB"
DEMO_BANK_BIN = "970436"
DEMO_BANK_NAME = "Vietcombank (minh họa)"
DEMO_WEBHOOK_SECRET = "edudx-demo-webhook-secret-not-for-production"


def _demo_account_number(unit: OrgUnit) -> str:
    return f"0000{unit.pk:08d}"


@transaction.atomic
def load_payment_accounts() -> int:
    """Give each open authority and school without an account a demo one; returns how many were created."""
    created = 0
    units = OrgUnit.objects.filter(kind__in=[OrgUnitKind.AUTHORITY, OrgUnitKind.SCHOOL], valid_to__isnull=True).exclude(
        payment_account__isnull=False
    )
    for unit in units.order_by("path"):
        payment_account_set(
            user=None,
            org_unit=unit,
            bank_code=DEMO_BANK_CODE,
            bank_bin=DEMO_BANK_BIN,
            bank_name=DEMO_BANK_NAME,
            account_number=_demo_account_number(unit),
            account_name=unit.name.upper()[:100],
            is_demo=True,
        )
        created += 1
    if not WebhookSecret.objects.filter(bank_code=DEMO_BANK_CODE, is_active=True).exists():
        webhook_secret_add(
            user=None, bank_code=DEMO_BANK_CODE, secret=DEMO_WEBHOOK_SECRET, note="Khóa minh họa (công khai)"
        )
    return created
