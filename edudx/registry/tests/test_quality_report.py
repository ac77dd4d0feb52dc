"""Data-quality report: scores on a small world, ranking, drill-down, scope and query count."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from edudx.core.permissions import Actor
from edudx.registry.imports import quality
from edudx.registry.models import ClassMembership
from edudx.testing import login_verified


@pytest.fixture
def flawed(world):
    """School 2 gets one wrong ID, one missing birth date, one ID shared with school 1, one pupil out of class."""
    s2 = world.school2
    wrong = s2.students_a[0].person
    wrong.sex = "M"  # the ID's fourth digit says female
    wrong.save()
    undated = s2.students_a[1].person
    undated.date_of_birth = None
    undated.save()
    twin, original = s2.students_b[0].person, world.school1.students_a[2].person
    twin.personal_id_encrypted = original.personal_id_encrypted
    twin.personal_id_hash = original.personal_id_hash
    twin.personal_id_last3 = original.personal_id_last3
    twin.save()
    ClassMembership.objects.filter(student=s2.students_b[1]).update(left_on=dt.date(2025, 10, 1))
    return world


def by_school(results):
    return {r.school.pk: r for r in results}


def test_scores_on_a_small_world(flawed):
    world = flawed
    results = quality.school_scores(Actor(user=world.authority_users["authority_leader"]))
    scores = by_school(results)
    one, two = scores[world.school1.school.pk], scores[world.school2.school.pk]
    assert (one.students, one.missing_guardian, one.missing_class, one.invalid_pid, one.duplicates) == (6, 5, 0, 0, 1)
    assert one.completeness == Decimal("83.3") and one.validity == Decimal("100.0") and one.score == Decimal("91.7")
    assert (two.missing_dob, two.missing_class, two.missing_guardian, two.invalid_pid, two.duplicates) == (
        1,
        1,
        5,
        1,
        1,
    )
    assert two.completeness == Decimal("76.7") and two.validity == Decimal("83.3") and two.score == Decimal("80.0")
    assert [r.school.pk for r in results] == [world.school1.school.pk, world.school2.school.pk]
    assert [r.rank for r in results] == [1, 2]


def test_scope_of_school_holders(flawed, client):
    world = flawed
    principal = world.school1.users["principal"]
    results = quality.school_scores(Actor(user=principal))
    assert [r.school.pk for r in results] == [world.school1.school.pk]
    clerk = world.school2.users["clerk"]
    client.force_login(clerk)
    page = client.get(reverse("registry:data_quality")).content.decode()
    assert world.school2.school.name in page and world.school1.school.name not in page
    assert client.get(reverse("registry:data_quality_school", args=[world.school1.school.pk])).status_code == 404
    client.force_login(world.school1.users["homeroom_teacher"])
    assert client.get(reverse("registry:data_quality")).status_code == 403


def test_authority_page_drill_down_and_export(flawed, client):
    world = flawed
    login_verified(client, world.authority_users["authority_leader"])
    response = client.get(reverse("registry:data_quality"))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index(world.school1.school.name) < page.index(world.school2.school.name)
    assert "91,7%" in page and "80,0%" in page  # Vietnamese decimal comma

    url = reverse("registry:data_quality_school", args=[world.school2.school.pk])
    page = client.get(url).content.decode()
    s2 = world.school2
    assert s2.students_a[0].moet_code in page and "Số định danh sai" in page
    assert "Thiếu ngày sinh" in page and "Chưa xếp lớp năm học hiện tại" in page
    assert f"Trùng số định danh với học sinh của trường khác ({world.school1.school.name})" in page
    filtered = client.get(url, {"issue": "Thiếu ngày sinh"}).content.decode()
    assert s2.students_a[1].moet_code in filtered and s2.students_a[0].moet_code not in filtered

    exported = client.get(reverse("registry:data_quality"), {"export": "xlsx"})
    ws = load_workbook(io.BytesIO(exported.content)).active
    assert ws.cell(row=1, column=2).value == "Trường" and ws.cell(row=2, column=2).value == world.school1.school.name
    exported = client.get(url, {"export": "xlsx"})
    ws = load_workbook(io.BytesIO(exported.content)).active
    assert ws.max_row == 1 + 6  # every pupil of school 2 lacks at least a guardian


def test_ranking_costs_a_fixed_number_of_queries(flawed, client):
    world = flawed
    login_verified(client, world.authority_users["authority_leader"])
    url = reverse("registry:data_quality")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    from edudx.testing import _school

    _school(world.authority, "Trường THCS Ba", world.year, "c")
    with CaptureQueriesContext(connection) as larger:
        page = client.get(url).content.decode()
    assert "Trường THCS Ba" in page
    assert len(larger) == len(small), [q["sql"][:120] for q in larger.captured_queries]
