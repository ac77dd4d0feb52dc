"""Reads of the one-stop desk, the handlers and the leaders: queues, one dossier with its timeline, the register.

Every queue starts from ``policy_for(Dossier).visible(actor)`` and keeps only the dossiers of the units where the
actor holds the queue's capability (``dossier.receive`` for the desk, ``dossier.handle`` for handlers,
``dossier.approve`` for leaders): a citizen who is also staff never finds their own dossier in a staff queue
through the applicant rule, and a handler of another unit sees nothing.

Due badges follow the working calendar: "quá hạn" once the appointment has passed while the clock runs, "sắp đến
hạn" when it falls today or on the next working day (the same window as the overdue warnings, ``tasks``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.api import ROLE_CAPABILITIES, Actor, DomainError, RoleAssignment, paths_q, policy_for
from edudx.core.rules import mask_personal_id

from ..catalogue import ComponentForm
from ..forms_schema import definition_from_data
from ..models import Dossier, DossierEvent, DossierFile, FileRole
from ..states import CLOCK_PAUSED_STATES, CLOCK_RUNNING_STATES, ActorKind, DossierAction, DossierState
from ..timeliness import Assessment, DossierHistory, Extension, SupplementRequest, assess
from ..workdays import VIETNAM_TIMEZONE, WorkCalendar, next_working_day
from .calendar import work_calendar
from .citizen import answer_text

S = DossierState
A = DossierAction

DESK_STATES = (S.SUBMITTED, S.NEEDS_COMPLETION, S.RECEIVED, S.APPROVED)
HANDLER_STATES = (S.ASSIGNED, S.PROCESSING, S.SUPPLEMENT_REQUESTED)
APPROVAL_STATES = (S.AWAITING_APPROVAL,)
QUEUE_CAPABILITY = {"desk": "dossier.receive", "handler": "dossier.handle", "approval": "dossier.approve"}


class DueStatus:
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    PAUSED = "paused"
    ON_TRACK = "on_track"
    NONE = ""


@dataclass(frozen=True)
class QueueFilters:
    state: str = ""
    procedure: str = ""  # ProcedureVersion.key
    channel: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str = ""


def staff_dossiers(actor: Actor, capability: str = "dossier.view") -> QuerySet[Dossier]:
    """Dossiers of the units where ``actor`` holds ``capability`` (and may see them), with the list joins."""
    visible = policy_for(Dossier).visible(actor)
    return (
        visible.filter(paths_q("org_unit__path", actor.subtree_paths(capability)))
        .select_related("procedure", "org_unit", "handler")
        .order_by("due_at", "submitted_at", "id")
    )


def _filtered(rows: QuerySet[Dossier], filters: QueueFilters | None) -> QuerySet[Dossier]:
    if filters is None:
        return rows
    if filters.state:
        rows = rows.filter(state=filters.state)
    if filters.procedure:
        rows = rows.filter(procedure__key=filters.procedure)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    if filters.date_from:
        rows = rows.filter(submitted_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        rows = rows.filter(submitted_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    term = filters.search.strip()
    if term:
        rows = rows.filter(Q(code__icontains=term) | Q(applicant_name__icontains=term))
    return rows


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=VIETNAM_TIMEZONE)


def desk_queue(actor: Actor, filters: QueueFilters | None = None) -> QuerySet[Dossier]:
    """The desk's work: dossiers to check and receive, received ones to assign, approved ones to hand back."""
    rows = staff_dossiers(actor, "dossier.receive").filter(state__in=DESK_STATES)
    return _filtered(rows, filters)


def handler_queue(actor: Actor, filters: QueueFilters | None = None) -> QuerySet[Dossier]:
    """Dossiers being handled: the actor's own; for a leader, every one of their units."""
    rows = staff_dossiers(actor, "dossier.handle").filter(state__in=HANDLER_STATES)
    leader_units = paths_q("org_unit__path", actor.subtree_paths("dossier.approve"))
    rows = rows.filter(Q(handler_id=actor.user.pk) | leader_units)
    return _filtered(rows, filters)


def approval_queue(actor: Actor, filters: QueueFilters | None = None) -> QuerySet[Dossier]:
    rows = staff_dossiers(actor, "dossier.approve").filter(state__in=APPROVAL_STATES)
    return _filtered(rows, filters)


