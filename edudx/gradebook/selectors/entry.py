"""Reads of score entry: the sheets an actor works with (grouped by class, with fill progress) and a sheet's grid.

Every query starts from ``policy_for(ScoreSheet).visible(actor, verb)``; the grid of a sheet is read only after
the caller found the sheet among the visible ones. Students are the current members of the class (membership not
ended), in Vietnamese class-list order: by given name (the last word), then by the whole name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from edudx.core.api import Actor, ValidationFailed, paths_q, policy_for
from edudx.core.rules import fold_vietnamese
from edudx.registry.api import ClassMembership, SchoolClass, SchoolYear, Student, TeachingAssignment

from .. import columns as cols
from ..curriculum import rules_of, sheet_columns
from ..models import GradeSubject, ScoreCell, ScoreSheet, SheetKind, SheetStatus
from ..rules import semester_average
from ..rulesets import Tt22RuleSet

__all__ = [
    "REQUIRED_TYPES",
    "Grid",
    "GridRow",
    "SheetGroup",
    "SheetProgress",
    "cell_payload",
    "class_students",
    "has_average",
    "name_order_key",
    "openable_classes",
    "row_average",
    "sheet_grid",
    "sheet_groups",
    "sheet_list",
    "sheet_teacher_name",
    "student_average",
]

# Columns that must be filled before a sheet is submitted and that count in its progress: every assessment
# (scores, Đ/CĐ, T/H/C, scheduled tests, rèn luyện and phẩm chất/năng lực levels). Remarks are optional; empty
# absences mean none.
REQUIRED_TYPES = frozenset({cols.SCORE, cols.COMMENT_RESULT, cols.LEVEL27, cols.TEST27, cols.CONDUCT, cols.QUALITY27})


def sheet_list(*, actor: Actor, verb: str = "view") -> QuerySet[ScoreSheet]:
    """Sheets the actor may see (``view``) or enter scores in (``enter``), with what a list shows."""
    return (
        policy_for(ScoreSheet)
        .visible(actor, verb)
        .select_related("school_class__school", "school_class__year", "school_class__grade", "subject")
    )


# ---------------------------------------------------------------------------------------------------------------
# Students in class-list order
# ---------------------------------------------------------------------------------------------------------------


def name_order_key(full_name: str) -> tuple[str, str, str]:
    """Vietnamese class lists sort by given name (the last word), then by the full name; diacritics break ties."""
    words = full_name.split()
    given = words[-1] if words else ""
    return fold_vietnamese(given), fold_vietnamese(full_name), full_name


def class_students(school_class: SchoolClass) -> list[Student]:
    """Current members of the class (membership not ended), in class-list order."""
    students = list(
        Student.objects.filter(memberships__school_class=school_class, memberships__left_on__isnull=True)
        .select_related("person")
        .distinct()
    )
    students.sort(key=lambda s: (name_order_key(s.person.full_name), s.pk))
    return students


# ---------------------------------------------------------------------------------------------------------------
# Averages shown live in the grid
# ---------------------------------------------------------------------------------------------------------------


def row_average(columns: list[cols.Column], numbers: dict[str, Decimal | None], rules: object) -> Decimal | None:
    """ĐTBmhk of one row of a TT22 scored sheet when every score is present; None otherwise (or not scored)."""
    if not isinstance(rules, Tt22RuleSet):
        return None
    regular = [c.code for c in columns if c.type == cols.SCORE and c.code.startswith("tx")]
    periodic = {c.code for c in columns if c.type == cols.SCORE} & {"gk", "ck"}
    if not regular or periodic != {"gk", "ck"}:
        return None
    scores = [numbers.get(code) for code in regular]
    midterm, final = numbers.get("gk"), numbers.get("ck")
    if any(s is None for s in scores) or midterm is None or final is None:
        return None
    try:
        return semester_average(
            regular_scores=[s for s in scores if s is not None],
            midterm=midterm,
            final=final,
            rules=rules,
            required_count=len(regular),
        )
    except ValidationFailed:
        return None


def has_average(sheet: ScoreSheet) -> bool:
    """Whether the grid shows ĐTBmhk: TT22 subject sheets whose assessments are scores."""
    return sheet.kind == SheetKind.SUBJECT and any(c["type"] == cols.SCORE and c["code"] == "gk" for c in sheet.columns)


def student_average(sheet: ScoreSheet, student_id: int) -> Decimal | None:
    if not has_average(sheet):
        return None
    numbers = dict(ScoreCell.objects.filter(sheet=sheet, student_id=student_id).values_list("column", "number"))
    return row_average(sheet_columns(sheet), numbers, rules_of(sheet.rule_set))


# ---------------------------------------------------------------------------------------------------------------
# The grid of a sheet
# ---------------------------------------------------------------------------------------------------------------


def cell_payload(cell: ScoreCell | None, column_type: str) -> dict[str, Any]:
    """What the grid and the API know of a cell: canonical value, how it shows, and its version (0 = none)."""
    if cell is None:
        return {"value": "", "display": "", "version": 0}
    return {"value": cell.value, "display": cols.display(column_type, cell.value), "version": cell.version}


@dataclass
class GridRow:
    student: Student
    cells: list[dict[str, Any]]  # in column order, each with "column" added
    average: Decimal | None = None

    @property
    def average_display(self) -> str:
        return _average_text(self.average)


@dataclass
class Grid:
    sheet: ScoreSheet
    columns: list[cols.Column]
    rows: list[GridRow]
    show_average: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet.pk,
            "status": self.sheet.status,
            "columns": [c.as_dict() for c in self.columns],
            "show_average": self.show_average,
            "rows": [
                {
                    "student": row.student.pk,
                    "code": row.student.moet_code,
                    "name": row.student.person.full_name,
                    "cells": {c["column"]: {k: c[k] for k in ("value", "display", "version")} for c in row.cells},
                    "average": _average_text(row.average),
                }
                for row in self.rows
            ],
        }


def _average_text(value: Decimal | None) -> str:
    return cols.display(cols.SCORE, str(value)) if value is not None else ""


def sheet_grid(*, sheet: ScoreSheet) -> Grid:
    """Students × columns of a sheet the caller already found among the visible ones (3 queries)."""
    columns = sheet_columns(sheet)
    students = class_students(sheet.school_class)
    cells: dict[tuple[int, str], ScoreCell] = {
        (cell.student_id, cell.column): cell for cell in ScoreCell.objects.filter(sheet=sheet)
    }
    rules = rules_of(sheet.rule_set)
    show_average = has_average(sheet)
    rows = []
    for student in students:
        row_cells = []
        numbers: dict[str, Decimal | None] = {}
        for column in columns:
            cell = cells.get((student.pk, column.code))
            numbers[column.code] = cell.number if cell is not None else None
            row_cells.append({"column": column.code, "type": column.type, **cell_payload(cell, column.type)})
        average = row_average(columns, numbers, rules) if show_average else None
        rows.append(GridRow(student=student, cells=row_cells, average=average))
    return Grid(sheet=sheet, columns=columns, rows=rows, show_average=show_average)


def sheet_teacher_name(sheet: ScoreSheet) -> str:
    """The subject teacher assigned for the sheet's semester, or the homeroom teacher of a homeroom sheet."""
    if sheet.kind == SheetKind.HOMEROOM:
        teacher = sheet.school_class.homeroom_teacher
        return teacher.person.full_name if teacher is not None else ""
    assignment = (
        TeachingAssignment.objects.filter(
            school_class=sheet.school_class, subject=sheet.subject, semester__in=[0, sheet.semester]
        )
        .select_related("staff__person")
        .order_by("-semester")
        .first()
    )
    return assignment.staff.person.full_name if assignment is not None else ""


