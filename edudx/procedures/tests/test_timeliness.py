"""On time or late (administration notes §3.4): supplement time excluded, more than one supplement request is late,
a single unanswered request ends the dossier, open dossiers are measured at the period end, a stored appointment
wins over the time limit, extension letters do not make a late dossier on time. March 2026 has no holidays:
Mon 2, Tue 3 … Fri 6, Mon 9 … Fri 13, Mon 16."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from edudx.core.errors import ValidationFailed
from edudx.procedures.timeliness import (
    DossierHistory,
    Extension,
    LateReason,
    Punctuality,
    SupplementRequest,
    assess,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
EARLY, ON_TIME, LATE = Punctuality.EARLY, Punctuality.ON_TIME, Punctuality.LATE


def at(day, hour=10, minute=0, month=3, year=2026):
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN)


def closing(day, month=3, year=2026):
    return dt.datetime(year, month, day, 17, 0, tzinfo=VN)


MON2 = at(2)


@pytest.mark.parametrize(
    ("case", "history", "as_of", "expected"),
    [
        (
            "finished a working day early",
            DossierHistory(MON2, 5, finished_at=at(6)),
            None,
            dict(punctuality=EARLY, used=4, allowed=5, due=closing(9), finished=True),
        ),
        (
            "finished on the due day",
            DossierHistory(MON2, 5, finished_at=at(9, 16)),
            None,
            dict(punctuality=ON_TIME, used=5, due=closing(9)),
        ),
        (
            "on the due day after closing is still the due day",
            DossierHistory(MON2, 5, finished_at=at(9, 19)),
            None,
            dict(punctuality=ON_TIME, used=5),
        ),
        (
            "one working day late",
            DossierHistory(MON2, 5, finished_at=at(10)),
            None,
            dict(punctuality=LATE, reason=LateReason.PAST_DUE, used=6),
        ),
        (
            "received after the 15:00 cut-off counts from the next working day",
            DossierHistory(at(2, 15, 30), 5, finished_at=at(10)),
            None,
            dict(punctuality=ON_TIME, used=5, due=closing(10)),
        ),
        (
            "received on Saturday counts from Monday",
            DossierHistory(at(7), 5, finished_at=at(16)),
            None,
            dict(punctuality=ON_TIME, used=5, due=closing(16)),
        ),
        (
            "across Tết 2026 (16–20 February off)",
            DossierHistory(at(13, month=2), 5, finished_at=at(27, month=2)),
            None,
            dict(punctuality=ON_TIME, used=5, due=closing(27, month=2)),
        ),
        (
            "same-day procedure finished the same day",
            DossierHistory(at(2, 14), 0, finished_at=at(2, 16, 30)),
            None,
            dict(punctuality=ON_TIME, used=0, due=closing(2)),
        ),
        (
            "same-day procedure finished the next day",
            DossierHistory(at(2, 14), 0, finished_at=at(3, 9)),
            None,
            dict(punctuality=LATE, reason=LateReason.PAST_DUE, used=1),
        ),
        (
            "supplement time excluded: 3 working days paused move the due day to Thursday 12",
            DossierHistory(MON2, 5, supplements=(SupplementRequest(at(4), at(9)),), finished_at=at(12)),
            None,
            dict(punctuality=ON_TIME, used=5, supplement=3, due=closing(12), count=1),
        ),
        (
            "supplement time excluded, still late the day after",
            DossierHistory(MON2, 5, supplements=(SupplementRequest(at(4), at(9)),), finished_at=at(13)),
            None,
            dict(punctuality=LATE, reason=LateReason.PAST_DUE, used=6, supplement=3),
        ),
        (
            "a supplement received after the cut-off counts the next day",
            DossierHistory(MON2, 5, supplements=(SupplementRequest(at(4), at(9, 16)),), finished_at=at(13)),
            None,
            dict(punctuality=ON_TIME, used=5, supplement=4, due=closing(13)),
        ),
        (
            "two supplement requests are late however early the result",
            DossierHistory(
                MON2,
                5,
                supplements=(SupplementRequest(at(3), at(3, 14)), SupplementRequest(at(4), at(4, 14))),
                finished_at=at(5),
            ),
            None,
            dict(punctuality=LATE, reason=LateReason.REPEATED_SUPPLEMENT, count=2),
        ),
        (
            "a request before receipt counts for the rule but does not pause the clock",
            DossierHistory(
                MON2,
                5,
                supplements=(SupplementRequest(at(26, month=2), at(27, month=2)),),
                finished_at=at(9),
            ),
            None,
            dict(punctuality=ON_TIME, used=5, supplement=0, count=1),
        ),
        (
            "a request before receipt plus one during processing: two requests",
            DossierHistory(
                MON2,
                5,
                supplements=(
                    SupplementRequest(at(26, month=2), at(27, month=2)),
                    SupplementRequest(at(4), at(5)),
                ),
                finished_at=at(6),
            ),
            None,
            dict(punctuality=LATE, reason=LateReason.REPEATED_SUPPLEMENT, count=2),
        ),
        (
            "a single unanswered request is the end of the dossier",
            DossierHistory(MON2, 5, supplements=(SupplementRequest(at(4)),)),
            at(31),
            dict(punctuality=EARLY, used=2, finished=True, waiting=True, due=None, end=at(4)),
        ),
        (
            "open at the period end, not yet due",
            DossierHistory(MON2, 5),
            at(6, 23),
            dict(punctuality=ON_TIME, used=4, finished=False, due=closing(9), end=at(6, 23)),
        ),
        (
            "open at the period end and overdue",
            DossierHistory(MON2, 5),
            at(11),
            dict(punctuality=LATE, reason=LateReason.PAST_DUE, used=7, finished=False),
        ),
        (
            "open, waiting for a second supplement: late, due date unknown",
            DossierHistory(MON2, 5, supplements=(SupplementRequest(at(3), at(3, 14)), SupplementRequest(at(5)))),
            at(11),
            dict(punctuality=LATE, reason=LateReason.REPEATED_SUPPLEMENT, finished=False, waiting=True, due=None),
        ),
        (
            "stopped while waiting: the wait runs to the end",
            DossierHistory(MON2, 5, supplements=(SupplementRequest(at(4)),), finished_at=at(10)),
            None,
            dict(punctuality=EARLY, used=2, supplement=4, waiting=False, due=closing(13)),
        ),
        (
            "a stored appointment wins over the time limit",
            DossierHistory(MON2, 5, appointment_at=closing(11), finished_at=at(11)),
            None,
            dict(punctuality=ON_TIME, used=7, allowed=7, due=closing(11)),
        ),
        (
            "an appointment alone is enough",
            DossierHistory(MON2, None, appointment_at=closing(4), finished_at=at(5)),
            None,
            dict(punctuality=LATE, reason=LateReason.PAST_DUE, used=3, allowed=2),
        ),
        (
            "finished_at wins over as_of",
            DossierHistory(MON2, 5, finished_at=at(6)),
            at(31),
            dict(punctuality=EARLY, end=at(6)),
        ),
    ],
)
def test_assess(case, history, as_of, expected):
    result = assess(history, as_of=as_of)
    assert result.punctuality == expected["punctuality"], case
    assert result.on_time is (expected["punctuality"] != LATE)
    assert result.late_reason == expected.get("reason", LateReason.NONE)
    checks = {
        "used": result.working_days_used,
        "allowed": result.working_days_allowed,
        "supplement": result.supplement_working_days,
        "due": result.due_at,
        "finished": result.finished,
        "waiting": result.waiting_for_supplement,
        "count": result.supplement_count,
        "end": result.end_at,
    }
    for key, actual in checks.items():
        if key in expected:
            assert actual == expected[key], (case, key)


@pytest.mark.parametrize(
    ("extensions", "finished_at", "as_of", "kept", "in_time"),
    [
        # Due Monday 9; a letter on Friday 6 (one working day before) proposing Friday 13.
        ((Extension(at(6), closing(13)),), at(12), None, True, True),
        ((Extension(at(6), closing(13)),), at(16), None, False, True),
        # The letter on the due day itself is too late.
        ((Extension(at(9), closing(13)),), at(12), None, True, False),
        # Open: not decided while the new date has not passed; missed once it has.
        ((Extension(at(6), closing(13)),), None, at(11), None, True),
        ((Extension(at(6), closing(13)),), None, at(16), False, True),
        # Two letters: the last one's date counts, the first one's timing.
        ((Extension(at(6), closing(11)), Extension(at(11), closing(18))), at(17), None, True, True),
    ],
)
def test_extension_letters(extensions, finished_at, as_of, kept, in_time):
    result = assess(DossierHistory(MON2, 5, extensions=extensions, finished_at=finished_at), as_of=as_of)
    assert result.kept_extended_date is kept
    assert result.extension_requested_in_time is in_time
    assert result.extended_due_at == max(extensions, key=lambda e: e.issued_at).new_due_at
    if finished_at is not None:
        assert result.punctuality == LATE  # the letter does not make the dossier on time


def test_without_extension_the_extension_fields_are_empty():
    result = assess(DossierHistory(MON2, 5, finished_at=at(6)))
    assert (result.extended_due_at, result.kept_extended_date, result.extension_requested_in_time) == (None,) * 3


@pytest.mark.parametrize(
    ("history", "as_of", "code"),
    [
        (DossierHistory(MON2), at(9), "no_deadline"),
        (DossierHistory(MON2, -1, finished_at=at(9)), None, "negative_time_limit"),
        (DossierHistory(MON2, 5, appointment_at=at(1)), at(9), "appointment_before_receipt"),
        (DossierHistory(MON2, 5, finished_at=at(1)), None, "finished_before_receipt"),
        (DossierHistory(MON2, 5), at(1), "end_before_receipt"),
        (
            DossierHistory(MON2, 5, supplements=(SupplementRequest(at(5), at(4)),), finished_at=at(9)),
            None,
            "supplement_before_request",
        ),
        (
            DossierHistory(MON2, 5, supplements=(SupplementRequest(at(3)), SupplementRequest(at(5), at(6)))),
            at(9),
            "supplement_still_open",
        ),
        (
            DossierHistory(
                MON2,
                5,
                supplements=(SupplementRequest(at(3), at(6)), SupplementRequest(at(5), at(9))),
                finished_at=at(9),
            ),
            None,
            "supplements_overlap",
        ),
        (
            DossierHistory(MON2, 5, extensions=(Extension(at(6), closing(5)),), finished_at=at(9)),
            None,
            "extension_before_issue",
        ),
    ],
)
def test_inconsistent_histories_are_refused(history, as_of, code):
    with pytest.raises(ValidationFailed) as excinfo:
        assess(history, as_of=as_of)
    assert excinfo.value.code == code
    assert excinfo.value.message  # a Vietnamese sentence for the counter officer


def test_programming_errors():
    with pytest.raises(ValueError, match="as_of"):
        assess(DossierHistory(MON2, 5))
    with pytest.raises(ValueError, match="timezone-aware"):
        assess(DossierHistory(dt.datetime(2026, 3, 2, 10), 5, finished_at=at(9)))
