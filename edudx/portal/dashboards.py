"""What each role sees on its home page. Every number and row comes through the permission policies."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q

from edudx.core.api import Actor, OrgUnit, Role, SchoolLevel, policy_for
from edudx.registry.enums import InternetType, StudentStatus
from edudx.registry.models import (
    ClassMembership,
    GuardianLink,
    SchoolClass,
    SchoolInfrastructure,
    SchoolYear,
    StaffMember,
    Student,
)
from edudx.registry.selectors.schools import current_school_year, school_get, schools_visible

__all__ = [
    "SCHOOL_OFFICE_ROLES",
    "TEACHER_ROLES",
    "AuthorityDashboard",
    "ChildCard",
    "authority_dashboard",
    "children_cards",
    "school_dashboards",
    "student_cards",
    "teacher_classes",
]

SCHOOL_OFFICE_ROLES = frozenset({Role.PRINCIPAL, Role.VICE_PRINCIPAL, Role.CLERK})
TEACHER_ROLES = frozenset({Role.HOMEROOM_TEACHER, Role.SUBJECT_TEACHER})


@dataclass
class AuthorityDashboard:
    school_total: int
    schools_by_level: list[tuple[str, int]]
    students: int
    staff: int
    fibre_schools: int
    fibre_percent: Decimal


def authority_dashboard(actor: Actor) -> AuthorityDashboard:
    schools = schools_visible(actor).filter(valid_to__isnull=True)
    by_level = dict(schools.order_by().values_list("school_level").annotate(n=Count("pk")))
    labels = dict(SchoolLevel.choices)
    levels = [(str(labels[code]), by_level.get(code, 0)) for code in SchoolLevel.values]
    total = sum(by_level.values())
    students = policy_for(Student).visible(actor).filter(status=StudentStatus.STUDYING).count()
    staff = policy_for(StaffMember).visible(actor).filter(is_active=True).count()
    fibre = (
        policy_for(SchoolInfrastructure)
        .visible(actor)
        .filter(internet_type=InternetType.FIBER, school__in=schools.values("pk"))
        .count()
    )
    percent = (Decimal(100) * fibre / total).quantize(Decimal("0.1"), ROUND_HALF_UP) if total else Decimal(0)
    return AuthorityDashboard(total, levels, students, staff, fibre, percent)


def school_dashboards(actor: Actor) -> list[OrgUnit]:
    """The schools where the actor is principal, vice principal or clerk, with counts of this year."""
    unit_ids = sorted({g.unit_id for g in actor.grants if g.role in SCHOOL_OFFICE_ROLES})
    out = []
    for unit_id in unit_ids:
        school = school_get(actor=actor, school_id=unit_id)
        if school is not None:
            out.append(school)
    return out


@dataclass
class TeacherClass:
    school_class: SchoolClass
    is_homeroom: bool
    subjects: list[str] = field(default_factory=list)
    student_count: int = 0


def teacher_classes(actor: Actor, year: SchoolYear | None = None) -> list[TeacherClass]:
    """Classes of the current year that the actor leads (homeroom) or teaches, with their subjects."""
    year = year or current_school_year()
    person = actor.person_id
    if year is None or person is None:
        return []
    classes = (
        SchoolClass.objects.filter(pk__in=policy_for(SchoolClass).visible(actor).values("pk"), year=year)
        .filter(Q(homeroom_teacher__person_id=person) | Q(teaching_assignments__staff__person_id=person))
        .distinct()
        .select_related("school", "grade", "homeroom_teacher")
        .annotate(active_students=Count("memberships", filter=Q(memberships__left_on__isnull=True), distinct=True))
        .prefetch_related("teaching_assignments__subject", "teaching_assignments__staff")
        .order_by("grade__order", "name")
    )
    out = []
    for klass in classes:
        subjects = sorted({ta.subject.name for ta in klass.teaching_assignments.all() if ta.staff.person_id == person})
        is_homeroom = klass.homeroom_teacher is not None and klass.homeroom_teacher.person_id == person
        out.append(TeacherClass(klass, is_homeroom, subjects, klass.active_students))
    return out


@dataclass
class ChildCard:
    student: Student
    relation: str
    class_name: str
    school_name: str


def _current_memberships(year: SchoolYear | None) -> Prefetch:
    qs = ClassMembership.objects.filter(left_on__isnull=True).select_related("school_class")
    if year is not None:
        qs = qs.filter(school_class__year=year)
    return Prefetch("memberships", queryset=qs, to_attr="current_memberships")


def _class_name(student: Student) -> str:
    memberships: list[Any] = getattr(student, "current_memberships", [])
    return memberships[0].school_class.name if memberships else ""


def children_cards(actor: Actor) -> list[ChildCard]:
    """One card per child of the signed-in guardian."""
    if actor.person_id is None:
        return []
    links = list(
        policy_for(GuardianLink)
        .visible(actor)
        .filter(guardian_id=actor.person_id)
        .order_by("student__person__date_of_birth", "pk")
    )
    year = current_school_year()
    students = {s.pk: s for s in _with_class(Student.objects.filter(pk__in=[lk.student_id for lk in links]), year)}
    cards = []
    for link in links:
        student = students[link.student_id]
        cards.append(ChildCard(student, link.get_relation_display(), _class_name(student), student.school.name))
    return cards


def _with_class(students: Any, year: SchoolYear | None) -> list[Student]:
    return list(students.select_related("person", "school").prefetch_related(_current_memberships(year)))


def student_cards(actor: Actor) -> list[ChildCard]:
    """The signed-in pupil's own record(s)."""
    if actor.person_id is None:
        return []
    mine = policy_for(Student).visible(actor).filter(person_id=actor.person_id)
    students = _with_class(Student.objects.filter(pk__in=mine.values("pk")), current_school_year())
    return [ChildCard(s, "", _class_name(s), s.school.name) for s in students]