QUEUES = {"desk": desk_queue, "handler": handler_queue, "approval": approval_queue}


def dossier_for_staff(actor: Actor, pk: int) -> Dossier | None:
    """One dossier for the staff pages (``None`` when missing or outside the actor's units)."""
    return (
        staff_dossiers(actor)
        .select_related("received_by", "student")
        .prefetch_related(
            Prefetch("events", queryset=DossierEvent.objects.select_related("actor", "to_user").order_by("at", "id")),
            Prefetch("files", queryset=DossierFile.objects.defer("content").order_by("role", "id")),
        )
        .filter(pk=pk)
        .first()
    )


def is_staff_of(actor: Actor, dossier: Dossier) -> bool:
    return actor.can_in("dossier.view", dossier.org_unit)


# ---------------------------------------------------------------------------------------------------------------
# Due badges and counts


def due_status(dossier: Dossier, now: dt.datetime, calendar: WorkCalendar) -> str:
    if dossier.state in CLOCK_PAUSED_STATES:
        return DueStatus.PAUSED
    if dossier.state not in CLOCK_RUNNING_STATES or dossier.due_at is None:
        return DueStatus.NONE
    if dossier.due_at < now:
        return DueStatus.OVERDUE
    today = now.astimezone(calendar.timezone).date()
    if dossier.due_at.astimezone(calendar.timezone).date() <= next_working_day(today, calendar):
        return DueStatus.DUE_SOON
    return DueStatus.ON_TRACK


def warning_horizon(now: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
    """Due before this moment means "quá hạn hoặc sắp đến hạn": closing time of the next working day."""
    today = now.astimezone(calendar.timezone).date()
    day = next_working_day(today, calendar)
    return dt.datetime.combine(day, calendar.closing, tzinfo=calendar.timezone)


def due_soon_or_overdue(rows: QuerySet[Dossier], now: dt.datetime, calendar: WorkCalendar) -> QuerySet[Dossier]:
    return rows.filter(state__in=CLOCK_RUNNING_STATES, due_at__isnull=False, due_at__lte=warning_horizon(now, calendar))


@dataclass(frozen=True)
class DueCounts:
    overdue: int
    due_soon: int

    @property
    def any(self) -> bool:
        return bool(self.overdue or self.due_soon)


def due_counts(actor: Actor, now: dt.datetime | None = None) -> DueCounts:
    """Banner counts of the staff pages: the actor's handler queue and, for leaders, their approval queue."""
    now = now or timezone.now()
    calendar = work_calendar()
    rows = staff_dossiers(actor, "dossier.view").filter(
        Q(handler_id=actor.user.pk) | paths_q("org_unit__path", actor.subtree_paths("dossier.approve"))
    )
    hot: list[dt.datetime] = [
        due for due in due_soon_or_overdue(rows, now, calendar).values_list("due_at", flat=True) if due
    ]
    overdue = len([due for due in hot if due < now])
    return DueCounts(overdue=overdue, due_soon=len(hot) - overdue)


# ---------------------------------------------------------------------------------------------------------------
# One dossier: who may act, the form's content, the control sheet


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def staff_with(capability: str, dossier: Dossier, on: dt.date | None = None) -> QuerySet[Any]:
    """Active users holding ``capability`` over the dossier's unit (a role on the unit or above it)."""
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if capability in caps]
    assignments = RoleAssignment.objects.active_on(on or timezone.localdate()).filter(
        role__in=roles, org_unit__path__in=_ancestor_paths(dossier.org_unit.path), org_unit__valid_to__isnull=True
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=assignments.values("user_id"))
        .order_by("full_name", "username")
    )


def capacities(actor: Actor, dossier: Dossier) -> list[ActorKind]:
    """The staff capacities ``actor`` holds on the dossier (the state machine's actor kinds)."""
    from ..services.workflow import KIND_CAPABILITY

    return [kind for kind, capability in KIND_CAPABILITY.items() if actor.can_in(capability, dossier.org_unit)]


@dataclass(frozen=True)
class FormRow:
    label: str
    value: str


