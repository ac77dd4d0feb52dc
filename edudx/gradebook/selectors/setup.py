"""Reads of the assessment set-up: rule-set versions, the curriculum of each grade, teaching assignments.

Rule sets and the curriculum are sector-wide reference data: anyone with a role reads them (``ruleset.view``),
holders of ``ruleset.manage`` change them. Presentation helpers here turn stored rule-set data into readable
tables and a field-by-field diff between two versions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from edudx.core.api import Actor, DomainError, OrgUnit, OrgUnitKind, SchoolLevel, policy_for
from edudx.registry.api import Grade, SchoolClass, SchoolYear, Subject, TeachingAssignment

from ..curriculum import rule_set_version_for, rules_of
from ..enums import Circular, Tt22Level, Tt27Checkpoint
from ..models import GradeSubject, RuleSetVersion, SubjectKind
from ..rules import required_regular_count, tested_subjects
from ..rulesets import RuleSet, Tt22RuleSet, Tt27RuleSet, from_data

__all__ = [
    "FIELD_LABELS",
    "AssignmentRow",
    "FieldChange",
    "GradeCurriculum",
    "assignment_matrix",
    "assignment_schools",
    "current_version_ids",
    "curriculum_overview",
    "data_diff",
    "format_value",
    "previous_version",
    "ruleset_get",
    "ruleset_list",
    "ruleset_tables",
]

_l = gettext_lazy

FIELD_LABELS: dict[str, Any] = {
    "code": _l("Mã bộ quy tắc"),
    "legal_basis": _l("Căn cứ pháp lý"),
    "valid_from": _l("Áp dụng từ"),
    "valid_to": _l("Áp dụng đến"),
    "grades": _l("Các khối"),
    "final_grade": _l("Lớp cuối cấp"),
    "score_min": _l("Điểm thấp nhất"),
    "score_max": _l("Điểm cao nhất"),
    "score_step": _l("Bước điểm"),
    "score_rounding": _l("Cách làm tròn điểm"),
    "regular_count_bands": _l("Số lần ĐGTX theo số tiết/năm (Điều 6)"),
    "comment_regular_count": _l("Số lần ĐGTX của môn đánh giá bằng nhận xét"),
    "comment_periodic_count": _l("Số lần đánh giá định kì mỗi học kì"),
    "regular_weight": _l("Hệ số ĐGTX"),
    "midterm_weight": _l("Hệ số giữa kì"),
    "final_weight": _l("Hệ số cuối kì"),
    "semester_1_weight": _l("Hệ số học kì I trong ĐTB cả năm"),
    "semester_2_weight": _l("Hệ số học kì II trong ĐTB cả năm"),
    "comment_year_from_semester_2": _l("Kết quả cả năm của môn nhận xét lấy theo học kì II"),
    "learning_level_rules": _l("Bảng mức kết quả học tập (Điều 9 khoản 2)"),
    "learning_level_fallback": _l("Mức khi không đạt dòng nào"),
    "adjustment_mode": _l("Cách điều chỉnh mức do một môn (Điều 9 khoản 3)"),
    "adjustment_reference_levels": _l("Các mức được xét điều chỉnh"),
    "adjustment_min_drop": _l("Số mức bị hạ tối thiểu để điều chỉnh"),
    "adjustment_counts_comment_subjects": _l("Tính cả môn đánh giá bằng nhận xét khi điều chỉnh"),
    "conduct_year_table": _l("Bảng rèn luyện cả năm (Điều 8)"),
    "promotion_min_conduct": _l("Rèn luyện tối thiểu để lên lớp"),
    "promotion_min_learning": _l("Học tập tối thiểu để lên lớp"),
    "absence_limit_sessions": _l("Số buổi nghỉ tối đa trong năm"),
    "retest_below_score": _l("Kiểm tra lại khi ĐTB môn cả năm dưới"),
    "retest_allowed_after_summer_training": _l("Được kiểm tra lại sau rèn luyện hè"),
    "retest_keeps_higher_score": _l("Kiểm tra lại giữ điểm cao hơn"),
    "titles_awarded": _l("Xét danh hiệu"),
    "title_min_conduct": _l("Rèn luyện tối thiểu của danh hiệu"),
    "title_min_learning": _l("Học tập tối thiểu của danh hiệu"),
    "title_excellent_score": _l("Điểm môn của danh hiệu Xuất sắc"),
    "title_excellent_count": _l("Số môn đạt điểm của danh hiệu Xuất sắc"),
    "unconfirmed_fields": _l("Các trường chờ Sở xác nhận"),
    "test_score_min": _l("Điểm bài kiểm tra thấp nhất"),
    "test_score_max": _l("Điểm bài kiểm tra cao nhất"),
    "scheduled_tests": _l("Lịch bài kiểm tra định kì"),
    "classification_rules": _l("Bảng xếp loại cuối năm (Điều 9 khoản 2)"),
    "classification_fallback": _l("Xếp loại khi không đạt dòng nào"),
    "completing_classifications": _l("Các xếp loại được coi là hoàn thành chương trình lớp"),
    "retest_replaces_end_year_score": _l("Điểm kiểm tra lại thay điểm cuối năm"),
}

_ROW_LABELS = {
    "periods_up_to": _l("đến số tiết"),
    "count": _l("số lần"),
    "level": _l("mức"),
    "every_scored_at_least": _l("mọi môn từ"),
    "scored_count": _l("số môn"),
    "scored_count_at_least": _l("đạt từ"),
    "comment_not_passed_at_most": _l("môn Chưa đạt tối đa"),
    "semester_1": _l("HK I"),
    "semester_2": _l("HK II"),
    "year": _l("cả năm"),
    "grade": _l("khối"),
    "subject": _l("môn"),
    "checkpoint": _l("thời điểm"),
    "classification": _l("xếp loại"),
    "subject_levels": _l("mức các môn"),
    "quality_levels": _l("mức phẩm chất, năng lực"),
    "min_test_score": _l("điểm kiểm tra tối thiểu"),
}

SHORT_CHECKPOINTS = {
    Tt27Checkpoint.MID_SEMESTER_1: "GK I",
    Tt27Checkpoint.END_SEMESTER_1: "CK I",
    Tt27Checkpoint.MID_SEMESTER_2: "GK II",
    Tt27Checkpoint.END_YEAR: "CN",
}


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


# ---------------------------------------------------------------------------------------------------------------
# Rule-set versions
# ---------------------------------------------------------------------------------------------------------------


def ruleset_list(*, actor: Actor) -> QuerySet[RuleSetVersion]:
    """Every version the actor may read, by circular, newest first."""
    return (
        policy_for(RuleSetVersion)
        .visible(actor, "view")
        .select_related("created_by")
        .order_by("circular", "code", "-version")
    )


def ruleset_get(*, actor: Actor, pk: int) -> RuleSetVersion | None:
    return ruleset_list(actor=actor).filter(pk=pk).first()


def current_version_ids(on: dt.date) -> dict[str, int]:
    """The id of the version in force on ``on`` for each circular that has one."""
    out: dict[str, int] = {}
    for circular in Circular:
        try:
            out[circular.value] = rule_set_version_for(circular, on).pk
        except DomainError:
            continue
    return out


def previous_version(version: RuleSetVersion) -> RuleSetVersion | None:
    return RuleSetVersion.objects.filter(code=version.code, version__lt=version.version).order_by("-version").first()


def _label_of(value: Any) -> str:
    if isinstance(value, TextChoices):
        return str(value.label)
    return str(value)


def format_value(value: Any) -> str:
    """A rule-set value (as decoded by ``from_data``) in words: decimals with a comma, choices by label."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, TextChoices):
        return str(value.label)
    if is_dataclass(value):
        return "; ".join(
            f"{_ROW_LABELS.get(f.name, f.name)}: {format_value(getattr(value, f.name))}" for f in fields(value)
        )
    if isinstance(value, tuple | list):
        if value and all(isinstance(item, str) and not isinstance(item, TextChoices) for item in value):
            return ", ".join(field_label(item) if item in FIELD_LABELS else item for item in value)
        return ", ".join(format_value(item) for item in value) or "—"
    return _label_of(value)


