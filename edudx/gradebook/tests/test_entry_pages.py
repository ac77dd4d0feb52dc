"""Score entry pages and the grid's JSON endpoints, through the Django test client."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from edudx.core.api import AuditEvent
from edudx.gradebook.models import ScoreCell, ScoreSheet, SheetStatus
from edudx.testing import login_verified

from .test_entry_services import subject_sheet

pytestmark = pytest.mark.django_db


def post_json(client, url, payload):
    return client.post(url, data=json.dumps(payload), content_type="application/json")


@pytest.fixture
def toan(world):
    return subject_sheet(world.school1.class_b, "TOAN")


def test_home_lists_my_sheets_with_progress_and_opens_a_class(client, world, toan):
    s1 = world.school1
    login_verified(client, s1.users["subject_teacher"])
    page = client.get(reverse("gradebook:home"), {"semester": 1})
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("gradebook:sheet", args=[toan.pk]) in html
    assert "0/18" in html and "Nhập điểm" in html
    assert [g.school_class for g in page.context["groups"]] == [s1.class_b]
    # Semester II of 6A2 is not opened yet: the teacher of the class may open it.
    page = client.get(reverse("gradebook:home"), {"semester": 2})
    assert list(page.context["unopened"]) == [s1.class_b]
    answer = client.post(reverse("gradebook:home"), {"school_class": s1.class_b.pk, "semester": 2})
    assert answer.status_code == 302
    assert ScoreSheet.objects.filter(school_class=s1.class_b, semester=2).count() == 14
    assert AuditEvent.objects.filter(action="grade.sheets_open").count() == 1
    # A class the teacher has nothing to do with cannot be opened (not among the choices).
    client.post(reverse("gradebook:home"), {"school_class": world.school2.class_b.pk, "semester": 1})
    assert not ScoreSheet.objects.filter(school_class=world.school2.class_b).exists()


def test_principal_sees_the_school_and_guardian_is_refused(client, world, toan):
    s1 = world.school1
    login_verified(client, s1.users["principal"])
    page = client.get(reverse("gradebook:home"), {"semester": 1})
    assert page.status_code == 200
    assert {c.name for c in page.context["unopened"]} == {"6A1"}
    html = page.content.decode()
    assert "Xem" in html and reverse("gradebook:sheet", args=[toan.pk]) in html
    grid = client.get(reverse("gradebook:sheet", args=[toan.pk]))
    assert grid.status_code == 200 and not grid.context["editable"]
    assert "Bạn chỉ được xem sổ này." in grid.content.decode()
    refused = post_json(
        client, reverse("gradebook:sheet_cell", args=[toan.pk]),
        {"student": s1.students_b[0].pk, "column": "tx1", "value": "8", "version": 0},
    )  # fmt: skip
    assert refused.status_code == 403
    client.logout()
    login_verified(client, s1.users["guardian"])
    assert client.get(reverse("gradebook:home")).status_code == 403
    assert client.get(reverse("gradebook:sheet", args=[toan.pk])).status_code == 404
    client.logout()
    login_verified(client, world.school2.users["principal"])
    assert client.get(reverse("gradebook:sheet", args=[toan.pk])).status_code == 404
    assert client.get(reverse("gradebook:sheet_export", args=[toan.pk])).status_code == 404
    assert not ScoreCell.objects.exists()


def test_grid_page_renders_cells_and_the_average_column(client, world, toan):
    s1 = world.school1
    login_verified(client, s1.users["subject_teacher"])
    page = client.get(reverse("gradebook:sheet", args=[toan.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="gb-grid"' in html and "gradebook/grid.js" in html and "table-responsive" in html
    assert html.count('class="gb-cell gb-empty') == 3 * 7
    assert "ĐTBmhk" in html
    config = page.context["client"]
    assert config["editable"] and config["cellUrl"] == reverse("gradebook:sheet_cell", args=[toan.pk])
    assert "dat" in config["aliases"]["comment_result"]
    for label in ("Trống", "Đang lưu", "Đã lưu", "Không hợp lệ", "Xung đột", "Đã khoá"):
        assert label in html


def test_cell_endpoint_saves_conflicts_and_refuses(client, world, toan):
    s1 = world.school1
    student = s1.students_b[0]
    url = reverse("gradebook:sheet_cell", args=[toan.pk])
    login_verified(client, s1.users["subject_teacher"])
    ok = post_json(client, url, {"student": student.pk, "column": "tx1", "value": "8,5", "version": 0})
    assert ok.status_code == 200
    assert ok.json() == {"ok": True, "cell": {"value": "8.5", "display": "8,5", "version": 1}, "average": ""}
    bad = post_json(client, url, {"student": student.pk, "column": "tx2", "value": "12", "version": 0})
    assert bad.status_code == 400
    error = bad.json()["errors"][0]
    assert error["code"] == "score_out_of_range" and error["column"] == "tx2" and "từ 0 đến 10" in error["message"]
    stale = post_json(client, url, {"student": student.pk, "column": "tx1", "value": "9", "version": 0})
    assert stale.status_code == 409
    conflict = stale.json()["errors"][0]
    assert conflict["code"] == "conflict" and "8,5" in conflict["message"]
    assert conflict["current"] == {"value": "8.5", "display": "8,5", "version": 1}
    other_class = post_json(client, url, {"student": s1.students_a[0].pk, "column": "tx1", "value": "9", "version": 0})
    assert other_class.status_code == 400
    assert s1.students_a[0].person.full_name not in other_class.content.decode()
    for column, value in (("tx2", "8"), ("tx3", "9"), ("tx4", "7"), ("gk", "7,5"), ("ck", "8")):
        post_json(client, url, {"student": student.pk, "column": column, "value": value, "version": 0})
    cell = ScoreCell.objects.get(student=student, column="tx1")
    last = post_json(client, url, {"student": student.pk, "column": "tx1", "value": "8", "version": cell.version})
    # (8 + 8 + 9 + 7 + 2·7.5 + 3·8) / 9 = 7.88… → 7,9
    assert last.json()["average"] == "7,9"
    ScoreSheet.objects.filter(pk=toan.pk).update(status=SheetStatus.LOCKED)
    locked = post_json(client, url, {"student": student.pk, "column": "nx", "value": "Tốt", "version": 0})
    assert locked.status_code == 403 and locked.json()["errors"][0]["code"] == "sheet_locked"
    page = client.get(reverse("gradebook:sheet", args=[toan.pk]))
    assert not page.context["editable"] and "gb-locked" in page.content.decode()
    assert client.get(url).status_code == 405


def test_block_endpoint_is_all_or_nothing(client, world, toan):
    s1 = world.school1
    a, b, _c = s1.students_b
    url = reverse("gradebook:sheet_cells", args=[toan.pk])
    login_verified(client, s1.users["subject_teacher"])
    bad = post_json(
        client, url,
        {"changes": [
            {"student": a.pk, "column": "tx1", "value": "8", "version": 0},
            {"student": b.pk, "column": "tx1", "value": "abc", "version": 0},
        ]},
    )  # fmt: skip
    assert bad.status_code == 400
    assert [(e["index"], e["student"], e["column"]) for e in bad.json()["errors"]] == [(1, b.pk, "tx1")]
    assert not ScoreCell.objects.exists()
    good = post_json(
        client, url,
        {"changes": [
            {"student": a.pk, "column": "tx1", "value": "8", "version": 0},
            {"student": b.pk, "column": "tx1", "value": "6,5", "version": 0},
        ]},
    )  # fmt: skip
    assert good.status_code == 200 and good.json()["changed"] == 2
    assert {(c["student"], c["display"]) for c in good.json()["cells"]} == {(a.pk, "8"), (b.pk, "6,5")}
    assert set(good.json()["averages"]) == {str(a.pk), str(b.pk)}
    stale = post_json(client, url, {"changes": [{"student": a.pk, "column": "tx1", "value": "9", "version": 0}]})
    assert stale.status_code == 409
    assert post_json(client, url, {"changes": []}).status_code == 400
    client.logout()
    login_verified(client, s1.users["homeroom_teacher"])  # of 6A1: the 6A2 sheet is not theirs to see
    assert post_json(client, url, {"changes": [{"student": a.pk, "column": "tx2", "value": "9"}]}).status_code == 404


def test_submit_page_confirms_and_refuses_when_incomplete(client, world, toan):
    s1 = world.school1
    login_verified(client, s1.users["subject_teacher"])
    url = reverse("gradebook:sheet_submit", args=[toan.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Nộp sổ" in page.content.decode()
    refused = client.post(url)
    assert refused.status_code == 400 and "Chưa thể nộp sổ" in refused.content.decode()
    changes = [
        {"student": s.pk, "column": c, "value": "7", "version": 0}
        for s in s1.students_b
        for c in ("tx1", "tx2", "tx3", "tx4", "gk", "ck")
    ]
    assert post_json(client, reverse("gradebook:sheet_cells", args=[toan.pk]), {"changes": changes}).status_code == 200
    done = client.post(url)
    assert done.status_code == 302
    toan.refresh_from_db()
    assert toan.status == SheetStatus.SUBMITTED
    page = client.get(reverse("gradebook:sheet", args=[toan.pk]))
    assert page.context["editable"] and not page.context["can_submit"]
