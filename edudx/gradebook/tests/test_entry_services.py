"""Score entry services: one cell per column type, optimistic versions, blocks all-or-nothing, submitting."""

from __future__ import annotations

from decimal import Decimal

import pytest

from edudx.core.api import AuditEvent, Conflict, NotPermitted, ValidationFailed, actor_for
from edudx.core.audit import verify_chain
from edudx.gradebook.curriculum import ensure_sheets
from edudx.gradebook.models import ScoreCell, ScoreSheet, SheetStatus
from edudx.gradebook.selectors.entry import sheet_grid, sheet_groups
from edudx.gradebook.services.entry import save_cell, save_cells, submit_sheet
from edudx.registry.api import ClassMembership, Subject
from edudx.testing import build_primary_school

pytestmark = pytest.mark.django_db


def subject_sheet(school_class, code: str, semester: int = 1) -> ScoreSheet:
    ensure_sheets(school_class, semester)
    return ScoreSheet.objects.get(school_class=school_class, subject__code=code, semester=semester)


def homeroom_sheet(school_class, semester: int = 1) -> ScoreSheet:
    ensure_sheets(school_class, semester)
    return ScoreSheet.objects.get(school_class=school_class, kind="homeroom", semester=semester)


def teacher_of(world):
    return actor_for(world.school1.users["subject_teacher"])


@pytest.fixture
def toan(world) -> ScoreSheet:
    """Toán HK I of 6A2 (school 1), taught by the school's subject teacher: TX1–TX4, GK, CK, Nhận xét."""
    return subject_sheet(world.school1.class_b, "TOAN")


def set_cell(actor, sheet, student, column, raw, version=None):
    return save_cell(actor=actor, sheet=sheet, student=student, column=column, raw=raw, expected_version=version)


# ---------------------------------------------------------------------------------------------------------------
# One cell, per column type
# ---------------------------------------------------------------------------------------------------------------

TT22_SUBJECT_CASES = [
    # (column, typed, stored value, stored number) — stored None means refused with a Vietnamese message.
    ("tx1", "8", "8", Decimal("8")),
    ("tx1", "8,5", "8.5", Decimal("8.5")),
    ("tx2", " 10 ", "10", Decimal("10")),
    ("gk", "0", "0", Decimal("0")),
    ("ck", "7.0", "7", Decimal("7")),
    ("tx1", "7,25", None, "một chữ số"),
    ("tx1", "11", None, "từ 0 đến 10"),
    ("tx1", "-1", None, "từ 0 đến 10"),
    ("tx1", "tám", None, "không phải là một số"),
    ("nx", "Chăm chỉ, tiến bộ", "Chăm chỉ, tiến bộ", None),
    ("nx", "x" * 1001, None, "tối đa"),
]


def check_cases(actor, sheet, student, cases) -> None:
    """Each case on a clean sheet: the stored value, or a refusal whose message contains ``expected``."""
    for column, typed, value, expected in cases:
        ScoreCell.objects.all().delete()
        if value is None:
            with pytest.raises(ValidationFailed) as exc:
                set_cell(actor, sheet, student, column, typed)
            assert expected in exc.value.message, (column, typed, exc.value.message)
            assert not ScoreCell.objects.exists()
            continue
        cell = set_cell(actor, sheet, student, column, typed)
        cell.refresh_from_db()
        assert (cell.value, cell.version) == (value, 1), (column, typed)
        if expected is not None:
            assert cell.number == expected, (column, typed)


def test_tt22_scored_subject_cells(world, toan):
    check_cases(teacher_of(world), toan, world.school1.students_b[0], TT22_SUBJECT_CASES)


def test_tt22_comment_subject_cells(world):
    from edudx.registry.api import TeachingAssignment

    sheet = subject_sheet(world.school1.class_b, "GDTC")
    TeachingAssignment.objects.create(
        staff=world.school1.subject_teacher,
        school_class=world.school1.class_b,
        subject=Subject.objects.get(code="GDTC"),
    )
    cases = [
        ("tx1", "Đ", "dat", None),
        ("tx2", "đạt", "dat", None),
        ("gk", "CĐ", "chua_dat", None),
        ("ck", "chưa đạt", "chua_dat", None),
        ("tx1", "Tốt", None, "Đ (Đạt) hoặc CĐ"),
        ("tx1", "8", None, "Đ (Đạt) hoặc CĐ"),
    ]
    check_cases(teacher_of(world), sheet, world.school1.students_b[1], cases)


