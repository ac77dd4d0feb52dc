"""Results of a class: subject averages or levels, học tập and rèn luyện levels, promotion, titles (TT22 / TT27).

``compute_class_results`` reads the class's locked sheets with a fixed number of queries and applies the pure rules
of ``rules.py`` under the rule-set version the sheets were opened with. For TT22 the database sums each student's
scores per subject sheet (two aggregate queries per class, scored and comment sheets); Python computes the averages
and levels from the exact sums in whole score steps (``rules.StepRules``, the Decimal rules' answers), and a sheet
holding a value the sums cannot stand for is read cell by cell and goes through the Decimal rules, which refuse
what they refuse. TT27 sheets are read cell by cell. The class's small reads are compiled once per process
(``_Read``) and rows are written through ``core.bulk.insert_rows`` (a prepared INSERT, or ``COPY`` on PostgreSQL);
only the rows that changed are written. It stores one ``SubjectResult`` per student and subject and one
``YearResult`` per student, each explaining its decision in ``details``. With semester I locked alone only the
semester-I fields are filled; the year fields need both semesters locked. Computing is idempotent (same cells, same
rows, no audit event for an unchanged student) and all-or-nothing.

After the year results: re-assessment (``record_retest``, TT22 Điều 14 / TT27 re-test replacing the end-of-year
test), the re-evaluation of rèn luyện after summer training (``record_summer_conduct``, TT22 Điều 13), the
principal's decision on titles (``confirm_title``) and the class's recognition of a "tiêu biểu" pupil
(``set_exemplary``, TT27 Điều 13). Each recomputes the student's year result with the same rules.
"""

from __future__ import annotations

import inspect
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db import connection, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.api import Actor, Conflict, NotPermitted, Role, ValidationFailed, audit, insert_rows
from edudx.registry.api import SchoolClass, Student, Subject

from .. import columns as cols
from .. import rules
from ..curriculum import circular_for, grade_subjects, rules_of
from ..enums import (
    Circular,
    CommentResult,
    PromotionOutcome,
    Tt22Title,
    Tt27Checkpoint,
    Tt27Classification,
    Tt27Title,
)
from ..models import (
    ClassSemesterLock,
    GradeSubject,
    RuleSetVersion,
    ScoreCell,
    ScoreSheet,
    SheetKind,
    SubjectKind,
    SubjectResult,
    YearResult,
)
from ..rules import StepRules
from ..rulesets import Tt22RuleSet, Tt27RuleSet
from .locking import is_principal_of, may_lock

__all__ = [
    "compute_class_results",
    "confirm_title",
    "locked_semesters",
    "may_compute",
    "may_set_exemplary",
    "record_retest",
    "record_summer_conduct",
    "retest_candidates",
    "set_exemplary",
    "title_choices",
]

YEAR_FIELDS = (
    "learning_1",
    "learning_2",
    "learning_year",
    "learning_adjusted",
    "conduct_1",
    "conduct_2",
    "conduct_year",
    "absences",
    "promotion",
    "completes_level",
    "title_proposed",
    "title_confirmed",
    "classification",
    "homeroom_comment",
    "details",
)
SUBJECT_FIELDS = (
    "kind",
    "semester_1",
    "semester_2",
    "year",
    "semester_1_result",
    "semester_2_result",
    "year_result",
    "test_score",
)
AUDITED_YEAR_FIELDS = YEAR_FIELDS[:-2]  # not the comment nor the explanation
# A year result before any rule: every audited field empty, then the comment.
_EMPTY_YEAR: dict[str, Any] = {
    **{f: "" for f in AUDITED_YEAR_FIELDS},
    "learning_adjusted": False,
    "completes_level": False,
    "absences": 0,
    "homeroom_comment": "",
}


# ---------------------------------------------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------------------------------------------


def _is_homeroom_teacher(actor: Actor, school_class: SchoolClass) -> bool:
    teacher = school_class.homeroom_teacher
    if teacher is None or actor.person_id is None or teacher.person_id != actor.person_id:
        return False
    path = school_class.school.path
    return any(g.role == Role.HOMEROOM_TEACHER and path.startswith(g.unit_path) for g in actor.grants)


def may_compute(actor: Actor, school_class: SchoolClass) -> bool:
    """The school's leaders (``grade.lock``) and the class's homeroom teacher compute and record re-assessments."""
    return may_lock(actor, school_class) or _is_homeroom_teacher(actor, school_class)


def may_set_exemplary(actor: Actor, school_class: SchoolClass) -> bool:
    """The class's recognition of a "tiêu biểu" pupil is recorded by its homeroom teacher or the principal."""
    return is_principal_of(actor, school_class) or _is_homeroom_teacher(actor, school_class)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotPermitted(message)


def locked_semesters(school_class: SchoolClass, *, for_update: bool = False) -> set[int]:
    read = _read_locks_for_update if for_update else _read_locks
    return {semester for (semester,) in read(school_class=school_class.pk)}


# ---------------------------------------------------------------------------------------------------------------
# Reads of a fixed shape
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: list[Any]
    slots: dict[int, tuple[str, type]]  # position in params → (parameter, type of the value there)
    converters: list[tuple[int, Any, Any, bool]]  # (column, converter functions, expression, unshared)


class _Read:
    """A read whose shape never changes, compiled by the ORM once per database and then run as plain SQL.

    Computing a class makes a dozen small reads, and compiling each through the ORM costs several times running
    it. ``build`` takes one ``int`` keyword per parameter and returns a ``values_list`` queryset; it is compiled
    once with placeholder numbers, and each call runs the kept SQL with the placeholders replaced by the values
    given. Columns go through the same database converters as the ORM's (Decimal, bool, datetime, JSON), each
    distinct raw value converted once per call, except the columns named in ``unshared`` (values that callers may
    change, such as a JSON explanation), converted for each row.
    """

    def __init__(self, build: Callable[..., QuerySet[Any]], *, unshared: tuple[str, ...] = ()) -> None:
        self.build = build
        self.parameters = tuple(inspect.signature(build).parameters)
        self.unshared = unshared
        self.compiled: dict[tuple[str, str], _Compiled] = {}

    def _compile(self, db: BaseDatabaseWrapper) -> _Compiled:
        # Numbers within every integer column's range (the ORM treats an out-of-range value as matching nothing).
        placeholders = {name: 31001 + index for index, name in enumerate(self.parameters)}
        queryset = self.build(**placeholders)
        compiler = queryset.query.get_compiler(connection=db)
        sql, params = compiler.as_sql()
        # A parameter may come typed for its column (PostgreSQL: Int2 for a small integer); it is typed alike.
        slots = {
            position: (name, type(value))
            for position, value in enumerate(params)
            for name, placeholder in placeholders.items()
            if isinstance(value, int) and not isinstance(value, bool) and value == placeholder
        }
        if sorted(name for name, _type in slots.values()) != sorted(self.parameters):
            raise AssertionError(f"each parameter of a fixed-shape read must appear once: {sql}")
        names = list(queryset.query.values_select)
        found = compiler.get_converters([expression for expression, _sql, _alias in compiler.select])
        converters = [
            (position, functions, expression, position < len(names) and names[position] in self.unshared)
            for position, (functions, expression) in sorted(found.items())
        ]
        return _Compiled(sql, list(params), slots, converters)

    def __call__(self, **values: int) -> list[tuple[Any, ...]]:
        db = connection
        key = (db.alias, db.vendor)
        compiled = self.compiled.get(key)
        if compiled is None:
            compiled = self.compiled[key] = self._compile(db)
        sql, converters = compiled.sql, compiled.converters
        arguments = list(compiled.params)
        for position, (name, kind) in compiled.slots.items():
            arguments[position] = values[name] if kind is int else kind(values[name])
        with db.cursor() as cursor:
            cursor.execute(sql, arguments)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
        if not converters or not rows:
            return rows
        # Column by column: the distinct raw values of a shared column are converted once, then looked up.
        columns: list[Any] = list(zip(*rows, strict=True))
        for position, functions, expression, unshared in converters:
            convert = _converter(functions, expression, db, memoised=False)
            column = columns[position]
            memo: dict[Any, Any] | None = None
            if not unshared:
                try:
                    memo = {raw: convert(raw) for raw in set(column)}
                except TypeError:  # an unhashable raw value
                    memo = None
            if memo is None:
                columns[position] = [convert(raw) for raw in column]
            else:
                columns[position] = [memo[raw] for raw in column]
        return list(zip(*columns, strict=True))


def _converter(
    functions: list[Callable[..., Any]], expression: Any, db: BaseDatabaseWrapper, *, memoised: bool = True
) -> Callable[[Any], Any]:
    """A column's database converters as one function; ``memoised``, each distinct raw value is converted once
    (the values are then shared between rows: Decimal, str, int, bool, datetime, or JSON only read). ``None``
    stays ``None``."""

    def run(raw: Any) -> Any:
        if raw is None:
            return None
        for function in functions:
            raw = function(raw, expression, db)
        return raw

    if not memoised:
        return run
    memo: dict[Any, Any] = {None: None}

    def convert(raw: Any) -> Any:
        try:
            return memo[raw]
        except KeyError:
            memo[raw] = value = run(raw)
            return value
        except TypeError:  # an unhashable raw value
            return run(raw)

    return convert


def _raw_rows(queryset: QuerySet[Any], *names: str) -> tuple[list[tuple[Any, ...]], list[Callable[[Any], Any]]]:
    """The rows of ``queryset.values_list(*names)`` as the database returns them, with one converter per column
    (``_converter``; ``_unchanged`` for a column without converters), for reads whose shape varies."""
    compiler = queryset.values_list(*names).query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    found = compiler.get_converters([expression for expression, _sql, _alias in compiler.select])
    db = connections[queryset.db]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    converters: list[Callable[[Any], Any]] = []
    for position in range(len(names)):
        if position in found:
            functions, expression = found[position]
            converters.append(_converter(functions, expression, db))
        else:
            converters.append(_unchanged)
    return rows, converters


