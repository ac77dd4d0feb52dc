"""Matching a credit to bills: reference first (exact, under, over, duplicate, cancelled bill, several bills),
then payer hints with the amount, never the amount alone; every outcome but MATCHED carries a reason for the
manual queue."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from edudx.payments.matching import Allocation, MatchMethod, MatchOutcome, OpenBill, match, references_in
from edudx.payments.vietqr import REFERENCE_ALPHABET, is_valid_reference
from edudx.payments.webhook import BankCredit

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def ref(body, prefix="HP"):
    """A valid reference with the given 8-symbol body (its check symbol computed through the public check)."""
    for check in REFERENCE_ALPHABET:
        if is_valid_reference(prefix + body + check, prefix=prefix):
            return prefix + body + check
    raise AssertionError(body)


R_AN, R_BINH, R_CHI, R_PAID, R_VOID, R_ELSEWHERE = (
    ref("7KQ4XM9A"),
    ref("BCDEFGHJ"),
    ref("KMNPQRST"),
    ref("UVWXYZ23"),
    ref("456789AB"),
    ref("ZZZZZZZZ"),
)
AN = OpenBill("b-an", R_AN, 1_250_000, hints=("Nguyễn Văn An", "HS0301"))
BINH = OpenBill("b-binh", R_BINH, 1_250_000, hints=("Trần Thị Bình", "HS0302"))
CHI = OpenBill("b-chi", R_CHI, 800_000, amount_paid=300_000, hints=("Lê Minh Chi",))
PAID = OpenBill("b-paid", R_PAID, 500_000, amount_paid=500_000, hints=("Phạm Đức Dũng",))
VOIDED = OpenBill("b-void", R_VOID, 700_000, is_voided=True, hints=("Hoàng Gia Em",))
DUNG_BOOKS = OpenBill("b-dung2", ref("CDEFGHJK"), 420_000, hints=("Phạm Đức Dũng",))
BILLS = (AN, BINH, CHI, PAID, VOIDED, DUNG_BOOKS)


def credit(content, amount):
    return BankCredit("FT1", "0011001932418", amount, content, dt.datetime(2026, 9, 5, 10, tzinfo=VN), "VCB")


CASES = [
    # (name, content, amount, outcome, method, allocations, suggested, candidates, unallocated)
    (
        "reference exact",
        f"MBVCB.123.{R_AN}.Tien an T9",
        1_250_000,
        MatchOutcome.MATCHED,
        MatchMethod.REFERENCE,
        [("b-an", 1_250_000)],
        [],
        ["b-an"],
        0,
    ),
    (
        "reference lower case, split by the bank",
        f"ck {R_AN[:5].lower()} {R_AN[5:].lower()}",
        1_250_000,
        MatchOutcome.MATCHED,
        MatchMethod.REFERENCE,
        [("b-an", 1_250_000)],
        [],
        ["b-an"],
        0,
    ),
    (
        "reference wins over another payer's hint",
        f"{R_AN} Tran Thi Binh",
        1_250_000,
        MatchOutcome.MATCHED,
        MatchMethod.REFERENCE,
        [("b-an", 1_250_000)],
        [],
        ["b-an"],
        0,
    ),
    (
        "partly paid bill, rest paid exactly",
        f"{R_CHI}",
        500_000,
        MatchOutcome.MATCHED,
        MatchMethod.REFERENCE,
        [("b-chi", 500_000)],
        [],
        ["b-chi"],
        0,
    ),
    (
        "underpaid",
        f"{R_AN}",
        1_000_000,
        MatchOutcome.UNDERPAID,
        MatchMethod.REFERENCE,
        [],
        [("b-an", 1_000_000)],
        ["b-an"],
        0,
    ),
    (
        "overpaid",
        f"{R_CHI} nop tien",
        600_000,
        MatchOutcome.OVERPAID,
        MatchMethod.REFERENCE,
        [],
        [("b-chi", 500_000)],
        ["b-chi"],
        100_000,
    ),
    (
        "duplicate: bill already paid",
        f"{R_PAID}",
        500_000,
        MatchOutcome.DUPLICATE,
        MatchMethod.REFERENCE,
        [],
        [],
        ["b-paid"],
        500_000,
    ),
    (
        "cancelled bill",
        f"{R_VOID}",
        700_000,
        MatchOutcome.BILL_VOIDED,
        MatchMethod.REFERENCE,
        [],
        [],
        ["b-void"],
        700_000,
    ),
    (
        "two references, exact sum",
        f"{R_AN} {R_BINH} hai con",
        2_500_000,
        MatchOutcome.MATCHED,
        MatchMethod.REFERENCE,
        [("b-an", 1_250_000), ("b-binh", 1_250_000)],
        [],
        ["b-an", "b-binh"],
        0,
    ),
    (
        "two references, wrong sum",
        f"{R_AN} {R_BINH}",
        2_000_000,
        MatchOutcome.AMBIGUOUS,
        MatchMethod.REFERENCE,
        [],
        [],
        ["b-an", "b-binh"],
        2_000_000,
    ),
    (
        "two references, one already paid",
        f"{R_AN} {R_PAID}",
        1_750_000,
        MatchOutcome.AMBIGUOUS,
        MatchMethod.REFERENCE,
        [],
        [],
        ["b-an", "b-paid"],
        1_750_000,
    ),
    (
        "no reference, pupil code + amount",
        "Nop tien an HS0302 lop 3A",
        1_250_000,
        MatchOutcome.MATCHED,
        MatchMethod.PAYER_HINT,
        [("b-binh", 1_250_000)],
        [],
        ["b-binh"],
        0,
    ),
    (
        "no reference, name with diacritics + amount",
        "NGUYỄN VĂN AN ĐÓNG TIỀN",
        1_250_000,
        MatchOutcome.MATCHED,
        MatchMethod.PAYER_HINT,
        [("b-an", 1_250_000)],
        [],
        ["b-an"],
        0,
    ),
    (
        "no reference, two hinted bills same amount",
        "Nguyen Van An va Tran Thi Binh",
        1_250_000,
        MatchOutcome.AMBIGUOUS,
        MatchMethod.PAYER_HINT,
        [],
        [],
        ["b-an", "b-binh"],
        1_250_000,
    ),
    (
        "no reference, hint but less money",
        "Le Minh Chi",
        200_000,
        MatchOutcome.UNDERPAID,
        MatchMethod.PAYER_HINT,
        [],
        [("b-chi", 200_000)],
        ["b-chi"],
        0,
    ),
    (
        "no reference, hint on a paid and an open bill: the open one",
        "Pham Duc Dung",
        420_000,
        MatchOutcome.MATCHED,
        MatchMethod.PAYER_HINT,
        [("b-dung2", 420_000)],
        [],
        ["b-dung2"],
        0,
    ),
    (
        "no reference, hint on a cancelled bill only",
        "Hoang Gia Em",
        700_000,
        MatchOutcome.UNMATCHED,
        MatchMethod.NONE,
        [],
        [],
        [],
        700_000,
    ),
    (
        "amount alone never matches",
        "chuyen tien",
        1_250_000,
        MatchOutcome.UNMATCHED,
        MatchMethod.AMOUNT,
        [],
        [],
        ["b-an", "b-binh"],
        1_250_000,
    ),
    (
        "amount alone, single candidate, still manual",
        "chuyen tien",
        500_000,
        MatchOutcome.UNMATCHED,
        MatchMethod.AMOUNT,
        [],
        [],
        ["b-chi"],
        500_000,
    ),
    ("nothing at all", "ung ho", 123_000, MatchOutcome.UNMATCHED, MatchMethod.NONE, [], [], [], 123_000),
    (
        "reference of another school",
        f"{R_ELSEWHERE}",
        1_250_000,
        MatchOutcome.UNMATCHED,
        MatchMethod.AMOUNT,
        [],
        [],
        ["b-an", "b-binh"],
        1_250_000,
    ),
    (
        "broken reference (one symbol mistyped)",
        f"{R_AN[:-2]}{'3' if R_AN[-2] != '3' else '4'}{R_AN[-1]}",
        999_000,
        MatchOutcome.UNMATCHED,
        MatchMethod.NONE,
        [],
        [],
        [],
        999_000,
    ),
    (
        "short hint is ignored",
        "An",
        1_250_000,
        MatchOutcome.UNMATCHED,
        MatchMethod.AMOUNT,
        [],
        [],
        ["b-an", "b-binh"],
        1_250_000,
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "amount", "outcome", "method", "allocations", "suggested", "candidates", "unallocated"),
    CASES,
    ids=[case[0] for case in CASES],
)
def test_match(name, content, amount, outcome, method, allocations, suggested, candidates, unallocated):
    result = match(credit(content, amount), BILLS)
    assert result.outcome == outcome
    assert result.method == method
    assert result.allocations == tuple(Allocation(*pair) for pair in allocations)
    assert result.suggested == tuple(Allocation(*pair) for pair in suggested)
    assert result.candidates == tuple(candidates)
    assert result.unallocated == unallocated
    assert result.needs_review is (outcome != MatchOutcome.MATCHED)
    assert result.reason
    # Money is conserved in every result: what is allocated or suggested plus what is left is the credit.
    covered = result.allocated or sum(allocation.amount for allocation in result.suggested)
    assert covered + result.unallocated == amount


def test_reasons_are_vietnamese_and_name_the_numbers():
    result = match(credit(R_AN, 1_000_000), BILLS)
    assert "1.250.000 ₫" in result.reason and "1.000.000 ₫" in result.reason and "250.000 ₫" in result.reason
    assert "thiếu" in result.reason
    unknown = match(credit(R_ELSEWHERE, 1_250_000), BILLS)
    assert R_ELSEWHERE in unknown.reason and unknown.references == (R_ELSEWHERE,)


def test_prefixes_and_references_in():
    other = ref("7KQ4XM9A", prefix="BT")
    bill = OpenBill("b-bt", other, 300_000)
    assert match(credit(other, 300_000), [bill]).outcome == MatchOutcome.UNMATCHED  # default prefix HP only
    assert match(credit(other, 300_000), [bill], prefixes=("HP", "BT")).outcome == MatchOutcome.MATCHED
    assert references_in(f"{R_AN} {other} {R_AN}", prefixes=("HP", "BT")) == [R_AN, other]


def test_outstanding_never_negative():
    assert OpenBill("x", R_AN, 100, amount_paid=150).outstanding == 0
