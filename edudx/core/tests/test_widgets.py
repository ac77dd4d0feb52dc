import datetime as dt

import pytest

from edudx.core.widgets import DateInput, date_field


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("21/04/2025", "2025-04-21"),  # typed the Vietnamese way
        ("2025-04-21", "2025-04-21"),
        (dt.date(2025, 4, 21), "2025-04-21"),
        ("không phải ngày", "không phải ngày"),  # shown back as typed, with the field's error beside it
        (None, None),
    ],
)
def test_date_input_shows_iso_values(value, shown):
    assert DateInput().format_value(value) == shown


def test_date_field_accepts_both_ways_of_writing_a_date():
    field = date_field("Ngày")
    assert field.clean("21/04/2025") == dt.date(2025, 4, 21)
    assert field.clean("2025-04-21") == dt.date(2025, 4, 21)