@dataclass(frozen=True)
class FieldChange:
    """One changed field between two versions, in words; ``rows`` lists changed table rows."""

    name: str
    label: str
    before: str
    after: str
    rows: tuple[tuple[str, str], ...] = ()
    unconfirmed: bool = False


def _decoded(circular: str, data: dict[str, Any]) -> RuleSet:
    return from_data(circular, data)


def data_diff(circular: str, before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """Field-by-field differences between two stored rule sets of ``circular``; tables compare row by row."""
    old, new = _decoded(circular, before), _decoded(circular, after)
    changes: list[FieldChange] = []
    for f in fields(new):
        if before.get(f.name) == after.get(f.name):
            continue
        a, b = getattr(old, f.name), getattr(new, f.name)
        rows: list[tuple[str, str]] = []
        if isinstance(b, tuple) and b and is_dataclass(b[0]):
            length = max(len(a), len(b))
            for i in range(length):
                left = format_value(a[i]) if i < len(a) else "—"
                right = format_value(b[i]) if i < len(b) else "—"
                if left != right:
                    rows.append((left, right))
            changes.append(
                FieldChange(f.name, field_label(f.name), "", "", tuple(rows), f.name in new.unconfirmed_fields)
            )
        else:
            changes.append(
                FieldChange(
                    f.name, field_label(f.name), format_value(a), format_value(b), (), f.name in new.unconfirmed_fields
                )
            )
    return changes


def _subject_names() -> dict[str, str]:
    return dict(Subject.objects.values_list("code", "name"))


def ruleset_tables(version: RuleSetVersion) -> dict[str, Any]:
    """Readable tables of a version for its detail page (the scalar fields, the legal tables, the schedule)."""
    rules = rules_of(version)
    unconfirmed = set(rules.unconfirmed_fields)
    table_fields = {
        "regular_count_bands",
        "learning_level_rules",
        "conduct_year_table",
        "scheduled_tests",
        "classification_rules",
        "unconfirmed_fields",
    }
    scalars = [
        {"name": f.name, "label": field_label(f.name), "value": format_value(getattr(rules, f.name)),
         "unconfirmed": f.name in unconfirmed}
        for f in fields(rules)
        if f.name not in table_fields
    ]  # fmt: skip
    out: dict[str, Any] = {"rules": rules, "scalars": scalars, "unconfirmed": unconfirmed}
    if isinstance(rules, Tt22RuleSet):
        bands = []
        lower = 0
        for band in rules.regular_count_bands:
            if band.periods_up_to is None:
                text = _("Trên %(n)s tiết") % {"n": lower}
            else:
                text = _("Từ %(low)s đến %(high)s tiết") % {"low": lower + 1, "high": band.periods_up_to}
                lower = band.periods_up_to
            bands.append({"periods": text, "count": band.count})
        out["bands"] = bands
        out["learning"] = [
            {
                "level": Tt22Level(row.level).label,
                "every": format_value(row.every_scored_at_least),
                "count": row.scored_count,
                "count_at_least": format_value(row.scored_count_at_least),
                "comment_not_passed": row.comment_not_passed_at_most,
            }
            for row in rules.learning_level_rules
        ]
        cells = {(c.semester_1, c.semester_2): c.year for c in rules.conduct_year_table}
        levels = list(Tt22Level)
        out["conduct_levels"] = [level.label for level in levels]
        out["conduct"] = [
            {"semester_2": s2.label, "cells": [Tt22Level(cells[(s1, s2)]).label if (s1, s2) in cells else "—"
                                                for s1 in levels]}
            for s2 in levels
        ]  # fmt: skip
    else:
        assert isinstance(rules, Tt27RuleSet)
        out["classification"] = [
            {
                "classification": row.classification.label,
                "subject_levels": format_value(row.subject_levels),
                "quality_levels": format_value(row.quality_levels),
                "min_test_score": row.min_test_score,
            }
            for row in rules.classification_rules
        ]
        names = _subject_names()
        schedule: dict[str, dict[str, list[str]]] = {}
        for test in rules.scheduled_tests:
            schedule.setdefault(test.grade, {}).setdefault(test.subject, []).append(
                SHORT_CHECKPOINTS.get(Tt27Checkpoint(test.checkpoint), str(test.checkpoint))
            )
        out["schedule"] = [
            {
                "grade": grade,
                "subjects": [{"name": names.get(code, code), "checkpoints": ", ".join(points)}
                             for code, points in subjects.items()],
            }
            for grade, subjects in sorted(schedule.items())
        ]  # fmt: skip
    return out


# ---------------------------------------------------------------------------------------------------------------
# Curriculum
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class CurriculumRow:
    entry: GradeSubject
    regular_count: int | None  # TT22: ĐĐGtx per semester
    periodic_count: int | None  # TT22: giữa kì + cuối kì
    tests: str  # TT27: checkpoints with a periodic test


@dataclass
class GradeCurriculum:
    grade: Grade
    circular: str
    version: RuleSetVersion | None
    rows: list[CurriculumRow] = field(default_factory=list)


def curriculum_overview(*, actor: Actor, on: dt.date) -> list[GradeCurriculum]:
    """Each TH/THCS grade's subjects with the counts the rule set in force on ``on`` derives from them."""
    entries = (
        policy_for(GradeSubject)
        .visible(actor, "view")
        .select_related("grade", "subject")
        .order_by("grade__order", "order", "pk")
    )
    blocks: dict[int, GradeCurriculum] = {}
    rules_cache: dict[str, tuple[RuleSetVersion | None, RuleSet | None]] = {}
    for entry in entries:
        grade = entry.grade
        circular = Circular.TT27_2020 if grade.level == SchoolLevel.TH else Circular.TT22_2021
        if circular.value not in rules_cache:
            try:
                found = rule_set_version_for(circular, on)
                rules_cache[circular.value] = (found, rules_of(found))
            except DomainError:
                rules_cache[circular.value] = (None, None)
        version, rules = rules_cache[circular.value]
        block = blocks.setdefault(grade.pk, GradeCurriculum(grade, circular.value, version))
        regular = periodic = None
        tests = ""
        if isinstance(rules, Tt22RuleSet):
            regular = required_regular_count(
                periods_per_year=entry.periods_per_year, rules=rules, scored=entry.kind == SubjectKind.SCORED
            )
            periodic = rules.comment_periodic_count
        elif isinstance(rules, Tt27RuleSet):
            points = [
                SHORT_CHECKPOINTS[checkpoint]
                for checkpoint in Tt27Checkpoint
                if entry.subject.code in tested_subjects(grade=grade.code, checkpoint=checkpoint, rules=rules)
            ]
            tests = ", ".join(points)
        block.rows.append(CurriculumRow(entry, regular, periodic, tests))
    return list(blocks.values())


# ---------------------------------------------------------------------------------------------------------------
# Teaching assignments
# ---------------------------------------------------------------------------------------------------------------


def assignment_schools(*, actor: Actor) -> QuerySet[OrgUnit]:
    """Primary and lower-secondary schools where the actor may change classes and their teaching."""
    return (
        actor.units_with("class.change")
        .filter(kind=OrgUnitKind.SCHOOL, valid_to__isnull=True, school_level__in=[SchoolLevel.TH, SchoolLevel.THCS])
        .order_by("name")
    )


@dataclass
class AssignmentCell:
    subject: Subject
    in_curriculum: bool
    assignment: TeachingAssignment | None = None

    @property
    def teacher(self) -> str:
        return self.assignment.staff.person.full_name if self.assignment else ""


@dataclass
class AssignmentRow:
    school_class: SchoolClass
    cells: list[AssignmentCell]

    @property
    def homeroom(self) -> str:
        teacher = self.school_class.homeroom_teacher
        return teacher.person.full_name if teacher else ""

    @property
    def missing(self) -> int:
        return sum(1 for cell in self.cells if cell.in_curriculum and cell.assignment is None)


def assignment_matrix(
    *, actor: Actor, school: OrgUnit, year: SchoolYear, semester: int, grade: Grade | None = None
) -> tuple[list[Subject], list[AssignmentRow]]:
    """Classes × subjects of ``school`` in ``year``: who teaches each subject in ``semester`` (1 or 2)."""
    classes = (
        policy_for(SchoolClass)
        .visible(actor)
        .filter(school=school, year=year)
        .select_related("grade", "homeroom_teacher__person")
        .order_by("grade__order", "name")
    )
    if grade is not None:
        classes = classes.filter(grade=grade)
    class_list = list(classes)
    grade_ids = {klass.grade_id for klass in class_list}
    curriculum: dict[int, set[int]] = {}
    subjects: dict[int, Subject] = {}
    for entry in (
        GradeSubject.objects.filter(grade_id__in=grade_ids).select_related("subject").order_by("grade__order", "order")
    ):
        curriculum.setdefault(entry.grade_id, set()).add(entry.subject_id)
        subjects.setdefault(entry.subject_id, entry.subject)
    taught: dict[tuple[int, int], TeachingAssignment] = {}
    assignments = (
        policy_for(TeachingAssignment)
        .visible(actor)
        .filter(school_class__in=[klass.pk for klass in class_list])
        .filter(Q(semester=0) | Q(semester=semester))
        .select_related("staff__person", "subject")
    )
    for assignment in assignments:
        taught[(assignment.school_class_id, assignment.subject_id)] = assignment
        subjects.setdefault(assignment.subject_id, assignment.subject)
    ordered = list(subjects.values())
    rows = [
        AssignmentRow(
            klass,
            [
                AssignmentCell(
                    subject, subject.pk in curriculum.get(klass.grade_id, set()), taught.get((klass.pk, subject.pk))
                )
                for subject in ordered
            ],
        )
        for klass in class_list
    ]
    return ordered, rows
