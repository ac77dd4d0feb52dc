"""Results of a class: subject averages or levels, học tập and rèn luyện levels, promotion, titles (TT22 / TT27).

``compute_class_results`` reads the class's locked sheets with a fixed number of queries and applies the pure rules
of ``rules.py`` under the rule-set version the sheets were opened with. For TT22 the database sums each student's
scores per subject sheet (one aggregate query per class; Python computes the averages from the exact sums in
Decimal, and a sheet holding a value the rules would refuse is read cell by cell so the same error is raised); TT27
sheets are read cell by cell. It stores one ``SubjectResult`` per student and subject and one ``YearResult`` per
student, each explaining its decision in ``details``. With semester I locked alone only the semester-I fields are
filled; the year fields need both semesters locked. Computing is idempotent (same cells, same rows, no audit event
for an unchanged student) and all-or-nothing.

After the year results: re-assessment (``record_retest``, TT22 Điều 14 / TT27 re-test replacing the end-of-year
test), the re-evaluation of rèn luyện after summer training (``record_summer_conduct``, TT22 Điều 13), the
principal's decision on titles (``confirm_title``) and the class's recognition of a "tiêu biểu" pupil
(``set_exemplary``, TT27 Điều 13). Each recomputes the student's year result with the same rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Context, Decimal
from typing import Any, cast

from django.db import connection, connections, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.api import Actor, Conflict, NotPermitted, Role, ValidationFailed, audit
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
# As in ``rules``: divisions by the formulas' denominators exact to far more digits than the half-up rounding needs.
_DIVISION_CONTEXT = Context(prec=60)


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
    rows = ClassSemesterLock.objects.filter(school_class=school_class, locked=True)
    if for_update:
        rows = rows.select_for_update()
    return {row.semester for row in rows}


# ---------------------------------------------------------------------------------------------------------------
# Reading a class in one go
# ---------------------------------------------------------------------------------------------------------------

CellMap = dict[str, tuple[str, Decimal | None]]  # column → (value, number)
_NO_CELLS: CellMap = {}
# Per (student, subject sheet), over the non-empty cells of the sheet's regular columns (tx…) and of gk and ck:
# (sum of the regular scores in steps, how many regular scores, gk in steps, ck in steps, non-empty values,
# values "dat"). A step is the rule set's score step (0.1): sums of whole steps are exact on every engine.
SheetSums = tuple[int, int, int | None, int | None, int, int]
_NO_SUMS: SheetSums = (0, 0, None, None, 0, 0)


@dataclass(frozen=True)
class SubjectPlan:
    """One curriculum subject of the class with, per computed semester, its sheet and columns (None: no sheet)."""

    subject_id: int
    code: str
    name: str
    scored: bool
    sheets: tuple[tuple[int, int | None, tuple[str, ...], tuple[str, ...]], ...]  # (semester, sheet, codes, tx)


@dataclass
class ClassData:
    """Everything the computation of one class needs, read with a fixed number of queries."""

    school_class: SchoolClass
    circular: Circular
    version: RuleSetVersion
    rules: Tt22RuleSet | Tt27RuleSet
    semesters: tuple[int, ...]
    subjects: list[GradeSubject]
    sheets: dict[tuple[int | None, int], ScoreSheet]  # (subject id or None for homeroom, semester) → sheet
    students: list[Student]
    cells: dict[tuple[int, int], CellMap] = field(default_factory=dict)  # (student, sheet) → cells
    sums: dict[tuple[int, int], SheetSums] = field(default_factory=dict)  # TT22 subject sheets: (student, sheet)
    comment_memo: dict[tuple[int, int], CommentResult] = field(default_factory=dict)
    plans: list[SubjectPlan] = field(default_factory=list)
    common_details: dict[str, Any] = field(default_factory=dict)  # the same for every student of the class

    @property
    def has_year(self) -> bool:
        return 2 in self.semesters

    def student_cells(self, student_id: int, subject_id: int | None, semester: int) -> CellMap:
        sheet = self.sheets.get((subject_id, semester))
        if sheet is None:
            return _NO_CELLS
        return self.cells.get((student_id, sheet.pk), _NO_CELLS)

    def sheet_codes(self, subject_id: int | None, semester: int) -> list[str]:
        sheet = self.sheets.get((subject_id, semester))
        return [c["code"] for c in sheet.columns] if sheet is not None else []


def _raw_rows(queryset: QuerySet[Any], *names: str) -> tuple[list[tuple[Any, ...]], list[Callable[[Any], Any]]]:
    """The rows of ``queryset.values_list(*names)`` as the database returns them, with one converter per column.

    The ORM applies each column's database converters to every row (on SQLite a score is a float turned into a
    Decimal, about a microsecond each) for reads of many thousand rows. Each converter returned here runs the same
    converters once per distinct raw value: the converted values (Decimal, str, int) are immutable, so rows may
    share them. ``None`` stays ``None``.
    """
    compiler = queryset.values_list(*names).query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    found = compiler.get_converters([expression for expression, _sql, _alias in compiler.select])
    connection = connections[queryset.db]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()

    def memoised(functions: list[Callable[..., Any]], expression: Any) -> Callable[[Any], Any]:
        memo: dict[Any, Any] = {None: None}

        def convert(raw: Any) -> Any:
            try:
                return memo[raw]
            except KeyError:
                pass
            except TypeError:  # an unhashable raw value: convert it every time
                return run(raw)
            memo[raw] = value = run(raw)
            return value

        def run(raw: Any) -> Any:
            for function in functions:
                raw = function(raw, expression, connection)
            return raw

        return convert

    converters = [memoised(*found[position]) if position in found else _unchanged for position in range(len(names))]
    return rows, converters


def _unchanged(raw: Any) -> Any:
    return raw


def _values(queryset: QuerySet[Any], *names: str) -> list[tuple[Any, ...]]:
    """``queryset.values_list(*names)`` as plain tuples, converted as ``_raw_rows`` explains."""
    rows, converters = _raw_rows(queryset, *names)
    for position, convert in enumerate(converters):
        if convert is not _unchanged:
            rows = [(*row[:position], convert(row[position]), *row[position + 1 :]) for row in rows]
    return rows


def _load(school_class: SchoolClass, semesters: tuple[int, ...], only: Student | None = None) -> ClassData:
    # The rule set version is read once below, not decoded again with each of the class's sheets.
    sheets = list(ScoreSheet.objects.filter(school_class=school_class, semester__in=semesters))
    versions = {s.rule_set_id for s in sheets}
    if not sheets:
        raise ValidationFailed(_("Lớp chưa có sổ điểm nào trong học kì đã khoá."), code="no_sheets")
    if len(versions) > 1:
        raise ValidationFailed(
            _("Các sổ điểm của lớp dùng những phiên bản bộ quy tắc khác nhau; không thể tính kết quả chung."),
            code="mixed_rule_sets",
        )
    version = RuleSetVersion.objects.get(pk=sheets[0].rule_set_id)
    students_qs = Student.objects.filter(
        memberships__school_class=school_class, memberships__left_on__isnull=True
    ).select_related("person")
    if only is not None:
        students_qs = students_qs.filter(pk=only.pk)
    students = list(students_qs.order_by("person__search_name", "pk"))
    subjects = grade_subjects(school_class)
    by_key = {(s.subject_id if s.kind == SheetKind.SUBJECT else None, s.semester): s for s in sheets}
    plans = []
    for entry in subjects:
        per_semester = []
        for semester in semesters:
            sheet = by_key.get((entry.subject_id, semester))
            codes = tuple(c["code"] for c in sheet.columns) if sheet is not None else ()
            regular = tuple(c for c in codes if c.startswith("tx"))
            per_semester.append((semester, sheet.pk if sheet is not None else None, codes, regular))
        plans.append(
            SubjectPlan(
                subject_id=entry.subject_id,
                code=entry.subject.code,
                name=entry.subject.name,
                scored=entry.kind == SubjectKind.SCORED,
                sheets=tuple(per_semester),
            )
        )
    data = ClassData(
        school_class=school_class,
        circular=circular_for(school_class),
        version=version,
        rules=rules_of(version),
        semesters=semesters,
        subjects=subjects,
        sheets=by_key,
        students=students,
        plans=plans,
    )
    student_ids = [s.pk for s in students]
    if data.circular == Circular.TT22_2021 and isinstance(data.rules, Tt22RuleSet):
        _load_tt22_cells(data, [s.pk for s in sheets if s.kind == SheetKind.HOMEROOM], student_ids)
    else:
        data.cells = _read_cells([s.pk for s in sheets], student_ids)
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

_HOMEROOM_COLUMNS = ("rl", "nx", "vang_cp", "vang_kp")
# A stored number counts as a whole number of steps when it is this close to one (SQLite keeps scores as floats:
# 8.3 × 10 = 83.00000000000001, and the ORM itself rounds what it reads to one decimal); compared squared.
_STEP_TOLERANCE_SQUARED = 1e-6

_SUMS_SQL = """
SELECT t.sheet_id, t.student_id,
       SUM(CASE WHEN t.part = 1 AND t.units IS NOT NULL THEN t.units ELSE 0 END),
       SUM(CASE WHEN t.part = 1 AND t.units IS NOT NULL THEN 1 ELSE 0 END),
       MAX(CASE WHEN t.part = 2 THEN t.units END),
       MAX(CASE WHEN t.part = 3 THEN t.units END),
       COUNT(*),
       SUM(CASE WHEN t.value = %s THEN 1 ELSE 0 END),
       SUM(CASE WHEN t.value IN (%s, %s) THEN 0 ELSE 1 END),
       MIN(t.units),
       MAX(t.units),
       SUM((t.scaled - t.units) * (t.scaled - t.units))
