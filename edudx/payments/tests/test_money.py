"""Whole-đồng amounts: reading what people and banks write, refusing what is not money, formatting, and reading
numbers aloud in Vietnamese the way a receipt must (linh/lẻ, mươi/mười, mốt, lăm, tư, không trăm)."""

from decimal import Decimal

import pytest

from edudx.core.errors import ValidationFailed
from edudx.payments.money import MAX_VND, amount_in_words, check_vnd, format_vnd, parse_vnd


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1250000", 1_250_000),
        ("1.250.000", 1_250_000),
        ("1,250,000", 1_250_000),
        ("1,250,000 đ", 1_250_000),
        ("1.250.000 ₫", 1_250_000),
        ("1.250.000đ", 1_250_000),
        ("1 250 000 VND", 1_250_000),
        ("1\u00a0250\u00a0000 VNĐ", 1_250_000),
        ("  +500.000 đồng ", 500_000),
        ("1.250", 1_250),  # đồng have no fraction: a dot before three digits groups thousands
        ("999", 999),
        (1_250_000, 1_250_000),
        (Decimal("1250000"), 1_250_000),
        (Decimal("1250000.00"), 1_250_000),
    ],
)
def test_parse_vnd_reads_what_people_write(text, amount):
    assert parse_vnd(text) == amount


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1,5", "amount_not_integer"),
        ("1.250.000,50", "amount_not_integer"),
        ("1,250,000.00", "amount_not_integer"),  # zero fraction only when the caller allows it
        ("12.5", "amount_not_integer"),
        ("-1.250.000", "amount_negative"),
        ("−500", "amount_negative"),
        ("(150,000)", "amount_negative"),  # accountants' negative
        ("1.25.000", "amount_invalid"),
        ("1250.000", "amount_invalid"),  # 4-digit first group: a typo, not a number to guess
        ("1,250.000", "amount_invalid"),
        ("1.2.3", "amount_invalid"),
        ("abc", "amount_invalid"),
        ("1e6", "amount_invalid"),
        ("", "amount_empty"),
        ("đ", "amount_empty"),
        ("0", "amount_not_positive"),
        ("99.999.999.999.999", "amount_too_large"),
        (1.5, "amount_not_integer"),
        (1250000.0, "amount_not_integer"),  # float is refused even when integral
        (True, "amount_not_integer"),
        (Decimal("1.5"), "amount_not_integer"),
        (Decimal("NaN"), "amount_not_integer"),
        (None, "amount_not_integer"),
        (-5, "amount_negative"),
    ],
)
def test_parse_vnd_refuses_what_is_not_whole_dong(text, code):
    with pytest.raises(ValidationFailed) as caught:
        parse_vnd(text)
    assert caught.value.code == code
    assert caught.value.message  # a Vietnamese sentence for the user


@pytest.mark.parametrize(
    ("text", "amount"),
    [("1,250,000.00", 1_250_000), ("1.250.000,00", 1_250_000), ("1250000.0", 1_250_000), ("1250,00", 1_250)],
)
def test_bank_exports_zero_fraction_allowed_on_request(text, amount):
    assert parse_vnd(text, allow_zero_fraction=True) == amount


def test_messages_name_the_field_and_the_value():
    with pytest.raises(ValidationFailed) as caught:
        parse_vnd("1,5", field="Tiền ăn")
    assert "Tiền ăn" in caught.value.message and "1,5" in caught.value.message


def test_check_vnd_limits():
    assert check_vnd(0, allow_zero=True) == 0
    assert check_vnd(MAX_VND) == MAX_VND
    with pytest.raises(ValidationFailed):
        check_vnd(MAX_VND + 1)
    with pytest.raises(ValidationFailed):
        check_vnd("1000")


@pytest.mark.parametrize(
    ("amount", "text"),
    [(0, "0 ₫"), (5, "5 ₫"), (1_000, "1.000 ₫"), (1_250_000, "1.250.000 ₫"), (-35_000, "-35.000 ₫")],
)
def test_format_vnd(amount, text):
    assert format_vnd(amount) == text


def test_format_vnd_without_symbol_and_refusing_float():
    assert format_vnd(1_250_000, symbol=False) == "1.250.000"
    with pytest.raises(TypeError):
        format_vnd(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (1, "Một đồng"),
        (5, "Năm đồng"),
        (10, "Mười đồng"),
        (11, "Mười một đồng"),  # một, not mốt, after mười
        (14, "Mười bốn đồng"),
        (15, "Mười lăm đồng"),  # lăm after mười
        (20, "Hai mươi đồng"),
        (21, "Hai mươi mốt đồng"),  # mốt after mươi
        (24, "Hai mươi tư đồng"),  # tư after mươi
        (25, "Hai mươi lăm đồng"),
        (55, "Năm mươi lăm đồng"),
        (100, "Một trăm đồng"),
        (101, "Một trăm linh một đồng"),  # linh, and một keeps its name
        (104, "Một trăm linh bốn đồng"),
        (105, "Một trăm linh năm đồng"),  # năm, not lăm, after linh
        (110, "Một trăm mười đồng"),
        (115, "Một trăm mười lăm đồng"),
        (121, "Một trăm hai mươi mốt đồng"),
        (1_000, "Một nghìn đồng"),
        (1_005, "Một nghìn không trăm linh năm đồng"),  # a later group is read in full
        (1_050, "Một nghìn không trăm năm mươi đồng"),
        (10_000, "Mười nghìn đồng"),
        (15_000, "Mười lăm nghìn đồng"),
        (21_000, "Hai mươi mốt nghìn đồng"),
        (105_000, "Một trăm linh năm nghìn đồng"),
        (250_000, "Hai trăm năm mươi nghìn đồng"),
        (1_000_000, "Một triệu đồng"),
        (1_000_005, "Một triệu không trăm linh năm đồng"),  # an all-zero group is skipped
        (1_001_000, "Một triệu không trăm linh một nghìn đồng"),
        (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),
        (2_024_000, "Hai triệu không trăm hai mươi tư nghìn đồng"),
        (35_500_000, "Ba mươi lăm triệu năm trăm nghìn đồng"),
        (1_000_000_000, "Một tỷ đồng"),
        (1_000_050_000, "Một tỷ không trăm năm mươi nghìn đồng"),
        (1_500_000_000, "Một tỷ năm trăm triệu đồng"),
        (1_000_000_000_000, "Một nghìn tỷ đồng"),
        (2_005_000_000_001, "Hai nghìn không trăm linh năm tỷ không trăm linh một đồng"),
        (
            9_999_999_999_999,
            "Chín nghìn chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng",
        ),
    ],
)
def test_amount_in_words(amount, words):
    assert amount_in_words(amount) == words


def test_amount_in_words_southern_reading_and_no_currency():
    assert amount_in_words(105_000, odd="lẻ", thousand="ngàn") == "Một trăm lẻ năm ngàn đồng"
    assert amount_in_words(31, currency="") == "Ba mươi mốt"


def test_amount_in_words_refuses_what_is_not_money():
    for bad in (-1, 1.0, Decimal("1.5")):
        with pytest.raises(ValidationFailed):
            amount_in_words(bad)  # type: ignore[arg-type]