def _unchanged(raw: Any) -> Any:
    return raw


def _locks_of_class(school_class: int) -> QuerySet[Any]:
    return ClassSemesterLock.objects.filter(school_class_id=school_class, locked=True).values_list("semester")


def _locks_for_update(school_class: int) -> QuerySet[Any]:
    return (
        ClassSemesterLock.objects.filter(school_class_id=school_class, locked=True)
        .select_for_update()
        .values_list("semester")
    )


def _sheets_of_class(school_class: int, semester_at_most: int) -> QuerySet[Any]:
    # The rule set version comes with each sheet: its stored data is decoded once per process (``rules_of``).
    return ScoreSheet.objects.filter(school_class_id=school_class, semester__lte=semester_at_most).values_list(
        "pk", "subject_id", "kind", "semester", "columns", "rule_set_id", "rule_set__circular",
        "rule_set__code", "rule_set__version", "rule_set__created_at",
    )  # fmt: skip


def _students_of_class(school_class: int) -> QuerySet[Any]:
    return (
        Student.objects.filter(memberships__school_class_id=school_class, memberships__left_on__isnull=True)
        .order_by("person__search_name", "pk")
        .values_list("pk", "person__full_name")
    )


def _one_student_of_class(school_class: int, student: int) -> QuerySet[Any]:
    return _students_of_class(school_class).filter(pk=student)


def _curriculum_of_grade(grade: int) -> QuerySet[Any]:
    # As ``curriculum.grade_subjects``: the grade's subjects in their order.
    return (
        GradeSubject.objects.filter(grade_id=grade)
        .order_by("order")
        .values_list("subject_id", "kind", "subject__code", "subject__name")
    )


def _homeroom_cells_of_class(school_class: int, semester_at_most: int) -> QuerySet[Any]:
    return (
        ScoreCell.objects.filter(
            sheet__school_class_id=school_class,
            sheet__kind=SheetKind.HOMEROOM,
            sheet__semester__lte=semester_at_most,
            column__in=_HOMEROOM_COLUMNS,
        )
        .exclude(value="")
        .values_list("sheet_id", "student_id", "column", "value", "number")
    )


def _year_results_of_class(school_class: int) -> QuerySet[Any]:
    return YearResult.objects.filter(school_class_id=school_class).values_list(*_YEAR_ATTNAMES)


def _subject_results_of_class(school_class: int) -> QuerySet[Any]:
    return SubjectResult.objects.filter(school_class_id=school_class).values_list(
        "pk", "student_id", "subject_id", "retest", "rule_set_id", *SUBJECT_FIELDS
    )


def _year_result_ids_of_class(school_class: int) -> QuerySet[Any]:
    return YearResult.objects.filter(school_class_id=school_class).values_list("student_id", "pk")


_ABSENCE_COLUMNS = ("vang_cp", "vang_kp")  # excused and unexcused sessions
_HOMEROOM_COLUMNS = ("rl", "nx", *_ABSENCE_COLUMNS)
_YEAR_ATTNAMES = tuple(f.attname for f in YearResult._meta.concrete_fields)
_read_locks = _Read(_locks_of_class)
_read_locks_for_update = _Read(_locks_for_update)
_read_sheets = _Read(_sheets_of_class)
_read_students = _Read(_students_of_class)
_read_one_student = _Read(_one_student_of_class)
_read_curriculum = _Read(_curriculum_of_grade)
_read_homeroom_cells = _Read(_homeroom_cells_of_class)
_read_year_results = _Read(_year_results_of_class, unshared=("details",))
_read_subject_results = _Read(_subject_results_of_class)
_read_year_result_ids = _Read(_year_result_ids_of_class)


# ---------------------------------------------------------------------------------------------------------------
# Reading a class in one go
# ---------------------------------------------------------------------------------------------------------------

CellMap = dict[str, tuple[str, Decimal | None]]  # column → (value, number)
_NO_CELLS: CellMap = {}


@dataclass(frozen=True)
class SubjectPlan:
    """One curriculum subject of the class with, per computed semester, its sheet and columns (None: no sheet)."""

    subject_id: int
    code: str
    name: str
    scored: bool
    sheets: tuple[tuple[int, int | None, tuple[str, ...], tuple[str, ...]], ...]  # (semester, sheet, codes, tx)
    year_sheets: tuple[int, int] | None = None  # both semesters' sheets, each with its columns


@dataclass
class ClassData:
    """Everything the computation of one class needs, read with a fixed number of queries."""

    school_class: SchoolClass
    circular: Circular
    version: RuleSetVersion  # without its data
    rules: Tt22RuleSet | Tt27RuleSet
    semesters: tuple[int, ...]
    plans: list[SubjectPlan]  # the curriculum subjects in their order
    sheets: dict[tuple[int | None, int], tuple[int, tuple[str, ...]]]  # (subject or None, semester) → (id, codes)
    students: list[tuple[int, str]]  # (id, full name) in the order of names
    cells: dict[tuple[int, int], CellMap] = field(default_factory=dict)  # (student, sheet) → cells
    # TT22 subject sheets summed in the database (``_load_tt22_sums``), by student and sheet: ĐTBmhk in steps of a
    # scored sheet (None: incomplete), (values, Đạt) of a comment sheet.
    averages: dict[int, dict[int, int | None]] = field(default_factory=dict)
    comment_counts: dict[int, dict[int, tuple[int, int]]] = field(default_factory=dict)
    odd_students: set[int] = field(default_factory=set)  # with a subject sheet read cell by cell
    # (student, sheet) of scored sheets complete but without any regular column: the rules refuse them.
    no_regular: set[tuple[int, int]] = field(default_factory=set)
    steps: StepRules | None = None
    texts: tuple[str, ...] = ()  # ``steps.decimals`` as text
    absences: dict[int, int] = field(default_factory=dict)  # TT22: student → sessions missed in the semesters
    memo: dict[Any, Any] = field(default_factory=dict)  # answers of pure rules that depend on a few values
    common_details: dict[str, Any] = field(default_factory=dict)  # the same for every student of the class

    @property
    def has_year(self) -> bool:
        return 2 in self.semesters

    def student_cells(self, student_id: int, subject_id: int | None, semester: int) -> CellMap:
        sheet = self.sheets.get((subject_id, semester))
        if sheet is None:
            return _NO_CELLS
        return self.cells.get((student_id, sheet[0]), _NO_CELLS)

    def sheet_codes(self, subject_id: int | None, semester: int) -> tuple[str, ...]:
        sheet = self.sheets.get((subject_id, semester))
        return sheet[1] if sheet is not None else ()


def _load(school_class: SchoolClass, semesters: tuple[int, ...], only: int | None = None) -> ClassData:
    last = max(semesters)
    sheets = _read_sheets(school_class=school_class.pk, semester_at_most=last)
    if not sheets:
        raise ValidationFailed(_("Lớp chưa có sổ điểm nào trong học kì đã khoá."), code="no_sheets")
    if len({row[5] for row in sheets}) > 1:
        raise ValidationFailed(
            _("Các sổ điểm của lớp dùng những phiên bản bộ quy tắc khác nhau; không thể tính kết quả chung."),
            code="mixed_rule_sets",
        )
    _id, _subject, _kind, _semester, _columns, version_id, circular, code, number, created_at = sheets[0]
    # The version without its data, enough for ``rules_of`` (which keeps each version's decoded rule set).
    version = RuleSetVersion(id=version_id, circular=circular, code=code, version=number, created_at=created_at)
    if only is None:
        students = _read_students(school_class=school_class.pk)
    else:
        students = _read_one_student(school_class=school_class.pk, student=only)
    by_key = {
        (subject_id if kind == SheetKind.SUBJECT else None, semester): (pk, tuple(c["code"] for c in columns))
        for pk, subject_id, kind, semester, columns, *_version in sheets
    }
    plans = []
    for subject_id, kind, code, name in _read_curriculum(grade=school_class.grade_id):
        per_semester = []
        for semester in semesters:
            sheet = by_key.get((subject_id, semester))
            codes = sheet[1] if sheet is not None else ()
            regular = tuple(c for c in codes if c.startswith("tx"))
            per_semester.append((semester, sheet[0] if sheet is not None else None, codes, regular))
        pair = None
        if len(per_semester) == 2 and per_semester[0][2] and per_semester[1][2]:
            first_sheet, second_sheet = per_semester[0][1], per_semester[1][1]
            if first_sheet is not None and second_sheet is not None:
                pair = (first_sheet, second_sheet)
        plans.append(SubjectPlan(subject_id, code, name, kind == SubjectKind.SCORED, tuple(per_semester), pair))
    data = ClassData(
        school_class=school_class,
        circular=circular_for(school_class),
        version=version,
        rules=rules_of(version),
        semesters=semesters,
        plans=plans,
        sheets={key: value for key, value in by_key.items() if key[1] in semesters},
        students=students,
    )
    student_ids = [pk for pk, _name in students]
    if data.circular == Circular.TT22_2021 and isinstance(data.rules, Tt22RuleSet):
        steps = rules.step_rules(data.rules)
        if steps is None:
            raise AssertionError("the rule set's score step must divide 1 and the score bounds")
        data.steps = steps
        data.texts = tuple(str(value) for value in steps.decimals)
        wanted = set(student_ids)
        absences = data.absences
        for sheet_id, student_id, column, value, number in _read_homeroom_cells(
            school_class=school_class.pk, semester_at_most=last
        ):
            if student_id in wanted:
                data.cells.setdefault((student_id, sheet_id), {})[column] = (value, number)
                if number is not None and column in _ABSENCE_COLUMNS:  # as ``_absences`` counts them
                    absences[student_id] = absences.get(student_id, 0) + int(number)
        _load_tt22_sums(data, student_ids)
    else:
        data.cells = _read_cells([pk for pk, _name in data.sheets.values()], student_ids)
    return data


