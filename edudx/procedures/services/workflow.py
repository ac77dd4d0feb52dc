"""The one way a dossier changes state: ``apply_action``.

It checks who acts and in which capacity (``ActorKind``), asks the state machine (``states.transition``), updates
the dossier's clock fields, stores a ``DossierEvent`` (a line of the control sheet, Mẫu 06) and an audit event in
the same transaction, and notifies the applicant after commit. Pages, the API and tasks all call it.

Each event keeps in ``data`` the facts of the form it issues (the appointment of Mẫu 01, the old and new dates of
Mẫu 04, the moved appointment after a supplement), so a form printed again later shows what was decided then
(``documents`` renders the forms from the events).

``apply_system_action`` is the internal path for the ``SYSTEM`` actor (an electronic result delivered by the
platform): no user can choose that capacity through ``apply_action``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from edudx.core.api import Actor, Conflict, NotPermitted, ValidationFailed, audit, policy_for

from .. import notifications
from ..catalogue import Procedure
from ..models import Dossier, DossierEvent
from ..selectors.calendar import work_calendar
from ..states import ActorKind, DossierAction, DossierState, FormNumber, rule_for, transition
from ..timeliness import Punctuality
from ..workdays import VIETNAM_TIMEZONE, WorkCalendar, deadline_for, is_working_day, receipt_day

A = DossierAction
S = DossierState

# The capability that lets a staff member act as each kind of actor in the dossier's unit.
KIND_CAPABILITY = {
    ActorKind.DESK: "dossier.receive",
    ActorKind.HANDLER: "dossier.handle",
    ActorKind.LEADER: "dossier.approve",
}
# Actions whose reason the applicant must read: they need a note.
NEEDS_NOTE = frozenset({A.REQUEST_COMPLETION, A.REFUSE, A.REQUEST_SUPPLEMENT, A.APOLOGISE_AND_EXTEND, A.STOP})
# The forms a transition issues to the applicant (the control sheet and register lines are implied by events).
APPLICANT_FORMS = (
    FormNumber.RECEIPT,
    FormNumber.SUPPLEMENT_REQUEST,
    FormNumber.REFUSAL,
    FormNumber.APOLOGY_EXTENSION,
    FormNumber.STOP_NOTICE,
)
PROCESSING_ENDS = frozenset({A.APPROVE, A.REFUSE, A.STOP, A.WITHDRAW})
# Steps of a handler that only the dossier's current handler takes (a leader acts as LEADER, not in their place).
OWN_HANDLER_STEPS = frozenset({A.HAND_OVER, A.REQUEST_SUPPLEMENT, A.SUBMIT_FOR_APPROVAL, A.APOLOGISE_AND_EXTEND})


@dataclass(frozen=True)
class Step:
    """What a caller asks: the action, in which capacity, and what goes with it."""

    action: DossierAction
    as_kind: ActorKind
    note: str = ""
    to_user_id: int | None = None  # ASSIGN / HAND_OVER: who receives the dossier
    new_due_at: dt.datetime | None = None  # APOLOGISE_AND_EXTEND: the new appointment
    expected_version: int | None = None  # the version the actor saw (stale → Conflict)
    data: dict[str, Any] = field(default_factory=dict)


def procedure_of(dossier: Dossier) -> Procedure:
    from ..catalogue_store import procedure_from_data

    return procedure_from_data(dossier.procedure.data)


def check_capacity(actor: Actor, dossier: Dossier, kind: ActorKind) -> None:
    """``NotPermitted`` unless ``actor`` may act as ``kind`` on ``dossier``."""
    if kind == ActorKind.SYSTEM:
        raise NotPermitted(_("Chỉ hệ thống mới thực hiện được thao tác này."))
    if kind == ActorKind.CITIZEN:
        if not actor.is_authenticated or dossier.applicant_id != actor.user.pk:
            raise NotPermitted(_("Chỉ người nộp hồ sơ mới thực hiện được thao tác này."))
        return
    capability = KIND_CAPABILITY[kind]
    if not actor.can_in(capability, dossier.org_unit):
        raise NotPermitted(_("Bạn không có quyền xử lý hồ sơ của đơn vị này."))


def check_handler(actor: Actor, dossier: Dossier, action: DossierAction) -> None:
    """A handler's step on a dossier given to someone else is refused: the control sheet must name who had it."""
    if action in OWN_HANDLER_STEPS and dossier.handler_id not in (None, actor.user.pk):
        raise NotPermitted(_("Hồ sơ đang được giao cho người khác xử lý."), code="not_your_dossier")


