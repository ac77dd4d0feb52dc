"""Applying money to bills: allocations, the bill's status, its receipt and the ``bill_paid`` signal.

Every function here runs inside the caller's transaction with the bill and the credit locked
(``select_for_update``), so ``Bill.amount_paid`` and ``BankCredit.allocated``/``refunded`` are never
read-modified-written by two transactions at once; the check constraints on both tables back this up.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .. import ledger
from ..models import Allocation, AllocationMethod, BankCredit, Bill, BillStatus
from ..signals import bill_paid
from . import books
from .receipts import receipt_issue

logger = logging.getLogger(__name__)

__all__ = ["allocate", "has_pending_excess", "lock_bill", "lock_credit", "settle_bill"]


def lock_bill(bill_id: int) -> Bill:
    return Bill.objects.select_for_update().select_related("org_unit").get(pk=bill_id)


def lock_credit(credit_id: int) -> BankCredit:
    return BankCredit.objects.select_for_update().select_related("org_unit", "account").get(pk=credit_id)


def has_pending_excess(bill: Bill) -> bool:
    """Some credit applied to this bill still holds money not applied anywhere (to refund or move)."""
    return (
        Allocation.objects.filter(bill=bill, reversed_at__isnull=True)
        .filter(credit__amount__gt=F("credit__allocated") + F("credit__refunded"))
        .exists()
    )


def _send_paid(bill: Bill, online: bool) -> None:
    def send() -> None:
        for receiver, error in bill_paid.send_robust(sender=Bill, bill=bill, online=online):
            # The money side is committed; a failing listener must not turn the bank's delivery into an error.
            if isinstance(error, Exception):
                logger.error("bill_paid receiver %r failed for %s", receiver, bill.reference, exc_info=error)

    transaction.on_commit(send)


def settle_bill(bill: Bill, *, user: Any = None, online: bool = True) -> bool:
    """Recompute a locked bill's status from ``amount_paid``; on the first time it is paid in full, issue its
    receipt and send ``bill_paid`` after commit. Returns whether it became paid now."""
    if bill.status in (BillStatus.VOIDED, BillStatus.REFUNDED):
        return False
    was_paid = bill.status in (BillStatus.PAID, BillStatus.OVERPAID)
    if bill.amount_paid <= 0:
        status = BillStatus.ISSUED
    elif bill.amount_paid < bill.total:
        status = BillStatus.PARTLY_PAID
    else:
        status = BillStatus.OVERPAID if has_pending_excess(bill) else BillStatus.PAID
    became_paid = not was_paid and status in (BillStatus.PAID, BillStatus.OVERPAID)
    changed = status != bill.status
    bill.status = status
    fields = ["status", "amount_paid", "version", "updated_at"]
    if became_paid:
        bill.paid_at = timezone.now()
        bill.paid_online = online
        fields += ["paid_at", "paid_online"]
    if changed or became_paid:
        bill.version += 1
    bill.save(update_fields=fields)
    if became_paid:
        receipt_issue(bill=bill, user=user)
        _send_paid(bill, online)
    return became_paid


def allocate(
    *,
    credit: BankCredit,
    bill: Bill,
    amount: int,
    method: AllocationMethod,
    reason: str = "",
    user: Any = None,
) -> Allocation:
    """Apply ``amount`` of a locked credit to a locked bill: allocation row, ledger posting, both balances."""
    books.post(
        org_unit=bill.org_unit,
        postings=[
            ledger.payment_matched(
                payment_key=credit.idempotency_key, bill_id=bill.pk, amount=amount, day=books.today()
            )
        ],
        user=user,
    )
    allocation = Allocation.objects.create(
        credit=credit, bill=bill, amount=amount, method=method, reason=reason[:500], created_by=user
    )
    credit.allocated += amount
    credit.save(update_fields=["allocated"])
    bill.amount_paid += amount
    return allocation