def _read_cells(
    sheet_ids: list[int], student_ids: list[int], columns: tuple[str, ...] = ()
) -> dict[tuple[int, int], CellMap]:
    """The non-empty cells of ``sheet_ids`` for ``student_ids`` (optionally only ``columns``) by (student, sheet)."""
    cells: dict[tuple[int, int], CellMap] = {}
    if not sheet_ids or not student_ids:
        return cells
    cell_rows = ScoreCell.objects.filter(sheet__in=sheet_ids, student__in=student_ids).exclude(value="")
    if columns:
        cell_rows = cell_rows.filter(column__in=columns)
    rows, converters = _raw_rows(cell_rows, "sheet_id", "student_id", "column", "value", "number")
    to_number = converters[4]
    if any(convert is not _unchanged for convert in converters[:4]):  # not on SQLite nor PostgreSQL
        rows = [tuple(convert(raw) for convert, raw in zip(converters, row, strict=True)) for row in rows]
        to_number = _unchanged
    for sheet_id, student_id, column, value, number in rows:
        if number is not None:
            number = to_number(number)
        key = (student_id, sheet_id)
        student_sheet = cells.get(key)
        if student_sheet is None:
            student_sheet = cells[key] = {}
        student_sheet[column] = (value, number)
    return cells


# ---------------------------------------------------------------------------------------------------------------
# TT22: subject sheets summed in the database
# ---------------------------------------------------------------------------------------------------------------

# A stored score counts as a whole number of steps when it is this close to one (SQLite keeps scores as floats:
# 8.3 × 10 = 83.00000000000001; the ORM itself rounds what it reads to one decimal).
_STEP_TOLERANCE = Decimal("0.001")

# Per (sheet, student), over the non-empty numbers of a scored sheet's regular columns (tx…), gk and ck: which
# columns are there (one bit each), the scores in whole steps packed into one integer (regular scores added up in
# the low bits, gk and ck above) and whether any score is out of range or not a whole step.
# Only these few aggregates run per cell: the averages are computed in Python from the exact sums. The constants
# of the expressions ({bits}, {scale}, …) are written in as literals (see ``_literal``): SQLite evaluates an
# expression over a bound parameter markedly slower, once per cell.
_SCORED_SQL = """
SELECT c.{sheet}, c.{student},
       {presence},
       SUM((CAST(ROUND(c.{number} * {scale}) AS BIGINT) - {low}) * CASE c.{column} {packing} ELSE 1 END),
       MAX(CASE WHEN c.{number} < {minimum} OR c.{number} > {maximum}
                  OR ABS(c.{number} * {scale} - ROUND(c.{number} * {scale})) > {tolerance} THEN 1 ELSE 0 END)
FROM {table} c
WHERE c.{sheet} IN ({sheets}){one_student} AND c.{value} <> '' AND c.{number} IS NOT NULL AND c.{column} IN ({columns})
GROUP BY c.{sheet}, c.{student}
"""
# The same on SQLite, in one sum and one check per cell without function calls (SQLite evaluates ``ROUND`` and
# ``ABS`` as calls, the larger part of the statement's time): each column has its own field of {width} bits
# holding its score in steps counted from one below the lowest (so an empty field is a missing score; the unique
# (sheet, student, column) constraint puts at most one score in a field), and the check refuses a score out of
# range or farther than the tolerance from a whole step (``CAST`` truncates; it rounds half-up here because
# every score it counts is at least the lowest, itself at least 0, and the rest are refused).
_SCORED_FIELDS_SQL = """
SELECT c.{sheet}, c.{student},
       SUM((CAST(c.{number} * {scale} + 0.5 AS INTEGER) + {lift}) * CASE c.{column} {packing} END),
       MAX(CASE WHEN c.{number} < {minimum} OR c.{number} > {maximum}
                  OR c.{number} * {scale} + {tolerance} - CAST(c.{number} * {scale} + {tolerance} AS INTEGER)
                     > {twice_tolerance} THEN 1 ELSE 0 END)
FROM {table} c
WHERE c.{sheet} IN ({sheets}){one_student} AND c.{value} <> '' AND c.{number} IS NOT NULL AND c.{column} IN ({columns})
GROUP BY c.{sheet}, c.{student}
"""
_FIELD_WIDTH = 8  # bits of a column's field: 1 to 127 (TT22: 1 to 101 for the scores 0 to 10)


# Per (sheet, student) of a comment sheet, over the non-empty values of its regular columns, gk and ck: which
# columns are there (only when the sheets differ in their columns: otherwise none but the sheet's own are read),
# how many values, how many are Đạt and how many are neither Đạt nor Chưa đạt.
_COMMENT_SQL = """
SELECT c.{sheet}, c.{student},
       {presence},
       COUNT(*),
       SUM(CASE WHEN c.{value} = {passed} THEN 1 ELSE 0 END),
       SUM(CASE WHEN c.{value} IN ({passed}, {not_passed}) THEN 0 ELSE 1 END)
FROM {table} c
WHERE c.{sheet} IN ({sheets}){one_student} AND c.{value} <> '' AND c.{column} IN ({columns})
GROUP BY c.{sheet}, c.{student}
"""


def _literal(value: int | Decimal | str) -> str:
    """An SQL literal for an ``int``, a finite ``Decimal`` or a code of letters, digits and underscores (column
    codes, Đ/CĐ); any other value is refused (ValueError), so nothing else is ever written into a statement."""
    if type(value) is int:
        return str(value)
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)
    if isinstance(value, str) and value and all(c.isascii() and (c.isalnum() or c == "_") for c in value):
        return f"'{value}'"
    raise ValueError(f"not a safe SQL literal: {value!r}")


def _sheet_bits(sheets: list[tuple[int, tuple[str, ...]]]) -> tuple[dict[str, int], dict[int, tuple[int, int]]]:
    """One bit per column code (the regular codes of every sheet, then gk and ck) and, per sheet, the bits of a
    complete student (its own regular codes, gk and ck) with how many of them are regular."""
    codes = sorted({c for _sheet, regular in sheets for c in regular})
    bits = {code: 1 << index for index, code in enumerate([*codes, "gk", "ck"])}
    per_sheet = {}
    for sheet_id, regular in sheets:
        full = bits["gk"] | bits["ck"]
        for code in regular:
            full |= bits[code]
        per_sheet[sheet_id] = (full, len(set(regular)))
    return bits, per_sheet


def _load_tt22_sums(data: ClassData, student_ids: list[int]) -> None:
    """Sum the subject sheets of a TT22 class in the database: two queries per class, scored and comment sheets.

    A scored (student, sheet) becomes its ĐTBmhk in whole steps (``data.averages``; None when a score is
    missing), a comment one its counts of values and of Đạt (``data.comment_counts``). A group holding a value the
    sums cannot stand for (a score out of range or not a whole step, a comment result other than Đ/CĐ, a cell of a
    column its sheet does not have) has its cells read one by one into ``data.cells`` instead, so the rules see and
    refuse exactly what they would have refused.
    """
    steps = data.steps
    assert steps is not None
    r = steps.rules
    scored: list[tuple[int, tuple[str, ...]]] = []
    commented: list[tuple[int, tuple[str, ...]]] = []
    for plan in data.plans:
        for _semester, sheet_id, _codes, regular in plan.sheets:
            if sheet_id is not None:
                (scored if plan.scored else commented).append((sheet_id, regular))
    if not student_ids:
        return
    # The sheets' cells are read by the leading column of the (sheet, student, column) index; the groups of pupils
    # no longer in the class are simply never looked up (filtering them here would make SQLite probe the index
    # once per sheet, pupil and column, several times slower). One pupil (a recomputation) is filtered.
    one_student = student_ids[0] if len(student_ids) == 1 else None
    wanted = set(student_ids)
    odd: set[tuple[int, int]] = set()
    layout = _field_layout(scored, steps) if scored else None
    if layout is not None:
        _sum_scored_fields(data, scored, layout, steps, one_student, wanted, odd)
    elif scored:
        bits, expected = _sheet_bits(scored)
        # Regular scores add up in the low bits; gk and ck sit above them, each field wide enough for its sums.
        # Scores are counted from the lowest valid one (0 under TT22) so that every field is non-negative.
        width = ((steps.high - steps.low) * (len(bits) + 1)).bit_length()
        field_mask = (1 << width) - 1
        packing = {"gk": 1 << width, "ck": 1 << (2 * width)}
        rows = _run_sums(
            _SCORED_SQL,
            scored,
            bits,
            one_student,
            packing=packing,
            scale=steps.scale,
            low=steps.low,
            minimum=r.score_min,
            maximum=r.score_max,
            tolerance=_STEP_TOLERANCE,
        )
        complete: list[tuple[int, int]] = []  # (student, sheet) of the sums below, averaged at once
        sums: list[tuple[int, int, int, int]] = []
        for sheet_id, student_id, present, packed, refused in rows:
            if student_id not in wanted:
                continue
            full, regular_count = expected[sheet_id]
            if refused or present & ~full:
                odd.add((student_id, sheet_id))  # a score out of range or between steps, a cell of another column
                continue
            per_student = data.averages.get(student_id)
            if per_student is None:
                per_student = data.averages[student_id] = {}
            if present != full:
                per_student[sheet_id] = None
            elif not regular_count:
                per_student[sheet_id] = None
                data.no_regular.add((student_id, sheet_id))
            else:
                packed = int(packed)
                complete.append((student_id, sheet_id))
                sums.append(
                    (
                        (packed & field_mask) + steps.low * regular_count,
                        regular_count,
                        ((packed >> width) & field_mask) + steps.low,
                        (packed >> (2 * width)) + steps.low,
                    )
                )
        for (student_id, sheet_id), average in zip(
            complete, rules.semester_averages_steps(sums, steps=steps), strict=True
        ):
            data.averages[student_id][sheet_id] = average
    if commented:
        bits, expected = _sheet_bits(commented)
        alike = len({regular for _sheet, regular in commented}) == 1
        rows = _run_sums(
            _COMMENT_SQL,
            commented,
            bits,
            one_student,
            presence=not alike,
            passed=str(CommentResult.PASSED),
            not_passed=str(CommentResult.NOT_PASSED),
        )
        for sheet_id, student_id, present, filled, passed, unknown in rows:
            if student_id not in wanted:
                continue
            if present & ~expected[sheet_id][0] or unknown:
                odd.add((student_id, sheet_id))
                continue
            counts = data.comment_counts.get(student_id)
            if counts is None:
                counts = data.comment_counts[student_id] = {}
            counts[sheet_id] = (int(filled), int(passed))
    if odd:
        cells = _read_cells(sorted({k[1] for k in odd}), sorted({k[0] for k in odd}))
        data.cells.update((key, cells.get(key, _NO_CELLS)) for key in odd)
        data.odd_students.update(student_id for student_id, _sheet in odd)


