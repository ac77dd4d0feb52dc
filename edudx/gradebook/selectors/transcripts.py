"""Reads of học bạ số: lists and rows filtered by ``TranscriptPolicy``, the public lookup by token, and the
per-school share of sealed transcripts (aggregates only, for the authority and the KPI).

Guardians and students see a transcript only once it is sealed (``family_q``): a draft is not yet a học bạ.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, QuerySet

from edudx.core.api import Actor, OrgUnit, OrgUnitKind, Role, paths_q, policy_for
from edudx.registry.api import ClassMembership, SchoolClass, SchoolYear, Student

from ..models import Transcript, TranscriptSignature, TranscriptStatus, YearResult

__all__ = [
    "ClassRow",
    "SchoolShare",
    "class_rows",
    "current_year",
    "family_q",
    "share_by_school",
    "transcript_by_token",
    "transcript_classes",
    "transcript_get",
    "transcript_list",
    "transcript_signatures",
    "transcript_versions",
]

STATUS_KEYS = [status.value for status in TranscriptStatus]


def family_q(actor: Actor) -> Q:
    """Rows the actor may see in every status: the school's staff (``transcript.view`` on the school) and the
    class's homeroom teacher; for anyone else (guardians, students) only sealed versions."""
    q = Q(status=TranscriptStatus.SEALED) | paths_q("school__path", actor.subtree_paths("transcript.view"))
    person = actor.person_id
    if person is not None and any(g.role == Role.HOMEROOM_TEACHER for g in actor.grants):
        q |= Q(school_class__homeroom_teacher__person_id=person)
    return q


def transcript_list(
    *,
    actor: Actor,
    school_class: SchoolClass | None = None,
    student: Student | None = None,
    status: str | None = None,
) -> QuerySet[Transcript]:
    """Transcripts the actor may see, newest version first, with what list pages show joined in."""
    qs = policy_for(Transcript).visible(actor, "view").filter(family_q(actor))
    if school_class is not None:
        qs = qs.filter(school_class=school_class)
    if student is not None:
        qs = qs.filter(student=student)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("student__person", "school_class__grade", "school", "year").order_by(
        "-year__starts_on", "school_class__name", "student__person__search_name", "-version"
    )


def transcript_get(*, actor: Actor, pk: int) -> Transcript | None:
    return transcript_list(actor=actor).select_related("school_class__homeroom_teacher").filter(pk=pk).first()


def transcript_by_token(token: str) -> Transcript | None:
    """The public lookup behind the verification page (no actor: anyone holding the code may verify)."""
    token = (token or "").strip()
    if not token or len(token) > 32:
        return None
    return (
        Transcript.objects.select_related("student__person", "school_class", "school", "year")
        .filter(token=token)
        .first()
    )


def transcript_signatures(transcript: Transcript) -> list[TranscriptSignature]:
    """The signatures of a transcript the caller has already been allowed to see."""
    return list(transcript.signatures.select_related("signed_by").order_by("signed_at", "id"))


def transcript_versions(*, actor: Actor, transcript: Transcript) -> list[Transcript]:
    return list(
        transcript_list(actor=actor)
        .filter(student_id=transcript.student_id, school_class_id=transcript.school_class_id)
        .order_by("-version")
    )


def transcript_classes(*, actor: Actor, year: SchoolYear | None = None) -> QuerySet[SchoolClass]:
    """Classes whose học bạ the actor handles (the school's staff: every class; a homeroom teacher: theirs),
    with the count of transcripts in each status."""
    q = paths_q("school__path", actor.subtree_paths("transcript.view"))
    person = actor.person_id
    for grant in actor.related_grants("transcript.view"):
        if grant.role == Role.HOMEROOM_TEACHER and person is not None:
            q |= Q(homeroom_teacher__person_id=person, school__path__startswith=grant.unit_path)
    qs = SchoolClass.objects.filter(q)
    if year is not None:
        qs = qs.filter(year=year)
    counts = {f"n_{key}": Count("transcripts", filter=Q(transcripts__status=key), distinct=True) for key in STATUS_KEYS}
    return (
        qs.select_related("school", "year", "grade", "homeroom_teacher__person")
        .annotate(**counts)
        .order_by("-year__starts_on", "school__name", "grade__order", "name")
    )


@dataclass
class ClassRow:
    student: Student
    has_result: bool
    latest: Transcript | None


def class_rows(*, actor: Actor, school_class: SchoolClass) -> list[ClassRow]:
    """One row per current student of the class: whether a year result exists and the latest visible version."""
    members = (
        ClassMembership.objects.filter(school_class=school_class, left_on__isnull=True)
        .select_related("student__person")
        .order_by("student__person__search_name")
    )
    with_result = set(YearResult.objects.filter(school_class=school_class).values_list("student_id", flat=True))
    latest: dict[int, Transcript] = {}
    for row in transcript_list(actor=actor, school_class=school_class).order_by("student_id", "-version"):
        latest.setdefault(row.student_id, row)
    return [ClassRow(m.student, m.student_id in with_result, latest.get(m.student_id)) for m in members]


def current_year() -> SchoolYear | None:
    return SchoolYear.objects.filter(is_current=True).order_by("-starts_on").first()


@dataclass(frozen=True)
class SchoolShare:
    school: OrgUnit
    sealed: int
    students: int

    @property
    def percent(self) -> Decimal | None:
        if not self.students:
            return None
        return (Decimal(100) * self.sealed / self.students).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _scope_paths(actor: Actor) -> list[str]:
    return sorted(set(actor.subtree_paths("gradestats.view")) | set(actor.subtree_paths("transcript.view")))


def share_by_school(*, actor: Actor, year: SchoolYear | None) -> list[SchoolShare]:
    """Per open school in the actor's scope (``gradestats.view`` or ``transcript.view``): students with a year
    result in ``year`` and, of them, students whose học bạ of that year is sealed (counts only, no scores)."""
    if year is None:
        return []
    schools = list(
        OrgUnit.objects.filter(
            paths_q("path", _scope_paths(actor)), kind=OrgUnitKind.SCHOOL, valid_to__isnull=True
        ).order_by("name")
    )
    ids = [s.pk for s in schools]
    students = dict(
        YearResult.objects.filter(school_class__year=year, school_class__school_id__in=ids)
        .values("school_class__school_id")
        .annotate(n=Count("student_id", distinct=True))
        .values_list("school_class__school_id", "n")
    )
    sealed = dict(
        Transcript.objects.filter(
            year=year,
            status=TranscriptStatus.SEALED,
            school_id__in=ids,
            student__year_results__school_class=F("school_class"),  # numerator within denominator
        )
        .values("school_id")
        .annotate(n=Count("student_id", distinct=True))
        .values_list("school_id", "n")
    )
    return [SchoolShare(s, sealed.get(s.pk, 0), students.get(s.pk, 0)) for s in schools]
