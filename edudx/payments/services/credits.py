"""Bank credits: recording money the bank reports, matching it to bills, and the manual queue.

``credit_record`` is idempotent on the bank's transaction id: the unique ``idempotency_key`` makes a second
delivery (even a concurrent one: the second insert waits for the first transaction and then fails) a
``DUPLICATE`` when it reports the same money, a ``CONFLICT`` (flagged for a person, nothing else changed) when it
reports different money under the same id. A new credit is put on the books (``PAYMENT_RECEIVED``, into
suspense) before anything else, then matched (``matching.match``: reference, then payer hints; an amount alone
never matches). A full match is applied at once; anything else waits in the manual queue, where a person applies
it to a bill (``credit_assign``) or gives it back (``credit_refund``), always with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.api import Actor, Conflict, ValidationFailed, audit, policy_for

from .. import ledger, matching, webhook
from ..models import (
    OPEN_BILL_STATUSES,
    AllocationMethod,
    BankCredit,
    Bill,
    BillStatus,
    CreditSource,
    CreditState,
    PaymentAccount,
)
from . import books
from .common import acting_user, as_actor, check_reason, reference_prefixes
from .settlement import allocate, lock_bill, lock_credit, settle_bill

__all__ = ["MAX_OPEN_BILLS", "Recorded", "credit_assign", "credit_record", "credit_refund"]

# The open bills read for the payer-hint step; a unit with more open bills than this is matched by reference only
# for the rest (the hint step is a convenience, the reference is the rule).
MAX_OPEN_BILLS = 5000


@dataclass(frozen=True)
class Recorded:
    credit: BankCredit
    status: webhook.ReplayStatus


def _as_bank_credit(row: BankCredit) -> webhook.BankCredit:
    return webhook.BankCredit(
        transaction_id=row.transaction_id,
        account=row.account_number,
        amount=row.amount,
        content=row.content,
        occurred_at=row.credited_at,
        bank_code=row.bank_code,
    )


def _replay(existing: BankCredit, credit: webhook.BankCredit, source: str) -> Recorded:
    status = webhook.replay_status(credit, _as_bank_credit(existing))
    if status == webhook.ReplayStatus.CONFLICT:
        locked = lock_credit(existing.pk)
        note = _(
            "Nhận lại mã giao dịch %(id)s (%(source)s) nhưng số tiền %(amount)s / tài khoản %(account)s khác với lần "
            "đầu: cần kiểm tra với ngân hàng."
        ) % {"id": credit.transaction_id, "source": source, "amount": credit.amount, "account": credit.account}
        locked.flagged = True
        locked.flag_note = (locked.flag_note + "\n" + note).strip()[:5000]
        locked.save(update_fields=["flagged", "flag_note"])
        audit.record(
            actor=None,
            action="payments.credit_conflict",
            obj=locked,
            org_unit=locked.org_unit,
            after={"amount": credit.amount, "account": credit.account, "source": source},
            reason=note,
        )
        return Recorded(locked, status)
    return Recorded(existing, status)


@transaction.atomic
def credit_record(
    *,
    credit: webhook.BankCredit,
    account: PaymentAccount,
    source: CreditSource,
    raw_payload: Any = None,
    body_sha256: str = "",
    actor: Actor | Any = None,
) -> Recorded:
    """Store a verified credit once, put it on the books and match it (see the module docstring)."""
    actor = as_actor(actor)
    user = acting_user(actor)
    key = credit.idempotency_key
    existing = BankCredit.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _replay(existing, credit, source)
    try:
        with transaction.atomic():
            row = BankCredit.objects.create(
                org_unit=account.org_unit,
                account=account,
                bank_code=credit.bank_code,
                transaction_id=credit.transaction_id,
                idempotency_key=key,
                account_number=credit.account,
                amount=credit.amount,
                content=credit.content[:500],
                credited_at=credit.occurred_at,
                source=source,
                raw_payload=raw_payload,
                body_sha256=body_sha256,
                match_outcome=matching.MatchOutcome.UNMATCHED,
                state=CreditState.REVIEW,
            )
    except IntegrityError:
        # Delivered twice at once: the other transaction stored it first.
        return _replay(BankCredit.objects.get(idempotency_key=key), credit, source)
    books.post(
        org_unit=account.org_unit,
        postings=[ledger.payment_received(payment_key=key, amount=credit.amount, day=books.today())],
        user=user,
    )
    audit.record(
        actor=user,
        action="payments.credit_received",
        obj=row,
        org_unit=account.org_unit,
        after=audit.snapshot(row, exclude=("raw_payload",)),
    )
    _match(row, credit, user)
    return Recorded(row, webhook.ReplayStatus.NEW)


def _open_bill(bill: Bill) -> matching.OpenBill:
    return matching.OpenBill(
        bill_id=bill.pk,
        reference=bill.reference,
        amount_due=bill.total,
        amount_paid=bill.amount_paid,
        hints=tuple(hint for hint in (bill.payer_name, bill.payer_detail) if hint),
        is_voided=bill.status in (BillStatus.VOIDED, BillStatus.REFUNDED),
    )


def _match(row: BankCredit, credit: webhook.BankCredit, user: Any) -> None:
    prefixes = reference_prefixes()
    references = matching.references_in(credit.content, prefixes=prefixes)
    # The bills named by reference are locked first (in id order: no deadlock between two credits), so two
    # transfers for the same bill cannot both see it unpaid.
    named = list(
        Bill.objects.select_for_update().filter(org_unit=row.org_unit, reference__in=references).order_by("id")
    )
    others = list(
        Bill.objects.filter(org_unit=row.org_unit, status__in=OPEN_BILL_STATUSES)
        .exclude(reference__in=references)
        .only("id", "reference", "total", "amount_paid", "payer_name", "payer_detail", "status")
        .order_by("id")[:MAX_OPEN_BILLS]
    )
    result = matching.match(credit, [_open_bill(b) for b in named + others], prefixes=prefixes)
    bills = {bill.pk: bill for bill in named}
    if result.outcome == matching.MatchOutcome.MATCHED:
        locked = {
            allocation.bill_id: bills.get(int(allocation.bill_id)) or lock_bill(int(allocation.bill_id))
            for allocation in result.allocations
        }
        # A bill found by payer hint was read unlocked: check it still owes what the matcher saw.
        if all(locked[a.bill_id].outstanding >= a.amount for a in result.allocations):
            for allocation in result.allocations:
                bill = locked[allocation.bill_id]
                allocate(
                    credit=row, bill=bill, amount=allocation.amount, method=AllocationMethod.AUTO, reason=result.reason
                )
            row.match_outcome = result.outcome
            row.match_reason = result.reason
            row.state = CreditState.MATCHED if row.unapplied == 0 else CreditState.REVIEW
            row.candidate_bill_ids = [int(b) for b in result.candidates]
            row.save(update_fields=["match_outcome", "match_reason", "state", "candidate_bill_ids"])
            for bill in locked.values():
                settle_bill(bill, user=user)
            return
        result = matching.MatchResult(
            outcome=matching.MatchOutcome.AMBIGUOUS,
            method=result.method,
            reason=_("Khoản thu vừa thay đổi trong lúc đối soát: cần xử lý thủ công."),
            candidates=result.candidates,
            unallocated=credit.amount,
        )
    row.match_outcome = result.outcome
    row.match_reason = result.reason
    row.state = CreditState.REVIEW
    row.candidate_bill_ids = [int(b) for b in (result.candidates or [a.bill_id for a in result.suggested])]
    row.save(update_fields=["match_outcome", "match_reason", "state", "candidate_bill_ids"])


def _access_credit(actor: Actor, credit_id: int) -> BankCredit:
    """The credit, locked, if the actor may reconcile it; "not found" otherwise (ids cannot be probed)."""
    if not policy_for(BankCredit).visible(actor, "reconcile").filter(pk=credit_id).exists():
        raise ValidationFailed(_("Không tìm thấy giao dịch."), code="NOT_FOUND")
    return lock_credit(credit_id)


def _resolve_if_done(credit: BankCredit, user: Any, note: str) -> None:
    if credit.unapplied == 0:
        credit.state = CreditState.RESOLVED
        credit.resolved_by = user
        credit.resolved_at = timezone.now()
        credit.resolution_note = note[:500]
    credit.save()


def _resettle_bills_of(credit: BankCredit, user: Any) -> None:
    """An excess on this credit may just have been settled: bills it paid may go from overpaid to paid."""
    for bill_id in (
        Bill.objects.filter(Q(allocations__credit=credit) & Q(allocations__reversed_at__isnull=True))
        .filter(status=BillStatus.OVERPAID)
        .values_list("id", flat=True)
        .distinct()
        .order_by("id")
    ):
        settle_bill(lock_bill(bill_id), user=user)


@transaction.atomic
def credit_assign(*, actor: Actor, credit_id: int, bill_id: int, reason: str, amount: int | None = None) -> BankCredit:
    """Apply (part of) a credit from the queue to an open bill of the same unit. ``amount`` defaults to as much as
    both allow (the credit's unapplied money, the bill's outstanding amount)."""
    actor = as_actor(actor)
    reason = check_reason(reason)
    credit = _access_credit(actor, credit_id)
    if credit.flagged:
        raise Conflict(
            _("Giao dịch %(id)s đang bị đánh dấu cần kiểm tra với ngân hàng.") % {"id": credit.transaction_id},
            code="CREDIT_FLAGGED",
        )
    if not policy_for(Bill).visible(actor, "reconcile").filter(pk=bill_id, org_unit_id=credit.org_unit_id).exists():
        raise ValidationFailed(
            _("Không tìm thấy khoản thu này trong các khoản thu của đơn vị nhận tiền."), code="BILL_NOT_FOUND"
        )
    bill = lock_bill(bill_id)
    if not bill.is_open:
        raise Conflict(
            _("Khoản thu %(reference)s không còn phải nộp (%(status)s).")
            % {"reference": bill.reference, "status": bill.get_status_display()},
            code="BILL_NOT_OPEN",
        )
    if credit.unapplied <= 0:
        raise Conflict(_("Giao dịch này đã được phân bổ hoặc hoàn trả hết."), code="CREDIT_SPENT")
    most = min(credit.unapplied, bill.outstanding)
    if amount is None:
        amount = most
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= most:
        raise ValidationFailed(
            _("Số tiền phân bổ phải từ 1 đến %(most)s đồng.") % {"most": most},
            code="ALLOCATION_AMOUNT",
            details={"amount": [_("Số tiền không hợp lệ.")]},
        )
    user = acting_user(actor)
    before = audit.snapshot(credit, exclude=("raw_payload",))
    allocate(credit=credit, bill=bill, amount=amount, method=AllocationMethod.MANUAL, reason=reason, user=user)
    _resolve_if_done(credit, user, reason)
    settle_bill(bill, user=user)
    audit.record(
        actor=user,
        action="payments.credit_assigned",
        obj=credit,
        org_unit=credit.org_unit,
        before=before,
        after={**audit.snapshot(credit, exclude=("raw_payload",)), "bill": bill.reference, "amount": amount},
        reason=reason,
    )
    return credit


@transaction.atomic
def credit_refund(*, actor: Actor, credit_id: int, reason: str, amount: int | None = None) -> BankCredit:
    """Give back (part of) the money of a credit not applied to any bill: unmatched, or the excess of an
    overpayment. ``amount`` defaults to everything still unapplied."""
    actor = as_actor(actor)
    reason = check_reason(reason)
    credit = _access_credit(actor, credit_id)
    unapplied = credit.unapplied
    if unapplied <= 0:
        raise Conflict(_("Giao dịch này không còn tiền chưa phân bổ để hoàn trả."), code="CREDIT_SPENT")
    if amount is None:
        amount = unapplied
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= unapplied:
        raise ValidationFailed(
            _("Số tiền hoàn trả phải từ 1 đến %(most)s đồng.") % {"most": unapplied},
            code="REFUND_AMOUNT",
            details={"amount": [_("Số tiền không hợp lệ.")]},
        )
    user = acting_user(actor)
    before = audit.snapshot(credit, exclude=("raw_payload",))
    books.post(
        org_unit=credit.org_unit,
        postings=[
            ledger.payment_refunded(payment_key=credit.idempotency_key, amount=amount, day=books.today(), reason=reason)
        ],
        user=user,
    )
    credit.refunded += amount
    _resolve_if_done(credit, user, reason)
    _resettle_bills_of(credit, user)
    audit.record(
        actor=user,
        action="payments.credit_refunded",
        obj=credit,
        org_unit=credit.org_unit,
        before=before,
        after={**audit.snapshot(credit, exclude=("raw_payload",)), "amount": amount},
        reason=reason,
    )
    return credit