def _field_layout(sheets: list[tuple[int, tuple[str, ...]]], steps: StepRules) -> dict[str, int] | None:
    """The shift of each column's field for ``_SCORED_FIELDS_SQL`` (regular codes of every sheet, gk, ck), or None
    where that statement does not apply: another engine, scores below 0 or more than a field holds, or more
    columns than a 64-bit sum holds whatever a damaged cell may contain (up to the largest number the column
    stores)."""
    if connection.vendor != "sqlite" or steps.low < 0 or steps.high - steps.low + 1 >= 1 << (_FIELD_WIDTH - 1):
        return None
    codes = [*sorted({c for _sheet, regular in sheets for c in regular}), "gk", "ck"]
    number = cast(models.DecimalField[Any, Any], ScoreCell._meta.get_field("number"))
    largest = (10 ** (number.max_digits - number.decimal_places) * steps.scale + abs(steps.low) + 2).bit_length()
    if _FIELD_WIDTH * (len(codes) - 1) + largest + len(codes).bit_length() > 62:
        return None
    return {code: _FIELD_WIDTH * index for index, code in enumerate(codes)}


def _sum_scored_fields(
    data: ClassData,
    scored: list[tuple[int, tuple[str, ...]]],
    layout: dict[str, int],
    steps: StepRules,
    one_student: int | None,
    wanted: set[int],
    odd: set[tuple[int, int]],
) -> None:
    """``_load_tt22_sums`` for scored sheets with ``_SCORED_FIELDS_SQL``: the same averages, refusals and odd
    groups as the packed sums."""
    field_mask = (1 << _FIELD_WIDTH) - 1
    high_bit = 1 << (_FIELD_WIDTH - 1)
    everything = sum(field_mask << shift for shift in layout.values())
    # Per sheet: the fields outside its columns, and the constants telling at once whether each of its fields is
    # filled (a field f ≥ 1 reaches the field's high bit when high_bit - 1 is added, without carrying over).
    per_sheet: dict[int, tuple[int, int, int, tuple[int, ...], int, int]] = {}
    for sheet_id, regular in scored:
        regular_shifts = [layout[c] for c in dict.fromkeys(regular)]
        own = [*regular_shifts, layout["gk"], layout["ck"]]
        inside = sum(field_mask << shift for shift in own)
        per_sheet[sheet_id] = (
            everything & ~inside,
            sum((high_bit - 1) << shift for shift in own),
            sum(high_bit << shift for shift in own),
            tuple(regular_shifts),
            layout["gk"],
            layout["ck"],
        )
    rows = _run_sums(
        _SCORED_FIELDS_SQL,
        scored,
        dict.fromkeys(layout, 0),
        one_student,
        packing={code: 1 << shift for code, shift in layout.items()},
        presence=False,
        scale=steps.scale,
        lift=1 - steps.low,
        minimum=steps.rules.score_min,
        maximum=steps.rules.score_max,
        tolerance=_STEP_TOLERANCE,
        twice_tolerance=2 * _STEP_TOLERANCE,
    )
    offset = steps.low - 1  # a field holds steps - offset
    complete: list[tuple[int, int]] = []
    sums: list[tuple[int, int, int, int]] = []
    averages = data.averages
    for sheet_id, student_id, packed, refused in rows:
        if student_id not in wanted:
            continue
        outside, add, highs, shifts, midterm_shift, final_shift = per_sheet[sheet_id]
        packed = int(packed) if packed is not None else 0
        if refused or packed & outside:
            odd.add((student_id, sheet_id))  # a score out of range or between steps, a cell of another column
            continue
        per_student = averages.get(student_id)
        if per_student is None:
            per_student = averages[student_id] = {}
        if (packed + add) & highs != highs:
            per_student[sheet_id] = None
        elif not shifts:
            per_student[sheet_id] = None
            data.no_regular.add((student_id, sheet_id))
        else:
            complete.append((student_id, sheet_id))
            sums.append(
                (
                    sum((packed >> shift) & field_mask for shift in shifts) + offset * len(shifts),
                    len(shifts),
                    ((packed >> midterm_shift) & field_mask) + offset,
                    ((packed >> final_shift) & field_mask) + offset,
                )
            )
    for (student_id, sheet_id), average in zip(complete, rules.semester_averages_steps(sums, steps=steps), strict=True):
        averages[student_id][sheet_id] = average


def _run_sums(
    template: str,
    sheets: list[tuple[int, tuple[str, ...]]],
    bits: dict[str, int],
    one_student: int | None,
    packing: dict[str, int] | None = None,
    presence: bool = True,
    **constants: int | Decimal | str,
) -> list[tuple[Any, ...]]:
    meta = ScoreCell._meta
    quote = connection.ops.quote_name

    def name(field_name: str) -> str:
        return quote(cast(models.Field[Any, Any], meta.get_field(field_name)).column)

    # The CASE expressions come first in the statement; a code that cannot be a literal is bound there instead.
    params: list[Any] = []

    def cases(mapping: dict[str, int]) -> str:
        parts = []
        for code, value in mapping.items():
            try:
                parts.append(f"WHEN {_literal(code)} THEN {_literal(value)}")
            except ValueError:
                parts.append(f"WHEN %s THEN {_literal(value)}")
                params.append(code)
        return " ".join(parts)

    # Only quoted names, placeholders and checked literals are formatted in; the sheets, the pupil and the column
    # codes of the WHERE clause are bound parameters.
    template = template.replace("{presence}", "SUM(CASE c.{column} {bits} END)" if presence else "0")
    sql = template.format(
        table=quote(meta.db_table),
        sheet=name("sheet"),
        student=name("student"),
        column=name("column"),
        value=name("value"),
        number=name("number"),
        bits=cases(bits) if presence else "",
        packing=cases(packing or {}),
        sheets=", ".join(["%s"] * len(sheets)),
        one_student=f" AND c.{name('student')} = %s" if one_student is not None else "",
        columns=", ".join(["%s"] * len(bits)),
        **{key: _literal(value) for key, value in constants.items()},
    )
    params += [sheet_id for sheet_id, _regular in sheets]
    if one_student is not None:
        params.append(one_student)
    params += list(bits)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cast(list[tuple[Any, ...]], cursor.fetchall())


# ---------------------------------------------------------------------------------------------------------------
# TT22 (THCS)
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class StudentOutcome:
    year: dict[str, Any]  # YEAR_FIELDS
    subjects: dict[int, tuple[Any, ...]]  # subject id → SubjectResult values in SUBJECT_FIELDS order


def _value(cells: CellMap, code: str) -> str:
    return cells.get(code, ("", None))[0]


def _number(cells: CellMap, code: str) -> Decimal | None:
    return cells.get(code, ("", None))[1]


def _absences(data: ClassData, student_id: int) -> int:
    total = 0
    for semester in data.semesters:
        cells = data.student_cells(student_id, None, semester)
        for code in _ABSENCE_COLUMNS:
            number = _number(cells, code)
            total += int(number) if number is not None else 0
    return total


def _level_detail(result: rules.LearningLevelResult) -> dict[str, Any]:
    detail: dict[str, Any] = {"level": str(result.level), "computed": str(result.computed_level)}
    if result.adjusted:
        detail["adjusted_for_subject"] = result.adjusted_for_subject
    return detail


def _tt22_thresholds(r: Tt22RuleSet) -> dict[str, Any]:
    return {
        "learning_levels": [
            {
                "level": str(row.level),
                "every_scored_at_least": str(row.every_scored_at_least),
                "scored_count": row.scored_count,
                "scored_count_at_least": str(row.scored_count_at_least),
                "comment_not_passed_at_most": row.comment_not_passed_at_most,
            }
            for row in r.learning_level_rules
        ],
        "adjustment_mode": str(r.adjustment_mode),
        "absence_limit_sessions": r.absence_limit_sessions,
        "retest_below_score": str(r.retest_below_score),
        "title_excellent": {"score": str(r.title_excellent_score), "count": r.title_excellent_count},
    }


def _tt22_common(data: ClassData, r: Tt22RuleSet) -> dict[str, Any]:
    if not data.common_details:
        data.common_details = {
            "rule_set": f"{data.version.code} v{data.version.version}",
            "circular": str(data.circular),
            "thresholds": _tt22_thresholds(r),
            "scored_subjects": [p.code for p in data.plans if p.scored],
            "comment_subjects": [p.code for p in data.plans if not p.scored],
        }
    return data.common_details