def test_tt22_homeroom_cells(world):
    cases = [
        ("rl", "T", "tot", None),
        ("rl", "khá", "kha", None),
        ("rl", "CĐ", "chua_dat", None),
        ("rl", "Giỏi", None, "T (Tốt), K (Khá)"),
        ("vang_cp", "3", "3", Decimal("3")),
        ("vang_kp", "1,5", None, "số nguyên"),
        ("vang_kp", "400", None, "số nguyên từ 0 đến 366"),
    ]
    teacher = actor_for(world.school1.users["homeroom_teacher"])
    check_cases(teacher, homeroom_sheet(world.school1.class_a), world.school1.students_a[0], cases)


def test_tt27_cells(world):
    th = build_primary_school(world)
    subject_cases = [
        ("muc_gk", "t", "T", None),
        ("muc_ck", "Hoàn thành", "H", None),
        ("muc_ck", "A", None, "T (Hoàn thành tốt)"),
        ("kt_ck", "9", "9", Decimal("9")),
        ("kt_ck", "8,5", None, "số nguyên"),  # TT27: whole numbers only
        ("kt_ck", "11", None, "từ 0 đến 10"),
    ]
    teacher = actor_for(th.users["subject_teacher"])
    check_cases(teacher, subject_sheet(th.class_b, "NN1"), th.students_b[0], subject_cases)
    homeroom_cases = [
        ("pc_yn", "Đ", "D", None),
        ("nl_tt", "cần cố gắng", "C", None),
        ("nl_tt", "Khá", None, "T (Tốt), Đ (Đạt) hoặc C"),
    ]
    homeroom = actor_for(th.users["homeroom_teacher"])
    check_cases(homeroom, homeroom_sheet(th.class_a), th.students_a[0], homeroom_cases)


def test_unknown_column_and_student_outside_the_class_are_refused(world, toan):
    teacher = teacher_of(world)
    with pytest.raises(ValidationFailed, match="không có cột"):
        set_cell(teacher, toan, world.school1.students_b[0], "tx9", "8")
    with pytest.raises(ValidationFailed, match="không \\(còn\\) học lớp 6A2"):
        set_cell(teacher, toan, world.school1.students_a[0], "tx1", "8")
    leaver = world.school1.students_b[2]
    ClassMembership.objects.filter(student=leaver).update(left_on="2025-12-01")
    with pytest.raises(ValidationFailed, match="không \\(còn\\) học"):
        set_cell(teacher, toan, leaver, "tx1", "8")
    assert not ScoreCell.objects.exists()


def test_save_writes_one_audit_event_and_unchanged_writes_nothing(world, toan):
    teacher, student = teacher_of(world), world.school1.students_b[0]
    cell = set_cell(teacher, toan, student, "tx1", "8")
    event = AuditEvent.objects.get(action="grade.cell_set")
    assert event.before == {"value": "", "version": 0}
    assert event.after == {"value": "8", "version": 1}
    assert event.org_unit == world.school1.school
    again = set_cell(teacher, toan, student, "tx1", "8,0", version=1)
    assert again.version == 1
    assert AuditEvent.objects.filter(action="grade.cell_set").count() == 1
    cleared = set_cell(teacher, toan, student, "tx1", "", version=cell.version)
    assert (cleared.value, cleared.number, cleared.version) == ("", None, 2)
    assert AuditEvent.objects.filter(action="grade.cell_set").count() == 2
    assert verify_chain().ok


# ---------------------------------------------------------------------------------------------------------------
# Optimistic versions
# ---------------------------------------------------------------------------------------------------------------