def form_rows(dossier: Dossier) -> list[FormRow]:
    """The application form as label/value lines, every field of the form (an unanswered one empty), shown as the
    applicant sees them (``citizen.answer_text``: personal ID numbers masked, dates dd/mm/yyyy, choices by label)."""
    data = dossier.form_data or {}
    definition_data = (dossier.procedure.data or {}).get("application_form")
    rows: list[FormRow] = []
    seen: set[str] = set()
    if definition_data:
        try:
            definition = definition_from_data(definition_data)
        except DomainError:
            definition = None
        if definition is not None:
            for form_field in definition.fields:
                if form_field.key not in data:
                    continue
                seen.add(form_field.key)
                rows.append(FormRow(form_field.label, answer_text(form_field, data[form_field.key])))
    for key, value in data.items():
        if key not in seen:
            shown = mask_personal_id(str(value)) if "personal_id" in key else str(value)
            rows.append(FormRow(key, shown))
    return rows


@dataclass(frozen=True)
class ComponentLine:
    """A component of the procedure and what was received for it (Mẫu 01's list)."""

    name: str
    form_label: str
    count: int
    files: int
    reused: bool
    digitised: bool


def component_lines(dossier: Dossier, files: Iterable[DossierFile] | None = None) -> list[ComponentLine]:
    from ..services.workflow import procedure_of

    if files is None:
        files = dossier.files.defer("content").filter(role__in=[FileRole.COMPONENT, FileRole.SUPPLEMENT])
    by_name: dict[str, list[DossierFile]] = {}
    for row in files:
        if row.role in (FileRole.COMPONENT, FileRole.SUPPLEMENT) and not row.superseded:
            by_name.setdefault(row.component, []).append(row)
    lines = []
    for component in procedure_of(dossier).components:
        got = by_name.pop(component.name, [])
        lines.append(
            ComponentLine(
                name=component.name,
                form_label=str(ComponentForm(component.form).label),
                count=component.count,
                files=len(got),
                reused=any(f.reused for f in got),
                digitised=any(f.digitised for f in got),
            )
        )
    for name, got in by_name.items():  # files under a name the catalogue version does not list
        lines.append(ComponentLine(name or _("Tài liệu khác"), "", len(got), len(got), False, False))
    return lines


@dataclass(frozen=True)
class ControlLine:
    """One line of the control sheet (Mẫu 06): who gave, who received, when, and the result against the due day."""

    step: str
    giver: str
    receiver: str
    at: dt.datetime
    outcome: str
    note: str


_RECEIVER_KIND = {
    A.RECEIVE: ActorKind.DESK,
    A.SUBMIT_FOR_APPROVAL: ActorKind.LEADER,
    A.RETURN_FOR_REWORK: ActorKind.HANDLER,
    A.APPROVE: ActorKind.DESK,
    A.ISSUE_RESULT: ActorKind.CITIZEN,
    A.REQUEST_SUPPLEMENT: ActorKind.CITIZEN,
    A.SUBMIT_SUPPLEMENT: ActorKind.HANDLER,
}


def _person(user: Any, kind: str) -> str:
    label = str(ActorKind(kind).label) if kind in ActorKind.values else kind
    if user is None:
        return label
    return f"{user.get_full_name()} ({label})"


def control_lines(dossier: Dossier, events: Iterable[DossierEvent] | None = None) -> list[ControlLine]:
    from ..timeliness import Punctuality

    events = list(events if events is not None else dossier.events.select_related("actor", "to_user"))
    lines = []
    for event in events:
        if not event.action:
            step = _("Nộp hồ sơ")
        else:
            step = str(DossierAction(event.action).label)
        if event.to_user is not None:
            receiver = _person(event.to_user, ActorKind.HANDLER)
        elif event.action in _RECEIVER_KIND:
            receiver = str(_RECEIVER_KIND[DossierAction(event.action)].label)
        else:
            receiver = ""
        outcome = str(Punctuality(event.step_outcome).label) if event.step_outcome in Punctuality.values else ""
        lines.append(ControlLine(step, _person(event.actor, event.actor_kind), receiver, event.at, outcome, event.note))
    return lines


# ---------------------------------------------------------------------------------------------------------------
# The register (Mẫu 07) and the on-time assessment of one dossier


