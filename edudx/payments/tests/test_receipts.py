"""Receipts (biên lai): series symbols and their year, seven-digit numbers, the next number, gaps, duplicates and
numbers out of time order, and the checked content a PDF template prints (total in words, method, cancelled)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from edudx.core.errors import ValidationFailed
from edudx.payments.receipts import (
    PaymentMethod,
    ReceiptLine,
    ReceiptNumber,
    ReceiptSeries,
    build_receipt,
    next_number,
    numbering_report,
    series_symbol_year,
    void_receipt,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SERIES = ReceiptSeries(form_symbol="01blp0-001", series_symbol="aa-26e", year=2026)
D = dt.date


@pytest.mark.parametrize(
    ("symbol", "year"),
    [("AA-26E", 26), ("AB/26P", 26), ("C26TAA", 26), ("K25TXY", 25), ("AA26E", 26), ("SERIES1", None)],
)
def test_series_symbol_year(symbol, year):
    assert series_symbol_year(symbol) == year


@pytest.mark.parametrize(
    ("form", "series", "year", "code"),
    [
        ("01BLP0-001", "AA-25E", 2026, "SERIES_YEAR_MISMATCH"),
        ("", "AA-26E", 2026, "INVALID_FORM_SYMBOL"),
        ("01 BLP", "AA-26E", 2026, "INVALID_FORM_SYMBOL"),
        ("01BLP0-001", "AA 26E", 2026, "INVALID_SERIES_SYMBOL"),
        ("01BLP0-001", "Ạ-26E", 2026, "INVALID_SERIES_SYMBOL"),
        ("01BLP0-001", "AA-26E", 1999, "invalid"),
    ],
)
def test_invalid_series(form, series, year, code):
    with pytest.raises(ValidationFailed) as caught:
        ReceiptSeries(form_symbol=form, series_symbol=series, year=year)
    assert caught.value.code == code


def test_numbers():
    assert SERIES.form_symbol == "01BLP0-001" and SERIES.series_symbol == "AA-26E"
    number = SERIES.number(123)
    assert number.number_text == "0000123"
    assert str(number) == "Mẫu số 01BLP0-001 · Ký hiệu AA-26E · Số 0000123"
    assert next_number(SERIES, None) == ReceiptNumber(SERIES, 1)
    assert next_number(SERIES, 41).number == 42
    with pytest.raises(ValidationFailed) as caught:
        next_number(SERIES, 9_999_999)
    assert caught.value.code == "SERIES_EXHAUSTED"
    for bad in (0, -1, 10_000_000, True):
        with pytest.raises(ValidationFailed):
            ReceiptNumber(SERIES, bad)


@pytest.mark.parametrize(
    ("issued", "through", "gaps", "duplicates", "out_of_range", "out_of_order"),
    [
        ([1, 2, 3], None, [], [], [], []),
        ([3, 1, 2], None, [], [], [], []),  # order of the input does not matter
        ([], None, [], [], [], []),
        ([], 3, [(1, 3)], [], [], []),
        ([1, 2, 4, 7], None, [(3, 3), (5, 6)], [], [], []),
        ([2, 3], None, [(1, 1)], [], [], []),
        ([1, 2], 5, [(3, 5)], [], [], []),  # the register says 5 were used
        ([1, 2, 2, 3], None, [], [2], [], []),
        ([0, 1, 10_000_000], None, [], [], [0, 10_000_000], []),
        ([(1, D(2026, 9, 5)), (2, D(2026, 9, 5)), (3, D(2026, 9, 4)), (4, D(2026, 9, 6))], None, [], [], [], [3]),
        ([(1, D(2026, 9, 5)), 2, (3, D(2026, 9, 6))], None, [], [], [], []),
    ],
)
def test_numbering_report(issued, through, gaps, duplicates, out_of_range, out_of_order):
    report = numbering_report(issued, series=SERIES, through=through)
    assert report.gaps == tuple(gaps)
    assert report.duplicates == tuple(duplicates)
    assert report.out_of_range == tuple(out_of_range)
    assert report.out_of_order == tuple(out_of_order)
    assert report.is_clean is not (gaps or duplicates or out_of_range or out_of_order)
    assert len(report.messages()) == len(gaps) + len(duplicates) + len(out_of_range) + len(out_of_order)


def test_gap_messages():
    assert numbering_report([1, 3, 7], series=SERIES).messages() == [
        "Thiếu biên lai số 2.",
        "Thiếu biên lai từ số 4 đến số 6.",
    ]


def receipt(**changes):
    arguments = dict(
        number=SERIES.number(15),
        issued_at=dt.datetime(2026, 9, 5, 10, 30, tzinfo=VN),
        issuer_name="Trường Tiểu học Phú Hòa 1",
        payer_name="  Nguyễn   Thị Hoa ",
        payer_detail="Phụ huynh em Nguyễn Văn An, lớp 3A",
        lines=[("Tiền ăn bán trú tháng 9/2026", 1_000_000), ReceiptLine("Nước uống", 250_000)],
        method=PaymentMethod.BANK_TRANSFER,
        collector_name="Trần Văn Kế",
        bank_transaction_id="FT26248912345",
        reference="HP7KQ4XM9AB",
    )
    arguments.update(changes)
    return build_receipt(**arguments)


def test_receipt_content():
    built = receipt()
    assert built.total == 1_250_000
    assert built.total_in_words == "Một triệu hai trăm năm mươi nghìn đồng"
    assert built.payer_name == "Nguyễn Thị Hoa"
    context = built.context()
    assert (
        context["number"] == "0000015"
        and context["series_symbol"] == "AA-26E"
        and context["form_symbol"] == "01BLP0-001"
    )
    assert context["issued_on"] == "05/09/2026"
    assert context["issued_date_words"] == "Ngày 05 tháng 09 năm 2026"
    assert context["lines"] == [
        {"index": 1, "description": "Tiền ăn bán trú tháng 9/2026", "amount": "1.000.000"},
        {"index": 2, "description": "Nước uống", "amount": "250.000"},
    ]
    assert context["total"] == "1.250.000" and context["total_with_symbol"] == "1.250.000 ₫"
    assert context["method"] == "Chuyển khoản"
    assert context["is_voided"] is False


def test_issue_date_is_read_in_vietnam_time():
    # 31/12/2025 17:30 UTC is already 1 January 2026 in Vietnam: the 2026 series is the right one.
    built = receipt(issued_at=dt.datetime(2025, 12, 31, 17, 30, tzinfo=dt.UTC))
    assert built.context()["issued_on"] == "01/01/2026"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        (dict(lines=[]), "RECEIPT_WITHOUT_LINES"),
        (dict(lines=[("Tiền ăn", 0)]), "amount_not_positive"),
        (dict(lines=[("Tiền ăn", 1000.0)]), "amount_not_integer"),
        (dict(lines=[("   ", 1000)]), "RECEIPT_FIELD_REQUIRED"),
        (dict(lines=[("x" * 256, 1000)]), "RECEIPT_FIELD_TOO_LONG"),
        (dict(payer_name=""), "RECEIPT_FIELD_REQUIRED"),
        (dict(collector_name=" "), "RECEIPT_FIELD_REQUIRED"),
        (dict(issuer_name=""), "RECEIPT_FIELD_REQUIRED"),
        (dict(bank_transaction_id=""), "BANK_TRANSACTION_REQUIRED"),
        (dict(issued_at=dt.datetime(2027, 1, 2, tzinfo=VN)), "SERIES_YEAR_MISMATCH"),
    ],
)
def test_invalid_receipts(changes, code):
    with pytest.raises(ValidationFailed) as caught:
        receipt(**changes)
    assert caught.value.code == code


def test_cash_receipt_needs_no_bank_transaction():
    built = receipt(method=PaymentMethod.CASH, bank_transaction_id="")
    assert built.context()["method"] == "Tiền mặt"


def test_naive_issue_time_is_a_programming_error():
    with pytest.raises(ValueError):
        receipt(issued_at=dt.datetime(2026, 9, 5, 10, 30))


def test_void_keeps_the_number_and_needs_a_reason():
    built = receipt()
    with pytest.raises(ValidationFailed):
        void_receipt(built, reason=" ")
    voided = void_receipt(built, reason="Ghi sai tên người nộp")
    assert voided.is_voided and voided.number == built.number and voided.total == built.total
    assert voided.context()["is_voided"] is True
    assert voided.context()["voided_reason"] == "Ghi sai tên người nộp"
    with pytest.raises(ValidationFailed) as caught:
        void_receipt(voided, reason="again")
    assert caught.value.code == "RECEIPT_ALREADY_VOIDED"