FROM (
    SELECT c.{sheet} AS sheet_id, c.{student} AS student_id, c.{value} AS value,
           CASE WHEN c.{column} = 'gk' THEN 2 WHEN c.{column} = 'ck' THEN 3 WHEN {regular} THEN 1 ELSE 0 END AS part,
           c.{number} * %s AS scaled,
           CAST(ROUND(c.{number} * %s) AS INTEGER) AS units
    FROM {table} c
    WHERE c.{sheet} IN ({sheets}){students} AND c.{value} <> '' AND c.{column} IN ({columns})
) t
WHERE t.part > 0
GROUP BY t.sheet_id, t.student_id
"""


def _whole(value: Any) -> int:
    """An aggregate of whole steps as an int (the drivers give int; a float or Decimal must be whole)."""
    if isinstance(value, int):
        return value
    whole = int(value)
    if whole != value:
        raise AssertionError(f"an aggregate of whole score steps is not whole: {value!r}")
    return whole


def _load_tt22_cells(data: ClassData, homeroom_sheet_ids: list[int], student_ids: list[int]) -> None:
    """Sum the subject sheets of a TT22 class in one query per class; read the homeroom cells as they are.

    Each (student, subject sheet) becomes ``SheetSums``. A group holding a value the sums cannot stand for (a
    score out of range or not a whole step, a comment result other than Đ/CĐ) has its cells read one by one into
    ``data.cells`` instead, so the rules see and refuse exactly what they would have refused.
    """
    r = data.rules
    assert isinstance(r, Tt22RuleSet)
    data.cells = _read_cells(homeroom_sheet_ids, student_ids, _HOMEROOM_COLUMNS)
    by_regular: dict[tuple[str, ...], list[int]] = defaultdict(list)
    sheet_ids: list[int] = []
    for plan in data.plans:
        for _semester, sheet_id, _codes, regular in plan.sheets:
            if sheet_id is not None:
                sheet_ids.append(sheet_id)
                if regular:
                    by_regular[regular].append(sheet_id)
    if not sheet_ids or not student_ids:
        return
    scale = 1 / r.score_step
    low, high = r.score_min * scale, r.score_max * scale
    if any(v != v.to_integral_value() for v in (scale, low, high)):
        raise AssertionError("the rule set's score step must divide 1 and the score bounds")
    # The sheets' cells are read by the leading column of the (sheet, student, column) index; the groups of pupils
    # no longer in the class are simply never looked up (filtering them here would make SQLite probe the index
    # once per sheet, pupil and column, several times slower).
    one_student = len(student_ids) == 1
    meta = ScoreCell._meta
    quote = connection.ops.quote_name

    def name(field: str) -> str:
        return quote(cast(models.Field[Any, Any], meta.get_field(field)).column)

    def marks(count: int) -> str:
        return ", ".join(["%s"] * count)

    regular_sql = " OR ".join(
        f"(c.{name('sheet')} IN ({marks(len(ids))}) AND c.{name('column')} IN ({marks(len(codes))}))"
        for codes, ids in by_regular.items()
    )
    regular_params: list[Any] = [p for codes, ids in by_regular.items() for p in (*ids, *codes)]
    all_columns = sorted({c for codes in by_regular for c in codes} | {"gk", "ck"})
    sql = _SUMS_SQL.format(
        table=quote(meta.db_table),
        sheet=name("sheet"),
        student=name("student"),
        column=name("column"),
        value=name("value"),
        number=name("number"),
        regular=regular_sql or "1 = 0",
        sheets=marks(len(sheet_ids)),
        students=f" AND c.{name('student')} = %s" if one_student else "",
        columns=marks(len(all_columns)),
    )
    params: list[Any] = [
        str(CommentResult.PASSED),
        str(CommentResult.PASSED),
        str(CommentResult.NOT_PASSED),
        *regular_params,
        int(scale),
        int(scale),
        *sheet_ids,
        *(student_ids if one_student else ()),
        *all_columns,
    ]
    scored_sheets = {sid for plan in data.plans if plan.scored for _s, sid, _c, _r in plan.sheets if sid is not None}
    sums: dict[tuple[int, int], SheetSums] = {}
    odd: set[tuple[int, int]] = set()
    wanted = set(student_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    lowest, highest = int(low), int(high)
    for sheet_id, student_id, regular_units, regular_count, gk, ck, filled, passed, unknown, least, most, off in rows:
        key = (student_id, sheet_id)
        if sheet_id in scored_sheets:
            odd_values = least is not None and (least < lowest or most > highest or off > _STEP_TOLERANCE_SQUARED)
        else:
            odd_values = unknown > 0
        if odd_values:
            if student_id in wanted:
                odd.add(key)
            continue
        # Sums and counts of whole steps come back as int from SQLite and PostgreSQL; anything else must be whole.
        sums[key] = (
            regular_units if type(regular_units) is int else _whole(regular_units),
            regular_count if type(regular_count) is int else _whole(regular_count),
            gk if gk is None or type(gk) is int else _whole(gk),
            ck if ck is None or type(ck) is int else _whole(ck),
            filled if type(filled) is int else _whole(filled),
            passed if type(passed) is int else _whole(passed),
        )
    data.sums = sums
    if odd:
        cells = _read_cells(sorted({k[1] for k in odd}), sorted({k[0] for k in odd}))
        data.cells.update((key, cells.get(key, _NO_CELLS)) for key in odd)


# ---------------------------------------------------------------------------------------------------------------
# TT22 (THCS)
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class StudentOutcome:
    year: dict[str, Any]
    subjects: dict[int, dict[str, Any]]  # subject id → SubjectResult fields


def _value(cells: CellMap, code: str) -> str:
    return cells.get(code, ("", None))[0]


def _number(cells: CellMap, code: str) -> Decimal | None:
    return cells.get(code, ("", None))[1]


def _absences(data: ClassData, student_id: int) -> int:
    total = 0
    for semester in data.semesters:
        cells = data.student_cells(student_id, None, semester)
        for code in ("vang_cp", "vang_kp"):
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
            "scored_subjects": [e.subject.code for e in data.subjects if e.kind == SubjectKind.SCORED],
            "comment_subjects": [e.subject.code for e in data.subjects if e.kind != SubjectKind.SCORED],
        }
    return data.common_details


def _semester_average(
    regular_units: int, regular_count: int, midterm_units: int, final_units: int, r: Tt22RuleSet
) -> Decimal:
    """``rules.semester_average`` of scores given as sums of whole steps (already checked valid in the database).

    The same formula, exact sums and division context: the regular scores' total, the mid-term and the final
    score are the same Decimal values the rule would add up, so the rounded average is the same.
    """
    if regular_count == 0:  # the rule refuses an average without regular scores
        return rules.semester_average(
            regular_scores=[], midterm=midterm_units * r.score_step, final=final_units * r.score_step, rules=r
        )
    step = r.score_step
    numerator = (
        regular_units * step * r.regular_weight
        + midterm_units * step * r.midterm_weight
        + final_units * step * r.final_weight
    )
    denominator = regular_count * r.regular_weight + r.midterm_weight + r.final_weight
    return rules.round_score(_DIVISION_CONTEXT.divide(numerator, denominator), r)


def _comment_semester_result(
    filled: int, passed: int, r: Tt22RuleSet, memo: dict[tuple[int, int], CommentResult]
) -> CommentResult:
    """``rules.comment_subject_semester_result`` of ``filled`` Đ/CĐ values of which ``passed`` are Đ (the rule
    depends on nothing else, so the class keeps one answer per pair in ``memo``)."""
    try:
        return memo[filled, passed]
    except KeyError:
        values = [CommentResult.PASSED] * passed + [CommentResult.NOT_PASSED] * (filled - passed)
        memo[filled, passed] = result = rules.comment_subject_semester_result(values, rules=r)
        return result


def _tt22_student(
    data: ClassData, student: Student, previous: YearResult | None, retests: dict[int, str]
) -> StudentOutcome:
    r = data.rules
    assert isinstance(r, Tt22RuleSet)
    sid = student.pk
    cells_of = data.cells
    sums_of = data.sums
    missing: list[str] = []
    incomplete_semesters: set[int] = set()
    subjects: dict[int, dict[str, Any]] = {}
    sem_scored: dict[int, dict[str, Decimal]] = {1: {}, 2: {}}
    sem_comments: dict[int, dict[str, CommentResult]] = {1: {}, 2: {}}
    year_scored: dict[str, Decimal] = {}
    year_comments: dict[str, CommentResult] = {}
    subject_codes: dict[int, str] = {}
    for plan in data.plans:
        subject_codes[plan.subject_id] = plan.code
        scored = plan.scored
        row: dict[str, Any] = {
            "semester_1": None,
            "semester_2": None,
            "year": None,
            "test_score": None,
            "semester_1_result": "",
            "semester_2_result": "",
            "year_result": "",
            "kind": SubjectKind.SCORED if scored else SubjectKind.COMMENT,
        }
        for semester, sheet_id, codes, regular_codes in plan.sheets:
            if not codes:
                missing.append(_("%(subject)s HK%(sem)s: chưa có sổ") % {"subject": plan.name, "sem": semester})
                incomplete_semesters.add(semester)
                continue
            key = (sid, sheet_id if sheet_id is not None else 0)
            cells = cells_of.get(key) if sheet_id is not None else _NO_CELLS
            if cells is None:  # summed in the database (the usual case)
                regular_units, regular_count, midterm_units, final_units, filled, passed = sums_of.get(key, _NO_SUMS)
                if scored:
                    if midterm_units is None or final_units is None or regular_count != len(regular_codes):
                        missing.append(_("%(subject)s HK%(sem)s") % {"subject": plan.name, "sem": semester})
                        incomplete_semesters.add(semester)
                        continue
                    average = _semester_average(regular_units, regular_count, midterm_units, final_units, r)
                    row[f"semester_{semester}"] = average
                    sem_scored[semester][plan.code] = average
                else:
                    comment = _comment_semester_result(filled, passed, r, data.comment_memo)
                    row[f"semester_{semester}_result"] = str(comment)
                    sem_comments[semester][plan.code] = comment
                continue
            if scored:
                regular = [_number(cells, c) for c in regular_codes]
                midterm, final = _number(cells, "gk"), _number(cells, "ck")
                if midterm is None or final is None or any(v is None for v in regular):
                    missing.append(_("%(subject)s HK%(sem)s") % {"subject": plan.name, "sem": semester})
                    incomplete_semesters.add(semester)
                    continue
                average = rules.semester_average(
                    regular_scores=[v for v in regular if v is not None],
                    midterm=midterm,
                    final=final,
                    rules=r,
                    required_count=len(regular_codes),
                )
                row[f"semester_{semester}"] = average
                sem_scored[semester][plan.code] = average
            else:
                values = [v for v in (_value(cells, c) for c in (*regular_codes, "gk", "ck")) if v]
                comment = rules.comment_subject_semester_result(values, rules=r)
                row[f"semester_{semester}_result"] = str(comment)
                sem_comments[semester][plan.code] = comment
        if data.has_year:
            if scored and row["semester_1"] is not None and row["semester_2"] is not None:
                row["year"] = rules.year_average(semester_1=row["semester_1"], semester_2=row["semester_2"], rules=r)
                year_scored[plan.code] = row["year"]
            elif not scored and row["semester_1_result"] and row["semester_2_result"]:
                year_comment = rules.comment_subject_year_result(
                    semester_1=row["semester_1_result"], semester_2=row["semester_2_result"], rules=r
                )
                row["year_result"] = str(year_comment)
                year_comments[plan.code] = year_comment
        subjects[plan.subject_id] = row

    year: dict[str, Any] = {f: "" for f in AUDITED_YEAR_FIELDS}
    year.update(learning_adjusted=False, completes_level=False, absences=_absences(data, sid), homeroom_comment="")
    details: dict[str, Any] = dict(_tt22_common(data, r))
    conduct: dict[int, str] = {}
    for semester in data.semesters:
        homeroom = data.student_cells(sid, None, semester)
        level = _value(homeroom, "rl")
        if level:
            conduct[semester] = level
            year[f"conduct_{semester}"] = level
        else:
            missing.append(_("Rèn luyện HK%(sem)s") % {"sem": semester})
            incomplete_semesters.add(semester)
        if semester == max(data.semesters):
            year["homeroom_comment"] = _value(homeroom, "nx")
    for semester in data.semesters:
        if semester in incomplete_semesters:
            continue
        result = rules.semester_learning_level(
            semester_averages=sem_scored[semester], semester_comments=sem_comments[semester], rules=r
        )
        year[f"learning_{semester}"] = str(result.level)
        details[f"learning_{semester}"] = _level_detail(result)
    if missing:
        details["incomplete"] = missing
    if data.has_year and not missing:
        _tt22_year(data, r, year, details, year_scored, year_comments, subject_codes, previous, retests)
    year["details"] = details
    return StudentOutcome(year=year, subjects=subjects)


def _tt22_year(
    data: ClassData,
    r: Tt22RuleSet,
    year: dict[str, Any],
    details: dict[str, Any],
    year_scored: dict[str, Decimal],
    year_comments: dict[str, CommentResult],
    subject_codes: dict[int, str],
    previous: YearResult | None,
    retests: dict[int, str],
) -> None:
    learning = rules.year_learning_level(year_averages=year_scored, year_comments=year_comments, rules=r)
    year["learning_year"] = str(learning.level)
    year["learning_adjusted"] = learning.adjusted
    details["learning_year"] = _level_detail(learning)
    details["year_averages"] = {code: str(v) for code, v in year_scored.items()}
    details["year_comments"] = {code: str(v) for code, v in year_comments.items()}
    conduct_year = rules.year_conduct_level(semester_1=year["conduct_1"], semester_2=year["conduct_2"], rules=r)
    year["conduct_year"] = str(conduct_year)

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
                year_averages=year_scored,
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
    try:
        decision = rules.promotion_decision(
            year_conduct=conduct_year,
            year_learning=learning.level,
            absence_sessions=year["absences"],
            rules=r,
            conduct_after_summer=summer or None,
            learning_after_retest=learning_after if (summer or conduct_ok) else None,
        )
    except ValidationFailed as exc:
        details["ignored"] = exc.message
        decision = rules.promotion_decision(
            year_conduct=conduct_year,
            year_learning=learning.level,
            absence_sessions=year["absences"],
            rules=r,
            conduct_after_summer=summer or None,
        )
    year["promotion"] = str(decision.outcome)
    details["promotion_reason"] = decision.reason
    if decision.outcome == PromotionOutcome.RETEST or learning_after is not None:
        details["retest_subjects"] = list(
            rules.retest_subjects(year_averages=year_scored, year_comments=year_comments, rules=r)
        )
    year["completes_level"] = rules.completes_lower_secondary(
        grade=data.school_class.grade.code, decision=decision, rules=r
    )
    title = rules.title_candidate(
        year_conduct=conduct_year, year_learning=learning.level, year_averages=year_scored, rules=r
    )
    year["title_proposed"] = str(title) if title else ""
    if title:
        details["title_high_subjects"] = [c for c, v in year_scored.items() if v >= r.title_excellent_score]


# ---------------------------------------------------------------------------------------------------------------
# TT27 (TH)
# ---------------------------------------------------------------------------------------------------------------


def _tt27_student(
    data: ClassData, student: Student, previous: YearResult | None, retests: dict[int, str]
) -> StudentOutcome:
    r = data.rules
    assert isinstance(r, Tt27RuleSet)
    sid = student.pk
    grade = data.school_class.grade.code
    missing: list[str] = []
    subjects: dict[int, dict[str, Any]] = {}
    levels: dict[str, str] = {}
    scores: dict[str, Decimal] = {}
    retest_scores: dict[str, Decimal] = {}
    end_tested = set(rules.tested_subjects(grade=grade, checkpoint=Tt27Checkpoint.END_YEAR, rules=r))
    for entry in data.subjects:
        subject = entry.subject
        row: dict[str, Any] = {f: None for f in ("semester_1", "semester_2", "year", "test_score")}
        row.update({f: "" for f in ("semester_1_result", "semester_2_result", "year_result")})
        row["kind"] = SubjectKind.PRIMARY
        for semester in data.semesters:
            cells = data.student_cells(sid, subject.pk, semester)
            level = _value(cells, "muc_ck")
            row[f"semester_{semester}_result"] = level
            if not level:
                missing.append(_("%(subject)s HK%(sem)s") % {"subject": subject.name, "sem": semester})
            if semester == 2:
                row["year_result"] = level
                if level:
                    levels[subject.code] = level
                if "kt_ck" in data.sheet_codes(subject.pk, 2):
                    number = _number(cells, "kt_ck")
                    if number is None:
                        missing.append(_("%(subject)s: bài kiểm tra cuối năm") % {"subject": subject.name})
                    else:
                        row["test_score"] = int(number)
                        scores[subject.code] = number
                if subject.pk in retests and subject.code in end_tested:
                    retest_scores[subject.code] = Decimal(retests[subject.pk])
        subjects[subject.pk] = row

    year: dict[str, Any] = {f: "" for f in AUDITED_YEAR_FIELDS}
    year.update(learning_adjusted=False, completes_level=False, absences=_absences(data, sid), homeroom_comment="")
    details: dict[str, Any] = {
        "rule_set": f"{data.version.code} v{data.version.version}",
        "circular": str(data.circular),
        "subjects": [e.subject.code for e in data.subjects],
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


def _subject_summary(rows: dict[int, dict[str, Any]], codes: dict[int, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for subject_id, row in rows.items():
        if row["kind"] == SubjectKind.SCORED:
            out[codes[subject_id]] = [
                str(row[f]) if row[f] is not None else "" for f in ("semester_1", "semester_2", "year")
            ]
        else:
            out[codes[subject_id]] = [row["semester_1_result"], row["semester_2_result"], row["year_result"]]
    return out


def _year_snapshot(row: YearResult) -> dict[str, Any]:
    return {f: getattr(row, f) for f in AUDITED_YEAR_FIELDS}


def _insert(model: type[models.Model], names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (values of the fields ``names``, in order) as one prepared multi-row statement.

    For the thousands of subject rows of a class ``bulk_create`` spends most of its time compiling each value
    through the ORM; this prepares each distinct value once per field with the field's own ``get_db_prep_save``
    (values here are immutable: Decimal, str, int, bool, None, one timestamp) and lets the driver run the
    statement for every row. Model ``save`` logic is bypassed, so callers pass every column, ``auto_now`` included.
    """
    if not rows:
        return
    meta = model._meta
    fields = [cast(models.Field[Any, Any], meta.get_field(name)) for name in names]
    memo: list[dict[Any, Any]] = [{} for _field in fields]
    prepared: list[tuple[Any, ...]] = []
    for row in rows:
        values = []
        for index, value in enumerate(row):
            cache = memo[index]
            key = (type(value), value)
            try:
                values.append(cache[key])
            except KeyError:
                cache[key] = fields[index].get_db_prep_save(value, connection)
                values.append(cache[key])
        prepared.append(tuple(values))
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    # Only quoted column names are formatted in; every value is a bound parameter.
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