def _staff_in_unit(dossier: Dossier, user_id: int) -> Any:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not Actor(user).can_in("dossier.handle", dossier.org_unit):
        raise ValidationFailed(_("Người nhận hồ sơ phải là cán bộ xử lý của đơn vị."), code="bad_handler")
    return user


def _outcome(dossier: Dossier, at: dt.datetime) -> str:
    """Mẫu 06: was this hand-over before, on or after the due day (days are local days, not UTC ones)."""
    if dossier.due_at is None:
        return ""
    if at.astimezone(VIETNAM_TIMEZONE).date() < dossier.due_at.astimezone(VIETNAM_TIMEZONE).date():
        return Punctuality.EARLY
    return Punctuality.ON_TIME if at <= dossier.due_at else Punctuality.LATE


def _iso(moment: dt.datetime | None) -> str | None:
    """Event data keeps local times (what the forms print), with their offset."""
    return moment.astimezone(VIETNAM_TIMEZONE).isoformat() if moment is not None else None


def _aware(moment: dt.datetime) -> dt.datetime:
    """A date typed without a zone is a Vietnamese local time."""
    if timezone.is_naive(moment):
        return moment.replace(tzinfo=VIETNAM_TIMEZONE)
    return moment


def shift_for_pause(
    due_at: dt.datetime, requested_at: dt.datetime, answered_at: dt.datetime, calendar: WorkCalendar
) -> dt.datetime:
    """The appointment moved by one supplement pause (notes §3.4: the applicant's time is not counted).

    The working days after the request day up to the day the supplement counts as received are added to the
    current appointment. Counting from the appointment (rather than from the receipt) keeps an extension
    (Mẫu 04) already granted; without one it gives the same day as ``deadline_for`` with the pause.
    """
    first = requested_at.astimezone(calendar.timezone).date() + dt.timedelta(days=1)
    last = receipt_day(answered_at, calendar)
    skipped = 0
    day = first
    while day <= last:
        if is_working_day(day, calendar):
            skipped += 1
        day += dt.timedelta(days=1)
    local_due = due_at.astimezone(calendar.timezone)
    day = local_due.date()
    while skipped:
        day += dt.timedelta(days=1)
        if is_working_day(day, calendar):
            skipped -= 1
    return dt.datetime.combine(day, local_due.timetz().replace(tzinfo=None), tzinfo=calendar.timezone)


def apply_action(actor: Actor, dossier_id: int, step: Step, *, now: dt.datetime | None = None) -> DossierEvent:
    """Apply ``step`` to the dossier as ``actor``; returns the stored event. All-or-nothing.

    A dossier the actor may not see answers ``NotPermitted`` like a missing one (ids cannot be probed); a stale
    ``expected_version`` answers ``Conflict``; a step not allowed in the state, ``ValidationFailed``.
    """
    if step.as_kind == ActorKind.SYSTEM:
        raise NotPermitted(_("Chỉ hệ thống mới thực hiện được thao tác này."))
    return _apply(actor, dossier_id, step, now=now, system=False)


