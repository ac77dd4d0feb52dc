"""Reads for results, the public check and the counter: every row through the procedures' and registry's policies.

- ``result_get`` finds the issued result of a dossier by its code for an actor who may see the dossier (its
  applicant, the staff of the receiving unit's subtree); anyone else gets ``None``, like for a missing code.
- ``result_by_token`` is the public check's look-up (no log-in): the token printed on the result is the key.
- ``counter_units``, ``counter_procedures`` and ``unit_students`` feed the counter intake page; ``student_prefill``
  fills a form from a pupil the desk chose in the unit's registry (the once-only principle at the counter).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from edudx.core.api import Actor, OrgUnit, policy_for
from edudx.core.crypto import decrypt
from edudx.core.rules import fold_vietnamese, mask_personal_id
from edudx.registry.api import ClassMembership, Student

from ..models import Dossier, DossierFile, FileRole, ProcedureVersion, ServiceDesk
from ..prefill import Prefill
from . import catalogue

__all__ = [
    "counter_procedures",
    "counter_units",
    "dossier_for_staff",
    "result_by_token",
    "result_file_of",
    "result_get",
    "student_prefill",
    "unit_students",
]

STUDENT_SEARCH_LIMIT = 20


def result_file_of(dossier: Dossier) -> DossierFile | None:
    """The dossier's current result file (the newest not superseded), or ``None`` before it is issued."""
    return (
        DossierFile.objects.filter(dossier=dossier, role=FileRole.RESULT, superseded=False)
        .order_by("-uploaded_at", "-id")
        .first()
    )


def result_get(*, actor: Actor, code: str) -> DossierFile | None:
    """The result of dossier ``code`` if the actor may see it (``DossierFilePolicy``), else ``None``."""
    rows = policy_for(DossierFile).visible(actor).filter(role=FileRole.RESULT, superseded=False, dossier__code=code)
    return rows.select_related("dossier").order_by("-uploaded_at", "-id").first()


def result_by_token(token: str) -> DossierFile | None:
    """The result printed with ``token`` (public: the token is unguessable and shown on the paper only)."""
    if not token:
        return None
    return (
        DossierFile.objects.filter(verify_token=token, role=FileRole.RESULT)
        .select_related("dossier__procedure", "dossier__org_unit")
        .first()
    )


def dossier_for_staff(*, actor: Actor, dossier_id: int) -> Dossier | None:
    """A dossier the actor may see, with what the result and digitising pages show."""
    return (
        policy_for(Dossier)
        .visible(actor)
        .select_related("procedure", "org_unit", "student__person")
        .filter(pk=dossier_id)
        .first()
    )


def counter_units(*, actor: Actor, day: dt.date | None = None) -> list[OrgUnit]:
    """Units whose one-stop desk the actor works at (``dossier.receive``) and that have an identifier on ``day``."""
    day = day or timezone.localdate()
    units = actor.units_with("dossier.receive").filter(valid_to__isnull=True)
    open_desks = ServiceDesk.objects.filter(valid_from__lte=day).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
    return list(units.filter(pk__in=open_desks.values("org_unit_id")).order_by("name"))


def counter_procedures(day: dt.date | None = None) -> QuerySet[ProcedureVersion]:
    """The procedures offered on ``day`` (the version in force of each)."""
    return catalogue.current_versions(day or timezone.localdate())


def unit_students(*, actor: Actor, unit: OrgUnit, query: str, limit: int = STUDENT_SEARCH_LIMIT) -> list[Student]:
    """Pupils of the schools under ``unit`` the actor may see, by mã học sinh or name (diacritics ignored)."""
    text = (query or "").strip()
    if len(text) < 2:
        return []
    rows = policy_for(Student).visible(actor).filter(school__path__startswith=unit.path)
    folded = fold_vietnamese(text)
    rows = rows.filter(Q(moet_code=text) | Q(person__search_name__contains=folded))
    return list(rows.select_related("person", "school").order_by("person__search_name", "pk")[:limit])


def student_prefill(*, actor: Actor, unit: OrgUnit, student_id: int) -> tuple[Student, Prefill] | None:
    """The ``student.*`` prefill sources of a pupil of the unit's registry, or ``None`` if not visible.

    At the counter the applicant is whoever stands at the desk, so only the pupil's data is filled; the
    applicant's own fields are typed. The personal ID number is stored in full (the form checks it) and shown masked.
    """
    student = (
        policy_for(Student)
        .visible(actor)
        .filter(school__path__startswith=unit.path, pk=student_id)
        .select_related("person", "school")
        .first()
    )
    if student is None:
        return None
    prefill = Prefill()
    person = student.person

    def put(key: str, value: object, shown: str | None = None) -> None:
        if value not in (None, ""):
            prefill.values[key] = value
            prefill.display[key] = shown if shown is not None else str(value)

    put("student.moet_code", student.moet_code, f"{person.full_name} ({student.moet_code})")
    put("student.full_name", person.full_name)
    born = person.date_of_birth
    put("student.date_of_birth", born, born.strftime("%d/%m/%Y") if born else "")
    put("student.sex", person.get_sex_display() if person.sex else "")
    # The full number is read only by staff allowed to reveal it; others leave it for the applicant to state.
    if person.personal_id_encrypted and actor.can_in("student.reveal", student.school):
        personal_id = decrypt(person.personal_id_encrypted)
        put("student.personal_id_number", personal_id, mask_personal_id(personal_id))
    put("student.current_school", student.school.name)
    membership = (
        policy_for(ClassMembership)
        .visible(actor, queryset=ClassMembership.objects.filter(student=student, left_on__isnull=True))
        .select_related("school_class__grade", "school_class__year")
        .order_by("-school_class__year__starts_on")
        .first()
    )
    if membership is not None:
        klass = membership.school_class
        put("student.current_grade", klass.grade.code, klass.grade.name)
        put("student.current_class", klass.name)
    return student, prefill