def test_second_save_over_the_same_version_is_a_conflict_naming_who_when_and_what(world, toan):
    teacher, student = teacher_of(world), world.school1.students_b[0]
    first = set_cell(teacher, toan, student, "gk", "7")
    set_cell(teacher, toan, student, "gk", "7,5", version=first.version)
    with pytest.raises(Conflict) as exc:
        set_cell(teacher, toan, student, "gk", "9", version=first.version)
    message = exc.value.message
    assert "GVBM a" in message  # who (the user's full name)
    assert "7,5" in message  # the current value, as shown
    assert "GK" in message and student.person.full_name in message
    assert exc.value.details[0]["current"] == {"value": "7.5", "display": "7,5", "version": 2}
    assert ScoreCell.objects.get(column="gk").value == "7.5"
    # A new cell must be created over version 0/None: two "first" saves conflict too.
    set_cell(teacher, toan, student, "ck", "6")
    with pytest.raises(Conflict):
        set_cell(teacher, toan, student, "ck", "8", version=0)


def test_different_cells_over_the_same_base_both_succeed(world, toan):
    teacher, student = teacher_of(world), world.school1.students_b[0]
    set_cell(teacher, toan, student, "tx1", "8")
    set_cell(teacher, toan, student, "tx2", "9")
    assert dict(ScoreCell.objects.values_list("column", "value")) == {"tx1": "8", "tx2": "9"}


# ---------------------------------------------------------------------------------------------------------------
# Blocks (paste)
# ---------------------------------------------------------------------------------------------------------------


def test_block_saves_every_cell_with_one_event_each(world, toan):
    teacher, (a, b, _c) = teacher_of(world), world.school1.students_b
    result = save_cells(
        actor=teacher,
        sheet=toan,
        changes=[
            {"student": a.pk, "column": "tx1", "value": "8", "version": 0},
            {"student": a.pk, "column": "tx2", "value": "7,5", "version": None},
            {"student": b.pk, "column": "tx1", "value": "", "version": 0},  # empty over nothing: no-op
        ],
    )
    assert result.ok and result.changed == 2
    assert AuditEvent.objects.filter(action="grade.cell_set").count() == 2
    assert verify_chain().ok
    versions = {(c.column, c.version) for c in ScoreCell.objects.all()}
    assert versions == {("tx1", 1), ("tx2", 1)}
    result = save_cells(
        actor=teacher,
        sheet=toan,
        changes=[
            {"student": a.pk, "column": "tx1", "value": "9", "version": 1},
            {"student": a.pk, "column": "tx2", "value": "7.5", "version": 1},  # unchanged
        ],
    )
    assert result.ok and result.changed == 1
    assert ScoreCell.objects.get(column="tx1").version == 2


def test_block_with_one_bad_cell_writes_nothing_and_names_each_error(world, toan):
    teacher, (a, b, _c) = teacher_of(world), world.school1.students_b
    set_cell(teacher, toan, b, "gk", "5")
    result = save_cells(
        actor=teacher,
        sheet=toan,
        changes=[
            {"student": a.pk, "column": "tx1", "value": "8", "version": 0},
            {"student": a.pk, "column": "tx2", "value": "12", "version": 0},
            {"student": b.pk, "column": "gk", "value": "6", "version": 0},  # stale version
            {"student": world.school1.students_a[0].pk, "column": "tx1", "value": "6", "version": 0},
        ],
    )
    assert not result.ok and result.has_conflict
    assert [(e.index, e.column, e.code) for e in result.errors] == [
        (1, "tx2", "score_out_of_range"),
        (2, "gk", "conflict"),
        (3, "tx1", "student_not_in_class"),
    ]
    assert result.errors[1].current == {"value": "5", "display": "5", "version": 1}
    assert list(ScoreCell.objects.values_list("column", "value")) == [("gk", "5")]
    assert AuditEvent.objects.filter(action="grade.cell_set").count() == 1


# ---------------------------------------------------------------------------------------------------------------
# Submitting and locks
# ---------------------------------------------------------------------------------------------------------------


def fill(actor, sheet, students, skip=()):
    changes = [
        {"student": s.pk, "column": c["code"], "value": "8", "version": 0}
        for s in students
        for c in sheet.columns
        if c["type"] != "text" and (s.pk, c["code"]) not in skip
    ]
    assert save_cells(actor=actor, sheet=sheet, changes=changes).ok


