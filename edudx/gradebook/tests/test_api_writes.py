"""The gradebook's write steps through the REST API: submitting a sheet, locking, unlocking, sending a sheet back,
computing, the decisions after the year, and the học bạ (generate → three signatures → correction).

Each action calls the same service as the page; refusals answer ``{"detail", "code"}`` in Vietnamese with 400
(invalid), 403 (not allowed), 404 (outside the caller's scope) or 409 (conflicting with the current state).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from edudx.core.api import AuditEvent, actor_for
from edudx.gradebook.models import (
    ClassSemesterLock,
    ScoreCell,
    ScoreSheet,
    SheetStatus,
    Transcript,
    TranscriptStatus,
    YearResult,
)
from edudx.gradebook.services.locking import lock_semester, unlock_semester
from edudx.gradebook.services.results import compute_class_results
from edudx.registry.tests.test_api_tokens import bearer, issue_token

from .results_data import fill, regular_count, tt22_scored, tt22_student
from .test_entry_services import subject_sheet
from .test_transcripts_services import ca_dir, issue_credentials  # noqa: F401  (ca_dir is a fixture)

pytestmark = pytest.mark.django_db

A = ["9.1", "8.5", "8.0", "8.2", "7.0", "8.8", "9.3", "6.6"]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(client: APIClient, url: str, body: dict | None = None):
    return client.post(url, body or {}, format="json")


@pytest.fixture
def year_computed(world):
    """Class 6A1 with both semesters filled, submitted, locked and computed (through the services)."""
    s1 = world.school1
    values = {student: tt22_student(A) for student in s1.students_a}
    fill(s1.class_a, 1, values)
    fill(s1.class_a, 2, values)
    principal = actor_for(s1.users["principal"])
    for semester in (1, 2):
        lock_semester(actor=principal, school_class=s1.class_a, semester=semester)
    compute_class_results(actor=principal, school_class=s1.class_a)
    return world


def test_subject_teacher_submits_their_sheet(world):
    s1 = world.school1
    toan = subject_sheet(s1.class_b, "TOAN")
    url = f"/api/v1/gradebook/sheets/{toan.pk}/submit/"
    teacher = api(s1.users["subject_teacher"])

    incomplete = post(teacher, url)
    assert incomplete.status_code == 400
    assert incomplete.json()["code"] == "sheet_incomplete"
    assert "còn 3 học sinh thiếu điểm bắt buộc" in incomplete.json()["detail"]

    cells = tt22_scored("8.0", regular_count("TOAN"))
    ScoreCell.objects.bulk_create(
        ScoreCell(sheet=toan, student=student, column=column, value=value, number=Decimal(value))
        for student in s1.students_b
        for column, value in cells.items()
    )
    assert post(api(world.school2.users["subject_teacher"]), url).status_code == 404
    assert post(api(s1.users["guardian"]), url).status_code == 404
    assert post(api(s1.users["principal"]), url).status_code == 403  # sees the sheet, does not enter scores
    assert ScoreSheet.objects.get(pk=toan.pk).status == SheetStatus.OPEN

    submitted = post(teacher, url)
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["status"] == "submitted" and submitted.json()["submitted_at"]
    assert AuditEvent.objects.filter(action="grade.sheet_submit", object_id=str(toan.pk)).count() == 1
    again = post(teacher, url)
    assert again.status_code == 400 and again.json()["code"] == "sheet_submitted"


def test_principal_locks_unlocks_sends_back_and_computes(world):
    s1 = world.school1
    values = {student: tt22_student(A) for student in s1.students_a}
    sheets = fill(s1.class_a, 1, values, submit=False)
    _token, raw = issue_token(s1.users["principal"], "Phần mềm quản lý trường")
    principal = bearer(raw)  # an integration acting with the principal's key
    base = f"/api/v1/gradebook/classes/{s1.class_a.pk}/"

    listed = principal.get("/api/v1/gradebook/classes/").json()
    assert {row["name"] for row in listed["results"]} == {"6A1", "6A2"}
    assert api(world.school2.users["principal"]).get("/api/v1/gradebook/classes/").json()["count"] == 2
    assert api(s1.users["guardian"]).get("/api/v1/gradebook/classes/").json()["count"] == 0

    refused = post(principal, base + "lock/", {"semester": 1})
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "sheets_not_submitted" and body["detail"].startswith("Chưa thể khoá")
    missing = body["errors"]["missing"]
    assert len(missing) == 14 and missing[-1]["what"] == "Sổ chủ nhiệm"
    assert missing[-1]["teacher"] == s1.homeroom_a.person.full_name
    assert not ClassSemesterLock.objects.filter(locked=True).exists()

    for outsider in (world.school2.users["principal"], s1.users["guardian"], world.nobody):
        assert post(api(outsider), base + "lock/", {"semester": 1}).status_code == 404
        assert post(api(outsider), base + "compute/").status_code == 404
    not_leader = post(api(s1.users["homeroom_teacher"]), base + "lock/", {"semester": 1})
    assert not_leader.status_code == 403 and "Ban giám hiệu" in not_leader.json()["detail"]

    ScoreSheet.objects.filter(pk__in=[s.pk for s in sheets]).update(status=SheetStatus.SUBMITTED)
    assert post(principal, base + "lock/", {"semester": 3}).json()["code"] == "semester_invalid"
    locked = post(principal, base + "lock/", {"semester": 1})
    assert locked.status_code == 200, locked.json()
    assert locked.json()["locked_1"] is True and locked.json()["locked_2"] is False
    assert {sheet["status"] for sheet in locked.json()["sheets"]} == {"locked"}
    twice = post(principal, base + "lock/", {"semester": 1})
    assert twice.status_code == 409 and twice.json()["code"] == "already_locked"

    computed = post(api(s1.users["homeroom_teacher"]), base + "compute/")
    assert computed.status_code == 200, computed.json()
    summary = computed.json()
    assert summary["semesters"] == [1] and summary["count"] == 3
    assert summary["levels"] == [{"code": "tot", "count": 3}] and summary["promotion"] == []
    assert {row["learning_1"] for row in summary["results"]} == {"tot"}
    assert {row["student"] for row in summary["results"]} == {s.pk for s in s1.students_a}

    no_reason = post(principal, base + "unlock/", {"semester": 1})
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "reason_required"
    assert "lý do" in no_reason.json()["detail"]
    assert ClassSemesterLock.objects.get(school_class=s1.class_a, semester=1).locked
    unlocked = post(principal, base + "unlock/", {"semester": 1, "reason": "Giáo viên Toán nhập nhầm điểm giữa kì."})
    assert unlocked.status_code == 200 and unlocked.json()["locked_1"] is False
    assert all(r.details.get("stale") for r in YearResult.objects.filter(school_class=s1.class_a))

    toan = next(s for s in sheets if s.subject and s.subject.code == "TOAN")
    other_school_sheet = subject_sheet(world.school2.class_a, "TOAN")
    reopen = {"sheet": toan.pk, "reason": "Sửa điểm giữa kì của hai học sinh."}
    assert post(principal, base + "reopen-sheet/", {**reopen, "sheet": other_school_sheet.pk}).status_code == 404
    assert post(principal, base + "reopen-sheet/", {"sheet": toan.pk}).json()["code"] == "reason_required"
    sent_back = post(principal, base + "reopen-sheet/", reopen)
    assert sent_back.status_code == 200, sent_back.json()
    assert next(s for s in sent_back.json()["sheets"] if s["id"] == toan.pk)["status"] == "open"
    assert post(principal, base + "reopen-sheet/", reopen).status_code == 409  # no longer submitted
    assert post(principal, base + "lock/", {"semester": 1}).json()["code"] == "sheets_not_submitted"
    actions = set(AuditEvent.objects.filter(org_unit=s1.school).values_list("action", flat=True))
    assert {"grade.semester_lock", "grade.semester_unlock", "grade.sheet_reopen"} <= actions


def test_decisions_after_the_year(year_computed):
    world = year_computed
    s1 = world.school1
    result = YearResult.objects.get(student=s1.students_a[0], school_class=s1.class_a)
    assert result.title_proposed
    base = f"/api/v1/gradebook/year-results/{result.pk}/"
    principal = api(s1.users["principal"])

    assert post(api(world.school2.users["principal"]), base + "title/", {"title": ""}).status_code == 404
    guardian = post(api(s1.users["guardian"]), base + "title/", {"title": result.title_proposed})
    assert guardian.status_code == 403  # sees their child's result, decides nothing
    assert post(api(s1.users["homeroom_teacher"]), base + "title/", {"title": ""}).status_code == 403
    wrong = post(principal, base + "title/", {"title": "khong_co"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "title_not_allowed"
    confirmed = post(principal, base + "title/", {"title": result.title_proposed})
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["title_confirmed"] == result.title_proposed

    not_primary = post(principal, base + "exemplary/", {"flag": True})
    assert not_primary.status_code == 400 and not_primary.json()["code"] == "not_tt27"
    assert post(principal, base + "exemplary/", {}).status_code == 400  # the flag is required
    unknown = post(principal, base + "retest/", {"subject": "XYZ", "value": "6"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "subject_unknown"
    promoted = post(principal, base + "retest/", {"subject": "toan", "value": "6"})
    assert promoted.status_code == 400 and promoted.json()["code"] == "retest_not_eligible"
    summer = post(api(s1.users["homeroom_teacher"]), base + "summer-conduct/", {"level": "Đ"})
    assert summer.status_code == 400 and summer.json()["code"] == "summer_training_not_eligible"

    unlock_semester(
        actor=actor_for(s1.users["principal"]),
        school_class=s1.class_a,
        semester=2,
        reason="Cập nhật số buổi nghỉ học kì II.",
    )
    stale = post(principal, base + "title/", {"title": ""})
    assert stale.status_code == 409 and stale.json()["code"] == "results_stale"
    assert YearResult.objects.get(pk=result.pk).title_confirmed == result.title_proposed


def test_transcript_generate_sign_seal_and_correct(year_computed, ca_dir):  # noqa: F811
    world = year_computed
    s1 = world.school1
    issue_credentials(s1)
    teacher, principal = api(s1.users["homeroom_teacher"]), api(s1.users["principal"])
    pupil = s1.students_a[0]
    generate = "/api/v1/transcripts/generate/"
    body = {"class": s1.class_a.pk, "student": pupil.pk}

    for outsider in (s1.users["guardian"], world.school2.users["principal"], s1.users["subject_teacher"]):
        assert post(api(outsider), generate, body).status_code == 404
    assert post(teacher, generate, {**body, "student": s1.students_b[0].pk}).status_code == 404
    assert post(teacher, generate, {"student": pupil.pk}).status_code == 400
    assert not Transcript.objects.exists()

    created = post(teacher, generate, body)
    assert created.status_code == 201, created.json()
    draft = created.json()
    assert draft["status"] == "draft" and draft["version"] == 1 and draft["student"] == pupil.pk
    remade = post(teacher, generate, body)
    assert remade.status_code == 200 and remade.json()["id"] == draft["id"]

    sign = f"/api/v1/transcripts/{draft['id']}/sign/"
    early = post(principal, sign, {"role": "principal"})
    assert early.status_code == 409 and early.json()["code"] == "out_of_order"
    assert "Giáo viên chủ nhiệm chưa ký" in early.json()["detail"]
    assert post(principal, sign, {"role": "homeroom"}).status_code == 403
    assert post(principal, sign, {"role": "boss"}).status_code == 400
    assert post(api(world.school2.users["principal"]), sign, {"role": "principal"}).status_code == 404

    steps = [(teacher, "homeroom", "teacher_signed"), (principal, "principal", "principal_signed")]
    steps.append((principal, "seal", "sealed"))
    for client, role, status in steps:
        signed = post(client, sign, {"role": role})
        assert signed.status_code == 200, signed.json()
        assert signed.json()["status"] == status
    sealed = signed.json()
    assert [s["role"] for s in sealed["signatures"]] == ["homeroom", "principal", "seal"]
    assert sealed["sealed_at"] and sealed["sha256"] != draft["sha256"]
    done = post(principal, sign, {"role": "seal"})
    assert done.status_code == 409 and done.json()["code"] == "sealed"
    assert post(teacher, generate, body).json()["code"] == "transcript_signed"

    correct = f"/api/v1/transcripts/{draft['id']}/correct/"
    assert post(api(s1.users["guardian"]), correct, {"reason": "Phụ huynh muốn sửa."}).status_code == 403
    short = post(teacher, correct, {"reason": "sai"})
    assert short.status_code == 400 and short.json()["code"] == "reason_required"
    corrected = post(teacher, correct, {"reason": "Nhập nhầm điểm Toán học kì II."})
    assert corrected.status_code == 201, corrected.json()
    v2 = corrected.json()
    assert v2["version"] == 2 and v2["supersedes"] == draft["id"] and v2["status"] == "draft"
    assert v2["correction_reason"] == "Nhập nhầm điểm Toán học kì II."
    assert Transcript.objects.get(pk=draft["id"]).status == TranscriptStatus.SEALED
