"""The teaching-assignment matrix per semester, its export, and score-sheet access following the split."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from edudx.core.api import Role, actor_for, policy_for
from edudx.gradebook.curriculum import ensure_sheets
from edudx.gradebook.models import ScoreSheet
from edudx.registry.api import StaffMember, Subject, TeachingAssignment
from edudx.registry.services.people import teaching_assignment_set
from edudx.testing import login_verified, make_person

pytestmark = pytest.mark.django_db


def new_teacher(school):
    return StaffMember.objects.create(person=make_person("Trần Văn Bình"), org_unit=school, position="teacher")


def test_sheet_access_follows_the_semester_split(world):
    s1 = world.school1
    toan = Subject.objects.get(code="TOAN")
    sheets = {sem: next(s for s in ensure_sheets(s1.class_b, sem) if s.subject_id == toan.pk) for sem in (1, 2)}
    policy = policy_for(ScoreSheet)
    old = s1.users[Role.SUBJECT_TEACHER]
    assert set(policy.visible(actor_for(old), "enter")) == {sheets[1], sheets[2]}
    other = new_teacher(s1.school)
    teaching_assignment_set(
        actor=actor_for(s1.users[Role.PRINCIPAL]), school_class=s1.class_b, subject=toan, staff=other, semester=2
    )
    assert set(policy.visible(actor_for(old), "enter")) == {sheets[1]}
    # The new teacher has an account once given the subject-teacher role; they then enter semester II only.
    from edudx.testing import grant, make_user

    user = make_user("gv_binh")
    other.person.user = user
    other.person.save()
    grant(user, Role.SUBJECT_TEACHER, s1.school)
    assert set(policy.visible(actor_for(user), "enter")) == {sheets[2]}


def test_matrix_shows_teachers_per_semester_and_links_to_the_form(world, client):
    s1 = world.school1
    toan = Subject.objects.get(code="TOAN")
    other = new_teacher(s1.school)
    teaching_assignment_set(
        actor=actor_for(s1.users[Role.PRINCIPAL]), school_class=s1.class_b, subject=toan, staff=other, semester=2
    )
    login_verified(client, s1.users[Role.VICE_PRINCIPAL])
    url = reverse("gradebook:assignments")
    first = client.get(url, {"semester": 1}).content.decode()
    matrix = first[first.index('data-testid="matrix"') :]
    assert s1.subject_teacher.person.full_name in matrix and other.person.full_name not in matrix
    assert s1.homeroom_a.person.full_name in matrix  # homeroom teacher of 6A1
    assert reverse("registry:class_edit", args=[s1.class_a.pk]) in matrix
    assert "Chưa phân công" in matrix and "Toán" in matrix
    second = client.get(url, {"semester": 2}).content.decode()
    matrix = second[second.index('data-testid="matrix"') :]
    assert other.person.full_name in matrix and s1.subject_teacher.person.full_name not in matrix
    form_url = reverse("registry:class_teaching_set", args=[s1.class_b.pk])
    assert form_url in matrix and "semester=2" in matrix
    # Another school's classes are not in the matrix, and another school cannot be chosen.
    assert world.school2.school.name not in second
    page = client.get(url, {"school": world.school2.school.pk}).content.decode()
    assert "6A1" in page and world.school2.school.name not in page


def test_matrix_export_xlsx(world, client):
    login_verified(client, world.school1.users[Role.CLERK])
    response = client.get(reverse("gradebook:assignments"), {"semester": 1, "export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Lớp", "Giáo viên chủ nhiệm") and "Toán" in rows[0]
    toan = rows[0].index("Toán")
    by_class = {row[0]: row for row in rows[1:]}
    assert by_class["6A2"][toan] == world.school1.subject_teacher.person.full_name
    assert by_class["6A1"][1] == world.school1.homeroom_a.person.full_name


@pytest.mark.parametrize("role", [Role.SUBJECT_TEACHER, Role.HOMEROOM_TEACHER, Role.ACCOUNTANT, Role.AUTHORITY_LEADER])
def test_matrix_refused_without_class_change(world, client, role):
    user = world.school1.users.get(role) or world.authority_users[role]
    login_verified(client, user)
    assert client.get(reverse("gradebook:assignments")).status_code == 403


def test_api_rule_sets_and_curriculum(world, client):
    login_verified(client, world.school1.users[Role.GUARDIAN])
    body = client.get("/api/v1/gradebook/rule-sets/", {"circular": "TT22/2021"}).json()
    rows = body.get("results", body)
    assert [r["code"] for r in rows] == ["TT22-2021"] and rows[0]["data"]["absence_limit_sessions"] == 45
    body = client.get("/api/v1/gradebook/curriculum/", {"grade": "8"}).json()
    rows = {r["subject"]: r for r in body.get("results", body)}
    assert rows["CN"]["periods_per_year"] == 52 and rows["CN"]["regular_count"] == 3
    assert client.post("/api/v1/gradebook/rule-sets/", {}).status_code in (403, 405)
    client.logout()
    login_verified(client, world.nobody)
    body = client.get("/api/v1/gradebook/rule-sets/").json()
    assert body.get("results", body) == []


def test_matrix_query_count_does_not_grow_with_classes(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from edudx.registry.api import Grade, SchoolClass

    s1 = world.school1
    login_verified(client, s1.users[Role.PRINCIPAL])
    url = reverse("gradebook:assignments")
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    grade7 = Grade.objects.get(code="7")
    for name in ("7A1", "7A2", "7A3"):
        klass = SchoolClass.objects.create(school=s1.school, year=world.year, grade=grade7, name=name,
                                           homeroom_teacher=s1.homeroom_a)  # fmt: skip
        for code in ("TOAN", "NV", "NN1"):
            TeachingAssignment.objects.create(staff=s1.subject_teacher, school_class=klass,
                                              subject=Subject.objects.get(code=code))  # fmt: skip
    with CaptureQueriesContext(connection) as large:
        body = client.get(url).content.decode()
    assert "7A3" in body
    assert len(large.captured_queries) == len(small.captured_queries)