def _comment_result(filled: int, passed: int, r: Tt22RuleSet) -> CommentResult:
    """``rules.comment_subject_semester_result`` of ``filled`` Đ/CĐ values of which ``passed`` are Đ."""
    values = [CommentResult.PASSED] * passed + [CommentResult.NOT_PASSED] * (filled - passed)
    return rules.comment_subject_semester_result(values, rules=r)


def _semester_average_of_cells(cells: CellMap, regular_codes: tuple[str, ...], steps: StepRules) -> int | None:
    """ĐTBmhk in steps of a sheet read cell by cell, with the Decimal rules (None: a score is missing)."""
    regular = [_number(cells, c) for c in regular_codes]
    midterm, final = _number(cells, "gk"), _number(cells, "ck")
    if midterm is None or final is None or any(v is None for v in regular):
        return None
    value = rules.semester_average(
        regular_scores=[v for v in regular if v is not None],
        midterm=midterm,
        final=final,
        rules=steps.rules,
        required_count=len(regular_codes),
    )
    return int(value * steps.scale)


def _tt22_student(data: ClassData, sid: int, previous: YearResult | None, retests: dict[int, str]) -> StudentOutcome:
    """One student's subject averages and results, semester and year levels, conduct, promotion and title.

    Averages are whole steps (``rules.StepRules``) from the class's sums; a sheet whose cells the sums could not
    stand for is computed from its cells with the Decimal rules, which refuse what they refuse.
    """
    steps = data.steps
    assert steps is not None
    r = steps.rules
    decimals, low = steps.decimals, steps.low  # steps - low → the Decimal average
    has_year = data.has_year
    memo = data.memo  # answers of the comment rules, which depend on a few values only
    averages = data.averages.get(sid, {})
    comment_counts = data.comment_counts.get(sid, {})
    # Sheets read cell by cell (see ``_load_tt22_sums``), for this student only when there are any.
    cells_of = data.cells if sid in data.odd_students else None
    missing: list[str] = []
    incomplete_semesters: set[int] = set()
    subjects: dict[int, tuple[Any, ...]] = {}
    sem_scored: tuple[dict[str, int], dict[str, int]] = ({}, {})
    sem_comments: tuple[dict[str, CommentResult], dict[str, CommentResult]] = ({}, {})
    year_scored: dict[str, int] = {}
    year_comments: dict[str, CommentResult] = {}
    for plan in data.plans:
        code = plan.code
        pair = plan.year_sheets if has_year and cells_of is None else None
        if pair is not None:
            # The usual case, both semesters summed in the database: the same steps as below, without the checks.
            first_sheet, second_sheet = pair
            if plan.scored:
                first, second = averages.get(first_sheet), averages.get(second_sheet)
                if first is not None and second is not None:
                    sem_scored[0][code] = first
                    sem_scored[1][code] = second
                    year_steps = rules.year_average_steps(semester_1=first, semester_2=second, steps=steps)
                    year_scored[code] = year_steps
                    subjects[plan.subject_id] = (
                        SubjectKind.SCORED,
                        decimals[first - low],
                        decimals[second - low],
                        decimals[year_steps - low],
                        "",
                        "",
                        "",
                        None,
                    )
                    continue
            else:
                both = (comment_counts.get(first_sheet, (0, 0)), comment_counts.get(second_sheet, (0, 0)))
                known = memo.get(both)
                if known is None:  # the comment rules depend on these counts only
                    pair_results = (_comment_result(*both[0], r), _comment_result(*both[1], r))
                    texts = (str(pair_results[0]), str(pair_results[1]))
                    year_of_pair = rules.comment_subject_year_result(semester_1=texts[0], semester_2=texts[1], rules=r)
                    known = memo[both] = (pair_results, texts, year_of_pair, str(year_of_pair))
                pair_results, texts, year_of_pair, year_text = known
                sem_comments[0][code], sem_comments[1][code] = pair_results
                year_comments[code] = year_of_pair
                subjects[plan.subject_id] = (SubjectKind.COMMENT, None, None, None, *texts, year_text, None)
                continue
        if plan.scored:
            found: list[int | None] = [None, None]
            for semester, sheet_id, codes, regular_codes in plan.sheets:
                if not codes or sheet_id is None:
                    missing.append(_("%(subject)s HK%(sem)s: chưa có sổ") % {"subject": plan.name, "sem": semester})
                    incomplete_semesters.add(semester)
                    continue
                cells = cells_of.get((sid, sheet_id)) if cells_of is not None else None
                if cells is None:  # summed in the database (the usual case)
                    average = averages.get(sheet_id)
                    if (sid, sheet_id) in data.no_regular:  # the rule refuses an average without regular scores
                        rules.semester_average(regular_scores=[], midterm=Decimal(0), final=Decimal(0), rules=r)
                else:
                    average = _semester_average_of_cells(cells, regular_codes, steps)
                if average is None:
                    missing.append(_("%(subject)s HK%(sem)s") % {"subject": plan.name, "sem": semester})
                    incomplete_semesters.add(semester)
                    continue
                found[semester - 1] = average
                sem_scored[semester - 1][code] = average
            first, second = found
            year_average = None
            if has_year and first is not None and second is not None:
                year_average = rules.year_average_steps(semester_1=first, semester_2=second, steps=steps)
                year_scored[code] = year_average
            subjects[plan.subject_id] = (
                SubjectKind.SCORED,
                decimals[first - low] if first is not None else None,
                decimals[second - low] if second is not None else None,
                decimals[year_average - low] if year_average is not None else None,
                "",
                "",
                "",
                None,
            )
        else:
            results = ["", ""]
            for semester, sheet_id, codes, regular_codes in plan.sheets:
                if not codes or sheet_id is None:
                    missing.append(_("%(subject)s HK%(sem)s: chưa có sổ") % {"subject": plan.name, "sem": semester})
                    incomplete_semesters.add(semester)
                    continue
                cells = cells_of.get((sid, sheet_id)) if cells_of is not None else None
                if cells is None:
                    filled, passed = comment_counts.get(sheet_id, (0, 0))
                    comment = memo.get(("comment", filled, passed))
                    if comment is None:
                        comment = memo[("comment", filled, passed)] = _comment_result(filled, passed, r)
                else:
                    values = [v for v in (_value(cells, c) for c in (*regular_codes, "gk", "ck")) if v]
                    comment = rules.comment_subject_semester_result(values, rules=r)
                results[semester - 1] = str(comment)
                sem_comments[semester - 1][code] = comment
            year_result = ""
            if has_year and results[0] and results[1]:
                year_comment = memo.get(("comment_year", *results))
                if year_comment is None:
                    year_comment = rules.comment_subject_year_result(
                        semester_1=results[0], semester_2=results[1], rules=r
                    )
                    memo[("comment_year", *results)] = year_comment
                year_result = str(year_comment)
                year_comments[code] = year_comment
            subjects[plan.subject_id] = (
                SubjectKind.COMMENT,
                None,
                None,
                None,
                results[0],
                results[1],
                year_result,
                None,
            )

    year = dict(_EMPTY_YEAR)
    year["absences"] = data.absences.get(sid, 0)
    details: dict[str, Any] = dict(_tt22_common(data, r))
    last = max(data.semesters)
    for semester in data.semesters:
        homeroom = data.student_cells(sid, None, semester)
        level = _value(homeroom, "rl")
        if level:
            year[f"conduct_{semester}"] = level
        else:
            missing.append(_("Rèn luyện HK%(sem)s") % {"sem": semester})
            incomplete_semesters.add(semester)
        if semester == last:
            year["homeroom_comment"] = _value(homeroom, "nx")
    for semester in data.semesters:
        if semester in incomplete_semesters:
            continue
        result = rules.learning_level_steps(
            scored=sem_scored[semester - 1], commented=sem_comments[semester - 1], steps=steps
        )
        year[f"learning_{semester}"] = str(result.level)
        details[f"learning_{semester}"] = _level_detail(result)
    if missing:
        details["incomplete"] = missing
    if data.has_year and not missing:
        _tt22_year(data, steps, year, details, year_scored, year_comments, previous, retests)
    year["details"] = details
    return StudentOutcome(year=year, subjects=subjects)


def _promotion(
    conduct: str, learning: str, absences: int, r: Tt22RuleSet, summer: str, after_retest: str | None
) -> tuple[rules.PromotionDecision, str | None]:
    """``rules.promotion_decision`` and, when the results after the year no longer apply, why they were ignored."""
    try:
        decision = rules.promotion_decision(
            year_conduct=conduct,
            year_learning=learning,
            absence_sessions=absences,
            rules=r,
            conduct_after_summer=summer or None,
            learning_after_retest=after_retest,
        )
    except ValidationFailed as exc:
        decision = rules.promotion_decision(
            year_conduct=conduct,
            year_learning=learning,
            absence_sessions=absences,
            rules=r,
            conduct_after_summer=summer or None,
        )
        return decision, exc.message
    return decision, None


