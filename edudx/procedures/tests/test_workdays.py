"""Working days (administration notes §3.4): weekends, public holidays from the `holidays` package (Tết 2026 as the
package gives it: Mon 16 – Fri 20 February 2026, next to the weekends of 14–15 and 21–22), swapped days, days off
and working days added as data, the 15:00 receipt cut-off, deadlines across New Year, supplement pauses."""

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from edudx.procedures.workdays import (
    DEFAULT_CALENDAR,
    WorkCalendar,
    add_working_days,
    deadline_for,
    is_working_day,
    next_working_day,
    public_holidays,
    receipt_day,
    working_days_between,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = DEFAULT_CALENDAR
D = dt.date


def at(year, month, day, hour=10, minute=0, second=0):
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=VN)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 3, 10), True),  # an ordinary Tuesday
        (D(2026, 3, 14), False),  # Saturday
        (D(2026, 3, 15), False),  # Sunday
        (D(2026, 1, 1), False),  # Tết Dương lịch
        (D(2026, 1, 2), True),
        (D(2026, 2, 13), True),  # Friday before Tết
        (D(2026, 2, 16), False),  # 29 Tết (giao thừa)
        (D(2026, 2, 17), False),  # mùng 1
        (D(2026, 2, 18), False),
        (D(2026, 2, 19), False),
        (D(2026, 2, 20), False),  # mùng 4
        (D(2026, 2, 23), True),  # back to work
        (D(2026, 4, 26), False),  # Giỗ Tổ Hùng Vương on a Sunday…
        (D(2026, 4, 27), False),  # … made up on the Monday
        (D(2026, 4, 30), False),
        (D(2026, 5, 1), False),
        (D(2026, 8, 22), True),  # Saturday worked to pay back…
        (D(2026, 8, 31), False),  # … Monday 31/8 off before Quốc khánh
        (D(2026, 9, 1), False),
        (D(2026, 9, 2), False),
        (D(2026, 11, 24), False),  # Ngày Văn hóa Việt Nam, from 2026
        (D(2025, 11, 24), True),  # not yet in 2025
        (D(2025, 4, 26), True),  # a swapped Saturday of 2025
        (D(2025, 5, 2), False),
    ],
)
def test_is_working_day(day, working):
    assert is_working_day(day, CAL) is working


def test_tet_2026_in_the_package():
    names = public_holidays(2026)
    tet = [day for day, name in names.items() if "Tết Nguyên Đán" in name]
    assert tet == [D(2026, 2, day) for day in range(16, 21)]
    assert names[D(2026, 1, 1)] == "Tết Dương lịch"


def test_data_overrides_the_package():
    calendar = WorkCalendar(
        extra_days_off={D(2026, 3, 10), D(2026, 2, 13)},  # a local day off; the Friday before Tết given off
        extra_working_days=[D(2026, 3, 14), D(2026, 1, 1)],  # a Saturday reception; a holiday worked
    )
    assert not is_working_day(D(2026, 3, 10), calendar)
    assert not is_working_day(D(2026, 2, 13), calendar)
    assert is_working_day(D(2026, 3, 14), calendar)
    assert is_working_day(D(2026, 1, 1), calendar)
    assert is_working_day(D(2026, 3, 11), calendar)
    # The day off moves a deadline: Mon 9/3 + 1 working day skips Tue 10/3.
    assert add_working_days(at(2026, 3, 9), 1, calendar) == D(2026, 3, 11)
    assert add_working_days(at(2026, 3, 9), 1, CAL) == D(2026, 3, 10)


def test_calendar_refuses_contradictions():
    with pytest.raises(ValueError):
        WorkCalendar(extra_days_off={D(2026, 3, 10)}, extra_working_days={D(2026, 3, 10)})
    with pytest.raises(ValueError):
        WorkCalendar(cutoff=dt.time(18, 0))


def test_a_working_day_may_be_given_as_an_aware_datetime():
    # 17:30 UTC on Friday 13/2 is 00:30 on Saturday 14/2 in Vietnam.
    assert is_working_day(dt.datetime(2026, 2, 13, 16, 59, tzinfo=dt.UTC), CAL)
    assert not is_working_day(dt.datetime(2026, 2, 13, 17, 30, tzinfo=dt.UTC), CAL)


