"""The score-sheet API: the sheets a caller may see, a sheet's cells, setting a cell with its expected version."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from edudx.gradebook.models import ScoreCell, ScoreSheet, SheetStatus

from .test_entry_services import subject_sheet

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_list_and_detail_follow_the_policy(world):
    s1 = world.school1
    toan = subject_sheet(s1.class_b, "TOAN")
    subject_sheet(s1.class_a, "TOAN")
    teacher = api(s1.users["subject_teacher"])
    listed = teacher.get("/api/v1/gradebook/sheets/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [toan.pk]
    principal = api(s1.users["principal"])
    with CaptureQueriesContext(connection) as queries:
        everything = principal.get("/api/v1/gradebook/sheets/", {"semester": 1, "page_size": 100})
    assert everything.json()["count"] == 28  # two classes × (13 subjects + homeroom)
    assert len(queries) <= 8
    assert api(world.school2.users["principal"]).get(f"/api/v1/gradebook/sheets/{toan.pk}/").status_code == 404
    assert api(s1.users["guardian"]).get("/api/v1/gradebook/sheets/").json()["count"] == 0
    assert api(world.authority_users["authority_leader"]).get("/api/v1/gradebook/sheets/").json()["count"] == 0
    detail = teacher.get(f"/api/v1/gradebook/sheets/{toan.pk}/").json()
    assert [c["code"] for c in detail["columns"]] == ["tx1", "tx2", "tx3", "tx4", "gk", "ck", "nx"]
    assert len(detail["rows"]) == 3 and detail["rows"][0]["cells"]["tx1"] == {"value": "", "display": "", "version": 0}


def test_set_a_cell_with_versions_and_refusals(world):
    s1 = world.school1
    toan = subject_sheet(s1.class_b, "TOAN")
    student = s1.students_b[0]
    url = f"/api/v1/gradebook/sheets/{toan.pk}/cell/"
    teacher = api(s1.users["subject_teacher"])
    saved = teacher.post(url, {"student": student.pk, "column": "gk", "value": "7,5"}, format="json")
    assert saved.status_code == 200, saved.json()
    assert saved.json()["cell"] == {"value": "7.5", "display": "7,5", "version": 1}
    again = teacher.patch(
        url, {"student": student.pk, "column": "gk", "value": "8", "expected_version": 1}, format="json"
    )
    assert again.status_code == 200 and again.json()["cell"]["version"] == 2
    stale = teacher.patch(
        url, {"student": student.pk, "column": "gk", "value": "9", "expected_version": 1}, format="json"
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict" and "giá trị hiện tại: 8" in stale.json()["detail"]
    invalid = teacher.post(
        url, {"student": student.pk, "column": "gk", "value": "8,25", "expected_version": 2}, format="json"
    )
    assert invalid.status_code == 400
    principal = api(s1.users["principal"])
    assert principal.post(url, {"student": student.pk, "column": "ck", "value": "8"}, format="json").status_code == 403
    other = api(world.school2.users["subject_teacher"])
    assert other.post(url, {"student": student.pk, "column": "ck", "value": "8"}, format="json").status_code == 404
    ScoreSheet.objects.filter(pk=toan.pk).update(status=SheetStatus.LOCKED)
    locked = teacher.post(url, {"student": student.pk, "column": "ck", "value": "8"}, format="json")
    assert locked.status_code == 403 and locked.json()["code"] == "sheet_locked"
    assert list(ScoreCell.objects.values_list("column", "value")) == [("gk", "8")]