def test_submit_refuses_while_required_cells_are_empty_and_names_them(world, toan):
    teacher, students = teacher_of(world), world.school1.students_b
    fill(teacher, toan, students, skip={(students[1].pk, "tx3"), (students[1].pk, "ck")})
    with pytest.raises(ValidationFailed) as exc:
        submit_sheet(actor=teacher, sheet=toan)
    assert "còn 1 học sinh" in exc.value.message
    assert f"{students[1].person.full_name} (TX3, CK)" in exc.value.message
    toan.refresh_from_db()
    assert toan.status == SheetStatus.OPEN
    save_cells(
        actor=teacher,
        sheet=toan,
        changes=[{"student": students[1].pk, "column": c, "value": "9", "version": 0} for c in ("tx3", "ck")],
    )
    submitted = submit_sheet(actor=teacher, sheet=toan)
    assert submitted.status == SheetStatus.SUBMITTED and submitted.submitted_by == teacher.user
    assert AuditEvent.objects.filter(action="grade.sheet_submit").count() == 1
    # Still editable after submitting (until the principal locks the semester).
    cell = ScoreCell.objects.get(student=students[0], column="tx1")
    assert set_cell(teacher, toan, students[0], "tx1", "10", version=cell.version).value == "10"
    with pytest.raises(ValidationFailed, match="đã được nộp"):
        submit_sheet(actor=teacher, sheet=toan)


def test_locked_sheet_refuses_every_write(world, toan):
    teacher, student = teacher_of(world), world.school1.students_b[0]
    ScoreSheet.objects.filter(pk=toan.pk).update(status=SheetStatus.LOCKED)
    with pytest.raises(NotPermitted, match="đã được khoá") as exc:
        set_cell(teacher, toan, student, "tx1", "8")
    assert exc.value.code == "sheet_locked"
    with pytest.raises(NotPermitted, match="đã được khoá"):
        save_cells(actor=teacher, sheet=toan, changes=[{"student": student.pk, "column": "tx1", "value": "8"}])
    with pytest.raises(NotPermitted, match="đã được khoá"):
        submit_sheet(actor=teacher, sheet=toan)
    assert not ScoreCell.objects.exists()


# ---------------------------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------------------------


def test_grid_orders_by_given_name_and_computes_the_semester_average(world, toan):
    teacher, students = teacher_of(world), world.school1.students_b
    names = ["Trần Văn Bình", "Nguyễn Thị Ánh", "Lê An"]
    for student, name in zip(students, names, strict=True):
        student.person.full_name = name
        student.person.save()
    a = students[0]
    for column, value in (("tx1", "8"), ("tx2", "8"), ("tx3", "9"), ("tx4", "7"), ("gk", "7,5")):
        set_cell(teacher, toan, a, column, value)
    grid = sheet_grid(sheet=toan)
    assert [r.student.person.full_name for r in grid.rows] == ["Lê An", "Nguyễn Thị Ánh", "Trần Văn Bình"]
    assert grid.show_average and grid.rows[2].average is None  # CK missing
    set_cell(teacher, toan, a, "ck", "8")
    row = sheet_grid(sheet=toan).rows[2]
    # (8 + 8 + 9 + 7 + 2·7.5 + 3·8) / 9 = 71 / 9 = 7.88… → 7.9
    assert row.average == Decimal("7.9")
    assert sheet_grid(sheet=toan).as_json()["rows"][2]["average"] == "7,9"


def test_groups_show_progress_and_which_sheets_the_actor_may_enter(world, toan):
    teacher = teacher_of(world)
    set_cell(teacher, toan, world.school1.students_b[0], "tx1", "8")
    set_cell(teacher, toan, world.school1.students_b[0], "nx", "Tốt")  # remarks do not count
    groups = sheet_groups(actor=teacher, semester=1)
    assert [(g.school_class.name, [p.sheet.subject.code for p in g.sheets]) for g in groups] == [("6A2", ["TOAN"])]
    progress = groups[0].sheets[0]
    assert (progress.filled, progress.expected, progress.editable) == (1, 18, True)
    homeroom = actor_for(world.school1.users["homeroom_teacher"])
    ensure_sheets(world.school1.class_a, 1)
    mine = sheet_groups(actor=homeroom, semester=1)
    assert [g.school_class.name for g in mine] == ["6A1"]
    editable = [p.sheet.kind for p in mine[0].sheets if p.editable]
    assert editable == ["homeroom"] and len(mine[0].sheets) == 14