def apply_system_action(dossier_id: int, step: Step, *, now: dt.datetime | None = None) -> DossierEvent:
    """Internal path for the platform itself (``ActorKind.SYSTEM``), e.g. an electronic result delivered online.

    Callers are services that have already checked the user who triggered them; no page or API passes a user's
    choice of capacity here.
    """
    if step.as_kind != ActorKind.SYSTEM:
        raise NotPermitted(_("Chỉ hệ thống mới thực hiện được thao tác này."))
    return _apply(Actor(user=None), dossier_id, step, now=now, system=True)


def _apply(actor: Actor, dossier_id: int, step: Step, *, now: dt.datetime | None, system: bool) -> DossierEvent:
    now = now or timezone.now()
    note = step.note.strip()
    if step.action in NEEDS_NOTE and not note:
        raise ValidationFailed(_("Vui lòng ghi rõ nội dung, lý do."), code="note_required")
    with transaction.atomic():
        rows = Dossier.objects.select_for_update().select_related("procedure", "org_unit")
        if not system:
            rows = rows.filter(pk__in=policy_for(Dossier).visible(actor).values("pk"))
        dossier = rows.filter(pk=dossier_id).first()
        if dossier is None:
            raise NotPermitted(_("Không tìm thấy hồ sơ hoặc bạn không có quyền xem hồ sơ này."), code="not_found")
        if step.expected_version is not None and step.expected_version != dossier.version:
            raise Conflict(
                _("Hồ sơ %(code)s vừa được người khác cập nhật; vui lòng tải lại trang.") % {"code": dossier.code},
                code="stale",
            )
        if not system:
            check_capacity(actor, dossier, step.as_kind)
        rule = rule_for(dossier.state, step.action)
        target = transition(dossier.state, step.action, actor_kind=step.as_kind)
        if step.as_kind == ActorKind.HANDLER:
            check_handler(actor, dossier, step.action)
        before = {
            "state": dossier.state,
            "due_at": _iso(dossier.due_at),
            "handler_id": dossier.handler_id,
        }
        to_user = None
        data = dict(step.data)

        if step.action in (A.ASSIGN, A.HAND_OVER):
            if step.to_user_id is None:
                raise ValidationFailed(_("Vui lòng chọn người xử lý."), code="handler_required")
            to_user = _staff_in_unit(dossier, step.to_user_id)
            dossier.handler = to_user
        elif step.action == A.START_PROCESSING and dossier.handler_id not in (None, actor.user.pk):
            raise NotPermitted(_("Hồ sơ đã được giao cho người khác xử lý."), code="not_your_dossier")
        elif step.action == A.START_PROCESSING:
            dossier.handler = actor.user
        if step.action == A.RECEIVE:
            dossier.received_at = now
            dossier.received_by = actor.user
            procedure = procedure_of(dossier)
            if procedure.processing_days is not None:
                dossier.due_at = deadline_for(now, procedure.processing_days, work_calendar())
            # Mẫu 01 prints what was received and promised at this moment.
            data["due_at"] = _iso(dossier.due_at)
            data["processing_days"] = procedure.processing_days
        if step.action in (A.REQUEST_SUPPLEMENT, A.REQUEST_COMPLETION):
            dossier.supplement_requests += 1
        if step.action == A.SUBMIT_SUPPLEMENT and dossier.state == S.SUPPLEMENT_REQUESTED and dossier.due_at:
            # The clock was paused: the appointment moves by the working days spent waiting (notes §3.4).
            paused_since = (
                dossier.events.filter(action=A.REQUEST_SUPPLEMENT).order_by("-at", "-id").values_list("at", flat=True)
            ).first()
            if paused_since is not None:
                data["old_due_at"] = _iso(dossier.due_at)
                dossier.due_at = shift_for_pause(dossier.due_at, paused_since, now, work_calendar())
                data["new_due_at"] = _iso(dossier.due_at)
        if step.action == A.APOLOGISE_AND_EXTEND:
            new_due_at = _aware(step.new_due_at) if step.new_due_at is not None else None
            if new_due_at is None or new_due_at <= now or (dossier.due_at is not None and new_due_at <= dossier.due_at):
                raise ValidationFailed(_("Ngày hẹn trả mới phải sau ngày hẹn hiện tại."), code="bad_new_date")
            data["old_due_at"] = _iso(dossier.due_at)
            data["new_due_at"] = _iso(new_due_at)
            dossier.due_at = new_due_at
        if step.action in PROCESSING_ENDS and dossier.processed_at is None:
            dossier.processed_at = now
        if step.action == A.ISSUE_RESULT:
            dossier.result_issued_at = now

        event = DossierEvent.objects.create(
            dossier=dossier,
            action=step.action,
            from_state=dossier.state,
            to_state=target,
            actor=actor.user if actor.is_authenticated else None,
            actor_kind=step.as_kind,
            to_user=to_user,
            at=now,
            note=note,
            form_number=next((f for f in rule.forms if f in APPLICANT_FORMS), ""),
            data=data,
            step_outcome=_outcome(dossier, now),
        )
        dossier.state = target
        dossier.version += 1
        dossier.save()
        audit.record(
            actor=actor.user,
            action=f"dossier.{step.action}",
            obj=dossier,
            org_unit=dossier.org_unit,
            before=before,
            after={
                "state": dossier.state,
                "due_at": _iso(dossier.due_at),
                "handler_id": dossier.handler_id,
            },
            reason=note[:500],
        )
        _queue_notices(dossier, event)
    return event


