"""Dossier codes of TT 03/2025/TT-VPCP (administration notes §3.3): `{unit}-{yymmdd}-{sequence}`, with the notes'
example H15.50.05.13-261008-0975 (received 8 October 2026, provincial 4-digit sequence)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from edudx.core.errors import ValidationFailed
from edudx.procedures.dossier_codes import DossierCode, format_code, is_valid_code, parse_code, validate_unit_code

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_the_notes_example():
    code = parse_code("H15.50.05.13-261008-0975")
    assert code == DossierCode(unit_code="H15.50.05.13", received_on=dt.date(2026, 10, 8), sequence=975)
    assert not code.is_from_ministry_system
    assert str(code) == "H15.50.05.13-261008-0975"
    assert format_code(unit_code="H15.50.05.13", received_on=dt.date(2026, 10, 8), sequence=975) == str(code)


@pytest.mark.parametrize(
    ("text", "unit", "day", "sequence", "width"),
    [
        ("H15.50.05.13-261008-0975", "H15.50.05.13", dt.date(2026, 10, 8), 975, 4),
        (" h15.50.05.13-261008-0975 ", "H15.50.05.13", dt.date(2026, 10, 8), 975, 4),  # typed by a person
        ("000.00.00.H29-250701-0001", "000.00.00.H29", dt.date(2025, 7, 1), 1, 4),  # bottom-up identifier
        ("H29-260229-9999", None, None, None, None),  # 2026 is not a leap year
        ("H29-280229-9999", "H29", dt.date(2028, 2, 29), 9999, 4),
        ("G03.01-261231-030123", "G03.01", dt.date(2026, 12, 31), 30123, 6),  # ministry system, 6 digits
        ("G03.01-261231-1800123", "G03.01", dt.date(2026, 12, 31), 1800123, 7),
    ],
)
def test_parse_code(text, unit, day, sequence, width):
    if unit is None:
        assert not is_valid_code(text)
        return
    code = parse_code(text)
    assert (code.unit_code, code.received_on, code.sequence, code.sequence_width) == (unit, day, sequence, width)
    assert code.is_from_ministry_system is (width != 4)
    assert str(code) == text.strip().upper()
    assert is_valid_code(text)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "invalid_dossier_code"),
        ("H15.50.05.13-261008", "invalid_dossier_code"),
        ("H15.50.05.13-261008-0975-1", "invalid_dossier_code"),
        ("H15.50.05.13 261008 0975", "invalid_dossier_code"),
        ("15.50.05.13-261008-0975", "invalid_unit_code"),  # no level-1 code
        ("H15.H16-261008-0975", "invalid_unit_code"),  # two level-1 codes
        ("50.H15.05-261008-0975", "invalid_unit_code"),  # level-1 code in the middle
        ("H15.50.05.13.01-261008-0975", "invalid_unit_code"),  # five levels
        ("H15.5-261008-0975", "invalid_unit_code"),  # a one-digit level
        ("HH15.50-261008-0975", "invalid_unit_code"),
        ("H15.50.05.13-261308-0975", "invalid_date"),  # month 13
        ("H15.50.05.13-261032-0975", "invalid_date"),
        ("H15.50.05.13-2610080-0975", "invalid_date"),
        ("H15.50.05.13-26I008-0975", "invalid_date"),
        ("H15.50.05.13-261008-975", "invalid_sequence"),  # 3 digits
        ("H15.50.05.13-261008-00975", "invalid_sequence"),  # 5 digits
        ("H15.50.05.13-261008-0000", "invalid_sequence"),  # the day starts at 1
        ("H15.50.05.13-261008-09A5", "invalid_sequence"),
    ],
)
def test_parse_refuses_and_names_the_part(text, code):
    with pytest.raises(ValidationFailed) as error:
        parse_code(text)
    assert error.value.code == code
    assert not is_valid_code(text)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (dict(unit_code="h15.50.05.13", received_on=dt.date(2026, 10, 8), sequence=1), "H15.50.05.13-261008-0001"),
        (dict(unit_code="H15", received_on=dt.date(2026, 1, 2), sequence=9999), "H15-260102-9999"),
        (
            dict(unit_code="G03.01", received_on=dt.date(2026, 1, 2), sequence=42, sequence_width=7),
            "G03.01-260102-0000042",
        ),
        # 23:30 UTC on 7/10 is already 8/10 in Vietnam.
        (
            dict(unit_code="H15.50", received_on=dt.datetime(2026, 10, 7, 23, 30, tzinfo=dt.UTC), sequence=5),
            "H15.50-261008-0005",
        ),
        (
            dict(unit_code="H15.50", received_on=dt.datetime(2026, 10, 8, 6, 30, tzinfo=VN), sequence=5),
            "H15.50-261008-0005",
        ),
    ],
)
def test_format_code(arguments, expected):
    assert format_code(**arguments) == expected
    assert str(parse_code(expected)) == expected


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        (dict(sequence=0), "invalid_sequence"),
        (dict(sequence=10000), "invalid_sequence"),  # a provincial system numbers up to 9999 a day
        (dict(sequence=-1), "invalid_sequence"),
        (dict(sequence=True), "invalid_sequence"),
        (dict(unit_code="Phòng GD"), "invalid_unit_code"),
        (dict(received_on=dt.date(1999, 12, 31)), "invalid_date"),
    ],
)
def test_format_refuses(arguments, code):
    values = dict(unit_code="H15.50.05.13", received_on=dt.date(2026, 10, 8), sequence=975) | arguments
    with pytest.raises(ValidationFailed) as error:
        format_code(**values)
    assert error.value.code == code


def test_format_programming_errors():
    with pytest.raises(ValueError):
        format_code(unit_code="H15", received_on=dt.date(2026, 10, 8), sequence=1, sequence_width=5)
    with pytest.raises(ValueError):
        format_code(unit_code="H15", received_on=dt.datetime(2026, 10, 8, 9, 0), sequence=1)


def test_validate_unit_code_normalises():
    assert validate_unit_code(" h15.50.05.13 ") == "H15.50.05.13"
    assert validate_unit_code("000.00.31.H29") == "000.00.31.H29"