# ---------------------------------------------------------------------------------------------------------------
# "My sheets": grouped by class and semester, with fill progress
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class SheetProgress:
    sheet: ScoreSheet
    filled: int
    expected: int
    editable: bool

    @property
    def percent(self) -> int:
        return int(self.filled * 100 / self.expected) if self.expected else 0

    @property
    def locked(self) -> bool:
        return self.sheet.status == SheetStatus.LOCKED


@dataclass
class SheetGroup:
    school_class: SchoolClass
    semester: int
    sheets: list[SheetProgress] = field(default_factory=list)

    @property
    def filled(self) -> int:
        return sum(s.filled for s in self.sheets)

    @property
    def expected(self) -> int:
        return sum(s.expected for s in self.sheets)


def _required_codes(sheet: ScoreSheet) -> set[str]:
    return {c["code"] for c in sheet.columns if c["type"] in REQUIRED_TYPES}


def sheet_groups(
    *,
    actor: Actor,
    semester: int | None = None,
    school_class: SchoolClass | None = None,
    year: SchoolYear | None = None,
) -> list[SheetGroup]:
    """Visible sheets grouped by (class, semester), each with cells filled / expected over the required columns
    and the current members; sheets the actor may enter are marked ``editable``. A fixed number of queries."""
    sheets = sheet_list(actor=actor, verb="view")
    if semester is not None:
        sheets = sheets.filter(semester=semester)
    if school_class is not None:
        sheets = sheets.filter(school_class=school_class)
    if year is not None:
        sheets = sheets.filter(school_class__year=year)
    sheet_rows = list(
        sheets.order_by("school_class__grade__order", "school_class__name", "semester", "kind", "subject__name")
    )
    if not sheet_rows:
        return []
    # Subjects in the order of the curriculum (the order of the học bạ), the homeroom sheet first.
    order: dict[tuple[int, int | None], int] = {
        (grade, subject): position
        for grade, subject, position in GradeSubject.objects.filter(
            grade_id__in={s.school_class.grade_id for s in sheet_rows}
        ).values_list("grade_id", "subject_id", "order")
    }
    sheet_rows.sort(
        key=lambda s: (
            s.school_class.grade.order,
            s.school_class.name,
            s.semester,
            s.kind != SheetKind.HOMEROOM,
            order.get((s.school_class.grade_id, s.subject_id), 999),
        )
    )
    ids = [s.pk for s in sheet_rows]
    editable = set(sheet_list(actor=actor, verb="enter").filter(pk__in=ids).values_list("pk", flat=True))
    class_ids = {s.school_class_id for s in sheet_rows}
    members = dict(
        ClassMembership.objects.filter(school_class_id__in=class_ids, left_on__isnull=True)
        .values("school_class_id")
        .annotate(n=Count("pk"))
        .values_list("school_class_id", "n")
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for sheet_id, column, n in (
        ScoreCell.objects.filter(sheet_id__in=ids)
        .exclude(value="")
        .filter(
            student__memberships__school_class=F("sheet__school_class"),
            student__memberships__left_on__isnull=True,
        )
        .values("sheet_id", "column")
        .annotate(n=Count("pk"))
        .values_list("sheet_id", "column", "n")
    ):
        counts[sheet_id][column] = n
    groups: dict[tuple[int, int], SheetGroup] = {}
    for sheet in sheet_rows:
        key = (sheet.school_class_id, sheet.semester)
        group = groups.setdefault(key, SheetGroup(school_class=sheet.school_class, semester=sheet.semester))
        required = _required_codes(sheet)
        filled = sum(n for code, n in counts[sheet.pk].items() if code in required)
        expected = len(required) * members.get(sheet.school_class_id, 0)
        group.sheets.append(SheetProgress(sheet, filled, expected, sheet.pk in editable))
    return list(groups.values())


def openable_classes(*, actor: Actor, year: SchoolYear | None) -> QuerySet[SchoolClass]:
    """Classes whose sheets the actor may open: leaders with ``grade.view`` over the school; the homeroom teacher
    and the teachers assigned to the class, inside the units where they hold a teaching role."""
    visible = policy_for(SchoolClass).visible(actor, "view")
    q = paths_q("school__path", actor.subtree_paths("grade.view"))
    person = actor.person_id
    if person is not None:
        for grant in actor.related_grants("grade.enter"):
            q |= (Q(homeroom_teacher__person_id=person) | Q(teaching_assignments__staff__person_id=person)) & Q(
                school__path__startswith=grant.unit_path
            )
    classes = visible.filter(q)
    if year is not None:
        classes = classes.filter(year=year)
    return classes.select_related("school", "year", "grade").order_by("school__name", "grade__order", "name").distinct()
