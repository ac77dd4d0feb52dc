"""Reads for applicants: the units that receive dossiers, one's own dossiers, a dossier's tracking data, and the
public look-up by code and phone number (for counter applicants without an account).

Rows come through ``policy_for(...).visible(actor)`` and are then narrowed to the actor's *own* dossiers: a staff
member using the citizen pages sees the dossiers they submitted, not their unit's (those are on the desk pages).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from edudx.core.api import Actor, OrgUnit, policy_for
from edudx.core.rules import mask_personal_id

from ..forms_schema import FieldType, FormDefinition, FormField, normalise_phone
from ..models import Dossier, DossierEvent, DossierFile, DossierNotification, FileRole, ProcedureVersion, ServiceDesk
from ..states import DossierAction, DossierState


def open_desks_q(day: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": day})
    )


def receiving_units(*, day: dt.date | None = None) -> QuerySet[OrgUnit]:
    """Units with a one-stop desk open on ``day`` (public information: where one may submit)."""
    day = day or timezone.localdate()
    desks = ServiceDesk.objects.filter(open_desks_q(day))
    return OrgUnit.objects.filter(pk__in=desks.values("org_unit_id"), valid_to__isnull=True).order_by("name")


def receiving_unit_for_school(school: OrgUnit, *, day: dt.date | None = None) -> OrgUnit | None:
    """The nearest unit above ``school`` with an open desk: where a procedure about its pupil is submitted."""
    ancestor_ids = [int(part) for part in school.path.strip("/").split("/") if part and int(part) != school.pk]
    if not ancestor_ids:
        return None
    units = {u.pk: u for u in receiving_units(day=day).filter(pk__in=ancestor_ids)}
    for unit_id in reversed(ancestor_ids):  # nearest first
        if unit_id in units:
            return units[unit_id]
    return None


def procedure_in_force(key: str, *, day: dt.date | None = None) -> ProcedureVersion | None:
    """The newest version of procedure ``key`` in force on ``day`` (the catalogue is public)."""
    day = day or timezone.localdate()
    return (
        ProcedureVersion.objects.filter(key=key, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-version")
        .first()
    )


def my_dossier_list(*, actor: Actor, q: str = "", state: str = "") -> QuerySet[Dossier]:
    """The actor's own dossiers, newest first; ``q`` searches the code (or the procedure name)."""
    if not actor.is_authenticated:
        return Dossier.objects.none()
    qs = policy_for(Dossier).visible(actor).filter(applicant_id=actor.user.pk)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(procedure__name__icontains=q))
    if state:
        qs = qs.filter(state=state)
    return qs.select_related("procedure", "org_unit").order_by("-submitted_at", "-pk")


def my_dossier_get(*, actor: Actor, code: str) -> Dossier | None:
    """One of the actor's own dossiers by code; None for a missing code and for anyone else's dossier alike."""
    return my_dossier_list(actor=actor).filter(code=code).first()


def dossier_events(*, actor: Actor, dossier: Dossier) -> QuerySet[DossierEvent]:
    return policy_for(DossierEvent).visible(actor).filter(dossier=dossier).select_related("actor").order_by("at", "pk")


def dossier_files(*, actor: Actor, dossier: Dossier) -> QuerySet[DossierFile]:
    return (
        policy_for(DossierFile)
        .visible(actor)
        .filter(dossier=dossier)
        .defer("content")
        .order_by("role", "component", "pk")
    )


def dossier_notifications(*, actor: Actor, dossier: Dossier) -> QuerySet[DossierNotification]:
    return policy_for(DossierNotification).visible(actor).filter(dossier=dossier).order_by("sent_at", "pk")


def dossier_file_get(*, actor: Actor, dossier: Dossier, file_id: int) -> DossierFile | None:
    return policy_for(DossierFile).visible(actor).filter(dossier=dossier, pk=file_id).first()


def result_files(*, actor: Actor, dossier: Dossier) -> list[DossierFile]:
    return list(dossier_files(actor=actor, dossier=dossier).filter(role=FileRole.RESULT, superseded=False))


def open_request(dossier: Dossier) -> DossierEvent | None:
    """The supplement (or completion) request the applicant has to answer now, if any."""
    if dossier.state not in (DossierState.SUPPLEMENT_REQUESTED, DossierState.NEEDS_COMPLETION):
        return None
    return (
        dossier.events.filter(action__in=[DossierAction.REQUEST_SUPPLEMENT, DossierAction.REQUEST_COMPLETION])
        .order_by("-at", "-pk")
        .first()
    )


def answer_text(f: FormField, value: Any) -> str:
    """One stored answer as a page shows it: a personal ID number masked, a date as dd/mm/yyyy, a choice by its
    label."""
    text = "" if value is None else str(value)
    if f.type == FieldType.PERSONAL_ID:
        return mask_personal_id(text)
    if f.type == FieldType.DATE and len(text) == 10 and text[4] == "-":
        return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"
    if f.type == FieldType.CHOICE:
        return next((str(c.label) for c in f.choices if c.value == text), text)
    return text


def form_answers(definition: FormDefinition | None, form_data: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) of a dossier's answered fields for display (``answer_text``)."""
    if definition is None:
        return [(key, str(value)) for key, value in form_data.items()]
    return [
        (f.label, answer_text(f, form_data[f.key])) for f in definition.fields if form_data.get(f.key) not in (None, "")
    ]


def masked_name(name: str) -> str:
    """ "Nguyễn Văn An" → "Nguyễn V. A.": enough to recognise one's own dossier, not to learn who submitted."""
    parts = name.split()
    if not parts:
        return ""
    return " ".join([parts[0], *(f"{p[0]}." for p in parts[1:])])


@dataclass(frozen=True)
class PublicStatus:
    """What the public look-up shows: no personal data beyond the masked name."""

    code: str
    procedure_name: str
    state: str
    state_label: str
    applicant: str
    submitted_at: dt.datetime
    due_at: dt.datetime | None
    result_issued_at: dt.datetime | None


def public_status(*, code: str, phone: str) -> PublicStatus | None:
    """The state of the dossier ``code`` if ``phone`` is the applicant's number; None otherwise (no hint which)."""
    code = (code or "").strip().upper()
    phone = normalise_phone(phone or "")
    if not code or len(phone) < 9:
        return None
    dossier = Dossier.objects.select_related("procedure").filter(code__iexact=code).first()
    if dossier is None or normalise_phone(dossier.applicant_phone) != phone:
        return None
    return PublicStatus(
        code=dossier.code,
        procedure_name=dossier.procedure.name,
        state=dossier.state,
        state_label=str(DossierState(dossier.state).label),
        applicant=masked_name(dossier.applicant_name),
        submitted_at=dossier.submitted_at,
        due_at=dossier.due_at,
        result_issued_at=dossier.result_issued_at,
    )
