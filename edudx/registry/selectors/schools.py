"""Reads of schools: the list an actor may see, with counts of the current school year, and
their ICT infrastructure. Every count is a correlated subquery over rows the actor's policies allow,
so a page of schools costs the same number of queries whatever its length."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from edudx.core.api import Actor, OrgUnit, OrgUnitKind, OrgUnitVersion, policy_for
from edudx.core.rules import fold_vietnamese

from ..enums import StudentStatus
from ..models import SchoolClass, SchoolInfrastructure, SchoolYear, StaffMember, Student

__all__ = [
    "current_school_year",
    "infrastructure_get",
    "school_authorities",
    "school_get",
    "school_list",
    "schools_visible",
]


def current_school_year() -> SchoolYear | None:
    return SchoolYear.objects.filter(is_current=True).first() or SchoolYear.objects.order_by("-starts_on").first()


def schools_visible(actor: Actor, capability: str = "school.view") -> QuerySet[OrgUnit]:
    """Schools under the units where the actor holds ``capability`` (a SUBTREE grant)."""
    return OrgUnit.objects.filter(policy_for(OrgUnit).filter_q(actor, capability), kind=OrgUnitKind.SCHOOL)


def _count(qs: QuerySet[Any], school_field: str, distinct_field: str = "pk") -> Coalesce:
    sub = (
        qs.filter(**{school_field: OuterRef("pk")})
        .order_by()
        .values(school_field)
        .annotate(n=Count(distinct_field, distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def _with_counts(actor: Actor, schools: QuerySet[OrgUnit], year: SchoolYear | None) -> QuerySet[OrgUnit]:
    """Annotate ``class_count``, ``student_count`` and ``staff_count`` with what the actor may see."""
    classes = SchoolClass.objects.filter(pk__in=policy_for(SchoolClass).visible(actor).values("pk"))
    students = Student.objects.filter(
        pk__in=policy_for(Student).visible(actor).values("pk"), status=StudentStatus.STUDYING
    )
    if year is not None:
        classes = classes.filter(year=year)
        students = students.filter(memberships__school_class__year=year, memberships__left_on__isnull=True)
    else:
        classes = classes.none()
    staff = StaffMember.objects.filter(pk__in=policy_for(StaffMember).visible(actor).values("pk"), is_active=True)
    return schools.annotate(
        class_count=_count(classes, "school"),
        student_count=_count(students, "school"),
        staff_count=_count(staff, "org_unit"),
    )


def school_list(
    *,
    actor: Actor,
    search: str = "",
    level: str = "",
    ownership: str = "",
    authority: OrgUnit | None = None,
    include_closed: bool = False,
    year: SchoolYear | None = None,
    as_of: dt.date | None = None,
) -> QuerySet[OrgUnit]:
    """Schools the actor may see, filtered; search ignores diacritics (“truong mot” finds “Trường Một”).

    With ``as_of``, the schools that were open on that day, each annotated with the name it had and the
    unit it answered to then (``name_then``, ``parent_then``); the authority filter means "under that
    unit on that day". Without it, today's open schools, with today's names.
    """
    schools = schools_visible(actor)
    if as_of is not None:
        then = OrgUnitVersion.objects.filter(unit=OuterRef("pk"), valid_from__lte=as_of).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=as_of)
        )
        schools = schools.filter(Exists(then)).annotate(
            name_then=Subquery(then.values("name")[:1]),
            parent_then=Subquery(then.values("parent__name")[:1]),
        )
        if authority is not None:
            schools = schools.filter(Exists(then.filter(parent=authority)))
    else:
        schools = schools.annotate(name_then=F("name"), parent_then=F("parent__name"))
        if not include_closed:
            schools = schools.filter(valid_to__isnull=True)
        if authority is not None:
            schools = schools.filter(path__startswith=authority.path)
    if level:
        schools = schools.filter(school_level=level)
    if ownership:
        schools = schools.filter(ownership=ownership)
    search = fold_vietnamese(search)
    if search:
        # Names carry no folded column, so fold in Python over (id, name, code): one narrow query.
        words = search.split()
        matching = [
            pk
            for pk, name, code in schools.values_list("pk", "name_then", "moet_code")
            if all(w in fold_vietnamese(name) for w in words) or search == (code or "").lower()
        ]
        schools = schools.filter(pk__in=matching)
    return (
        _with_counts(actor, schools, year or current_school_year())
        .select_related("parent", "infrastructure")
        .order_by("name_then", "pk")
    )


def school_get(*, actor: Actor, school_id: int) -> OrgUnit | None:
    """One visible school with its counts, or None (missing and hidden look the same)."""
    schools = schools_visible(actor).filter(pk=school_id)
    return _with_counts(actor, schools, current_school_year()).select_related("parent").first()


def school_authorities(actor: Actor) -> QuerySet[OrgUnit]:
    """Authorities above the visible schools, today or at any earlier date, for the "parent authority"
    filter (a closed office still filters the list "as of" a day when it existed)."""
    visible = schools_visible(actor)
    ids: set[int] = set()
    for path in visible.values_list("path", flat=True):
        ids.update(int(p) for p in path.strip("/").split("/") if p)
    former_parents = OrgUnitVersion.objects.filter(unit__in=visible, parent__isnull=False).values("parent_id")
    return OrgUnit.objects.filter(
        Q(pk__in=ids) | Q(pk__in=former_parents), kind__in=[OrgUnitKind.AUTHORITY, OrgUnitKind.DEPARTMENT]
    ).order_by("name")


def infrastructure_get(*, actor: Actor, school: OrgUnit) -> SchoolInfrastructure | None:
    return policy_for(SchoolInfrastructure).visible(actor).filter(school=school).first()
