"""Demo scores: every generated cell is a value the sheet would accept, statuses and locks as described."""

import pytest

from edudx.core.api import Role
from edudx.gradebook import columns as cols
from edudx.gradebook.curriculum import rules_of
from edudx.gradebook.demo import fill_demo_scores
from edudx.gradebook.models import ClassSemesterLock, LockEvent, ScoreCell, ScoreSheet, SheetStatus
from edudx.registry.api import ClassMembership
from edudx.testing import build_primary_school

pytestmark = pytest.mark.django_db


def test_fill_produces_valid_cells_statuses_and_locks(world):
    th = build_primary_school(world)
    schools = [world.school1.school, th.school]
    teacher = world.school1.users[Role.SUBJECT_TEACHER]
    report = fill_demo_scores(world.year, schools=schools, open_teacher_username=teacher.username)
    assert report.classes == 4 and report.cells == ScoreCell.objects.count() > 0
    sheets = {sheet.pk: sheet for sheet in ScoreSheet.objects.select_related("rule_set", "subject")}
    assert len(sheets) == report.sheets
    # Every cell passes parse_cell unchanged, in a column of its sheet, for a pupil of the class.
    members = set(ClassMembership.objects.values_list("school_class_id", "student_id"))
    for cell in ScoreCell.objects.all():
        sheet = sheets[cell.sheet_id]
        columns = {c["code"]: cols.column_from_dict(c) for c in sheet.columns}
        value, number = cols.parse_cell(columns[cell.column], cell.value, rules_of(sheet.rule_set))
        assert (value, number) == (cell.value, cell.number), (cell.column, cell.value)
        assert (sheet.school_class_id, cell.student_id) in members
    # TT27 tests agree with the level at the same checkpoint.
    for cell in ScoreCell.objects.filter(column="kt_ck"):
        level = ScoreCell.objects.get(sheet=cell.sheet_id, student=cell.student_id, column="muc_ck").value
        assert {"T": range(8, 11), "H": range(5, 9), "C": range(2, 5)}[level].__contains__(int(cell.value))
    # Semester I locked with its lock and event; semester II submitted; the demo teacher's sheet open, partly empty.
    open_sheet = ScoreSheet.objects.get(status=SheetStatus.OPEN)
    assert report.open_sheets == [open_sheet.pk]
    assert (open_sheet.school_class, open_sheet.subject.code, open_sheet.semester) == (world.school1.class_b, "TOAN", 2)
    filled = set(ScoreCell.objects.filter(sheet=open_sheet).values_list("column", flat=True))
    assert filled <= {"tx1", "tx2"}
    assert set(ScoreSheet.objects.filter(semester=1).values_list("status", flat=True)) == {SheetStatus.LOCKED}
    assert set(ScoreSheet.objects.filter(semester=2).exclude(pk=open_sheet.pk).values_list("status", flat=True)) == {
        SheetStatus.SUBMITTED
    }
    assert ClassSemesterLock.objects.filter(semester=1, locked=True).count() == 4
    principal = world.school1.users[Role.PRINCIPAL]
    assert LockEvent.objects.filter(lock__school_class=world.school1.class_a, action="lock", by=principal).exists()
    # A second run changes nothing.
    again = fill_demo_scores(world.year, schools=schools, open_teacher_username=teacher.username)
    assert again.cells == 0 and ScoreCell.objects.count() == report.cells


def test_fill_without_lock_leaves_semester_1_submitted(world):
    report = fill_demo_scores(world.year, schools=[world.school2.school], lock=False, open_teacher_username="")
    assert report.locked_classes == 0 and not ClassSemesterLock.objects.exists()
    assert set(ScoreSheet.objects.values_list("status", flat=True)) == {SheetStatus.SUBMITTED}
    assert ScoreSheet.objects.filter(school_class__school=world.school1.school).count() == 0
