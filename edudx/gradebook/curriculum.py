"""Which rule set and which columns apply to a class: the bridge from stored data to the pure rules.

Every service that reads or writes scores starts here: ``circular_for`` (TH → TT27, THCS → TT22),
``rule_set_version_for`` (the newest stored version in force when the school year starts), ``rules_of`` (the frozen
rule set of a version) and ``ensure_sheets`` (the class's sheets for a semester, created with their columns).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.db import transaction

from edudx.core.api import SchoolLevel, ValidationFailed
from edudx.registry.api import SchoolClass, Subject

from . import columns as cols
from .enums import Circular
from .models import GradeSubject, RuleSetVersion, ScoreSheet, SheetKind, SubjectKind
from .rulesets import RuleSet, Tt22RuleSet, Tt27RuleSet, from_data


def circular_for(school_class: SchoolClass) -> Circular:
    level = school_class.grade.level
    if level == SchoolLevel.TH:
        return Circular.TT27_2020
    if level == SchoolLevel.THCS:
        return Circular.TT22_2021
    raise ValidationFailed(
        f"Lớp {school_class.name} thuộc cấp {level}: sổ điểm chỉ dùng cho tiểu học và trung học cơ sở.",
        code="no_gradebook_for_level",
    )


def rule_set_version_for(circular: Circular | str, on: dt.date) -> RuleSetVersion:
    """The newest version of the circular's rule set in force on ``on``."""
    version = (
        RuleSetVersion.objects.filter(circular=Circular(circular), valid_from__lte=on)
        .exclude(valid_to__lt=on)
        .order_by("-valid_from", "-version")
        .first()
    )
    if version is None:
        raise ValidationFailed(
            f"Chưa có bộ quy tắc đánh giá theo {Circular(circular).label} áp dụng cho ngày {on:%d/%m/%Y}.",
            code="no_rule_set",
        )
    return version


def rule_set_version_for_class(school_class: SchoolClass) -> RuleSetVersion:
    return rule_set_version_for(circular_for(school_class), school_class.year.starts_on)


@lru_cache(maxsize=64)
def _rules(version_id: int, circular: str, data_key: str) -> RuleSet:
    version = RuleSetVersion.objects.get(pk=version_id)
    return from_data(circular, version.data)


def rules_of(version: RuleSetVersion) -> RuleSet:
    """The frozen rule set stored in ``version`` (versions are immutable, so the cache by id is safe)."""
    return _rules(version.pk, version.circular, str(version.created_at))


def tt22_rules(version: RuleSetVersion) -> Tt22RuleSet:
    rules = rules_of(version)
    assert isinstance(rules, Tt22RuleSet)
    return rules


def tt27_rules(version: RuleSetVersion) -> Tt27RuleSet:
    rules = rules_of(version)
    assert isinstance(rules, Tt27RuleSet)
    return rules


def grade_subjects(school_class: SchoolClass) -> list[GradeSubject]:
    return list(GradeSubject.objects.filter(grade=school_class.grade).select_related("subject").order_by("order"))


def columns_for(
    *, school_class: SchoolClass, kind: str, subject: Subject | None, semester: int, rules: RuleSet
) -> list[cols.Column]:
    if kind == SheetKind.HOMEROOM:
        return cols.tt27_homeroom_columns() if isinstance(rules, Tt27RuleSet) else cols.tt22_homeroom_columns()
    assert subject is not None
    entry = GradeSubject.objects.filter(grade=school_class.grade, subject=subject).first()
    if entry is None:
        raise ValidationFailed(
            f"Môn {subject.name} không có trong chương trình {school_class.grade.name}.", code="subject_not_in_grade"
        )
    if isinstance(rules, Tt27RuleSet):
        return cols.tt27_subject_columns(
            grade=school_class.grade.code, subject=subject.code, semester=semester, rules=rules
        )
    return cols.tt22_subject_columns(
        scored=entry.kind == SubjectKind.SCORED, periods_per_year=entry.periods_per_year, rules=rules
    )


def sheet_columns(sheet: ScoreSheet) -> list[cols.Column]:
    return [cols.column_from_dict(c) for c in sheet.columns]


@transaction.atomic
def ensure_sheets(school_class: SchoolClass, semester: int) -> list[ScoreSheet]:
    """The homeroom sheet and one sheet per curriculum subject of the class for ``semester`` (created if missing).

    Idempotent and safe under concurrency (unique constraints + get_or_create). Columns are fixed when a sheet is
    created, so a later change of periods or rules does not reshape a sheet teachers have filled.
    """
    if semester not in (1, 2):
        raise ValidationFailed("Học kì phải là 1 hoặc 2.", code="semester_invalid")
    version = rule_set_version_for_class(school_class)
    rules = rules_of(version)
    sheets: list[ScoreSheet] = []
    for entry in grade_subjects(school_class):
        sheet, _ = ScoreSheet.objects.get_or_create(
            school_class=school_class,
            subject=entry.subject,
            semester=semester,
            defaults={
                "kind": SheetKind.SUBJECT,
                "rule_set": version,
                "columns": [
                    c.as_dict()
                    for c in columns_for(
                        school_class=school_class,
                        kind=SheetKind.SUBJECT,
                        subject=entry.subject,
                        semester=semester,
                        rules=rules,
                    )
                ],
            },
        )
        sheets.append(sheet)
    homeroom, _ = ScoreSheet.objects.get_or_create(
        school_class=school_class,
        kind=SheetKind.HOMEROOM,
        semester=semester,
        defaults={
            "rule_set": version,
            "columns": [
                c.as_dict()
                for c in columns_for(
                    school_class=school_class, kind=SheetKind.HOMEROOM, subject=None, semester=semester, rules=rules
                )
            ],
        },
    )
    sheets.append(homeroom)
    return sheets
