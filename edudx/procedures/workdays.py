"""The Vietnamese working-day calendar and the time arithmetic of administrative procedures. Pure functions.

Time limits of administrative procedures are counted in **working days** (ngày làm việc): Monday to Friday for
state bodies, minus the public holidays of Bộ luật Lao động 2019 Art. 112 (Tết Dương lịch, Tết Nguyên đán, Giỗ Tổ
Hùng Vương, 30/4, 1/5, Quốc khánh, and since 2026 Ngày Văn hóa Việt Nam 24/11) and the days the Government swaps
each year (a weekday off paid back by working a Saturday). Those come from the ``holidays`` package (country
"VN", which also lists the swapped working Saturdays); what it does not know — a late government announcement, a
local decision, a Saturday reception — is passed in as data (``extra_days_off``, ``extra_working_days``), and
that data wins over the package.

Counting rules (administration notes §3.4: the 15:00 cut-off from secondary sources, the after-hours rule not yet
confirmed in a legal text — check NĐ 118/2025/NĐ-CP and TT 03/2025/TT-VPCP before relying on them in a dispute):

* **Receipt day.** A dossier received on a working day at or before the cut-off (15:00, the practice for
  procedures decided within the day; after 15:00 → next working day) counts as received that day. One received
  after the cut-off, after closing time, or on a day that is not a working day — typically online at night or
  at the weekend — counts as received on the next working day. Before opening on a working day is the same day:
  nothing has been lost. ``WorkCalendar.cutoff = None`` keeps only the closing-time rule.
* **Counting.** As Bộ luật Dân sự 2015 Art. 147 counts periods in days (our reading: the day of the event is not
  counted, the period starts the next day), the receipt day itself is not counted:
  "n working days" ends at closing time on the n-th working day after the receipt day; 0 means within the day.
* **Pauses.** Time the applicant spends supplementing the dossier is not counted (766 statistics: end time minus
  [supplement completed − supplement requested]). In whole days: the working days after the request day, up to
  and including the day the supplement counts as received (same receipt rule), are skipped.

Datetimes must be timezone-aware; they are read in the calendar's time zone (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

VIETNAM_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SATURDAY, SUNDAY = 5, 6

# One pause: (supplement requested at, supplement received at); None while the applicant has not answered yet.
Pause = tuple[dt.datetime, dt.datetime | None]


@dataclass(frozen=True)
class WorkCalendar:
    """A unit's working calendar. Build one per unit from its stored rows; it is immutable and hashable.

    ``extra_days_off`` and ``extra_working_days`` are dates decided outside the ``holidays`` package (and override
    it). ``cutoff`` is the latest time of day a dossier still counts as received that day; ``closing`` ends the
    working day and is the time of day a deadline falls on.
    """

    extra_days_off: frozenset[dt.date] = field(default_factory=frozenset)
    extra_working_days: frozenset[dt.date] = field(default_factory=frozenset)
    weekend: frozenset[int] = frozenset({SATURDAY, SUNDAY})
    cutoff: dt.time | None = dt.time(15, 0)
    closing: dt.time = dt.time(17, 0)
    timezone: dt.tzinfo = VIETNAM_TIMEZONE

    def __post_init__(self) -> None:
        # Accept any iterable of dates from the caller (a queryset's values_list, a set) and freeze it.
        object.__setattr__(self, "extra_days_off", frozenset(self.extra_days_off))
        object.__setattr__(self, "extra_working_days", frozenset(self.extra_working_days))
        object.__setattr__(self, "weekend", frozenset(self.weekend))
        both = self.extra_days_off & self.extra_working_days
        if both:
            raise ValueError(f"Dates both off and working: {sorted(both)}")
        if self.cutoff is not None and self.cutoff > self.closing:
            raise ValueError("The receipt cut-off cannot be after closing time")


DEFAULT_CALENDAR = WorkCalendar()
# The package keeps the swapped working days in a set shared between years; fill it one year at a time.
_PACKAGE_LOCK = threading.Lock()


@lru_cache(maxsize=64)
def _package_year(year: int) -> tuple[Mapping[dt.date, str], frozenset[dt.date]]:
    """The package's public holidays of one year (Vietnamese names) and its swapped working weekend days."""
    # Imported here: loading the package takes about a second, paid once by the first date lookup, not at start-up.
    import holidays

    with _PACKAGE_LOCK:
        calendar = holidays.country_holidays("VN", years=year, language="vi")
        days_off = {day: name for day, name in sorted(calendar.items())}
        # ``weekend_workdays`` holds the days of every year populated so far; keep this year's.
        working_weekend_days = frozenset(day for day in calendar.weekend_workdays if day.year == year)
    return days_off, working_weekend_days