@pytest.mark.parametrize(
    ("received_at", "day"),
    [
        (at(2026, 3, 10, 14, 59), D(2026, 3, 10)),
        (at(2026, 3, 10, 15, 0), D(2026, 3, 10)),  # "after 15:00" → 15:00 itself is still the same day
        (at(2026, 3, 10, 15, 0, 1), D(2026, 3, 11)),
        (at(2026, 3, 10, 15, 1), D(2026, 3, 11)),
        (at(2026, 3, 10, 6, 0), D(2026, 3, 10)),  # online before opening: nothing lost, same day
        (at(2026, 3, 10, 23, 30), D(2026, 3, 11)),  # online at night
        (at(2026, 3, 13, 15, 1), D(2026, 3, 16)),  # Friday after the cut-off → Monday
        (at(2026, 3, 14, 9, 0), D(2026, 3, 16)),  # Saturday
        (at(2026, 2, 13, 16, 0), D(2026, 2, 23)),  # Friday before Tết after 15:00 → after Tết
        (at(2026, 2, 17, 9, 0), D(2026, 2, 23)),  # mùng 1 Tết
        (at(2026, 12, 31, 15, 30), D(2027, 1, 4)),  # New Year's Eve afternoon → Monday 4/1/2027
        (dt.datetime(2026, 3, 10, 7, 59, tzinfo=dt.UTC), D(2026, 3, 10)),  # 14:59 in Vietnam
        (dt.datetime(2026, 3, 10, 8, 1, tzinfo=dt.UTC), D(2026, 3, 11)),  # 15:01 in Vietnam
    ],
)
def test_receipt_day(received_at, day):
    assert receipt_day(received_at, CAL) == day


def test_without_cutoff_closing_time_decides():
    calendar = dataclasses.replace(CAL, cutoff=None)
    assert receipt_day(at(2026, 3, 10, 16, 59), calendar) == D(2026, 3, 10)
    assert receipt_day(at(2026, 3, 10, 17, 1), calendar) == D(2026, 3, 11)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        receipt_day(dt.datetime(2026, 3, 10, 10, 0), CAL)


@pytest.mark.parametrize(
    ("received_at", "days", "due"),
    [
        (at(2026, 3, 10, 14, 59), 0, D(2026, 3, 10)),  # same-day procedure, before the cut-off
        (at(2026, 3, 10, 15, 1), 0, D(2026, 3, 11)),  # … after it: next working day
        (at(2026, 3, 10, 14, 59), 1, D(2026, 3, 11)),
        (at(2026, 3, 10, 15, 1), 1, D(2026, 3, 12)),
        (at(2026, 3, 12, 9, 0), 3, D(2026, 3, 17)),  # Thu + 3 skips the weekend
        (at(2026, 2, 12, 9, 0), 2, D(2026, 2, 23)),  # Thu before Tết: Fri 13/2, then Mon 23/2 after Tết
        (at(2026, 12, 30, 9, 0), 3, D(2027, 1, 5)),  # across New Year: 31/12, (1/1 off), 4/1, 5/1
        (at(2025, 12, 31, 9, 0), 1, D(2026, 1, 2)),
        (at(2026, 3, 14, 9, 0), 5, D(2026, 3, 23)),  # received Saturday: counted from Monday 16/3
        (at(2026, 4, 24, 9, 0), 5, D(2026, 5, 6)),  # Hùng Vương made up on 27/4, 30/4 and 1/5 on the way
        (at(2026, 8, 21, 9, 0), 1, D(2026, 8, 22)),  # Saturday 22/8 is worked…
        (at(2026, 8, 28, 9, 0), 2, D(2026, 9, 4)),  # … to pay for Monday 31/8; 1/9 and 2/9 are Quốc khánh
    ],
)
def test_add_working_days(received_at, days, due):
    assert add_working_days(received_at, days, CAL) == due


def test_add_working_days_refuses_negative():
    with pytest.raises(ValueError):
        add_working_days(at(2026, 3, 10), -1, CAL)


def test_deadline_is_closing_time_in_vietnam():
    deadline = deadline_for(dt.datetime(2026, 12, 30, 2, 0, tzinfo=dt.UTC), 3, CAL)
    assert deadline == dt.datetime(2027, 1, 5, 17, 0, tzinfo=VN)
    assert deadline.tzinfo == VN


