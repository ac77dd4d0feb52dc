"""Matching a bank credit to the bill it pays. Pure: the caller loads the bills, this decides, a person reviews.

Order of evidence (administration notes §4.4):

1. **Reference.** The payment references (``vietqr.new_reference``) found in the transfer content
   (``vietqr.find_references``: case, diacritics and separators ignored, check symbol verified). One known
   reference and the exact outstanding amount → ``MATCHED``. Less → ``UNDERPAID``, more → ``OVERPAID``, a bill
   with nothing left to pay → ``DUPLICATE``, a cancelled bill → ``BILL_VOIDED``. Several references whose
   outstanding amounts add up exactly to the credit (one parent paying for two children in one transfer) →
   ``MATCHED`` across those bills; otherwise ``AMBIGUOUS``.
2. **Payer hints.** No known reference: the open bills owing exactly the amount whose hints (pupil code, pupil or
   payer name, written without diacritics) appear in the content. Exactly one → ``MATCHED`` (method
   ``PAYER_HINT``); several → ``AMBIGUOUS``. A single hinted bill with a different amount → ``UNDERPAID`` /
   ``OVERPAID`` for review.
3. **Amount alone** never matches automatically (a whole class owes the same amount for meals): the bills owing
   that amount are offered as ``candidates`` of an ``UNMATCHED`` result.

Everything but ``MATCHED`` goes to the manual queue with a Vietnamese ``reason``; ``suggested`` holds what a
person would most likely confirm (apply the partial payment; apply the outstanding amount and refund the rest).

The caller passes the bills whose references occur in the content **whatever their state** (paid, cancelled —
that is how a duplicate is recognised; ``references_in`` gives the references to load) together with the open
bills of the school for the hint and amount steps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _

from .money import format_vnd
from .vietqr import REFERENCE_BODY_LENGTH, find_references, transfer_text
from .webhook import BankCredit

__all__ = [
    "MIN_HINT_LENGTH",
    "Allocation",
    "MatchMethod",
    "MatchOutcome",
    "MatchResult",
    "OpenBill",
    "match",
    "references_in",
]

# A hint shorter than this (after removing spaces and diacritics) matches too much content by chance.
MIN_HINT_LENGTH = 5
BillId = int | str


class MatchOutcome(StrEnum):
    MATCHED = "matched"
    UNDERPAID = "underpaid"
    OVERPAID = "overpaid"
    DUPLICATE = "duplicate"
    BILL_VOIDED = "bill_voided"
    AMBIGUOUS = "ambiguous"
    UNMATCHED = "unmatched"


class MatchMethod(StrEnum):
    REFERENCE = "reference"
    PAYER_HINT = "payer_hint"
    AMOUNT = "amount"
    NONE = "none"


@dataclass(frozen=True)
class OpenBill:
    """What matching needs to know of a bill. ``amount_paid`` already allocated to it; ``hints``: pupil code,
    pupil and payer names — anything a parent is likely to type in the transfer content."""

    bill_id: BillId
    reference: str
    amount_due: int
    amount_paid: int = 0
    hints: tuple[str, ...] = ()
    is_voided: bool = False

    @property
    def outstanding(self) -> int:
        return max(self.amount_due - self.amount_paid, 0)


@dataclass(frozen=True)
class Allocation:
    bill_id: BillId
    amount: int


@dataclass(frozen=True)
class MatchResult:
    """``allocations`` are final (only for ``MATCHED``); ``suggested`` are for the person reviewing;
    ``unallocated`` is the part of the credit no allocation (or suggestion) covers: to apply or refund."""

    outcome: MatchOutcome
    method: MatchMethod
    reason: str
    allocations: tuple[Allocation, ...] = ()
    suggested: tuple[Allocation, ...] = ()
    candidates: tuple[BillId, ...] = ()
    references: tuple[str, ...] = ()
    unallocated: int = 0

    @property
    def needs_review(self) -> bool:
        return self.outcome != MatchOutcome.MATCHED

    @property
    def allocated(self) -> int:
        return sum(allocation.amount for allocation in self.allocations)


def _squeeze(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", transfer_text(text).upper())


def references_in(content: str, *, prefixes: Iterable[str], length: int = REFERENCE_BODY_LENGTH) -> list[str]:
    """Every valid reference of any of ``prefixes`` in the transfer content, in order, without repeats."""
    found: list[str] = []
    for prefix in prefixes:
        found += [
            reference for reference in find_references(content, prefix=prefix, length=length) if reference not in found
        ]
    return found


def _by_reference(credit: BankCredit, bills: Sequence[OpenBill], references: list[str]) -> MatchResult | None:
    known = {bill.reference: bill for bill in bills}
    found = [known[reference] for reference in references if reference in known]
    if not found:
        return None
    refs = tuple(references)
    amount = credit.amount
    if len(found) > 1:
        payable = [bill for bill in found if not bill.is_voided and bill.outstanding > 0]
        if len(payable) == len(found) and sum(bill.outstanding for bill in payable) == amount:
            return MatchResult(
                outcome=MatchOutcome.MATCHED,
                method=MatchMethod.REFERENCE,
                reason=_("Khớp mã tham chiếu của %(count)s khoản thu, tổng số tiền đúng.") % {"count": len(found)},
                allocations=tuple(Allocation(bill.bill_id, bill.outstanding) for bill in payable),
                candidates=tuple(bill.bill_id for bill in found),
                references=refs,
            )
        return MatchResult(
            outcome=MatchOutcome.AMBIGUOUS,
            method=MatchMethod.REFERENCE,
            reason=_(
                "Nội dung chuyển khoản có %(count)s mã tham chiếu nhưng số tiền %(amount)s không bằng tổng còn phải "
                "nộp của các khoản đó: cần phân bổ thủ công."
            )
            % {"count": len(found), "amount": format_vnd(amount)},
            candidates=tuple(bill.bill_id for bill in found),
            references=refs,
            unallocated=amount,
        )
    bill = found[0]
    common = {"reference": bill.reference, "amount": format_vnd(amount)}
    if bill.is_voided:
        return MatchResult(
            outcome=MatchOutcome.BILL_VOIDED,
            method=MatchMethod.REFERENCE,
            reason=_(
                "Khoản thu mã %(reference)s đã hủy nhưng nhận được %(amount)s: cần hoàn trả hoặc chuyển khoản khác."
            )
            % common,
            candidates=(bill.bill_id,),
            references=refs,
            unallocated=amount,
        )
    outstanding = bill.outstanding
    if outstanding == 0:
        return MatchResult(
            outcome=MatchOutcome.DUPLICATE,
            method=MatchMethod.REFERENCE,
            reason=_("Khoản thu mã %(reference)s đã nộp đủ; %(amount)s nhận thêm có thể là nộp trùng: cần hoàn trả.")
            % common,
            candidates=(bill.bill_id,),
            references=refs,
            unallocated=amount,
        )
    if amount == outstanding:
        return MatchResult(
            outcome=MatchOutcome.MATCHED,
            method=MatchMethod.REFERENCE,
            reason=_("Khớp mã tham chiếu %(reference)s và số tiền %(amount)s.") % common,
            allocations=(Allocation(bill.bill_id, amount),),
            candidates=(bill.bill_id,),
            references=refs,
        )
    return _partial_or_excess(credit, bill, MatchMethod.REFERENCE, refs)


def _partial_or_excess(
    credit: BankCredit, bill: OpenBill, method: MatchMethod, references: tuple[str, ...]
) -> MatchResult:
    amount, outstanding = credit.amount, bill.outstanding
    values = {
        "reference": bill.reference,
        "amount": format_vnd(amount),
        "outstanding": format_vnd(outstanding),
        "difference": format_vnd(abs(amount - outstanding)),
    }
    if amount < outstanding:
        return MatchResult(
            outcome=MatchOutcome.UNDERPAID,
            method=method,
            reason=_(
                "Khoản thu %(reference)s còn phải nộp %(outstanding)s nhưng chỉ nhận %(amount)s (thiếu "
                "%(difference)s): xác nhận nộp một phần hoặc hoàn trả."
            )
            % values,
            suggested=(Allocation(bill.bill_id, amount),),
            candidates=(bill.bill_id,),
            references=references,
        )
    return MatchResult(
        outcome=MatchOutcome.OVERPAID,
        method=method,
        reason=_(
            "Khoản thu %(reference)s còn phải nộp %(outstanding)s nhưng nhận %(amount)s (thừa %(difference)s): "
            "xác nhận rồi hoàn trả hoặc chuyển phần thừa."
        )
        % values,
        suggested=(Allocation(bill.bill_id, outstanding),),
        candidates=(bill.bill_id,),
        references=references,
        unallocated=amount - outstanding,
    )


def _hinted(bill: OpenBill, content: str) -> bool:
    for hint in bill.hints:
        squeezed = _squeeze(hint)
        if len(squeezed) >= MIN_HINT_LENGTH and squeezed in content:
            return True
    return False


def match(
    credit: BankCredit,
    open_bills: Sequence[OpenBill],
    *,
    prefixes: Iterable[str] = ("HP",),
    reference_length: int = REFERENCE_BODY_LENGTH,
) -> MatchResult:
    """Decide what ``credit`` pays among ``open_bills`` (see the module docstring for the rules and the bills to
    pass). ``prefixes``: the reference prefixes this school issues."""
    references = references_in(credit.content, prefixes=prefixes, length=reference_length)
    by_reference = _by_reference(credit, open_bills, references)
    if by_reference is not None:
        return by_reference

    refs = tuple(references)
    amount = credit.amount
    payable = [bill for bill in open_bills if not bill.is_voided and bill.outstanding > 0]
    content = _squeeze(credit.content)
    hinted = [bill for bill in payable if _hinted(bill, content)]
    exact = [bill for bill in hinted if bill.outstanding == amount]
    unknown_note = (
        _(" Mã tham chiếu %(references)s không thuộc khoản thu nào của trường.") % {"references": ", ".join(refs)}
        if refs
        else ""
    )
    if len(exact) == 1:
        return MatchResult(
            outcome=MatchOutcome.MATCHED,
            method=MatchMethod.PAYER_HINT,
            reason=_("Không có mã tham chiếu; khớp thông tin người nộp và số tiền %(amount)s.")
            % {"amount": format_vnd(amount)},
            allocations=(Allocation(exact[0].bill_id, amount),),
            candidates=(exact[0].bill_id,),
            references=refs,
        )
    if len(exact) > 1:
        return MatchResult(
            outcome=MatchOutcome.AMBIGUOUS,
            method=MatchMethod.PAYER_HINT,
            reason=_("Có %(count)s khoản thu cùng số tiền %(amount)s khớp thông tin người nộp: cần chọn thủ công.")
            % {"count": len(exact), "amount": format_vnd(amount)}
            + unknown_note,
            candidates=tuple(bill.bill_id for bill in exact),
            references=refs,
            unallocated=amount,
        )
    if len(hinted) == 1:
        return _partial_or_excess(credit, hinted[0], MatchMethod.PAYER_HINT, refs)
    if len(hinted) > 1:
        return MatchResult(
            outcome=MatchOutcome.AMBIGUOUS,
            method=MatchMethod.PAYER_HINT,
            reason=_(
                "Nội dung khớp thông tin người nộp của %(count)s khoản thu nhưng không khoản nào còn phải nộp đúng "
                "%(amount)s: cần phân bổ thủ công."
            )
            % {"count": len(hinted), "amount": format_vnd(amount)}
            + unknown_note,
            candidates=tuple(bill.bill_id for bill in hinted),
            references=refs,
            unallocated=amount,
        )
    same_amount = tuple(bill.bill_id for bill in payable if bill.outstanding == amount)
    if same_amount:
        reason = _(
            "Không tìm thấy mã tham chiếu hay thông tin người nộp; %(count)s khoản thu còn phải nộp đúng %(amount)s "
            "— chỉ trùng số tiền thì chưa đủ để ghi nhận tự động."
        ) % {"count": len(same_amount), "amount": format_vnd(amount)}
        method = MatchMethod.AMOUNT
    else:
        reason = _("Không tìm thấy mã tham chiếu, thông tin người nộp hay khoản thu nào khớp số tiền %(amount)s.") % {
            "amount": format_vnd(amount)
        }
        method = MatchMethod.NONE
    return MatchResult(
        outcome=MatchOutcome.UNMATCHED,
        method=method,
        reason=reason + unknown_note,
        candidates=same_amount,
        references=refs,
        unallocated=amount,
    )
