"""Locking a class's semester: refusals, the lock itself, locked sheets refusing edits, unlock with a reason."""

from __future__ import annotations

import pytest

from edudx.core.api import AuditEvent, Conflict, NotPermitted, ValidationFailed, actor_for
from edudx.gradebook.models import ClassSemesterLock, LockEvent, ScoreCell, ScoreSheet, SheetStatus, YearResult
from edudx.gradebook.services.entry import save_cell
from edudx.gradebook.services.locking import lock_semester, reopen_sheet, unlock_semester
from edudx.gradebook.services.results import compute_class_results
from edudx.gradebook.tests.results_data import fill, tt22_student
from edudx.registry.api import Subject

pytestmark = pytest.mark.django_db

A = ["9.1", "8.5", "8.0", "8.2", "7.0", "8.8", "9.3", "6.6"]


def _filled(world, submit=True):
    s1 = world.school1
    values = {st: tt22_student(A) for st in s1.students_b}
    return fill(s1.class_b, 1, values, submit=submit)


def test_lock_refuses_listing_unsubmitted_sheets_and_teachers(world):
    s1 = world.school1
    sheets = _filled(world)
    toan = next(s for s in sheets if s.subject_id and s.subject.code == "TOAN")
    ScoreSheet.objects.filter(pk=toan.pk).update(status=SheetStatus.OPEN)
    with pytest.raises(ValidationFailed) as exc:
        lock_semester(actor=actor_for(s1.users["principal"]), school_class=s1.class_b, semester=1)
    assert exc.value.code == "sheets_not_submitted"
    assert Subject.objects.get(code="TOAN").name in exc.value.message
    assert s1.subject_teacher.person.full_name in exc.value.message
    assert [m["what"] for m in exc.value.details["missing"]] == ["Toán"]
    # Nothing changed: no sheet locked, no lock, no event.
    assert not ScoreSheet.objects.filter(school_class=s1.class_b, status=SheetStatus.LOCKED).exists()
    assert not ClassSemesterLock.objects.filter(school_class=s1.class_b, locked=True).exists()
    assert not AuditEvent.objects.filter(action="grade.semester_lock").exists()


def test_lock_refuses_when_sheets_were_never_opened(world):
    s1 = world.school1
    with pytest.raises(ValidationFailed) as exc:
        lock_semester(actor=actor_for(s1.users["principal"]), school_class=s1.class_a, semester=2)
    assert len(exc.value.details["missing"]) == 14  # 13 subjects and the homeroom sheet


@pytest.mark.parametrize("role", ["homeroom_teacher", "subject_teacher", "clerk", "guardian"])
def test_only_school_leaders_lock(world, role):
    s1 = world.school1
    _filled(world)
    with pytest.raises(NotPermitted):
        lock_semester(actor=actor_for(s1.users[role]), school_class=s1.class_b, semester=1)
    with pytest.raises(NotPermitted):
        lock_semester(actor=actor_for(world.school2.users["principal"]), school_class=s1.class_b, semester=1)
    assert not ScoreSheet.objects.filter(school_class=s1.class_b, status=SheetStatus.LOCKED).exists()


def test_lock_then_cells_refuse_edits_and_unlock_needs_a_reason(world):
    s1 = world.school1
    _filled(world)
    principal = actor_for(s1.users["principal"])
    lock = lock_semester(actor=principal, school_class=s1.class_b, semester=1)
    assert lock.locked
    statuses = set(ScoreSheet.objects.filter(school_class=s1.class_b, semester=1).values_list("status", flat=True))
    assert statuses == {SheetStatus.LOCKED}
    with pytest.raises(Conflict):
        lock_semester(actor=principal, school_class=s1.class_b, semester=1)
    toan = ScoreSheet.objects.get(school_class=s1.class_b, semester=1, subject__code="TOAN")
    student = s1.students_b[0]
    cell = ScoreCell.objects.get(sheet=toan, student=student, column="ck")
    with pytest.raises(NotPermitted):
        save_cell(
            actor=actor_for(s1.users["subject_teacher"]),
            sheet=toan,
            student=student,
            column="ck",
            raw="3",
            expected_version=cell.version,
        )
    cell.refresh_from_db()
    assert cell.value == "8.5"

    compute_class_results(actor=principal, school_class=s1.class_b)
    for reason in ("", "   ", "ngắn"):
        with pytest.raises(ValidationFailed):
            unlock_semester(actor=principal, school_class=s1.class_b, semester=1, reason=reason)
    assert ClassSemesterLock.objects.get(school_class=s1.class_b, semester=1).locked
    with pytest.raises(NotPermitted):
        unlock_semester(
            actor=actor_for(s1.users["homeroom_teacher"]),
            school_class=s1.class_b,
            semester=1,
            reason="Sửa điểm nhập nhầm của môn Toán",
        )
    unlock_semester(actor=principal, school_class=s1.class_b, semester=1, reason="Sửa điểm nhập nhầm của môn Toán")
    statuses = set(ScoreSheet.objects.filter(school_class=s1.class_b, semester=1).values_list("status", flat=True))
    assert statuses == {SheetStatus.SUBMITTED}
    assert list(LockEvent.objects.filter(lock=lock).values_list("action", "reason")) == [
        ("unlock", "Sửa điểm nhập nhầm của môn Toán"),
        ("lock", ""),
    ]
    event = AuditEvent.objects.get(action="grade.semester_unlock")
    assert event.reason == "Sửa điểm nhập nhầm của môn Toán"
    assert all(r.details.get("stale") for r in YearResult.objects.filter(school_class=s1.class_b))
    # Once unlocked, the teacher may correct; relocking and computing clears the stale mark.
    save_cell(
        actor=actor_for(s1.users["subject_teacher"]),
        sheet=toan,
        student=student,
        column="ck",
        raw="9",
        expected_version=cell.version,
    )
    lock_semester(actor=principal, school_class=s1.class_b, semester=1)
    compute_class_results(actor=principal, school_class=s1.class_b)
    assert not any(r.details.get("stale") for r in YearResult.objects.filter(school_class=s1.class_b))


def test_reopen_sheet_sends_one_sheet_back_while_unlocked(world):
    s1 = world.school1
    sheets = _filled(world)
    principal = actor_for(s1.users["principal"])
    toan = next(s for s in sheets if s.subject_id and s.subject.code == "TOAN")
    with pytest.raises(ValidationFailed):
        reopen_sheet(actor=principal, sheet=toan, reason="")
    with pytest.raises(NotPermitted):
        reopen_sheet(actor=actor_for(s1.users["subject_teacher"]), sheet=toan, reason="Thiếu nhận xét học sinh")
    reopen_sheet(actor=principal, sheet=toan, reason="Thiếu nhận xét học sinh")
    toan.refresh_from_db()
    assert toan.status == SheetStatus.OPEN
    assert AuditEvent.objects.filter(action="grade.sheet_reopen", reason="Thiếu nhận xét học sinh").exists()
    ScoreSheet.objects.filter(pk=toan.pk).update(status=SheetStatus.SUBMITTED)
    lock_semester(actor=principal, school_class=s1.class_b, semester=1)
    with pytest.raises(Conflict):
        reopen_sheet(actor=principal, sheet=toan, reason="Thiếu nhận xét học sinh")
