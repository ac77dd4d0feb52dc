import datetime as dt

import pytest

from edudx.core.rules import fold_vietnamese, mask_personal_id, normalise_name, personal_id_errors

GIRL_2015 = dict(birth_date=dt.date(2015, 6, 1), sex="F")
BOY_2015 = dict(birth_date=dt.date(2015, 6, 1), sex="M")


@pytest.mark.parametrize(
    ("value", "context", "expected_fragment"),
    [
        # The synthetic example of the domain notes: a girl born 2015 registered in HCMC.
        ("079315000123", GIRL_2015, None),
        ("074215000123", BOY_2015, None),  # a boy born 2015 in Bình Dương
        ("001090000001", dict(birth_date=dt.date(1990, 1, 1), sex="M"), None),  # a man born 1990 in Hà Nội
        ("001190000001", dict(birth_date=dt.date(1990, 1, 1), sex="F"), None),
        ("079315000123", BOY_2015, "thế kỷ và giới tính"),  # female digit for a boy
        ("079215000123", GIRL_2015, "thế kỷ và giới tính"),
        ("079314000123", GIRL_2015, "5–6"),  # year digits 14 for a 2015 birth
        ("079015000123", GIRL_2015, "thế kỷ"),  # 1900s digit for a 2000s birth
        ("000315000123", GIRL_2015, "Mã tỉnh"),  # no province 000
        ("003315000123", GIRL_2015, "Mã tỉnh"),  # 003 is not a province code
        ("07931500012", GIRL_2015, "12 chữ số"),  # 11 digits
        ("0793150001234", GIRL_2015, "12 chữ số"),  # 13 digits
        ("07931500012A", GIRL_2015, "12 chữ số"),
        ("", GIRL_2015, "12 chữ số"),
        ("079315000123", {}, None),  # nothing to cross-check without DOB
        ("079315000123", dict(birth_date=dt.date(2015, 6, 1)), None),  # century only: digit 3 → 2000s
        ("079115000123", dict(birth_date=dt.date(2015, 6, 1)), "thế kỷ"),
        ("079400000123", dict(birth_date=dt.date(2100, 1, 1), sex="M"), None),  # 2100s male digit 4
    ],
)
def test_personal_id_rules(value, context, expected_fragment):
    errors = personal_id_errors(value, **context)
    if expected_fragment is None:
        assert errors == []
    else:
        assert any(expected_fragment in e for e in errors), errors


def test_mask_shows_only_last_three():
    assert mask_personal_id("079315000123") == "•••••••••123"
    assert mask_personal_id("") == ""


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Nguyễn Thị Ánh", "nguyen thi anh"), ("ĐẶNG Văn Đức", "dang van duc"), ("  Lê  ", "le")],
)
def test_fold_vietnamese(text, folded):
    assert fold_vietnamese(text) == folded


def test_normalise_name_composes_and_collapses_spaces():
    decomposed = "Nguye\u0302\u0303n  Va\u0306n"
    assert normalise_name(decomposed) == "Nguyễn Văn"
