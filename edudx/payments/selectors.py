"""Payment reads, already filtered by the permission policies (``payments.permissions``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from edudx.core.api import Actor, OrgUnit, policy_for

from . import vietqr
from .models import Allocation, BankCredit, Bill, CreditState, LedgerPosting, PaymentAccount, Receipt
from .services import books

__all__ = [
    "BillFilters",
    "PayQr",
    "bill_get",
    "bill_list",
    "book_units",
    "credit_queue",
    "pay_qr",
    "unit_day_books",
]


@dataclass(frozen=True)
class BillFilters:
    status: str = ""
    purpose: str = ""
    search: str = ""
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None
    org_unit_id: int | None = None


def bill_list(*, actor: Actor, filters: BillFilters | None = None, verb: str = "view") -> QuerySet[Bill]:
    """Bills the actor may see (their unit subtree, and their own as payer), filtered and newest first."""
    filters = filters or BillFilters()
    qs = policy_for(Bill).visible(actor, verb).select_related("org_unit", "payer_user")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.purpose:
        qs = qs.filter(purpose__icontains=filters.purpose)
    if filters.search:
        term = filters.search.strip()
        qs = qs.filter(Q(reference__iexact=term.upper()) | Q(payer_name__icontains=term) | Q(reference__icontains=term))
    if filters.issued_from:
        qs = qs.filter(issued_at__date__gte=filters.issued_from)
    if filters.issued_to:
        qs = qs.filter(issued_at__date__lte=filters.issued_to)
    if filters.org_unit_id:
        qs = qs.filter(org_unit_id=filters.org_unit_id)
    return qs.order_by("-issued_at", "-id")


def bill_get(*, actor: Actor, reference: str, verb: str = "view") -> Bill | None:
    """The bill with this reference if the actor may see it (None for missing and forbidden alike)."""
    reference = (reference or "").strip().upper()
    return (
        policy_for(Bill)
        .visible(actor, verb)
        .select_related("org_unit", "payer_user", "voided_by")
        .prefetch_related("lines")
        .filter(reference=reference)
        .first()
    )


def bill_allocations(*, actor: Actor, bill: Bill) -> QuerySet[Allocation]:
    return policy_for(Allocation).visible(actor).filter(bill=bill).select_related("credit", "created_by")


def bill_receipts(*, actor: Actor, bill: Bill) -> QuerySet[Receipt]:
    return policy_for(Receipt).visible(actor).filter(bill=bill).select_related("sequence").defer("pdf")


def bill_postings(*, actor: Actor, bill: Bill) -> QuerySet[LedgerPosting]:
    return policy_for(LedgerPosting).visible(actor).filter(bill=bill).order_by("id")


def receipt_get(*, actor: Actor, receipt_id: int) -> Receipt | None:
    return policy_for(Receipt).visible(actor).select_related("bill", "sequence").filter(pk=receipt_id).first()


def credit_queue(*, actor: Actor, include_resolved: bool = False) -> QuerySet[BankCredit]:
    """Credits waiting for a person (or, with ``include_resolved``, all), oldest first."""
    qs = policy_for(BankCredit).visible(actor, "reconcile").select_related("org_unit", "account")
    if not include_resolved:
        qs = qs.filter(Q(state=CreditState.REVIEW) | Q(flagged=True))
    return qs.order_by("credited_at", "id")


def credit_get(*, actor: Actor, credit_id: int) -> BankCredit | None:
    return policy_for(BankCredit).visible(actor, "reconcile").select_related("org_unit").filter(pk=credit_id).first()


def reconcile_accounts(*, actor: Actor) -> QuerySet[PaymentAccount]:
    return policy_for(PaymentAccount).visible(actor, "reconcile").select_related("org_unit").order_by("org_unit__name")


def book_units(*, actor: Actor) -> QuerySet[OrgUnit]:
    """Units whose books the actor may read: those with postings under their ``payment.view`` subtree."""
    unit_ids = policy_for(LedgerPosting).visible(actor).values("org_unit_id")
    return OrgUnit.objects.filter(pk__in=unit_ids).order_by("name")


def unit_day_books(*, actor: Actor, unit: OrgUnit, since: dt.date | None = None) -> list[books.DayBook]:
    rows = policy_for(LedgerPosting).visible(actor).filter(org_unit=unit).order_by("day", "id")
    return books.day_books((books.to_posting(row) for row in rows.iterator()), since=since)


MAX_CONTENT = 40


@dataclass(frozen=True)
class PayQr:
    payload: str
    account: PaymentAccount
    content: str


def pay_qr(bill: Bill) -> PayQr | None:
    """The dynamic VietQR of a bill's outstanding amount (reference in 62/08), or None when it cannot be paid
    (nothing owed, or the unit has no collection account)."""
    account = PaymentAccount.objects.filter(org_unit_id=bill.org_unit_id).first()
    amount = bill.outstanding
    if account is None or amount <= 0:
        return None
    # The reference goes first; the purpose after it is cut short, because bank apps keep 19-25 characters.
    purpose = vietqr.transfer_text(bill.purpose)[: MAX_CONTENT - len(bill.reference) - 1].strip() or None
    payload = vietqr.build_payload(
        bank_bin=account.bank_bin,
        account=account.account_number,
        amount=amount,
        reference=bill.reference,
        purpose=purpose,
    )
    content = bill.reference + (f" {purpose}" if purpose else "")
    return PayQr(payload=payload, account=account, content=content)