def _tt22_year(
    data: ClassData,
    steps: StepRules,
    year: dict[str, Any],
    details: dict[str, Any],
    year_scored: dict[str, int],
    year_comments: dict[str, CommentResult],
    previous: YearResult | None,
    retests: dict[int, str],
) -> None:
    r = steps.rules
    learning = rules.learning_level_steps(scored=year_scored, commented=year_comments, steps=steps)
    year["learning_year"] = str(learning.level)
    year["learning_adjusted"] = learning.adjusted
    details["learning_year"] = _level_detail(learning)
    texts = data.texts
    details["year_averages"] = {code: texts[v - steps.low] for code, v in year_scored.items()}
    details["year_comments"] = {code: str(v) for code, v in year_comments.items()}
    conduct_1, conduct_2 = year["conduct_1"], year["conduct_2"]
    conduct_year = data.memo.get(("conduct_year", conduct_1, conduct_2))
    if conduct_year is None:
        conduct_year = rules.year_conduct_level(semester_1=conduct_1, semester_2=conduct_2, rules=r)
        data.memo[("conduct_year", conduct_1, conduct_2)] = conduct_year
    year["conduct_year"] = str(conduct_year)

    def averages() -> dict[str, Decimal]:  # the Decimal averages, for the rules of the rarer cases
        return {code: steps.decimal(v) for code, v in year_scored.items()}

    subject_codes = {plan.subject_id: plan.code for plan in data.plans} if retests else {}
    summer = previous.summer_conduct if previous is not None else ""
    conduct_ok = rules.level_at_least(conduct_year, r.promotion_min_conduct)
    if summer and conduct_ok:
        details["ignored"] = _("Kết quả rèn luyện trong hè không còn áp dụng vì rèn luyện cả năm đã đạt.")
        summer = ""
    learning_after: str | None = None
    if retests and not rules.level_at_least(learning.level, r.promotion_min_learning):
        scores = {subject_codes[k]: Decimal(v) for k, v in retests.items() if v not in CommentResult.values}
        comments = {subject_codes[k]: v for k, v in retests.items() if v in CommentResult.values}
        try:
            applied = rules.apply_retest_results(
                year_averages=averages(),
                year_comments=year_comments,
                retest_scores=scores,
                retest_comments=comments,
                rules=r,
            )
        except ValidationFailed as exc:
            details["ignored"] = exc.message
        else:
            after = rules.year_learning_level(year_averages=applied.averages, year_comments=applied.comments, rules=r)
            learning_after = str(after.level)
            details["learning_after_retest"] = _level_detail(after)
            details["retests"] = {subject_codes[k]: v for k, v in retests.items()}
    elif retests:
        details["ignored"] = _("Điểm kiểm tra lại không còn áp dụng vì kết quả học tập cả năm đã đạt.")
    if summer and learning_after is not None and not r.retest_allowed_after_summer_training:
        learning_after = None
    # The decision depends on these few values only, decided once per class for each combination; the absences
    # count only beyond the limit (or below zero, refused), where the reason quotes them.
    after_retest = learning_after if (summer or conduct_ok) else None
    absences = year["absences"]
    counted = absences if absences > r.absence_limit_sessions or absences < 0 else None
    key = ("promotion", conduct_year, learning.level, counted, summer, after_retest)
    decided = data.memo.get(key)
    if decided is None:
        decided = data.memo[key] = _promotion(conduct_year, learning.level, absences, r, summer, after_retest)
    decision, ignored = decided
    if ignored is not None:
        details["ignored"] = ignored
    year["promotion"] = str(decision.outcome)
    details["promotion_reason"] = decision.reason
    if decision.outcome == PromotionOutcome.RETEST or learning_after is not None:
        details["retest_subjects"] = list(
            rules.retest_subjects(year_averages=averages(), year_comments=year_comments, rules=r)
        )
    year["completes_level"] = rules.completes_lower_secondary(
        grade=data.school_class.grade.code, decision=decision, rules=r
    )
    title = rules.title_candidate_steps(
        year_conduct=conduct_year, year_learning=learning.level, year_averages=year_scored, steps=steps
    )
    year["title_proposed"] = str(title) if title else ""
    if title:
        details["title_high_subjects"] = [c for c, v in year_scored.items() if v >= steps.title_excellent]


# ---------------------------------------------------------------------------------------------------------------
# TT27 (TH)
# ---------------------------------------------------------------------------------------------------------------


def _tt27_student(data: ClassData, sid: int, previous: YearResult | None, retests: dict[int, str]) -> StudentOutcome:
    r = data.rules
    assert isinstance(r, Tt27RuleSet)
    grade = data.school_class.grade.code
    missing: list[str] = []
    subjects: dict[int, tuple[Any, ...]] = {}
    levels: dict[str, str] = {}
    scores: dict[str, Decimal] = {}
    retest_scores: dict[str, Decimal] = {}
    end_tested = set(rules.tested_subjects(grade=grade, checkpoint=Tt27Checkpoint.END_YEAR, rules=r))
    for plan in data.plans:
        row: dict[str, Any] = {f: None for f in ("semester_1", "semester_2", "year", "test_score")}
        row.update({f: "" for f in ("semester_1_result", "semester_2_result", "year_result")})
        row["kind"] = SubjectKind.PRIMARY
        for semester in data.semesters:
            cells = data.student_cells(sid, plan.subject_id, semester)
            level = _value(cells, "muc_ck")
            row[f"semester_{semester}_result"] = level
            if not level:
                missing.append(_("%(subject)s HK%(sem)s") % {"subject": plan.name, "sem": semester})
            if semester == 2:
                row["year_result"] = level
                if level:
                    levels[plan.code] = level
                if "kt_ck" in data.sheet_codes(plan.subject_id, 2):
                    number = _number(cells, "kt_ck")
                    if number is None:
                        missing.append(_("%(subject)s: bài kiểm tra cuối năm") % {"subject": plan.name})
                    else:
                        row["test_score"] = int(number)
                        scores[plan.code] = number
                if plan.subject_id in retests and plan.code in end_tested:
                    retest_scores[plan.code] = Decimal(retests[plan.subject_id])
        subjects[plan.subject_id] = tuple(row[f] for f in SUBJECT_FIELDS)

    year: dict[str, Any] = {f: "" for f in AUDITED_YEAR_FIELDS}
    year.update(learning_adjusted=False, completes_level=False, absences=_absences(data, sid), homeroom_comment="")
    details: dict[str, Any] = {
        "rule_set": f"{data.version.code} v{data.version.version}",
        "circular": str(data.circular),
        "subjects": [plan.code for plan in data.plans],
        "tested_subjects": sorted(end_tested),
        "thresholds": [
            {
                "classification": str(row.classification),
                "subject_levels": [str(v) for v in row.subject_levels],
                "quality_levels": [str(v) for v in row.quality_levels],
                "min_test_score": row.min_test_score,
            }
            for row in r.classification_rules
        ],
    }
    if data.has_year:
        homeroom = data.student_cells(sid, None, 2)
        quality_codes = [code for code, _label in (*cols.QUALITIES, *cols.COMPETENCIES)]
        qualities = {code: _value(homeroom, code) for code in quality_codes if _value(homeroom, code)}
        if len(qualities) < len(quality_codes):
            missing.append(_("Phẩm chất, năng lực cuối năm"))
        year["homeroom_comment"] = "\n".join(v for v in (_value(homeroom, "nx_pc"), _value(homeroom, "nx_nl")) if v)
        if not missing:
            classification = rules.year_classification(
                grade=grade,
                subject_levels=levels,
                quality_levels=qualities,
                end_year_scores=scores,
                rules=r,
                retest_scores=retest_scores or None,
            )
            completed = rules.grade_completed(classification, rules=r)
            year["classification"] = str(classification)
            year["completes_level"] = rules.primary_completed(grade=grade, classification=classification, rules=r)
            if completed:
                year["promotion"] = PromotionOutcome.PROMOTED
            elif retest_scores:
                year["promotion"] = PromotionOutcome.RETAINED
            else:
                year["promotion"] = PromotionOutcome.RETEST
            exemplary = previous.exemplary if previous is not None else False
            title = rules.tt27_title_candidate(classification, recognised_by_class=exemplary)
            year["title_proposed"] = str(title) if title else ""
            details["test_scores"] = {code: int(v) for code, v in scores.items()}
            if retest_scores:
                details["retests"] = {code: int(v) for code, v in retest_scores.items()}
    if missing:
        details["incomplete"] = missing
    year["details"] = details
    return StudentOutcome(year=year, subjects=subjects)


# ---------------------------------------------------------------------------------------------------------------
# Writing the results
# ---------------------------------------------------------------------------------------------------------------


