"""Every list endpoint costs the same number of queries whatever the number of rows it returns."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from edudx.core import services as core_services
from edudx.core.api import OrgUnitKind, SchoolLevel
from edudx.registry.enums import GuardianRelation, StaffPosition
from edudx.registry.models import (
    ClassMembership,
    Grade,
    GuardianLink,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    Subject,
)
from edudx.testing import make_person

pytestmark = pytest.mark.django_db

LIST_ENDPOINTS = [
    "/api/v1/org-units/",
    "/api/v1/org-units/?as_of=2025-10-01",
    "/api/v1/schools/",
    "/api/v1/school-years/",
    "/api/v1/classes/",
    "/api/v1/students/",
    "/api/v1/guardians/",
    "/api/v1/staff/",
]

REGISTRY_LISTS = {
    "/api/v1/school-years/",
    "/api/v1/classes/",
    "/api/v1/students/",
    "/api/v1/guardians/",
    "/api/v1/staff/",
}
GROWN = {
    "authority_leader": set(LIST_ENDPOINTS),
    "principal": REGISTRY_LISTS,  # the new schools are outside the principal's school
    "homeroom_teacher": {"/api/v1/school-years/", "/api/v1/staff/"},  # not the teacher's new classes or pupils
}

_n = itertools.count(500)


def add_many_rows(world, count: int = 12) -> None:
    """More of every kind of row, in school 1 (seen by its principal and the authority)."""
    s1 = world.school1
    subjects = list(Subject.objects.all()[:3])
    grade7 = Grade.objects.get(code="7")
    for i in range(count):
        n = next(_n)
        core_services.orgunit_create(
            actor=None,
            kind=OrgUnitKind.SCHOOL,
            name=f"Trường phụ {n}",
            parent=world.authority,
            valid_from=dt.date(2001, 1, 1),
            school_level=SchoolLevel.TH,
        )
        SchoolYear.objects.create(
            code=f"{1990 + i}-{1991 + i}",
            starts_on=dt.date(1990 + i, 9, 5),
            ends_on=dt.date(1991 + i, 5, 31),
            semester1_ends_on=dt.date(1991 + i, 1, 10),
            semester2_starts_on=dt.date(1991 + i, 1, 12),
        )
        teacher = StaffMember.objects.create(
            person=make_person(f"Giáo viên thêm {n}"), org_unit=s1.school, position=StaffPosition.TEACHER
        )
        teacher.subjects.add(*subjects)
        klass = SchoolClass.objects.create(
            school=s1.school, year=world.year, grade=grade7, name=f"7A{n}", homeroom_teacher=teacher
        )
        student = Student.objects.create(
            person=make_person(f"Học sinh thêm {n}"), moet_code=f"75{n:08d}", school=s1.school
        )
        ClassMembership.objects.create(student=student, school_class=klass, joined_on=dt.date(2025, 9, 5))
        ClassMembership.objects.create(
            student=student, school_class=s1.class_a, joined_on=dt.date(2024, 9, 5), left_on=dt.date(2025, 6, 1)
        )
        GuardianLink.objects.create(
            guardian=make_person(f"Phụ huynh thêm {n}"), student=student, relation=GuardianRelation.MOTHER
        )


def count_queries(client: APIClient, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()["count"]


@pytest.mark.parametrize("role", ["authority_leader", "principal", "homeroom_teacher"])
def test_list_endpoints_cost_a_fixed_number_of_queries(world, role, django_assert_num_queries):
    user = world.authority_users.get(role) or world.school1.users[role]
    client = APIClient()
    client.force_authenticate(user)
    few = {url: count_queries(client, url) for url in LIST_ENDPOINTS}
    add_many_rows(world)
    grew = set()
    for url in LIST_ENDPOINTS:
        queries, rows_before = few[url]
        with django_assert_num_queries(queries):
            response = client.get(url)
        rows_after = response.json()["count"]
        if rows_after > rows_before:
            grew.add(url)
    # The comparison means something only where the list did grow for that actor.
    assert grew == GROWN[role]
