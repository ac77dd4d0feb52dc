"""Bills: issuing, voiding, refunding. Each is one atomic, audited write with its ledger postings.

- ``bill_issue``: lines of whole đồng, a fresh reference (``vietqr.new_reference``, unique in the table),
  ``BILL_ISSUED`` for the total.
- ``bill_void``: only a bill nothing has been paid on (``BILL_VOIDED``); a bill with money on it is refunded.
- ``bill_refund``: every live allocation is reversed and its money refunded to the payer (``MATCH_REVERSED`` +
  ``PAYMENT_REFUNDED``), together with the unapplied rest of credits that paid only this bill; the receivable is
  cancelled (``BILL_VOIDED``) and the receipts are marked cancelled (they keep their numbers).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.api import Actor, Conflict, OrgUnit, ValidationFailed, audit, policy_for

from .. import ledger, vietqr
from ..models import Allocation, BankCredit, Bill, BillLine, BillStatus, CreditState
from ..money import MAX_VND, check_vnd
from . import books
from .common import acting_user, as_actor, check_reason, reference_prefix
from .receipts import receipt_void
from .settlement import lock_bill, lock_credit

__all__ = ["MAX_LINES", "bill_issue", "bill_refund", "bill_void"]

MAX_LINES = 50
MAX_TEXT = 255
_REFERENCE_ATTEMPTS = 8


def _text(value: str, what: str, *, required: bool = True) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise ValidationFailed(_("Hãy nhập %(what)s.") % {"what": what}, code="FIELD_REQUIRED")
    if len(value) > MAX_TEXT:
        raise ValidationFailed(
            _("%(what)s dài quá %(max)s ký tự.") % {"what": what.capitalize(), "max": MAX_TEXT},
            code="FIELD_TOO_LONG",
        )
    return value


def _clean_lines(lines: list[tuple[str, int]]) -> list[tuple[str, int]]:
    if not lines:
        raise ValidationFailed(_("Khoản thu phải có ít nhất một dòng."), code="BILL_WITHOUT_LINES")
    if len(lines) > MAX_LINES:
        raise ValidationFailed(_("Khoản thu có tối đa %(max)s dòng.") % {"max": MAX_LINES}, code="BILL_TOO_MANY_LINES")
    cleaned = []
    for index, (description, amount) in enumerate(lines, start=1):
        what = _("nội dung dòng %(index)s") % {"index": index}
        cleaned.append(
            (_text(description, what), check_vnd(amount, field=_("Số tiền dòng %(index)s") % {"index": index}))
        )
    if sum(amount for _description, amount in cleaned) > MAX_VND:
        raise ValidationFailed(_("Tổng số tiền của khoản thu quá lớn."), code="amount_too_large")
    return cleaned


def _check_version(bill: Bill, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != bill.version:
        raise Conflict(
            _("Khoản thu %(reference)s vừa được người khác thay đổi; hãy tải lại trang.")
            % {"reference": bill.reference},
            code="STALE_VERSION",
        )


@transaction.atomic
def bill_issue(
    *,
    actor: Actor | Any,
    org_unit: OrgUnit,
    payer_user: Any,
    payer_name: str,
    purpose: str,
    lines: list[tuple[str, int]],
    source: str = "",
    due_on: dt.date | None = None,
    payer_detail: str = "",
    check_permission: bool = True,
) -> Bill:
    """Issue a bill from ``org_unit`` to a payer. With ``check_permission`` the actor needs ``payment.reconcile``
    over the unit (``payments.api.issue_bill`` leaves the decision to the calling app)."""
    actor = as_actor(actor)
    if check_permission:
        policy_for(Bill).check_in(actor, "reconcile", org_unit)
    if org_unit.valid_to is not None:
        raise ValidationFailed(
            _("Đơn vị %(unit)s đã ngừng hoạt động, không lập khoản thu được.") % {"unit": org_unit.name},
            code="UNIT_CLOSED",
        )
    payer_name = _text(payer_name, _("họ tên người nộp"))
    purpose = _text(purpose, _("nội dung thu"))
    payer_detail = _text(payer_detail, _("thông tin người nộp"), required=False)
    source = (source or "").strip()[:100]
    cleaned = _clean_lines(lines)
    user = acting_user(actor)
    now = timezone.now()
    bill = None
    for _attempt in range(_REFERENCE_ATTEMPTS):
        reference = vietqr.new_reference(reference_prefix())
        try:
            with transaction.atomic():
                bill = Bill.objects.create(
                    org_unit=org_unit,
                    payer_user=payer_user,
                    payer_name=payer_name,
                    payer_detail=payer_detail,
                    purpose=purpose,
                    reference=reference,
                    total=sum(amount for _description, amount in cleaned),
                    source=source,
                    due_on=due_on,
                    issued_at=now,
                    created_by=user,
                )
            break
        except IntegrityError:
            if not Bill.objects.filter(reference=reference).exists():
                raise
    if bill is None:  # pragma: no cover - eight collisions in a row of a 31**8 space
        raise Conflict(_("Không tạo được mã thanh toán; hãy thử lại."), code="REFERENCE_EXHAUSTED")
    BillLine.objects.bulk_create(
        BillLine(bill=bill, position=position, description=description, amount=amount)
        for position, (description, amount) in enumerate(cleaned, start=1)
    )
    books.post(
        org_unit=org_unit,
        postings=[ledger.bill_issued(bill_id=bill.pk, amount=bill.total, day=books.today())],
        user=user,
    )
    audit.record(
        actor=user,
        action="payments.bill_issued",
        obj=bill,
        org_unit=org_unit,
        after={**audit.snapshot(bill), "lines": [list(line) for line in cleaned]},
    )
    return bill


@transaction.atomic
def bill_void(*, actor: Actor, bill_id: int, reason: str, expected_version: int | None = None) -> Bill:
    """Cancel a bill nothing has been paid on. A bill with money on it must be refunded instead."""
    actor = as_actor(actor)
    reason = check_reason(reason)
    bill = lock_bill(bill_id)
    policy_for(Bill).check(actor, "reconcile", bill)
    _check_version(bill, expected_version)
    if bill.status in (BillStatus.VOIDED, BillStatus.REFUNDED):
        raise Conflict(
            _("Khoản thu %(reference)s đã hủy hoặc đã hoàn trả.") % {"reference": bill.reference},
            code="BILL_CLOSED",
        )
    if bill.amount_paid > 0:
        raise Conflict(
            _("Khoản thu %(reference)s đã có tiền nộp: hãy hoàn trả trước (hoàn trả sẽ đóng khoản thu).")
            % {"reference": bill.reference},
            code="BILL_HAS_PAYMENTS",
        )
    before = audit.snapshot(bill)
    user = acting_user(actor)
    books.post(
        org_unit=bill.org_unit,
        postings=[ledger.bill_voided(bill_id=bill.pk, amount=bill.total, day=books.today(), reason=reason)],
        user=user,
    )
    bill.status = BillStatus.VOIDED
    bill.void_reason = reason
    bill.voided_by = user
    bill.voided_at = timezone.now()
    bill.version += 1
    bill.save()
    audit.record(
        actor=user,
        action="payments.bill_voided",
        obj=bill,
        org_unit=bill.org_unit,
        before=before,
        after=audit.snapshot(bill),
        reason=reason,
    )
    return bill


@transaction.atomic
def bill_refund(*, actor: Actor, bill_id: int, reason: str, expected_version: int | None = None) -> Bill:
    """Give a bill's money back to the payer and close the bill (see the module docstring)."""
    actor = as_actor(actor)
    reason = check_reason(reason)
    bill = lock_bill(bill_id)
    policy_for(Bill).check(actor, "reconcile", bill)
    _check_version(bill, expected_version)
    if bill.status in (BillStatus.VOIDED, BillStatus.REFUNDED):
        raise Conflict(
            _("Khoản thu %(reference)s đã hủy hoặc đã hoàn trả.") % {"reference": bill.reference},
            code="BILL_CLOSED",
        )
    if bill.amount_paid <= 0:
        raise ValidationFailed(
            _("Khoản thu %(reference)s chưa có tiền nộp để hoàn trả; hãy hủy khoản thu nếu không thu nữa.")
            % {"reference": bill.reference},
            code="BILL_NOTHING_TO_REFUND",
        )
    before = audit.snapshot(bill)
    user = acting_user(actor)
    now = timezone.now()
    day = books.today()
    allocations = list(Allocation.objects.filter(bill=bill, reversed_at__isnull=True).order_by("credit_id", "id"))
    credits: dict[int, BankCredit] = {}
    for credit_id in sorted({allocation.credit_id for allocation in allocations}):
        credits[credit_id] = lock_credit(credit_id)
    postings: list[ledger.Posting] = []
    refunded_by_credit: dict[int, int] = {}
    for allocation in allocations:
        credit = credits[allocation.credit_id]
        postings.append(
            ledger.match_reversed(
                payment_key=credit.idempotency_key, bill_id=bill.pk, amount=allocation.amount, day=day, reason=reason
            )
        )
        refunded_by_credit[credit.pk] = refunded_by_credit.get(credit.pk, 0) + allocation.amount
        allocation.reversed_at = now
        allocation.reversed_by = user
        allocation.reversed_reason = reason
        allocation.save(update_fields=["reversed_at", "reversed_by", "reversed_reason"])
    for credit in credits.values():
        reversed_amount = refunded_by_credit[credit.pk]
        credit.allocated -= reversed_amount
        # The rest of a credit that paid this bill only (an overpayment) goes back with it.
        if not Allocation.objects.filter(credit=credit, reversed_at__isnull=True).exclude(bill=bill).exists():
            refund = credit.amount - credit.allocated - credit.refunded
        else:
            refund = reversed_amount
        postings.append(
            ledger.payment_refunded(payment_key=credit.idempotency_key, amount=refund, day=day, reason=reason)
        )
        credit.refunded += refund
        if credit.unapplied == 0:
            credit.state = CreditState.RESOLVED
            credit.resolved_by = user
            credit.resolved_at = now
            credit.resolution_note = reason
        credit.save(update_fields=["allocated", "refunded", "state", "resolved_by", "resolved_at", "resolution_note"])
    postings.append(ledger.bill_voided(bill_id=bill.pk, amount=bill.total, day=day, reason=reason))
    books.post(org_unit=bill.org_unit, postings=postings, user=user)
    bill.amount_paid = 0
    bill.status = BillStatus.REFUNDED
    bill.void_reason = reason
    bill.voided_by = user
    bill.voided_at = now
    bill.version += 1
    bill.save()
    for receipt in bill.receipts.filter(voided_at__isnull=True).select_related("sequence"):
        receipt_void(receipt=receipt, reason=reason, user=user, now=now)
    audit.record(
        actor=user,
        action="payments.bill_refunded",
        obj=bill,
        org_unit=bill.org_unit,
        before=before,
        after={**audit.snapshot(bill), "refunded": refunded_by_credit},
        reason=reason,
    )
    return bill
