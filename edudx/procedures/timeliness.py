"""Whether a dossier is handled on time, and how long it took. Pure functions over the dossier's event history.

Rules (administration notes §3.4, from the formula description of the 766 statistics — secondary source):

* **End of processing** is the first of: processing finished ("đã xử lý xong", preferred over "đã trả kết quả"),
  refused, stopped, withdrawn. The caller passes that moment as ``finished_at``.
* **Supplement time is excluded**: the working days between a supplement request (Mẫu 02) and the day the supplement
  counts as received are not counted (``workdays`` does the day arithmetic).
* **More than one supplement request counts as late**, whatever the dates — the desk must list everything missing
  at once.
* If the only thing that ended the dossier is a single unanswered supplement request, **that request** is the end.
* No appointment date → the working days used (minus supplement time) are compared with the statutory time limit;
  with an appointment (Mẫu 01) → with the working days the appointment granted.
* **Still open** at the end of the reporting period → the period end (``as_of``) is the end.
* A result on the due day counts as on time (đúng hạn), before it as early (trước hạn), after it as late (quá hạn) —
  the three results of the control sheet (Mẫu 06).

Extension letters (Mẫu 04, "văn bản xin lỗi và đề nghị gia hạn"): they are written *because* the result will be
late, so they do not turn a late dossier into an on-time one; the assessment reports separately whether the new
date was kept and whether the letter came at least one working day before the due day (Nghị định 61/2018 Art. 19
asked for it "at the latest one day before the deadline"; whether NĐ 118/2025 keeps this is not confirmed).

Datetimes must be timezone-aware. Inconsistent histories raise ``ValidationFailed`` with a Vietnamese message,
because they come from people's entries at the counter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from edudx.core.errors import ValidationFailed

from .workdays import DEFAULT_CALENDAR, Pause, WorkCalendar, deadline_for, is_working_day, working_days_between


class Punctuality(models.TextChoices):
    """The three results of the control sheet (Mẫu 06) and of the 766 statistics."""

    EARLY = "early", gettext_lazy("Trước hạn")
    ON_TIME = "on_time", gettext_lazy("Đúng hạn")
    LATE = "late", gettext_lazy("Quá hạn")


class LateReason(models.TextChoices):
    NONE = "", gettext_lazy("Không")
    PAST_DUE = "past_due", gettext_lazy("Quá thời hạn giải quyết")
    REPEATED_SUPPLEMENT = "repeated_supplement", gettext_lazy("Yêu cầu bổ sung hồ sơ quá một lần")


@dataclass(frozen=True)
class SupplementRequest:
    """One Mẫu 02 request and the moment the applicant's supplement was received (``None`` while waiting)."""

    requested_at: dt.datetime
    answered_at: dt.datetime | None = None


@dataclass(frozen=True)
class Extension:
    """One Mẫu 04 letter: when it was issued and the new appointment it proposes."""

    issued_at: dt.datetime
    new_due_at: dt.datetime


@dataclass(frozen=True)
class DossierHistory:
    """What the assessment needs of a dossier.

    ``received_at`` is the receipt (Mẫu 01); ``processing_days`` the statutory time limit in working days (0 =
    within the day); ``appointment_at`` the appointment written on the receipt, when stored (it wins over the
    limit); ``supplements`` every Mẫu 02 request, including those made before receipt (they count for the
    "more than one" rule; only those after receipt pause the clock); ``finished_at`` the end of processing.
    """

    received_at: dt.datetime
    processing_days: int | None = None
    appointment_at: dt.datetime | None = None
    supplements: tuple[SupplementRequest, ...] = ()
    extensions: tuple[Extension, ...] = ()
    finished_at: dt.datetime | None = None


@dataclass(frozen=True)
class Assessment:
    """The result for one dossier. ``finished`` is False when ``as_of`` stood in for the end.

    ``due_at`` is the effective deadline (the appointment moved by the supplement time), ``None`` while a supplement
    is awaited; ``working_days_used`` excludes supplement time, ``supplement_working_days`` is that time.
    """

    finished: bool
    end_at: dt.datetime
    punctuality: Punctuality
    late_reason: LateReason
    working_days_allowed: int
    working_days_used: int
    supplement_working_days: int
    supplement_count: int
    due_at: dt.datetime | None
    waiting_for_supplement: bool
    extended_due_at: dt.datetime | None = None
    kept_extended_date: bool | None = None
    extension_requested_in_time: bool | None = None

    @property
    def on_time(self) -> bool:
        """Early or on the due day — the numerator of the on-time rate."""
        return self.punctuality != Punctuality.LATE