_MESSAGES = {
    A.RECEIVE: gettext_lazy("Hồ sơ %(code)s đã được tiếp nhận; hẹn trả kết quả %(due)s."),
    A.REQUEST_COMPLETION: gettext_lazy("Hồ sơ %(code)s cần bổ sung, hoàn thiện: %(note)s"),
    A.REFUSE: gettext_lazy("Hồ sơ %(code)s bị từ chối tiếp nhận: %(note)s"),
    A.REQUEST_SUPPLEMENT: gettext_lazy("Hồ sơ %(code)s cần bổ sung: %(note)s"),
    A.APOLOGISE_AND_EXTEND: gettext_lazy("Hồ sơ %(code)s chậm trả kết quả, xin lỗi ông/bà; hẹn lại %(due)s. %(note)s"),
    A.STOP: gettext_lazy("Hồ sơ %(code)s bị dừng giải quyết: %(note)s"),
    A.APPROVE: gettext_lazy("Hồ sơ %(code)s đã được giải quyết xong."),
    A.ISSUE_RESULT: gettext_lazy(
        "Kết quả giải quyết hồ sơ %(code)s đã được trả; ông/bà có thể tải kết quả và đánh giá."
    ),
}


def _queue_notices(dossier: Dossier, event: DossierEvent) -> None:
    """The step's notices: the applicant's copy is written in the step's transaction and sent once it commits
    (``notifications.queue_for_applicant``: it exists if and only if the step does, a refused message is marked not
    delivered); the staff member a dossier is handed to is e-mailed after the commit."""
    due = timezone.localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y") if dossier.due_at else "—"
    if event.action in (A.ASSIGN, A.HAND_OVER):
        subject = _("Hồ sơ %(code)s được chuyển đến anh/chị xử lý") % {"code": dossier.code}
        body = _("Hồ sơ %(code)s (%(procedure)s) được chuyển đến anh/chị xử lý; hạn trả kết quả %(due)s. %(note)s") % {
            "code": dossier.code,
            "procedure": dossier.procedure.name,
            "due": due,
            "note": event.note,
        }
        to_user = event.to_user
        transaction.on_commit(lambda: notifications.notify_staff(to_user, subject, body))
    template = _MESSAGES.get(DossierAction(event.action)) if event.action else None
    if template is None:
        return
    body = str(template) % {"code": dossier.code, "due": due, "note": event.note}
    notifications.queue_for_applicant(dossier, _("Hồ sơ %(code)s") % {"code": dossier.code}, body)