@pytest.mark.parametrize("days", [0, 1, 2, 5, 15, 20])
@pytest.mark.parametrize(
    "received_at",
    [at(2026, 2, 12, 16, 30), at(2026, 12, 31, 8, 0), at(2026, 8, 21, 15, 0), at(2026, 3, 14, 11, 0)],
)
def test_deadline_uses_exactly_the_allowed_days(received_at, days):
    deadline = deadline_for(received_at, days, CAL)
    assert working_days_between(received_at, deadline, CAL) == days
    later = dt.datetime.combine(next_working_day(deadline.date(), CAL), dt.time(9), tzinfo=VN)
    assert working_days_between(received_at, later, CAL) == days + 1  # one day late


def test_working_days_between_basic():
    assert working_days_between(at(2026, 3, 9, 9), at(2026, 3, 9, 16), CAL) == 0  # within the day
    assert working_days_between(at(2026, 3, 9, 9), at(2026, 3, 13, 16), CAL) == 4  # Mon → Fri
    assert working_days_between(at(2026, 3, 13, 16), at(2026, 3, 16, 9), CAL) == 0  # counted from Mon 16/3
    assert working_days_between(at(2026, 3, 14, 9), at(2026, 3, 14, 10), CAL) == 0  # Saturday both ends
    with pytest.raises(ValueError):
        working_days_between(at(2026, 3, 10), at(2026, 3, 9), CAL)


def test_supplement_pause_is_not_counted():
    received, finished = at(2026, 3, 9, 9), at(2026, 3, 13, 16)  # Mon → Fri: 4 working days
    # Asked to supplement on Tue 10:00, supplied Thu 09:00: Wed and Thu are not counted.
    pause = (at(2026, 3, 10, 10), at(2026, 3, 12, 9))
    assert working_days_between(received, finished, CAL, paused=[pause]) == 2
    # Supplied Thu 16:00, after the cut-off: counts as supplied on Friday, so Friday is not counted either.
    late_supply = (at(2026, 3, 10, 10), at(2026, 3, 12, 16))
    assert working_days_between(received, finished, CAL, paused=[late_supply]) == 1
    # Overlapping pauses do not count twice; a pause over the weekend costs nothing extra.
    assert working_days_between(received, finished, CAL, paused=[pause, (at(2026, 3, 11, 8), at(2026, 3, 11, 9))]) == 2
    # Still waiting for the applicant at the end of the period: nothing after the request is counted.
    assert working_days_between(received, finished, CAL, paused=[(at(2026, 3, 10, 10), None)]) == 1


def test_pause_moves_the_deadline():
    received = at(2026, 3, 9, 9)
    assert add_working_days(received, 3, CAL) == D(2026, 3, 12)
    pause = (at(2026, 3, 10, 10), at(2026, 3, 12, 9))  # Wed and Thu not counted
    assert add_working_days(received, 3, CAL, paused=[pause]) == D(2026, 3, 16)
    deadline = deadline_for(received, 3, CAL, paused=[pause])
    assert deadline == dt.datetime(2026, 3, 16, 17, 0, tzinfo=VN)
    assert working_days_between(received, deadline, CAL, paused=[pause]) == 3
    with pytest.raises(ValueError):
        deadline_for(received, 3, CAL, paused=[(at(2026, 3, 10, 10), None)])
    with pytest.raises(ValueError):
        add_working_days(received, 3, CAL, paused=[(at(2026, 3, 12), at(2026, 3, 10))])


def test_dossier_spanning_new_year_with_pause():
    # Received 29/12/2026, 10 working days, a supplement asked on 30/12 and supplied on 5/1/2027.
    received = at(2026, 12, 29, 10)
    pause = (at(2026, 12, 30, 11), at(2027, 1, 5, 10))
    # Counted: 30/12 (work before the request), then from 6/1: 6, 7, 8, 11, 12, 13, 14, 15 → 9 so far, 18/1 tenth.
    assert add_working_days(received, 10, CAL, paused=[pause]) == D(2027, 1, 18)
    assert working_days_between(received, at(2027, 1, 18, 16), CAL, paused=[pause]) == 10
    assert working_days_between(received, at(2027, 1, 19, 8), CAL, paused=[pause]) == 11
