"""The collection book of each unit: storing postings, and proving that every day balances (``ledger``).

A service builds its ``ledger.Posting``s and calls ``post``: before anything is stored the postings are checked on
top of the balances of the bills and payments they touch (``ledger.ensure_books_balance``), so a write that would
pay a bill twice or spend a payment twice is refused as a whole. Postings carry the day of the book they are
written in (today, Vietnam time), never an earlier one: a statement uploaded today for yesterday's transfer is
in today's book, so a closed day never changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from edudx.core.api import OrgUnit

from .. import ledger
from ..models import BankCredit, LedgerPosting

__all__ = ["DayBook", "day_books", "post", "to_posting", "unit_postings"]


def to_posting(row: LedgerPosting) -> ledger.Posting:
    return ledger.Posting(
        kind=ledger.PostingKind(row.kind),
        amount=row.amount,
        debit=ledger.Account(row.debit),
        credit=ledger.Account(row.credit),
        day=row.day,
        bill_id=row.bill_id,
        payment_key=row.payment_key or None,
        reason=row.reason,
        posting_id=row.pk,
    )


def today() -> dt.date:
    return timezone.localdate()


def post(*, org_unit: OrgUnit, postings: Sequence[ledger.Posting], user: Any = None) -> list[LedgerPosting]:
    """Check ``postings`` against what their bills and payments already hold, then store them."""
    if not postings:
        return []
    bill_ids = {p.bill_id for p in postings if p.bill_id is not None}
    keys = {p.payment_key for p in postings if p.payment_key}
    earlier = LedgerPosting.objects.filter(org_unit=org_unit).filter(Q(bill_id__in=bill_ids) | Q(payment_key__in=keys))
    seen = ledger.balance(to_posting(row) for row in earlier)
    # Only the balances of what these postings touch: the account totals of a partial set mean nothing, and every
    # kind of posting keeps the book's identities on its own.
    opening = ledger.Balance(
        owed_by_bill={b: v for b, v in seen.owed_by_bill.items() if b in bill_ids},
        unapplied_by_payment={k: v for k, v in seen.unapplied_by_payment.items() if k in keys},
    )
    ledger.ensure_books_balance(postings, opening=opening)
    credit_ids = dict(BankCredit.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", "id"))
    rows = [
        LedgerPosting(
            org_unit=org_unit,
            kind=p.kind.value,
            amount=p.amount,
            debit=p.debit.value,
            credit=p.credit.value,
            day=p.day,
            bill_id=p.bill_id,
            bank_credit_id=credit_ids.get(p.payment_key) if p.payment_key else None,
            payment_key=p.payment_key or "",
            reason=p.reason,
            created_by=user,
        )
        for p in postings
    ]
    return LedgerPosting.objects.bulk_create(rows)


def unit_postings(org_unit: OrgUnit) -> QuerySet[LedgerPosting]:
    return LedgerPosting.objects.filter(org_unit=org_unit).order_by("day", "id")


@dataclass(frozen=True)
class DayBook:
    """One day of a unit's book: its postings' totals, the closing balance, and what is wrong (nothing, we hope)."""

    day: dt.date
    count: int
    received: int
    matched: int
    refunded: int
    billed: int
    closing: ledger.Balance
    problems: tuple[ledger.LedgerProblem, ...]

    @property
    def balances(self) -> bool:
        return not self.problems


def day_books(postings: Iterable[ledger.Posting], *, since: dt.date | None = None) -> list[DayBook]:
    """Every day's book, in order, each checked on top of the balance of all earlier days (``ledger.check_books``).

    ``postings`` must be in day order; days before ``since`` are folded into the opening balance only.
    """
    books: list[DayBook] = []
    opening = ledger.Balance()
    by_day: dict[dt.date, list[ledger.Posting]] = {}
    for posting in postings:
        by_day.setdefault(posting.day, []).append(posting)
    for day in sorted(by_day):
        day_postings = by_day[day]
        if since is None or day >= since:
            problems = ledger.check_books(day_postings, opening=opening, day=day)
            closing = ledger.balance(day_postings, opening=opening)
            day_only = ledger.balance(day_postings)
            books.append(
                DayBook(
                    day=day,
                    count=len(day_postings),
                    received=day_only.received,
                    matched=day_only.paid,
                    refunded=day_only.refunded,
                    billed=day_only.billed,
                    closing=closing,
                    problems=tuple(problems),
                )
            )
            opening = closing
        else:
            opening = ledger.balance(day_postings, opening=opening)
    return books
