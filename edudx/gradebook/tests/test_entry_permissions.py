"""Who may enter scores in which sheet: the permission matrix of score entry. Refusals change nothing."""

from __future__ import annotations

import pytest

from edudx.core.api import AuditEvent, NotPermitted, actor_for
from edudx.gradebook.models import ScoreCell
from edudx.gradebook.services.entry import save_cell, save_cells, submit_sheet
from edudx.registry.api import TeachingAssignment

from .test_entry_services import homeroom_sheet, subject_sheet

pytestmark = pytest.mark.django_db


def refused(user, sheet, student) -> None:
    actor = actor_for(user)
    with pytest.raises(NotPermitted):
        save_cell(actor=actor, sheet=sheet, student=student, column="tx1", raw="8", expected_version=None)
    with pytest.raises(NotPermitted):
        save_cells(actor=actor, sheet=sheet, changes=[{"student": student.pk, "column": "tx1", "value": "8"}])
    with pytest.raises(NotPermitted):
        submit_sheet(actor=actor, sheet=sheet)


def test_permission_matrix_for_a_subject_sheet(world):
    s1 = world.school1
    toan_b = subject_sheet(s1.class_b, "TOAN")  # taught by s1's subject teacher
    toan_a = subject_sheet(s1.class_a, "TOAN")  # nobody teaches it; s1's homeroom teacher leads 6A1
    student_a, student_b = s1.students_a[0], s1.students_b[0]
    refused(s1.users["subject_teacher"], toan_a, student_a)  # another class's teacher
    refused(s1.users["homeroom_teacher"], toan_a, student_a)  # homeroom teacher on a subject sheet of their class
    refused(s1.users["homeroom_teacher"], toan_b, student_b)
    refused(s1.users["guardian"], toan_a, student_a)  # the first pupil of 6A1 is the guardian's child
    refused(s1.users["student"], toan_a, student_a)
    refused(s1.users["principal"], toan_b, student_b)  # leaders see, they do not enter
    refused(world.school2.users["subject_teacher"], toan_b, student_b)  # another school's teacher of Toán
    refused(world.nobody, toan_b, student_b)
    assert not ScoreCell.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="grade.").exists()
    teacher = actor_for(s1.users["subject_teacher"])
    cell = save_cell(actor=teacher, sheet=toan_b, student=student_b, column="tx1", raw="8", expected_version=None)
    assert cell.value == "8"


def test_semester_two_teacher_cannot_enter_semester_one(world):
    s1 = world.school1
    TeachingAssignment.objects.filter(school_class=s1.class_b).update(semester=2)
    hk1, hk2 = subject_sheet(s1.class_b, "TOAN", 1), subject_sheet(s1.class_b, "TOAN", 2)
    refused(s1.users["subject_teacher"], hk1, s1.students_b[0])
    teacher = actor_for(s1.users["subject_teacher"])
    cell = save_cell(actor=teacher, sheet=hk2, student=s1.students_b[0], column="tx1", raw="8", expected_version=None)
    assert cell.sheet == hk2
    assert ScoreCell.objects.count() == 1


def test_homeroom_sheet_is_entered_by_its_homeroom_teacher_only(world):
    s1 = world.school1
    sheet = homeroom_sheet(s1.class_a)
    student = s1.students_a[0]
    for user in (s1.users["subject_teacher"], s1.users["principal"], world.school2.users["homeroom_teacher"]):
        with pytest.raises(NotPermitted):
            save_cell(actor=actor_for(user), sheet=sheet, student=student, column="rl", raw="T", expected_version=None)
    teacher = actor_for(s1.users["homeroom_teacher"])
    assert save_cell(actor=teacher, sheet=sheet, student=student, column="rl", raw="T", expected_version=None).value
