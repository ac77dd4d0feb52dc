"""The machine-readable học bạ: one JSON document per transcript version, format ``edudx.hocba/1``.

The MOET technical specification of học bạ số has not been published in a form we could read (domain notes §3.4),
so this is our own documented format, kept deliberately close to the paper học bạ (TT22 Phụ lục, TT27 Phụ lục 1);
a connector to a province's "cổng học bạ số" maps it to theirs. The PDF is rendered from exactly this document, so
what is signed and what is downloaded as JSON say the same thing.

Format ``edudx.hocba/1`` (keys always present; values ``null`` / ``""`` / ``[]`` when not applicable)::

    format          "edudx.hocba/1"
    circular        "TT22/2021" (THCS) | "TT27/2020" (tiểu học)
    rule_set        {code, version}: the rule-set version the results were computed with
    school          {name, moet_code, level, authority}
    class           {name, grade}
    year            {code, starts_on, ends_on}                                    (ISO dates)
    student         {full_name, date_of_birth, sex, sex_label, ethnicity, nationality, moet_code}
                    — no personal ID number (số định danh cá nhân) ever
    homeroom_teacher  full name
    subjects        [{code, name, kind, semester_1, semester_2, year,           TT22 scored: averages "8.3"
                      semester_1_result, semester_2_result, year_result,     TT22 comment: "dat"/"chua_dat";
                      year_result_label, retest, test_score, remark}]        TT27: level T/H/C, KTĐK score
    qualities       [{code, name, level, level_label}]    TT27 phẩm chất (end of year), qualities_remark
    competencies    [{code, name, level, level_label}]    TT27 năng lực (end of year), competencies_remark
    learning        {semester_1, semester_2, year, adjusted, *_label}           TT22 kết quả học tập
    conduct         {semester_1, semester_2, year, summer, *_label}             TT22 kết quả rèn luyện
    absences        whole-year sessions absent (buổi)
    classification  {code, label}                                                TT27 Điều 9 khoản 2
    promotion       {code, label}
    title           {code, label}                                                danh hiệu / giấy khen
    completion      {grade_completed, level_completed, label}
    homeroom_comment  text
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import translation

from edudx.registry.api import SchoolClass, Student

from .columns import COMPETENCIES, QUALITIES
from .enums import (
    Circular,
    CommentResult,
    PromotionOutcome,
    Tt22Level,
    Tt22Title,
    Tt27Classification,
    Tt27QualityLevel,
    Tt27SubjectLevel,
    Tt27Title,
)
from .models import GradeSubject, RuleSetVersion, ScoreCell, SheetKind, SubjectKind, SubjectResult, YearResult

FORMAT = "edudx.hocba/1"

__all__ = ["FORMAT", "TranscriptSource", "build", "gather"]


@dataclass
class TranscriptSource:
    """Everything a transcript is built from, read once (``gather``) so ``build`` needs no database."""

    student: Student
    school_class: SchoolClass
    year_result: YearResult
    rule_set: RuleSetVersion
    subject_results: list[SubjectResult]
    subject_order: dict[int, int] = field(default_factory=dict)  # subject id → curriculum order
    # (sheet kind, subject id or None, semester, column) → cell value
    cells: dict[tuple[str, int | None, int, str], str] = field(default_factory=dict)


def gather(*, student: Student, school_class: SchoolClass, year_result: YearResult) -> TranscriptSource:
    """Read the results, the curriculum order and the student's remarks/levels of the class (a fixed few queries)."""
    results = list(SubjectResult.objects.filter(student=student, school_class=school_class).select_related("subject"))
    order = dict(GradeSubject.objects.filter(grade_id=school_class.grade_id).values_list("subject_id", "order"))
    cells: dict[tuple[str, int | None, int, str], str] = {}
    rows = ScoreCell.objects.filter(student=student, sheet__school_class=school_class).values_list(
        "sheet__kind", "sheet__subject_id", "sheet__semester", "column", "value"
    )
    for kind, subject_id, semester, column, value in rows:
        cells[(kind, subject_id, semester, column)] = value
    return TranscriptSource(
        student=student,
        school_class=school_class,
        year_result=year_result,
        rule_set=year_result.rule_set,
        subject_results=results,
        subject_order=order,
        cells=cells,
    )


def _score(value: Decimal | None) -> str | None:
    return None if value is None else format(value.quantize(Decimal("0.1")), "f")


def _label(choices: Any, code: str) -> str:
    if not code:
        return ""
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def _subject_label(kind: str, code: str) -> str:
    if kind == SubjectKind.PRIMARY:
        return _label(Tt27SubjectLevel, code)
    if kind == SubjectKind.COMMENT:
        return _label(CommentResult, code)
    return code


def _remark(source: TranscriptSource, subject_id: int) -> str:
    """The subject teacher's remark: the end-of-year one (semester II sheet), else semester I's."""
    for semester in (2, 1):
        value = source.cells.get((SheetKind.SUBJECT, subject_id, semester, "nx"), "")
        if value:
            return value
    return ""