def history_of(dossier: Dossier, events: Iterable[DossierEvent] | None = None) -> DossierHistory | None:
    """The facts ``timeliness.assess`` needs, from the dossier's events; ``None`` before receipt."""
    from ..services.workflow import procedure_of

    if dossier.received_at is None:
        return None
    events = sorted(events if events is not None else dossier.events.all(), key=lambda e: (e.at, e.pk))
    supplements: list[SupplementRequest] = []
    extensions: list[Extension] = []
    appointment: dt.datetime | None = None
    for event in events:
        if event.action in (A.REQUEST_SUPPLEMENT, A.REQUEST_COMPLETION):
            supplements.append(SupplementRequest(event.at))
        elif event.action == A.SUBMIT_SUPPLEMENT and supplements and supplements[-1].answered_at is None:
            supplements[-1] = SupplementRequest(supplements[-1].requested_at, event.at)
        elif event.action == A.RECEIVE and (event.data or {}).get("due_at"):
            appointment = dt.datetime.fromisoformat(event.data["due_at"])
        elif event.action == A.APOLOGISE_AND_EXTEND and (event.data or {}).get("new_due_at"):
            extensions.append(Extension(event.at, dt.datetime.fromisoformat(event.data["new_due_at"])))
    # A request to complete the dossier answered by the receipt itself (a counter dossier) closes at the receipt.
    supplements = [
        SupplementRequest(s.requested_at, dossier.received_at)
        if s.answered_at is None and s.requested_at < dossier.received_at
        else s
        for s in supplements
    ]
    return DossierHistory(
        received_at=dossier.received_at,
        processing_days=procedure_of(dossier).processing_days,
        appointment_at=appointment,
        supplements=tuple(supplements),
        extensions=tuple(extensions),
        finished_at=dossier.processed_at,
    )


def assessment_of(
    dossier: Dossier, *, as_of: dt.datetime, calendar: WorkCalendar, events: Iterable[DossierEvent] | None = None
) -> Assessment | None:
    history = history_of(dossier, events)
    if history is None or (history.processing_days is None and history.appointment_at is None):
        return None
    try:
        return assess(history, calendar=calendar, as_of=max(as_of, history.received_at))
    except (DomainError, ValueError):
        return None  # an inconsistent history typed at the counter: shown as "—", not a crash of the register


@dataclass(frozen=True)
class RegisterFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    procedure: str = ""
    state: str = ""


@dataclass
class RegisterRow:
    number: int
    dossier: Dossier
    assessment: Assessment | None

    @property
    def outcome(self) -> str:
        if self.assessment is None:
            return ""
        label = str(self.assessment.punctuality.label)
        if not self.assessment.finished:
            return _("%(label)s (đang giải quyết)") % {"label": label}
        return label


def register_queryset(actor: Actor, filters: RegisterFilters | None = None) -> QuerySet[Dossier]:
    """Every dossier of the actor's units, oldest first (the register's order); the period is the submission day."""
    rows = (
        staff_dossiers(actor, "dossier.view")
        .select_related("handler")
        .prefetch_related(Prefetch("events", queryset=DossierEvent.objects.order_by("at", "id")))
        .order_by("submitted_at", "id")
    )
    if filters is not None:
        rows = _filtered(
            rows,
            QueueFilters(
                state=filters.state,
                procedure=filters.procedure,
                date_from=filters.date_from,
                date_to=filters.date_to,
            ),
        )
    return rows


def register_rows(
    actor: Actor, filters: RegisterFilters | None = None, *, now: dt.datetime | None = None
) -> list[RegisterRow]:
    """Lines of the register (Mẫu 07) with the on-time outcome of each (``timeliness.assess`` at ``now``)."""
    now = now or timezone.now()
    calendar = work_calendar()
    out = []
    for number, dossier in enumerate(register_queryset(actor, filters), start=1):
        events = list(dossier.events.all())
        out.append(RegisterRow(number, dossier, assessment_of(dossier, as_of=now, calendar=calendar, events=events)))
    return out


def end_at(dossier: Dossier) -> dt.datetime | None:
    """The end date of the register: processing finished, or the result issued."""
    return dossier.processed_at or dossier.result_issued_at


def terminal_or_state_label(dossier: Dossier) -> str:
    return str(S(dossier.state).label)
