"""Who may see and change gradebook rows: the school subtree from core plus the teaching relationships.

- A subject teacher sees and enters the sheets of the (class, subject, semester) they are assigned to; a homeroom
  teacher sees every sheet of their class and enters its homeroom sheet.
- Guardians and students see only their own child's / their own cells, results and transcripts.
- The authority sees no individual score: its capability is ``gradestats.view`` (aggregates only).
"""

from __future__ import annotations

from django.db.models import F, Q

from edudx.core.api import Actor, Policy, Role, register
from edudx.registry.api import class_related_q, student_related_q

from .models import (
    ClassSemesterLock,
    GradeSubject,
    LockEvent,
    RuleSetVersion,
    ScoreCell,
    ScoreSheet,
    SheetKind,
    SubjectResult,
    Transcript,
    TranscriptSignature,
    YearResult,
)

NOTHING = Q(pk__in=[])


def sheet_q(prefix: str, actor: Actor, role: str, *, entering: bool) -> Q:
    """Sheets related to the actor; ``prefix`` leads from the row to a ``ScoreSheet``."""
    person = actor.person_id
    if person is None or role not in (Role.HOMEROOM_TEACHER, Role.SUBJECT_TEACHER):
        return NOTHING
    teaches = Q(
        **{
            f"{prefix}kind": SheetKind.SUBJECT,
            f"{prefix}school_class__teaching_assignments__staff__person_id": person,
            f"{prefix}school_class__teaching_assignments__subject": F(f"{prefix}subject"),
            f"{prefix}school_class__teaching_assignments__semester__in": [0, F(f"{prefix}semester")],
        }
    )
    homeroom = Q(**{f"{prefix}school_class__homeroom_teacher__person_id": person})
    if entering:
        return teaches | (homeroom & Q(**{f"{prefix}kind": SheetKind.HOMEROOM}))
    return teaches | homeroom


@register
class ScoreSheetPolicy(Policy[ScoreSheet]):
    model = ScoreSheet
    area = "grade"
    path_lookup = "school_class__school__path"

    def related_q(self, actor: Actor, capability: str, role: str) -> Q:
        return sheet_q("", actor, role, entering=capability == "grade.enter")


@register
class ScoreCellPolicy(Policy[ScoreCell]):
    model = ScoreCell
    area = "grade"
    path_lookup = "sheet__school_class__school__path"

    def related_q(self, actor: Actor, capability: str, role: str) -> Q:
        if role in (Role.GUARDIAN, Role.STUDENT):
            return student_related_q("student__", actor, role) if capability == "grade.view" else NOTHING
        return sheet_q("sheet__", actor, role, entering=capability == "grade.enter")


class _ResultPolicy(Policy):  # type: ignore[type-arg]
    area = "grade"
    path_lookup = "school_class__school__path"

    def related_q(self, actor: Actor, capability: str, role: str) -> Q:
        if capability != "grade.view":
            return NOTHING
        if role in (Role.GUARDIAN, Role.STUDENT):
            return student_related_q("student__", actor, role)
        return class_related_q("school_class__", actor, role)


@register
class SubjectResultPolicy(_ResultPolicy):
    model = SubjectResult


@register
class YearResultPolicy(_ResultPolicy):
    model = YearResult


@register
class ClassSemesterLockPolicy(Policy[ClassSemesterLock]):
    model = ClassSemesterLock
    area = "grade"
    path_lookup = "school_class__school__path"

    def related_q(self, actor: Actor, capability: str, role: str) -> Q:
        if capability != "grade.view" or role in (Role.GUARDIAN, Role.STUDENT):
            return NOTHING
        return class_related_q("school_class__", actor, role)


@register
class LockEventPolicy(Policy[LockEvent]):
    model = LockEvent
    area = "grade"
    path_lookup = "lock__school_class__school__path"

    def related_q(self, actor: Actor, capability: str, role: str) -> Q:
        if capability != "grade.view" or role in (Role.GUARDIAN, Role.STUDENT):
            return NOTHING
        return class_related_q("lock__school_class__", actor, role)


@register
class TranscriptPolicy(Policy[Transcript]):
    """Transcripts: the school's leaders and clerks; the homeroom teacher of the class; the child's family."""

    model = Transcript
    area = "transcript"
    path_lookup = "school__path"

    def related_q(self, actor: Actor, capability: str, role: str) -> Q:
        person = actor.person_id
        if person is None:
            return NOTHING
        if role == Role.HOMEROOM_TEACHER:
            return Q(school_class__homeroom_teacher__person_id=person)
        if role in (Role.GUARDIAN, Role.STUDENT) and capability == "transcript.view":
            return student_related_q("student__", actor, role)
        return NOTHING


@register
class TranscriptSignaturePolicy(Policy[TranscriptSignature]):
    model = TranscriptSignature
    area = "transcript"
    path_lookup = "transcript__school__path"

    def related_q(self, actor: Actor, capability: str, role: str) -> Q:
        return Q(transcript__in=TranscriptPolicy().visible(actor, capability.split(".", 1)[1]))


class _ReferencePolicy(Policy):  # type: ignore[type-arg]
    """Sector-wide reference data: readable by anyone with a role; changed by holders of ``ruleset.manage``."""

    area = "ruleset"
    path_lookup = ""

    def filter_q(self, actor: Actor, capability: str) -> Q:
        if capability == "ruleset.view":
            return Q() if actor.grants else NOTHING
        return Q() if actor.subtree_paths("ruleset.manage") else NOTHING


@register
class RuleSetVersionPolicy(_ReferencePolicy):
    model = RuleSetVersion


@register
class GradeSubjectPolicy(_ReferencePolicy):
    model = GradeSubject