def _subjects(source: TranscriptSource) -> list[dict[str, Any]]:
    rows = sorted(source.subject_results, key=lambda r: (source.subject_order.get(r.subject_id, 999), r.subject.name))
    out = []
    for row in rows:
        year_value = row.retest or (row.year_result if row.kind != SubjectKind.SCORED else _score(row.year))
        out.append(
            {
                "code": row.subject.code,
                "name": row.subject.name,
                "kind": row.kind,
                "semester_1": _score(row.semester_1),
                "semester_2": _score(row.semester_2),
                "year": _score(row.year),
                "semester_1_result": row.semester_1_result,
                "semester_2_result": row.semester_2_result,
                "year_result": row.year_result,
                "year_result_label": _subject_label(row.kind, row.year_result),
                "retest": row.retest,
                "final": year_value or "",
                "test_score": row.test_score,
                "remark": _remark(source, row.subject_id),
            }
        )
    return out


def _homeroom(source: TranscriptSource, column: str) -> str:
    for semester in (2, 1):
        value = source.cells.get((SheetKind.HOMEROOM, None, semester, column), "")
        if value:
            return value
    return ""


def _levels(source: TranscriptSource, pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    out = []
    for code, name in pairs:
        level = source.cells.get((SheetKind.HOMEROOM, None, 2, code), "")
        out.append({"code": code, "name": name, "level": level, "level_label": _label(Tt27QualityLevel, level)})
    return out


def _four_levels(first: str, second: str, year: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"semester_1": first, "semester_2": second, "year": year, **extra}
    for key in ("semester_1", "semester_2", "year", "summer"):
        if key in data:
            data[f"{key}_label"] = _label(Tt22Level, data[key])
    return data


def build(source: TranscriptSource) -> dict[str, Any]:
    """The ``edudx.hocba/1`` document of one student's year (labels in Vietnamese whatever the request language)."""
    with translation.override("vi"):
        return _build(source)


def _build(source: TranscriptSource) -> dict[str, Any]:
    student, klass, result = source.student, source.school_class, source.year_result
    person = student.person
    school = klass.school
    circular = source.rule_set.circular
    primary = circular == Circular.TT27_2020
    teacher = klass.homeroom_teacher
    homeroom = teacher.person.full_name if teacher is not None else ""
    title_code = result.title_confirmed
    title_label = _label(Tt27Title if primary else Tt22Title, title_code)
    classification = result.classification if primary else ""
    grade_completed = (
        bool(classification) and classification != Tt27Classification.NOT_COMPLETED
        if primary
        else result.promotion == PromotionOutcome.PROMOTED
    )
    if result.completes_level:
        completion_label = "Hoàn thành chương trình tiểu học" if primary else "Hoàn thành chương trình trung học cơ sở"
    elif primary:
        completion_label = (
            "Hoàn thành chương trình lớp học" if grade_completed else "Chưa hoàn thành chương trình lớp học"
        )
    else:
        completion_label = ""
    return {
        "format": FORMAT,
        "circular": circular,
        "rule_set": {"code": source.rule_set.code, "version": source.rule_set.version},
        "school": {
            "name": school.name,
            "moet_code": school.moet_code or "",
            "level": school.school_level,
            "authority": school.parent.name if school.parent is not None else "",
        },
        "class": {"name": klass.name, "grade": klass.grade.name},
        "year": {
            "code": klass.year.code,
            "starts_on": klass.year.starts_on.isoformat(),
            "ends_on": klass.year.ends_on.isoformat(),
        },
        "student": {
            "full_name": person.full_name,
            "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
            "sex": person.sex,
            "sex_label": str(person.get_sex_display()) if person.sex else "",
            "ethnicity": person.ethnicity,
            "nationality": person.nationality,
            "moet_code": student.moet_code,
        },
        "homeroom_teacher": homeroom,
        "subjects": _subjects(source),
        "qualities": _levels(source, QUALITIES) if primary else [],
        "qualities_remark": _homeroom(source, "nx_pc") if primary else "",
        "competencies": _levels(source, COMPETENCIES) if primary else [],
        "competencies_remark": _homeroom(source, "nx_nl") if primary else "",
        "learning": _four_levels(
            result.learning_1, result.learning_2, result.learning_year, adjusted=result.learning_adjusted
        )
        if not primary
        else {},
        "conduct": _four_levels(result.conduct_1, result.conduct_2, result.conduct_year, summer=result.summer_conduct)
        if not primary
        else {},
        "absences": result.absences,
        "classification": {"code": classification, "label": _label(Tt27Classification, classification)},
        "promotion": {"code": result.promotion, "label": _label(PromotionOutcome, result.promotion)},
        "title": {"code": title_code, "label": title_label},
        "completion": {
            "grade_completed": grade_completed,
            "level_completed": result.completes_level,
            "label": completion_label,
        },
        "homeroom_comment": result.homeroom_comment or _homeroom(source, "nx"),
    }