def public_holidays(year: int) -> dict[dt.date, str]:
    """The public holidays and swapped days off of ``year``, by date, with their Vietnamese names."""
    return dict(_package_year(year)[0])


def _as_date(day: dt.date, calendar: WorkCalendar) -> dt.date:
    if isinstance(day, dt.datetime):
        return _local(day, calendar).date()
    return day


def _local(moment: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"A naive datetime cannot be placed in the working calendar: {moment!r}")
    return moment.astimezone(calendar.timezone)


def is_working_day(day: dt.date, calendar: WorkCalendar) -> bool:
    """Whether state bodies work on ``day`` (a date, or an aware datetime read in the calendar's time zone)."""
    day = _as_date(day, calendar)
    if day in calendar.extra_working_days:
        return True
    if day in calendar.extra_days_off:
        return False
    days_off, working_weekend_days = _package_year(day.year)
    if day in days_off:
        return False
    if day in working_weekend_days:
        return True
    return day.weekday() not in calendar.weekend


def next_working_day(day: dt.date, calendar: WorkCalendar) -> dt.date:
    """The first working day strictly after ``day``."""
    day = _as_date(day, calendar) + dt.timedelta(days=1)
    while not is_working_day(day, calendar):
        day += dt.timedelta(days=1)
    return day


def receipt_day(received_at: dt.datetime, calendar: WorkCalendar) -> dt.date:
    """The working day a dossier counts as received on (see the module's receipt rule).

    Same day if it is a working day and the local time is at or before the cut-off (or closing time without a
    cut-off); otherwise the next working day.
    """
    local = _local(received_at, calendar)
    last_moment = calendar.cutoff if calendar.cutoff is not None else calendar.closing
    if is_working_day(local.date(), calendar) and local.time() <= last_moment:
        return local.date()
    return next_working_day(local.date(), calendar)


def _excluded_days(pauses: Iterable[Pause], calendar: WorkCalendar, until: dt.date | None) -> set[dt.date]:
    """Days not counted because the applicant was supplementing the dossier. An open pause runs to ``until``."""
    excluded: set[dt.date] = set()
    for started_at, ended_at in pauses:
        first = _local(started_at, calendar).date() + dt.timedelta(days=1)
        if ended_at is None:
            if until is None:
                raise ValueError("A deadline cannot be set while a supplement request is still open")
            last = until
        else:
            last = receipt_day(ended_at, calendar)
            if ended_at < started_at:
                raise ValueError(f"A pause ends before it starts: {started_at!r} → {ended_at!r}")
        day = first
        while day <= last:
            excluded.add(day)
            day += dt.timedelta(days=1)
    return excluded


def add_working_days(start: dt.datetime, n: int, calendar: WorkCalendar, paused: Iterable[Pause] = ()) -> dt.date:
    """The n-th working day after the receipt day of ``start`` (n = 0: the receipt day itself).

    Receipt after the cut-off, after hours or on a day off counts from the next working day; working days inside
    a closed ``paused`` interval are skipped.
    """
    if n < 0:
        raise ValueError("n must be zero or more working days")
    day = receipt_day(start, calendar)
    excluded = _excluded_days(paused, calendar, until=None)
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if day not in excluded and is_working_day(day, calendar):
            counted += 1
    return day


def deadline_for(
    received_at: dt.datetime, days: int, calendar: WorkCalendar, paused: Iterable[Pause] = ()
) -> dt.datetime:
    """The appointment (ngày hẹn trả kết quả): closing time on ``add_working_days(received_at, days)``, aware, in
    the calendar's time zone. Pass ``paused`` to move it by the supplement time already spent."""
    day = add_working_days(received_at, days, calendar, paused)
    return dt.datetime.combine(day, calendar.closing, tzinfo=calendar.timezone)


def working_days_between(a: dt.datetime, b: dt.datetime, calendar: WorkCalendar, paused: Iterable[Pause] = ()) -> int:
    """Working days used to handle a dossier received at ``a`` and finished at ``b``, supplement pauses excluded.

    Counts the working days after the receipt day of ``a`` up to and including the local date of ``b``, so that
    ``working_days_between(t, deadline_for(t, n, c), c) == n`` and a dossier is on time when the result is
    ``<= n``. A pause still open (end ``None``) runs to ``b``.
    """
    if b < a:
        raise ValueError(f"The end {b!r} is before the start {a!r}")
    start = receipt_day(a, calendar)
    end = _local(b, calendar).date()
    excluded = _excluded_days(paused, calendar, until=end)
    counted = 0
    day = start + dt.timedelta(days=1)
    while day <= end:
        if day not in excluded and is_working_day(day, calendar):
            counted += 1
        day += dt.timedelta(days=1)
    return counted
