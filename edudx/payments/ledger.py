"""The collection book in double entry: every movement of money is a posting, and the books prove nothing was lost.

Five accounts (balances are debit minus credit, in whole đồng):

==============  ====================================================================================================
``RECEIVABLE``  phải thu: what payers still owe on issued bills (debit balance)
``REVENUE``     khoản thu: what the school has billed, net of cancelled bills (credit balance)
``BANK``        tiền gửi ngân hàng: money on the school's collection account (debit balance)
``CASH``        tiền mặt: money collected at the office (debit balance)
``SUSPENSE``    tiền chờ đối soát: money received but not applied to a bill yet — unmatched, overpaid or waiting
                for a person in the manual queue (credit balance)
==============  ====================================================================================================

Six kinds of posting, each with fixed accounts (``POSTING_ACCOUNTS``):

* ``BILL_ISSUED``  Dr RECEIVABLE / Cr REVENUE — a bill (its total) is issued to a payer;
* ``BILL_VOIDED``  Dr REVENUE / Cr RECEIVABLE — a bill, or what is left of it, is cancelled (reason required);
* ``PAYMENT_RECEIVED``  Dr BANK or CASH / Cr SUSPENSE — money arrives; always through suspense, so that money
  is on the books the moment it arrives, whether or not anyone knows yet what it pays;
* ``PAYMENT_MATCHED``  Dr SUSPENSE / Cr RECEIVABLE — (part of) a payment is applied to a bill;
* ``MATCH_REVERSED``  Dr RECEIVABLE / Cr SUSPENSE — an application is undone (wrong match; before refunding a
  paid bill) (reason required);
* ``PAYMENT_REFUNDED``  Dr SUSPENSE / Cr BANK or CASH — money goes back to the payer (reason required).

A correction is a new posting, never an edit: the postings are the audit trail of the money.

``check_books`` proves that money neither appeared nor disappeared: debits equal credits; the money held equals
received − refunded; received = applied to bills + still unapplied + refunded; no payment is received twice,
applied or refunded beyond what it brought, and no bill is paid or cancelled beyond what was issued. It checks one
day's postings on top of the ``opening`` balance (``balance`` of all earlier postings), so the books of each day
balance on their own and the days add up.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext as _

from edudx.core.errors import ValidationFailed

from .money import check_vnd, format_vnd

__all__ = [
    "POSTING_ACCOUNTS",
    "Account",
    "Balance",
    "LedgerProblem",
    "Posting",
    "PostingKind",
    "balance",
    "bill_issued",
    "bill_voided",
    "books_balance",
    "check_books",
    "ensure_books_balance",
    "match_reversed",
    "payment_matched",
    "payment_received",
    "payment_refunded",
]

BillId = int | str


class Account(StrEnum):
    RECEIVABLE = "receivable"
    REVENUE = "revenue"
    BANK = "bank"
    CASH = "cash"
    SUSPENSE = "suspense"


MONEY_ACCOUNTS = frozenset({Account.BANK, Account.CASH})


class PostingKind(StrEnum):
    BILL_ISSUED = "bill_issued"
    BILL_VOIDED = "bill_voided"
    PAYMENT_RECEIVED = "payment_received"
    PAYMENT_MATCHED = "payment_matched"
    MATCH_REVERSED = "match_reversed"
    PAYMENT_REFUNDED = "payment_refunded"


# kind → (accounts it may debit, accounts it may credit)
POSTING_ACCOUNTS: Mapping[PostingKind, tuple[frozenset[Account], frozenset[Account]]] = {
    PostingKind.BILL_ISSUED: (frozenset({Account.RECEIVABLE}), frozenset({Account.REVENUE})),
    PostingKind.BILL_VOIDED: (frozenset({Account.REVENUE}), frozenset({Account.RECEIVABLE})),
    PostingKind.PAYMENT_RECEIVED: (MONEY_ACCOUNTS, frozenset({Account.SUSPENSE})),
    PostingKind.PAYMENT_MATCHED: (frozenset({Account.SUSPENSE}), frozenset({Account.RECEIVABLE})),
    PostingKind.MATCH_REVERSED: (frozenset({Account.RECEIVABLE}), frozenset({Account.SUSPENSE})),
    PostingKind.PAYMENT_REFUNDED: (frozenset({Account.SUSPENSE}), MONEY_ACCOUNTS),
}
NEEDS_BILL = frozenset(
    {PostingKind.BILL_ISSUED, PostingKind.BILL_VOIDED, PostingKind.PAYMENT_MATCHED, PostingKind.MATCH_REVERSED}
)
NEEDS_PAYMENT = frozenset(
    {
        PostingKind.PAYMENT_RECEIVED,
        PostingKind.PAYMENT_MATCHED,
        PostingKind.MATCH_REVERSED,
        PostingKind.PAYMENT_REFUNDED,
    }
)
NEEDS_REASON = frozenset({PostingKind.BILL_VOIDED, PostingKind.MATCH_REVERSED, PostingKind.PAYMENT_REFUNDED})


@dataclass(frozen=True)
class Posting:
    """One movement: ``amount`` đồng debited to ``debit`` and credited to ``credit`` on ``day``.

    ``bill_id`` is the bill concerned, ``payment_key`` the payment (a bank credit's ``idempotency_key`` or a cash
    receipt's id). ``posting_id`` names the stored row in problem reports. Build postings with the functions below;
    the constructor does not validate so that ``check_books`` can report on stored rows, whatever they hold.
    """

    kind: PostingKind
    amount: int
    debit: Account
    credit: Account
    day: dt.date
    bill_id: BillId | None = None
    payment_key: str | None = None
    reason: str = ""
    posting_id: int | str | None = None


def _amount(amount: int) -> int:
    return check_vnd(amount, field=_("Số tiền bút toán"))


def _reason(reason: str, what: str) -> str:
    if not reason or not reason.strip():
        raise ValidationFailed(_("Phải ghi lý do %(what)s.") % {"what": what}, code="REASON_REQUIRED")
    return reason.strip()


def _money_account(method: Account) -> Account:
    if method not in MONEY_ACCOUNTS:
        raise ValueError(f"Money is held in BANK or CASH, not {method}")
    return method


def bill_issued(*, bill_id: BillId, amount: int, day: dt.date) -> Posting:
    return Posting(PostingKind.BILL_ISSUED, _amount(amount), Account.RECEIVABLE, Account.REVENUE, day, bill_id=bill_id)


def bill_voided(*, bill_id: BillId, amount: int, day: dt.date, reason: str) -> Posting:
    return Posting(
        PostingKind.BILL_VOIDED,
        _amount(amount),
        Account.REVENUE,
        Account.RECEIVABLE,
        day,
        bill_id=bill_id,
        reason=_reason(reason, _("hủy khoản thu")),
    )


def payment_received(*, payment_key: str, amount: int, day: dt.date, method: Account = Account.BANK) -> Posting:
    return Posting(
        PostingKind.PAYMENT_RECEIVED,
        _amount(amount),
        _money_account(method),
        Account.SUSPENSE,
        day,
        payment_key=payment_key,
    )


def payment_matched(*, payment_key: str, bill_id: BillId, amount: int, day: dt.date) -> Posting:
    return Posting(
        PostingKind.PAYMENT_MATCHED,
        _amount(amount),
        Account.SUSPENSE,
        Account.RECEIVABLE,
        day,
        bill_id=bill_id,
        payment_key=payment_key,
    )


def match_reversed(*, payment_key: str, bill_id: BillId, amount: int, day: dt.date, reason: str) -> Posting:
    return Posting(
        PostingKind.MATCH_REVERSED,
        _amount(amount),
        Account.RECEIVABLE,
        Account.SUSPENSE,
        day,
        bill_id=bill_id,
        payment_key=payment_key,
        reason=_reason(reason, _("hủy đối soát")),
    )


def payment_refunded(
    *, payment_key: str, amount: int, day: dt.date, reason: str, method: Account = Account.BANK
) -> Posting:
    return Posting(
        PostingKind.PAYMENT_REFUNDED,
        _amount(amount),
        Account.SUSPENSE,
        _money_account(method),
        day,
        payment_key=payment_key,
        reason=_reason(reason, _("hoàn trả")),
    )


@dataclass(frozen=True)
class Balance:
    """Where the money stands after some postings. ``accounts``: debit minus credit per account.

    ``owed_by_bill``: what each bill still owes; ``unapplied_by_payment``: what of each payment is still in
    suspense; ``totals``: the sum of postings of each kind (received, matched, refunded…).
    """

    accounts: Mapping[Account, int] = field(default_factory=dict)
    owed_by_bill: Mapping[BillId, int] = field(default_factory=dict)
    unapplied_by_payment: Mapping[str, int] = field(default_factory=dict)
    totals: Mapping[PostingKind, int] = field(default_factory=dict)
    total_debits: int = 0
    total_credits: int = 0

    def account(self, account: Account) -> int:
        return self.accounts.get(account, 0)

    def total(self, kind: PostingKind) -> int:
        return self.totals.get(kind, 0)

    @property
    def received(self) -> int:
        return self.total(PostingKind.PAYMENT_RECEIVED)

    @property
    def refunded(self) -> int:
        return self.total(PostingKind.PAYMENT_REFUNDED)

    @property
    def paid(self) -> int:
        """Applied to bills, net of reversed applications."""
        return self.total(PostingKind.PAYMENT_MATCHED) - self.total(PostingKind.MATCH_REVERSED)

    @property
    def unmatched(self) -> int:
        """Money received and not applied to any bill (the credit balance of suspense)."""
        return -self.account(Account.SUSPENSE)

    @property
    def money_held(self) -> int:
        return self.account(Account.BANK) + self.account(Account.CASH)

    @property
    def billed(self) -> int:
        return self.total(PostingKind.BILL_ISSUED) - self.total(PostingKind.BILL_VOIDED)

    @property
    def outstanding(self) -> int:
        return self.account(Account.RECEIVABLE)


def balance(postings: Iterable[Posting], *, opening: Balance | None = None) -> Balance:
    """The balance after ``postings``, starting from ``opening`` (nothing by default)."""
    opening = opening or Balance()
    accounts: defaultdict[Account, int] = defaultdict(int, opening.accounts)
    owed: defaultdict[BillId, int] = defaultdict(int, opening.owed_by_bill)
    unapplied: defaultdict[str, int] = defaultdict(int, opening.unapplied_by_payment)
    totals: defaultdict[PostingKind, int] = defaultdict(int, opening.totals)
    debits, credits = opening.total_debits, opening.total_credits
    for posting in postings:
        accounts[posting.debit] += posting.amount
        accounts[posting.credit] -= posting.amount
        debits += posting.amount
        credits += posting.amount
        totals[posting.kind] += posting.amount
        if posting.bill_id is not None:
            if posting.debit == Account.RECEIVABLE:
                owed[posting.bill_id] += posting.amount
            if posting.credit == Account.RECEIVABLE:
                owed[posting.bill_id] -= posting.amount
        if posting.payment_key is not None:
            if posting.credit == Account.SUSPENSE:
                unapplied[posting.payment_key] += posting.amount
            if posting.debit == Account.SUSPENSE:
                unapplied[posting.payment_key] -= posting.amount
    return Balance(
        accounts=dict(accounts),
        owed_by_bill=dict(owed),
        unapplied_by_payment=dict(unapplied),
        totals=dict(totals),
        total_debits=debits,
        total_credits=credits,
    )


@dataclass(frozen=True)
class LedgerProblem:
    code: str
    message: str
    posting_id: int | str | None = None


def _posting_name(posting: Posting, index: int) -> str:
    ident = posting.posting_id if posting.posting_id is not None else index + 1
    return _("Bút toán %(id)s (%(kind)s)") % {"id": ident, "kind": posting.kind}


def _check_posting(posting: Posting, index: int, day: dt.date | None) -> list[LedgerProblem]:
    name = _posting_name(posting, index)
    problems: list[LedgerProblem] = []

    def problem(code: str, message: str) -> None:
        problems.append(
            LedgerProblem(
                code, _("%(posting)s: %(message)s") % {"posting": name, "message": message}, posting.posting_id
            )
        )

    if isinstance(posting.amount, bool) or not isinstance(posting.amount, int) or posting.amount <= 0:
        problem(
            "BAD_AMOUNT",
            _("số tiền phải là số nguyên đồng lớn hơn 0, đang là %(amount)r.") % {"amount": posting.amount},
        )
    allowed = POSTING_ACCOUNTS.get(posting.kind)
    if allowed is None:
        problem("UNKNOWN_KIND", _("loại bút toán không xác định."))
        return problems
    if posting.debit not in allowed[0] or posting.credit not in allowed[1]:
        problem(
            "WRONG_ACCOUNTS",
            _("ghi Nợ %(debit)s / Có %(credit)s không đúng với loại bút toán.")
            % {"debit": posting.debit, "credit": posting.credit},
        )
    if posting.kind in NEEDS_BILL and posting.bill_id is None:
        problem("MISSING_BILL", _("thiếu khoản thu."))
    if posting.kind in NEEDS_PAYMENT and not posting.payment_key:
        problem("MISSING_PAYMENT", _("thiếu giao dịch nộp tiền."))
    if posting.kind in NEEDS_REASON and not (posting.reason or "").strip():
        problem("MISSING_REASON", _("thiếu lý do."))
    if day is not None and posting.day != day:
        problem(
            "WRONG_DAY",
            _("ghi ngày %(posted)s nhưng thuộc sổ ngày %(day)s.")
            % {"posted": posting.day.strftime("%d/%m/%Y"), "day": day.strftime("%d/%m/%Y")},
        )
    return problems


def check_books(
    postings: Iterable[Posting], *, opening: Balance | None = None, day: dt.date | None = None
) -> list[LedgerProblem]:
    """Everything wrong with the books after ``postings`` (empty: they balance). See the module docstring.

    ``opening``: the balance of all earlier postings; ``day``: when given, every posting must be of that day.
    """
    postings = list(postings)
    opening = opening or Balance()
    problems: list[LedgerProblem] = []
    received_before = set(opening.unapplied_by_payment)
    received_now: dict[str, int] = {}
    for index, posting in enumerate(postings):
        problems += _check_posting(posting, index, day)
        if posting.kind == PostingKind.PAYMENT_RECEIVED and posting.payment_key:
            key = posting.payment_key
            if key in received_before or key in received_now:
                problems.append(
                    LedgerProblem(
                        "PAYMENT_RECEIVED_TWICE",
                        _("Giao dịch %(key)s được ghi nhận tiền vào hai lần.") % {"key": key},
                        posting.posting_id,
                    )
                )
            received_now[key] = index
    for index, posting in enumerate(postings):
        if (
            posting.kind != PostingKind.PAYMENT_RECEIVED
            and posting.payment_key
            and posting.payment_key not in received_before
            and posting.payment_key not in received_now
        ):
            problems.append(
                LedgerProblem(
                    "PAYMENT_NEVER_RECEIVED",
                    _("%(posting)s dùng tiền của giao dịch %(key)s chưa từng được ghi nhận.")
                    % {"posting": _posting_name(posting, index), "key": posting.payment_key},
                    posting.posting_id,
                )
            )

    closing = balance(postings, opening=opening)
    if closing.total_debits != closing.total_credits or sum(closing.accounts.values()) != 0:
        problems.append(LedgerProblem("DEBITS_NOT_CREDITS", _("Tổng Nợ khác tổng Có.")))
    if closing.money_held != closing.received - closing.refunded:
        problems.append(
            LedgerProblem(
                "MONEY_HELD_MISMATCH",
                _("Tiền đang giữ %(held)s khác tiền đã nhận trừ tiền đã hoàn (%(expected)s).")
                % {"held": format_vnd(closing.money_held), "expected": format_vnd(closing.received - closing.refunded)},
            )
        )
    if closing.received != closing.paid + closing.unmatched + closing.refunded:
        problems.append(
            LedgerProblem(
                "RECEIVED_MISMATCH",
                _(
                    "Tiền đã nhận %(received)s khác tổng đã đối soát %(paid)s + chờ đối soát %(unmatched)s + đã hoàn "
                    "%(refunded)s."
                )
                % {
                    "received": format_vnd(closing.received),
                    "paid": format_vnd(closing.paid),
                    "unmatched": format_vnd(closing.unmatched),
                    "refunded": format_vnd(closing.refunded),
                },
            )
        )
    if closing.outstanding != closing.billed - closing.paid or -closing.account(Account.REVENUE) != closing.billed:
        problems.append(
            LedgerProblem(
                "RECEIVABLE_MISMATCH",
                _("Số còn phải thu %(outstanding)s khác số đã lập trừ số đã hủy và đã nộp (%(expected)s).")
                % {
                    "outstanding": format_vnd(closing.outstanding),
                    "expected": format_vnd(closing.billed - closing.paid),
                },
            )
        )
    for key, unapplied in sorted(closing.unapplied_by_payment.items(), key=lambda item: str(item[0])):
        if unapplied < 0:
            problems.append(
                LedgerProblem(
                    "PAYMENT_OVERSPENT",
                    _("Giao dịch %(key)s đã được đối soát hoặc hoàn trả quá số tiền nhận %(over)s.")
                    % {"key": key, "over": format_vnd(-unapplied)},
                )
            )
    for bill_id, owed in sorted(closing.owed_by_bill.items(), key=lambda item: str(item[0])):
        if owed < 0:
            problems.append(
                LedgerProblem(
                    "BILL_OVERPAID",
                    _("Khoản thu %(bill)s đã được nộp hoặc hủy quá số đã lập %(over)s.")
                    % {"bill": bill_id, "over": format_vnd(-owed)},
                )
            )
    return problems


def books_balance(
    day_postings: Iterable[Posting], *, opening: Balance | None = None, day: dt.date | None = None
) -> bool:
    """Whether the books balance after ``day_postings`` (see ``check_books``)."""
    return not check_books(day_postings, opening=opening, day=day)


def ensure_books_balance(
    postings: Iterable[Posting], *, opening: Balance | None = None, day: dt.date | None = None
) -> Balance:
    """The closing balance, or ``ValidationFailed`` listing the problems: a service calls this before it commits
    new postings, so a write that would unbalance the books is refused as a whole."""
    postings = list(postings)
    problems = check_books(postings, opening=opening, day=day)
    if problems:
        raise ValidationFailed(
            _("Sổ thu không cân đối: %(problems)s")
            % {"problems": " ".join(problem.message for problem in problems[:5])},
            code="BOOKS_UNBALANCED",
            details=[{"code": problem.code, "message": problem.message} for problem in problems],
        )
    return balance(postings, opening=opening)