def _subject_summary(rows: dict[int, tuple[Any, ...]], codes: dict[int, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for subject_id, row in rows.items():
        if row[0] == SubjectKind.SCORED:
            out[codes[subject_id]] = [str(v) if v is not None else "" for v in row[1:4]]
        else:
            out[codes[subject_id]] = list(row[4:7])
    return out


def _year_snapshot(row: YearResult) -> dict[str, Any]:
    return {f: getattr(row, f) for f in AUDITED_YEAR_FIELDS}


@dataclass(frozen=True)
class _EncodedJson:
    """A JSON value with the text the database stores for it (``_insert`` writes ``text`` as it is)."""

    value: Any
    text: str


class _DetailsEncoder:
    """The stored text of the ``details`` of a class's year results, as ``JSONField`` writes it on SQLite
    (``json.dumps`` with its default separators), byte for byte.

    The details of every student begin with the same entries (``ClassData.common_details``: the rule set, its
    thresholds, the subjects), the larger part of the text: that part is encoded once per class and the text of
    the rest appended to it. Details that do not begin with those very entries, and other engines (PostgreSQL
    stores ``jsonb``, parsed anyway), go through the field as usual.
    """

    def __init__(self, common: dict[str, Any]) -> None:
        self.common = common if connection.vendor == "sqlite" and common else {}
        self.items = list(self.common.items())
        self.head = json.dumps(self.common)[:-1] if self.common else ""

    def __call__(self, details: Any) -> Any:
        items = self.items
        if not items or not isinstance(details, dict) or len(details) < len(items):
            return details
        rest: dict[str, Any] = {}
        position = 0
        for key, value in details.items():
            if position < len(items):
                common_key, common_value = items[position]
                if key != common_key or value is not common_value:
                    return details
                position += 1
            else:
                rest[key] = value
        if not rest:
            return _EncodedJson(details, self.head + "}")
        return _EncodedJson(details, self.head + ", " + json.dumps(rest)[1:])


def _insert(model: type[models.Model], names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (values of the fields ``names``, in order) with one prepared statement run for every row.

    For the thousands of subject rows of a class ``bulk_create`` spends most of its time compiling each value
    through the ORM. Here each column's distinct values are prepared once with the field's own
    ``get_db_prep_save`` (a column holding values of one type besides None: Decimal, str, int, bool, a timestamp);
    other columns, such as a JSON explanation, value by value. Model ``save`` logic is bypassed, so callers pass
    every column, ``auto_now`` included.
    """
    if not rows:
        return
    meta = model._meta
    fields = [cast(models.Field[Any, Any], meta.get_field(name)) for name in names]
    columns: list[Any] = []
    for field_, column in zip(fields, zip(*rows, strict=True), strict=True):
        types = set(map(type, column))
        types.discard(type(None))
        if _EncodedJson in types:
            columns.append(
                [
                    value.text if type(value) is _EncodedJson else field_.get_db_prep_save(value, connection)
                    for value in column
                ]
            )
        elif len(types) <= 1 and all(kind.__hash__ is not None for kind in types):
            prepared = {value: field_.get_db_prep_save(value, connection) for value in set(column)}
            if all(prepared[value] is value for value in prepared):
                columns.append(column)
            else:
                columns.append([prepared[value] for value in column])
        else:
            columns.append([field_.get_db_prep_save(value, connection) for value in column])
    # One INSERT run for every row (SQLite) or COPY (PostgreSQL): ``core.bulk.insert_rows``.
    insert_rows(meta.db_table, [str(f.column) for f in fields], list(zip(*columns, strict=True)))


SUBJECT_INSERT_FIELDS = ("student", "school_class", "subject", *SUBJECT_FIELDS, "retest", "rule_set", "computed_at")
YEAR_INSERT_FIELDS = ("student", "school_class", "rule_set", *YEAR_FIELDS, "summer_conduct", "exemplary", "computed_at")


def _compute(
    actor: Actor, school_class: SchoolClass, semesters: tuple[int, ...], only: Student | None = None
) -> tuple[list[YearResult], int]:
    """Compute the class (or ``only`` one student), write the rows that changed and audit each changed student
    (plus the class, for a whole class). Returns the year results in the order of names and how many changed."""
    data = _load(school_class, semesters, only.pk if only is not None else None)
    student_ids = {pk for pk, _name in data.students}
    cache_class = YearResult.school_class.field.set_cached_value
    # The stored rows of the class's students, compared in memory: only the changed ones are written.
    previous_years: dict[int, YearResult] = {}
    for stored in _read_year_results(school_class=school_class.pk):
        row = YearResult.from_db(connection.alias, _YEAR_ATTNAMES, stored)
        if row.student_id in student_ids:
            previous_years[row.student_id] = row
    # student → subject → (id, student, subject, retest, rule set id, *SUBJECT_FIELDS)
    previous_subjects: dict[int, dict[int, tuple[Any, ...]]] = defaultdict(dict)
    retests: dict[int, dict[int, str]] = defaultdict(dict)
    for stored in _read_subject_results(school_class=school_class.pk):
        student_id, subject_id, retest = stored[1], stored[2], stored[3]
        if student_id in student_ids:
            previous_subjects[student_id][subject_id] = stored
            if retest:
                retests[student_id][subject_id] = retest
    codes = {plan.subject_id: plan.code for plan in data.plans}
    version_id = data.version.pk
    class_id = school_class.pk
    now = timezone.now()
    label_suffix = f" – {school_class.name} ({school_class.year.code})"
    new_defaults: dict[str, Any] = {"id": None, "school_class_id": class_id, "rule_set_id": version_id}
    new_defaults["computed_at"] = now
    new_defaults.update(summer_conduct="", exemplary=False, title_confirmed_by_id=None)
    new_years: list[YearResult] = []
    changed_years: list[YearResult] = []
    new_subjects: list[tuple[Any, ...]] = []
    changed_subjects: list[SubjectResult] = []
    events: list[dict[str, Any]] = []
    results: list[YearResult] = []
    per_student = _tt27_student if data.circular == Circular.TT27_2020 else _tt22_student
    for student_id, full_name in data.students:
        previous = previous_years.get(student_id)
        outcome = per_student(data, student_id, previous, retests.get(student_id, {}))
        student_changed = False
        stored_subjects = previous_subjects.get(student_id, {})
        for subject_id, computed in outcome.subjects.items():
            existing = stored_subjects.get(subject_id)
            if existing is None:
                new_subjects.append((student_id, class_id, subject_id, *computed, "", version_id, now))
                student_changed = True
            elif existing[4] != version_id or existing[5:] != computed:
                changed_subjects.append(
                    SubjectResult(
                        pk=existing[0],
                        rule_set_id=version_id,
                        computed_at=now,
                        **dict(zip(SUBJECT_FIELDS, computed, strict=True)),
                    )
                )
                student_changed = True
        values = outcome.year
        before: dict[str, Any] | None = None
        if previous is None:
            attributes = {**new_defaults, "student_id": student_id, **values}
            row = YearResult(*[attributes[name] for name in _YEAR_ATTNAMES])
            new_years.append(row)
            student_changed = True
        else:
            row = previous
            # A confirmation was about the title proposed then; a changed proposal needs a new decision.
            proposal_changed = values["title_proposed"] != row.title_proposed
            values["title_confirmed"] = "" if proposal_changed else row.title_confirmed
            changed = row.rule_set_id != version_id
            if not changed:
                for f, v in values.items():
                    if getattr(row, f) != v:
                        changed = True
                        break
            if changed:
                before = _year_snapshot(row)
                if proposal_changed:
                    row.title_confirmed_by = None
                for f, v in values.items():
                    setattr(row, f, v)
                row.rule_set_id = version_id
                row.computed_at = now
                changed_years.append(row)
                student_changed = student_changed or before != _year_snapshot(row)
        cache_class(row, school_class)
        results.append(row)
        if student_changed:
            if previous is not None and before is None:
                before = _year_snapshot(row)  # the row as stored: only subject results changed
            after = _year_snapshot(row)
            after["subjects"] = _subject_summary(outcome.subjects, codes)
            events.append(
                {
                    "actor": actor.user,
                    "action": "grade.result_compute",
                    "object_type": YearResult._meta.label_lower,
                    "object_id": str(student_id),
                    "object_label": full_name + label_suffix,
                    "org_unit": school_class.school,
                    "before": before,
                    "after": after,
                }
            )
    if new_years:
        encode = _DetailsEncoder(data.common_details)
        _insert(
            YearResult,
            YEAR_INSERT_FIELDS,
            [
                (
                    row.student_id,
                    class_id,
                    version_id,
                    *(getattr(row, f) for f in YEAR_FIELDS[:-1]),
                    encode(row.details),
                    "",
                    False,
                    now,
                )
                for row in new_years
            ],
        )
    if changed_years:
        YearResult.objects.bulk_update(
            changed_years, [*YEAR_FIELDS, "title_confirmed_by", "rule_set", "computed_at"], batch_size=500
        )
    _insert(SubjectResult, SUBJECT_INSERT_FIELDS, new_subjects)
    if changed_subjects:
        SubjectResult.objects.bulk_update(
            changed_subjects, [*SUBJECT_FIELDS, "rule_set", "computed_at"], batch_size=1000
        )
    if only is None:
        events.insert(
            0,
            {
                "actor": actor.user,
                "action": "grade.class_results_compute",
                "obj": school_class,
                "org_unit": school_class.school,
                "after": {
                    "semesters": list(semesters),
                    "rule_set": f"{data.version.code} v{data.version.version}",
                    "students": len(data.students),
                    "changed": len(events),
                    "incomplete": sum(1 for r in results if r.details.get("incomplete")),
                },
            },
        )
    audit.record_many(events)
    if new_years:
        ids = dict(_read_year_result_ids(school_class=class_id))
        for row in new_years:
            row.pk = ids[row.student_id]
            row._state.adding = False
            row._state.db = connection.alias
    return results, len(events) - (0 if only is not None else 1)


@transaction.atomic
def compute_class_results(*, actor: Actor, school_class: SchoolClass) -> list[YearResult]:
    """Compute and store the results of every student of ``school_class`` from its locked sheets.

    Semester I must be locked; with semester II locked too the year results, promotion and titles are computed.
    Returns the year results in the order of the students' names.
    """
    _require(may_compute(actor, school_class), _("Chỉ Ban giám hiệu hoặc giáo viên chủ nhiệm lớp được tính kết quả."))
    locked = locked_semesters(school_class, for_update=True)
    if 1 not in locked:
        raise ValidationFailed(_("Cần khoá sổ học kì I của lớp trước khi tính kết quả."), code="semester_not_locked")
    semesters = (1, 2) if 2 in locked else (1,)
    results, _changed = _compute(actor, school_class, semesters)
    return results


# ---------------------------------------------------------------------------------------------------------------
# After the year: re-assessment, summer training, titles, "tiêu biểu"
# ---------------------------------------------------------------------------------------------------------------


def _year_result_for(student: Student, school_class: SchoolClass) -> YearResult:
    row = YearResult.objects.select_for_update().filter(student=student, school_class=school_class).first()
    if row is None or (not row.learning_year and not row.classification):
        raise ValidationFailed(
            _("Chưa có kết quả cả năm của học sinh này; hãy khoá hai học kì và tính kết quả trước."),
            code="no_year_result",
        )
    return row


def _require_year_locked(school_class: SchoolClass) -> None:
    if locked_semesters(school_class, for_update=True) != {1, 2}:
        raise ValidationFailed(_("Cần khoá cả hai học kì của lớp."), code="semester_not_locked")


def retest_candidates(year_result: YearResult) -> list[SubjectResult]:
    """The subjects the student may be re-assessed in, or [] when the student is not eligible.

    TT22 Điều 14: eligible when the year học tập is below Đạt, the rèn luyện (after summer training, if any) is at
    least Đạt and absences are within the limit; scored subjects with ĐTBmcn below 5.0 and comment subjects Chưa
    đạt. TT27: a pupil not completing the grade may retake the end-of-year tests.
    """
    school_class = year_result.school_class
    r = rules_of(year_result.rule_set)
    rows = list(
        SubjectResult.objects.filter(student=year_result.student, school_class=school_class)
        .select_related("subject")
        .order_by("subject__name")
    )
    order = {e.subject_id: e.order for e in grade_subjects(school_class)}
    rows.sort(key=lambda row: order.get(row.subject_id, 99))
    if isinstance(r, Tt27RuleSet):
        if year_result.classification != Tt27Classification.NOT_COMPLETED:
            return []
        tested = rules.tested_subjects(grade=school_class.grade.code, checkpoint=Tt27Checkpoint.END_YEAR, rules=r)
        return [row for row in rows if row.subject.code in tested]
    if not year_result.learning_year or not year_result.conduct_year:
        return []
    try:
        decision = rules.promotion_decision(
            year_conduct=year_result.conduct_year,
            year_learning=year_result.learning_year,
            absence_sessions=year_result.absences,
            rules=r,
            conduct_after_summer=year_result.summer_conduct or None,
        )
    except ValidationFailed:
        return []
    if decision.outcome != PromotionOutcome.RETEST:
        return []
    averages = {row.subject.code: row.year for row in rows if row.kind == SubjectKind.SCORED and row.year is not None}
    comments = {
        row.subject.code: row.year_result for row in rows if row.kind == SubjectKind.COMMENT and row.year_result
    }
    eligible = set(rules.retest_subjects(year_averages=averages, year_comments=comments, rules=r))
    return [row for row in rows if row.subject.code in eligible]


@transaction.atomic
def record_retest(
    *, actor: Actor, student: Student, school_class: SchoolClass, subject: Subject, raw: object
) -> YearResult:
    """Record (or clear, with an empty value) a re-assessment result and recompute the student's year result.

    TT22: a score for a scored subject, Đ/CĐ for a comment subject; the result replaces the subject's year result
    and the year học tập level is recomputed (Điều 14). TT27: a whole-number re-test score replacing the
    end-of-year test of the subject.
    """
    _require(
        may_compute(actor, school_class),
        _("Chỉ Ban giám hiệu hoặc giáo viên chủ nhiệm lớp được ghi kết quả kiểm tra lại."),
    )
    _require_year_locked(school_class)
    year_result = _year_result_for(student, school_class)
    conflict_if_stale(year_result)
    candidates = {row.subject_id: row for row in retest_candidates(year_result)}
    row = candidates.get(subject.pk)
    if row is None:
        raise ValidationFailed(
            _("Môn %(subject)s của học sinh này không thuộc diện kiểm tra, đánh giá lại.") % {"subject": subject.name},
            code="retest_not_eligible",
        )
    r = rules_of(year_result.rule_set)
    if isinstance(r, Tt27RuleSet):
        column = cols.Column("kt_lai", _("Điểm kiểm tra lại"), cols.TEST27)
    elif row.kind == SubjectKind.SCORED:
        column = cols.Column("kt_lai", _("Điểm kiểm tra lại"), cols.SCORE)
    else:
        column = cols.Column("kt_lai", _("Kết quả đánh giá lại"), cols.COMMENT_RESULT)
    value, _number_value = cols.parse_cell(column, raw, r)
    return _record_and_recompute(
        actor, row, "retest", value, action="grade.retest_record", label=f"{student.person.full_name} – {subject.name}"
    )


def _record_and_recompute(
    actor: Actor, row: SubjectResult | YearResult, field: str, value: str, *, action: str, label: str
) -> YearResult:
    """Store one decision made after the year (re-test, summer re-evaluation), audit it, recompute the student."""
    before = getattr(row, field)
    setattr(row, field, value)
    row.save(update_fields=[field, "computed_at"])
    school_class = row.school_class
    audit.record(
        actor=actor.user,
        action=action,
        obj=row,
        object_label=label,
        org_unit=school_class.school,
        before={field: before},
        after={field: value},
    )
    results, _changed = _compute(actor, school_class, (1, 2), only=row.student)
    return results[0]


@transaction.atomic
def record_summer_conduct(*, actor: Actor, student: Student, school_class: SchoolClass, level: str) -> YearResult:
    """TT22 Điều 13: the re-evaluation of rèn luyện after summer training (or clear it with an empty value); it
    replaces the year rèn luyện for promotion, and the student's year result is recomputed."""
    _require(
        may_compute(actor, school_class),
        _("Chỉ Ban giám hiệu hoặc giáo viên chủ nhiệm lớp được ghi kết quả rèn luyện trong hè."),
    )
    _require_year_locked(school_class)
    year_result = _year_result_for(student, school_class)
    r = rules_of(year_result.rule_set)
    if not isinstance(r, Tt22RuleSet):
        raise ValidationFailed(_("Tiểu học không có rèn luyện trong kì nghỉ hè."), code="not_tt22")
    if not year_result.conduct_year or rules.level_at_least(year_result.conduct_year, r.promotion_min_conduct):
        raise ValidationFailed(
            _("Học sinh không thuộc diện rèn luyện trong kì nghỉ hè."), code="summer_training_not_eligible"
        )
    if year_result.absences > r.absence_limit_sessions:
        raise ValidationFailed(
            _("Học sinh nghỉ quá %(limit)s buổi nên ở lại lớp.") % {"limit": r.absence_limit_sessions},
            code="summer_training_not_eligible",
        )
    value, _n = cols.parse_cell(cols.Column("rl_he", _("Rèn luyện sau hè"), cols.CONDUCT), level, r)
    return _record_and_recompute(
        actor,
        year_result,
        "summer_conduct",
        value,
        action="grade.summer_conduct_record",
        label=f"{student.person.full_name} – {school_class.name}",
    )


def title_choices(year_result: YearResult) -> list[tuple[str, str]]:
    """The titles the principal may confirm for this result: the proposed one (or Giỏi instead of Xuất sắc)."""
    proposed = year_result.title_proposed
    if not proposed:
        return []
    if year_result.classification or year_result.exemplary:
        return [(proposed, str(Tt27Title(proposed).label))]
    if proposed == Tt22Title.EXCELLENT:
        return [(Tt22Title.EXCELLENT, str(Tt22Title.EXCELLENT.label)), (Tt22Title.GOOD, str(Tt22Title.GOOD.label))]
    return [(proposed, str(Tt22Title(proposed).label))]


@transaction.atomic
def confirm_title(*, actor: Actor, year_result: YearResult, title: str) -> YearResult:
    """The principal's decision on the title (Giấy khen): one of ``title_choices`` or "" for none."""
    school_class = year_result.school_class
    _require(is_principal_of(actor, school_class), _("Chỉ Hiệu trưởng quyết định danh hiệu học sinh."))
    year_result = YearResult.objects.select_for_update().get(pk=year_result.pk)
    conflict_if_stale(year_result)
    title = (title or "").strip()
    allowed = {code for code, _label in title_choices(year_result)}
    if title and title not in allowed:
        raise ValidationFailed(_("Danh hiệu này không phù hợp với kết quả của học sinh."), code="title_not_allowed")
    before = {"title_confirmed": year_result.title_confirmed}
    year_result.title_confirmed = title
    year_result.title_confirmed_by = actor.user
    year_result.save(update_fields=["title_confirmed", "title_confirmed_by", "computed_at"])
    audit.record(
        actor=actor.user,
        action="grade.title_confirm",
        obj=year_result,
        object_label=f"{year_result.student.person.full_name} – {school_class.name}",
        org_unit=school_class.school,
        before=before,
        after={"title_confirmed": title, "title_proposed": year_result.title_proposed},
    )
    return year_result


@transaction.atomic
def set_exemplary(*, actor: Actor, year_result: YearResult, flag: bool) -> YearResult:
    """TT27 Điều 13: record that the class recognises the pupil as "tiêu biểu" (an outstanding subject or clear
    progress); with Hoàn thành tốt this proposes the title Học sinh Tiêu biểu."""
    school_class = year_result.school_class
    _require(
        may_set_exemplary(actor, school_class),
        _("Chỉ giáo viên chủ nhiệm lớp hoặc Hiệu trưởng ghi nhận học sinh tiêu biểu."),
    )
    if circular_for(school_class) != Circular.TT27_2020:
        raise ValidationFailed(_("Danh hiệu tiêu biểu chỉ áp dụng cho tiểu học."), code="not_tt27")
    year_result = YearResult.objects.select_for_update().get(pk=year_result.pk)
    before = {f: getattr(year_result, f) for f in ("exemplary", "title_proposed", "title_confirmed")}
    year_result.exemplary = bool(flag)
    if year_result.classification:
        title = rules.tt27_title_candidate(year_result.classification, recognised_by_class=year_result.exemplary)
        year_result.title_proposed = str(title) if title else ""
    if year_result.title_confirmed and year_result.title_confirmed != year_result.title_proposed:
        year_result.title_confirmed = ""
        year_result.title_confirmed_by = None
    if before["exemplary"] == year_result.exemplary:
        return year_result
    year_result.save(
        update_fields=["exemplary", "title_proposed", "title_confirmed", "title_confirmed_by", "computed_at"]
    )
    audit.record(
        actor=actor.user,
        action="grade.exemplary_set",
        obj=year_result,
        object_label=f"{year_result.student.person.full_name} – {school_class.name}",
        org_unit=school_class.school,
        before=before,
        after={f: getattr(year_result, f) for f in ("exemplary", "title_proposed", "title_confirmed")},
    )
    return year_result


def conflict_if_stale(year_result: YearResult) -> None:
    """Refuse to act on results computed before an unlock (they may no longer match the sheets)."""
    if (year_result.details or {}).get("stale"):
        raise Conflict(_("Kết quả đã cũ do sổ điểm được mở khoá; hãy khoá lại và tính lại."), code="results_stale")
