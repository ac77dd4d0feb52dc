"""The working calendar in force: the ``holidays`` package plus the official days off and make-up days stored."""

from __future__ import annotations

from ..models import CalendarDay, CalendarDayKind
from ..workdays import WorkCalendar


def work_calendar() -> WorkCalendar:
    rows = list(CalendarDay.objects.values_list("day", "kind"))
    return WorkCalendar(
        extra_days_off=frozenset(day for day, kind in rows if kind == CalendarDayKind.DAY_OFF),
        extra_working_days=frozenset(day for day, kind in rows if kind == CalendarDayKind.WORKING_DAY),
    )