def _aware(moment: dt.datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime: {moment!r}")


def _check(history: DossierHistory, as_of: dt.datetime | None) -> None:
    _aware(history.received_at, "received_at")
    for moment, what in (
        (history.appointment_at, "appointment_at"),
        (history.finished_at, "finished_at"),
        (as_of, "as_of"),
    ):
        if moment is not None:
            _aware(moment, what)
    if history.processing_days is None and history.appointment_at is None:
        raise ValidationFailed(
            _("Hồ sơ cần có thời hạn giải quyết hoặc ngày hẹn trả kết quả để tính đúng hạn."),
            code="no_deadline",
        )
    if history.processing_days is not None and history.processing_days < 0:
        raise ValidationFailed(_("Thời hạn giải quyết không được âm."), code="negative_time_limit")
    if history.appointment_at is not None and history.appointment_at < history.received_at:
        raise ValidationFailed(_("Ngày hẹn trả kết quả trước ngày tiếp nhận."), code="appointment_before_receipt")
    if history.finished_at is not None and history.finished_at < history.received_at:
        raise ValidationFailed(_("Thời điểm kết thúc xử lý trước ngày tiếp nhận."), code="finished_before_receipt")
    previous_end: dt.datetime | None = None
    ordered = sorted(history.supplements, key=lambda s: s.requested_at)
    for index, request in enumerate(ordered):
        _aware(request.requested_at, "requested_at")
        if request.answered_at is not None:
            _aware(request.answered_at, "answered_at")
            if request.answered_at < request.requested_at:
                raise ValidationFailed(
                    _("Ngày nộp bổ sung trước ngày yêu cầu bổ sung."), code="supplement_before_request"
                )
        elif index != len(ordered) - 1:
            raise ValidationFailed(
                _("Chỉ yêu cầu bổ sung cuối cùng mới có thể đang chờ người nộp bổ sung."),
                code="supplement_still_open",
            )
        if previous_end is not None and request.requested_at < previous_end:
            raise ValidationFailed(
                _("Hai lần yêu cầu bổ sung chồng lên nhau về thời gian."), code="supplements_overlap"
            )
        previous_end = request.answered_at
    for extension in history.extensions:
        _aware(extension.issued_at, "issued_at")
        _aware(extension.new_due_at, "new_due_at")
        if extension.new_due_at < extension.issued_at:
            raise ValidationFailed(
                _("Ngày hẹn mới trong văn bản xin lỗi, gia hạn trước ngày ban hành văn bản."),
                code="extension_before_issue",
            )


def _working_day_before(day: dt.date, calendar: WorkCalendar) -> dt.date:
    day -= dt.timedelta(days=1)
    while not is_working_day(day, calendar):
        day -= dt.timedelta(days=1)
    return day


def assess(
    history: DossierHistory, *, calendar: WorkCalendar = DEFAULT_CALENDAR, as_of: dt.datetime | None = None
) -> Assessment:
    """Assess a dossier (see the module's rules). ``as_of`` — the end of the reporting period — is required while
    the dossier is open and ignored once it has ``finished_at``."""
    _check(history, as_of)
    supplements = tuple(sorted(history.supplements, key=lambda s: s.requested_at))
    open_request = supplements[-1] if supplements and supplements[-1].answered_at is None else None
    finished = history.finished_at is not None
    if history.finished_at is not None:
        end_at = history.finished_at
    elif open_request is not None and len(supplements) == 1:
        # The only thing that ended the dossier is a single supplement request: the request is the end.
        end_at = open_request.requested_at
        finished = True
    elif as_of is not None:
        end_at = as_of
    else:
        raise ValueError("An open dossier needs as_of, the end of the reporting period")
    if end_at < history.received_at:
        raise ValidationFailed(_("Thời điểm tính đến trước ngày tiếp nhận."), code="end_before_receipt")
    # Requests before receipt (completing the dossier to receive it) count, but the clock had not started.
    pauses: list[Pause] = [
        (s.requested_at, s.answered_at) for s in supplements if history.received_at <= s.requested_at <= end_at
    ]
    if history.appointment_at is not None:
        allowed = working_days_between(history.received_at, history.appointment_at, calendar)
    else:
        assert history.processing_days is not None  # checked in _check
        allowed = history.processing_days
    used = working_days_between(history.received_at, end_at, calendar, pauses)
    elapsed = working_days_between(history.received_at, end_at, calendar)
    waiting = any(answered is None for _start, answered in pauses)
    if waiting and history.finished_at is None:
        due_at = None  # it moves every working day the applicant keeps us waiting
    else:
        # A dossier stopped or withdrawn while waiting: the wait ran until the end.
        closed: list[Pause] = [(start, answered or end_at) for start, answered in pauses]
        due_at = deadline_for(history.received_at, allowed, calendar, closed)

    if len(supplements) > 1:
        punctuality, reason = Punctuality.LATE, LateReason.REPEATED_SUPPLEMENT
    elif used > allowed:
        punctuality, reason = Punctuality.LATE, LateReason.PAST_DUE
    elif used < allowed and finished:
        punctuality, reason = Punctuality.EARLY, LateReason.NONE
    else:
        punctuality, reason = Punctuality.ON_TIME, LateReason.NONE
    # An open dossier not yet past its due day is "on time so far"; it cannot be early before it has finished.

    extended_due_at = kept = in_time = None
    if history.extensions:
        last = max(history.extensions, key=lambda e: e.issued_at)
        first = min(history.extensions, key=lambda e: e.issued_at)
        extended_due_at = last.new_due_at
        end_day = end_at.astimezone(calendar.timezone).date()
        new_due_day = last.new_due_at.astimezone(calendar.timezone).date()
        kept = end_day <= new_due_day if finished else (None if end_day <= new_due_day else False)
        if due_at is not None:
            latest = _working_day_before(due_at.astimezone(calendar.timezone).date(), calendar)
            in_time = first.issued_at.astimezone(calendar.timezone).date() <= latest
    return Assessment(
        finished=finished,
        end_at=end_at,
        punctuality=punctuality,
        late_reason=reason,
        working_days_allowed=allowed,
        working_days_used=used,
        supplement_working_days=elapsed - used,
        supplement_count=len(supplements),
        due_at=due_at,
        waiting_for_supplement=waiting and history.finished_at is None,
        extended_due_at=extended_due_at,
        kept_extended_date=kept,
        extension_requested_in_time=in_time,
    )