SUBJECT_INSERT_FIELDS = ("student", "school_class", "subject", *SUBJECT_FIELDS, "retest", "rule_set", "computed_at")


def _compute(
    actor: Actor, school_class: SchoolClass, semesters: tuple[int, ...], only: Student | None = None
) -> tuple[list[YearResult], int]:
    data = _load(school_class, semesters, only)
    student_ids = [s.pk for s in data.students]
    previous_years = {
        row.student_id: row for row in YearResult.objects.filter(school_class=school_class, student__in=student_ids)
    }
    # (student, subject) → (id, rule set id, *SUBJECT_FIELDS): compared in memory, only changed rows are written.
    previous_subjects: dict[tuple[int, int], tuple[Any, ...]] = {}
    retests: dict[int, dict[int, str]] = defaultdict(dict)
    for pk, student_id, subject_id, retest, rule_set_id, *stored in _values(
        SubjectResult.objects.filter(school_class=school_class, student__in=student_ids),
        "pk",
        "student_id",
        "subject_id",
        "retest",
        "rule_set_id",
        *SUBJECT_FIELDS,
    ):
        previous_subjects[(student_id, subject_id)] = (pk, rule_set_id, *stored)
        if retest:
            retests[student_id][subject_id] = retest
    codes = {e.subject_id: e.subject.code for e in data.subjects}
    version_id = data.version.pk
    now = timezone.now()
    new_years: list[YearResult] = []
    changed_years: list[YearResult] = []
    new_subjects: list[tuple[Any, ...]] = []
    changed_subjects: list[SubjectResult] = []
    events: list[dict[str, Any]] = []
    results: list[YearResult] = []
    per_student = _tt27_student if data.circular == Circular.TT27_2020 else _tt22_student
    for student in data.students:
        previous = previous_years.get(student.pk)
        outcome = per_student(data, student, previous, retests.get(student.pk, {}))
        student_changed = False
        for subject_id, values in outcome.subjects.items():
            computed = tuple(values[f] for f in SUBJECT_FIELDS)
            existing = previous_subjects.get((student.pk, subject_id))
            if existing is None:
                new_subjects.append((student.pk, school_class.pk, subject_id, *computed, "", version_id, now))
                student_changed = True
            elif existing[1] != version_id or existing[2:] != computed:
                changed_subjects.append(
                    SubjectResult(pk=existing[0], rule_set_id=version_id, computed_at=now, **values)
                )
                student_changed = True
        values = outcome.year
        if previous is None:
            row = YearResult(student=student, school_class=school_class, rule_set=data.version, computed_at=now)
            before = None
            for f, v in values.items():
                setattr(row, f, v)
            new_years.append(row)
            student_changed = True
        else:
            row = previous
            before = _year_snapshot(row)
            if values["title_proposed"] != row.title_proposed:
                # A confirmation was about the title proposed then; a changed proposal needs a new decision.
                values = {**values, "title_confirmed": ""}
                row.title_confirmed_by = None
            else:
                values = {**values, "title_confirmed": row.title_confirmed}
            if row.rule_set_id != data.version.pk or any(getattr(row, f) != v for f, v in values.items()):
                for f, v in values.items():
                    setattr(row, f, v)
                row.rule_set = data.version
                row.computed_at = now
                changed_years.append(row)
            student_changed = student_changed or before != _year_snapshot(row)
        results.append(row)
        if student_changed:
            after = _year_snapshot(row)
            after["subjects"] = _subject_summary(outcome.subjects, codes)
            events.append(
                {
                    "actor": actor.user,
                    "action": "grade.result_compute",
                    "object_type": YearResult._meta.label_lower,
                    "object_id": str(student.pk),
                    "object_label": f"{student.person.full_name} – {school_class.name} ({school_class.year.code})",
                    "org_unit": school_class.school,
                    "before": before,
                    "after": after,
                }
            )
    YearResult.objects.bulk_create(new_years, batch_size=500)
    YearResult.objects.bulk_update(
        changed_years, [*YEAR_FIELDS, "title_confirmed_by", "rule_set", "computed_at"], batch_size=500
    )
    _insert(SubjectResult, SUBJECT_INSERT_FIELDS, new_subjects)
    SubjectResult.objects.bulk_update(changed_subjects, [*SUBJECT_FIELDS, "rule_set", "computed_at"], batch_size=1000)
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
    # Rows created by bulk_create have their ids on PostgreSQL and SQLite ≥ 3.35; read them back otherwise.
    if any(row.pk is None for row in results):
        by_student = {
            row.student_id: row for row in YearResult.objects.filter(school_class=school_class, student__in=student_ids)
        }
        results = [by_student[s.pk] for s in data.students]
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
