"""Reads about people in the registry: students, classes, staff, guardians, school years.

Each selector starts from the model's permission policy and loads what a list shows with
``select_related`` / ``prefetch_related``, so a page costs the same number of queries for three rows
as for three hundred.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from edudx.core.api import Actor, OrgUnit, policy_for
from edudx.core.crypto import lookup_hash
from edudx.core.rules import fold_vietnamese

from ..models import (
    ClassMembership,
    GuardianLink,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    StudentSchoolStint,
    TeachingAssignment,
)

__all__ = [
    "class_list",
    "class_members",
    "guardian_list",
    "school_year_list",
    "staff_list",
    "student_guardians",
    "student_history",
    "student_list",
    "teaching_assignment_list",
]

PERSONAL_ID_RE = re.compile(r"^\d{12}$")


def _current_memberships() -> Prefetch:
    return Prefetch(
        "memberships",
        queryset=ClassMembership.objects.filter(left_on__isnull=True)
        .select_related("school_class__year", "school_class__grade")
        .order_by("-school_class__year__starts_on"),
        to_attr="current_memberships",
    )


def student_list(
    *,
    actor: Actor,
    q: str = "",
    school: OrgUnit | int | None = None,
    school_class: SchoolClass | int | None = None,
    grade: Any = None,
    status: str = "",
    year: SchoolYear | int | None = None,
    verb: str = "view",
) -> QuerySet[Student]:
    """Students the actor may see, searched by name (without diacritics), MOET code or exact personal ID.

    Each row carries ``current_memberships`` (open class memberships, newest year first).
    """
    qs = policy_for(Student).visible(actor, verb)
    q = (q or "").strip()
    if q:
        compact = q.replace(" ", "")
        if PERSONAL_ID_RE.match(compact):
            qs = qs.filter(Q(person__personal_id_hash=lookup_hash(compact)) | Q(moet_code=compact))
        else:
            qs = qs.filter(Q(person__search_name__contains=fold_vietnamese(q)) | Q(moet_code__iexact=q))
    if school:
        qs = qs.filter(school=school)
    membership_q: dict[str, Any] = {}
    if school_class:
        membership_q["memberships__school_class"] = school_class
    if grade:
        membership_q["memberships__school_class__grade"] = grade
    if year:
        membership_q["memberships__school_class__year"] = year
    if school_class or grade:
        membership_q["memberships__left_on__isnull"] = True
    if membership_q:
        # One filter() call so that class, grade and year apply to the same membership row.
        qs = qs.filter(**membership_q)
    if status:
        qs = qs.filter(status=status)
    return (
        qs.select_related("person", "school")
        .prefetch_related(_current_memberships())
        .order_by("person__search_name", "pk")
    )


def student_history(*, student: Student) -> dict[str, list[Any]]:
    """Where a (visible) student was and when: school stints and class memberships, oldest first."""
    stints = list(StudentSchoolStint.objects.filter(student=student).select_related("school"))
    memberships = list(
        ClassMembership.objects.filter(student=student)
        .select_related("school_class__year", "school_class__school", "school_class__grade")
        .order_by("joined_on", "pk")
    )
    return {"stints": stints, "memberships": memberships}


def student_guardians(*, actor: Actor, student: Student) -> QuerySet[GuardianLink]:
    return policy_for(GuardianLink).visible(actor).filter(student=student).select_related("guardian")


def class_list(
    *,
    actor: Actor,
    q: str = "",
    school: OrgUnit | int | None = None,
    year: SchoolYear | int | None = None,
    grade: Any = None,
) -> QuerySet[SchoolClass]:
    """Classes the actor may see, with school, year, grade, homeroom teacher and ``member_count``."""
    qs = policy_for(SchoolClass).visible(actor)
    if q:
        qs = qs.filter(name__icontains=q.strip())
    if school:
        qs = qs.filter(school=school)
    if year:
        qs = qs.filter(year=year)
    if grade:
        qs = qs.filter(grade=grade)
    # A subquery, not Count() over the join: the policy's own joins on memberships would skew it.
    members = (
        ClassMembership.objects.filter(school_class=OuterRef("pk"), left_on__isnull=True)
        .order_by()
        .values("school_class")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        qs.select_related("school", "year", "grade", "homeroom_teacher__person")
        .annotate(member_count=Coalesce(Subquery(members, output_field=IntegerField()), Value(0)))
        .order_by("-year__starts_on", "school__name", "grade__order", "name")
    )


def class_members(*, actor: Actor, school_class: SchoolClass) -> QuerySet[ClassMembership]:
    """Current members of a class among the memberships the actor may see."""
    return (
        policy_for(ClassMembership)
        .visible(actor)
        .filter(school_class=school_class, left_on__isnull=True)
        .select_related("student__person")
        .order_by("student__person__search_name", "pk")
    )


def teaching_assignment_list(
    *, actor: Actor, school_class: SchoolClass | None = None, staff: StaffMember | None = None
) -> QuerySet[TeachingAssignment]:
    qs = policy_for(TeachingAssignment).visible(actor)
    if school_class is not None:
        qs = qs.filter(school_class=school_class)
    if staff is not None:
        qs = qs.filter(staff=staff)
    return qs.select_related("subject", "staff__person", "school_class__year").order_by(
        "school_class__name", "subject__name"
    )


def staff_list(
    *,
    actor: Actor,
    q: str = "",
    unit: OrgUnit | int | None = None,
    position: str = "",
    active: bool | None = None,
    verb: str = "view",
) -> QuerySet[StaffMember]:
    """Staff the actor may see, searched by name without diacritics or staff code."""
    qs = policy_for(StaffMember).visible(actor, verb)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(person__search_name__contains=fold_vietnamese(q)) | Q(staff_code__iexact=q))
    if unit:
        qs = qs.filter(org_unit=unit)
    if position:
        qs = qs.filter(position=position)
    if active is not None:
        qs = qs.filter(is_active=active)
    return (
        qs.select_related("person", "org_unit")
        .prefetch_related("subjects")
        .order_by("org_unit__name", "person__search_name", "pk")
    )


def guardian_list(*, actor: Actor, q: str = "", school: OrgUnit | int | None = None) -> QuerySet[GuardianLink]:
    """Guardian links the actor may see (a guardian sees their own), with guardian and student."""
    qs = policy_for(GuardianLink).visible(actor)
    q = (q or "").strip()
    if q:
        folded = fold_vietnamese(q)
        qs = qs.filter(Q(guardian__search_name__contains=folded) | Q(student__person__search_name__contains=folded))
    if school:
        qs = qs.filter(student__school=school)
    return qs.select_related("guardian", "student__person", "student__school").order_by(
        "guardian__search_name", "student__person__search_name", "pk"
    )


def school_year_list(*, actor: Actor) -> QuerySet[SchoolYear]:
    return policy_for(SchoolYear).visible(actor).order_by("-starts_on")
