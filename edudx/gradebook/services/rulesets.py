"""Writes of the assessment reference data: new rule-set versions and the curriculum of a grade.

Only holders of ``ruleset.manage`` (the authority's administrators) write here. A rule set is never edited: a
change writes the next version of its code, in force for school years starting on or after its ``valid_from``
(``curriculum.rule_set_version_for`` picks the newest version in force), and every result keeps the version it was
computed under. Sheets already opened keep the columns they were created with.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import fields
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from edudx.core.api import Actor, Conflict, NotPermitted, SchoolLevel, ValidationFailed, audit, policy_for

from ..enums import Tt22Level
from ..models import GradeSubject, RuleSetVersion, SubjectKind
from ..rulesets import RuleSet, Tt22RuleSet, Tt27RuleSet, from_data

__all__ = [
    "FIXED_FIELDS",
    "ROUNDING_MODES",
    "changed_fields",
    "curriculum_set",
    "new_version",
    "rules_from_changes",
    "sanity_errors",
]

# Fields a new version never takes from ``changes``: its identity and dates are set by the service.
FIXED_FIELDS = frozenset({"code", "valid_from", "valid_to"})
ROUNDING_MODES = (decimal.ROUND_HALF_UP, decimal.ROUND_HALF_EVEN, decimal.ROUND_DOWN, decimal.ROUND_UP)
MAX_PERIODS = 1000


def _user(actor: Actor) -> Any:
    return actor.user if actor.is_authenticated else None


# ---------------------------------------------------------------------------------------------------------------
# Pure checks
# ---------------------------------------------------------------------------------------------------------------


def _score_in(value: Decimal, low: Decimal, high: Decimal, label: str, errors: list[str]) -> None:
    if not low <= value <= high:
        errors.append(
            _("%(field)s phải nằm trong thang điểm từ %(low)s đến %(high)s; đang là %(value)s.")
            % {"field": label, "low": low, "high": high, "value": value}
        )


def _positive(value: int, label: str, errors: list[str]) -> None:
    if value <= 0:
        errors.append(_("%(field)s phải là số nguyên dương; đang là %(value)s.") % {"field": label, "value": value})


def _tt22_errors(rules: Tt22RuleSet) -> list[str]:
    errors: list[str] = []
    zero, ten = Decimal("0"), Decimal("10")
    if not (zero <= rules.score_min < rules.score_max <= ten):
        errors.append(_("Thang điểm phải nằm trong khoảng 0–10 và điểm thấp nhất nhỏ hơn điểm cao nhất."))
    if rules.score_step <= 0 or rules.score_step > 1:
        errors.append(_("Bước điểm phải lớn hơn 0 và không quá 1."))
    if rules.score_rounding not in ROUNDING_MODES:
        errors.append(_("Cách làm tròn điểm không hợp lệ."))
    low, high = rules.score_min, rules.score_max
    bands = rules.regular_count_bands
    if not bands or bands[-1].periods_up_to is not None:
        errors.append(_("Bảng số lần đánh giá thường xuyên phải kết thúc bằng một dòng không có giới hạn trên."))
    bounds = [band.periods_up_to for band in bands if band.periods_up_to is not None]
    if bounds != sorted(set(bounds)) or any(bound <= 0 for bound in bounds):
        errors.append(_("Các mốc số tiết của bảng đánh giá thường xuyên phải dương và tăng dần."))
    if len(bounds) != len(bands) - 1:
        errors.append(_("Chỉ dòng cuối của bảng đánh giá thường xuyên được để trống mốc số tiết."))
    for band in bands:
        _positive(band.count, _("Số lần đánh giá thường xuyên"), errors)
    _positive(rules.comment_regular_count, _("Số lần đánh giá thường xuyên của môn đánh giá bằng nhận xét"), errors)
    _positive(rules.comment_periodic_count, _("Số lần đánh giá định kì của môn đánh giá bằng nhận xét"), errors)
    for name in ("regular_weight", "midterm_weight", "final_weight", "semester_1_weight", "semester_2_weight"):
        _positive(getattr(rules, name), _("Hệ số (%(name)s)") % {"name": name}, errors)
    for row in rules.learning_level_rules:
        label = str(Tt22Level(row.level).label)
        _score_in(
            row.every_scored_at_least, low, high, _("Ngưỡng mọi môn của mức %(level)s") % {"level": label}, errors
        )
        _score_in(row.scored_count_at_least, low, high, _("Ngưỡng số môn của mức %(level)s") % {"level": label}, errors)
        _positive(row.scored_count, _("Số môn đạt ngưỡng của mức %(level)s") % {"level": label}, errors)
        if row.comment_not_passed_at_most < 0:
            errors.append(_("Số môn Chưa đạt cho phép của mức %(level)s không được âm.") % {"level": label})
    thresholds = [row.scored_count_at_least for row in rules.learning_level_rules]
    if thresholds != sorted(thresholds, reverse=True):
        errors.append(_("Các mức học tập phải xếp từ cao xuống thấp: ngưỡng của mức trên không thấp hơn mức dưới."))
    pairs = {(cell.semester_1, cell.semester_2) for cell in rules.conduct_year_table}
    if len(pairs) != len(rules.conduct_year_table) or len(pairs) != len(Tt22Level) ** 2:
        errors.append(_("Bảng rèn luyện cả năm phải có đúng một ô cho mỗi cặp mức học kì I và học kì II."))
    if rules.adjustment_min_drop < 1:
        errors.append(_("Mức giảm tối thiểu để điều chỉnh phải từ 1 trở lên."))
    _positive(rules.absence_limit_sessions, _("Số buổi nghỉ tối đa"), errors)
    _score_in(rules.retest_below_score, low, high, _("Ngưỡng kiểm tra lại"), errors)
    _score_in(rules.title_excellent_score, low, high, _("Điểm của danh hiệu Xuất sắc"), errors)
    _positive(rules.title_excellent_count, _("Số môn đạt điểm của danh hiệu Xuất sắc"), errors)
    if rules.final_grade not in rules.grades:
        errors.append(_("Lớp cuối cấp phải là một trong các khối của bộ quy tắc."))
    return errors


def _tt27_errors(rules: Tt27RuleSet) -> list[str]:
    errors: list[str] = []
    if not (0 <= rules.test_score_min < rules.test_score_max <= 10):
        errors.append(_("Điểm bài kiểm tra định kì phải trong khoảng 0–10 và điểm thấp nhất nhỏ hơn điểm cao nhất."))
    marks = [row.min_test_score for row in rules.classification_rules]
    for mark in marks:
        if not rules.test_score_min <= mark <= rules.test_score_max:
            errors.append(
                _("Điểm kiểm tra tối thiểu %(mark)s nằm ngoài thang điểm %(low)s–%(high)s.")
                % {"mark": mark, "low": rules.test_score_min, "high": rules.test_score_max}
            )
    if marks != sorted(marks, reverse=True):
        errors.append(_("Điểm kiểm tra tối thiểu của các mức xếp loại phải giảm dần từ mức cao xuống mức thấp."))
    if not rules.classification_rules:
        errors.append(_("Bảng xếp loại cuối năm không được trống."))
    for test in rules.scheduled_tests:
        if test.grade not in rules.grades:
            errors.append(_("Lịch kiểm tra có khối %(grade)s không thuộc bộ quy tắc.") % {"grade": test.grade})
    if rules.final_grade not in rules.grades:
        errors.append(_("Lớp cuối cấp phải là một trong các khối của bộ quy tắc."))
    return errors


def sanity_errors(rules: RuleSet) -> list[str]:
    """What is wrong with a rule set beyond its types (thresholds within the scale, counts positive…)."""
    names = {f.name for f in fields(rules)}
    errors = [
        _("Trường chờ xác nhận không tồn tại: %(name)s.") % {"name": name}
        for name in rules.unconfirmed_fields
        if name not in names
    ]
    if isinstance(rules, Tt22RuleSet):
        return errors + _tt22_errors(rules)
    return errors + _tt27_errors(rules)


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Names of the fields whose stored value differs (in the order of ``after``)."""
    return [name for name, value in after.items() if before.get(name) != value]


def rules_from_changes(base: RuleSetVersion, changes: dict[str, Any], valid_from: dt.date) -> tuple[RuleSet, dict]:
    """The rule set ``base`` would become with ``changes`` (JSON-level values) from ``valid_from``, and its data.

    Raises ``ValidationFailed`` listing every problem, so the edit page can show them before anything is saved.
    """
    unknown = sorted(set(changes) - set(base.data))
    if unknown:
        raise ValidationFailed(
            _("Bộ quy tắc không có trường: %(names)s.") % {"names": ", ".join(unknown)}, code="ruleset_field_unknown"
        )
    fixed = sorted(set(changes) & FIXED_FIELDS)
    if fixed:
        raise ValidationFailed(
            _("Không sửa trực tiếp các trường: %(names)s.") % {"names": ", ".join(fixed)}, code="ruleset_field_fixed"
        )
    data = {**base.data, **changes, "valid_from": valid_from.isoformat()}
    try:
        rules = from_data(base.circular, data)
    except (ValueError, TypeError, KeyError, decimal.InvalidOperation) as exc:
        raise ValidationFailed(
            _("Dữ liệu bộ quy tắc không hợp lệ: %(error)s") % {"error": exc}, code="ruleset_invalid"
        ) from exc
    errors = sanity_errors(rules)
    if errors:
        raise ValidationFailed(" ".join(errors), code="ruleset_invalid", details={"errors": errors})
    return rules, data


# ---------------------------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------------------------


@transaction.atomic
def new_version(
    *, actor: Actor, base: RuleSetVersion, changes: dict[str, Any], valid_from: dt.date, reason: str
) -> RuleSetVersion:
    """Write the next version of ``base``'s rule set with ``changes`` applied, in force from ``valid_from``.

    ``changes`` maps field names to values as stored (``rulesets.to_data``: Decimals as strings, enums as codes,
    tables as lists of dicts). The base must be the newest version of its code (else ``Conflict``); nothing else
    is closed or edited.
    """
    policy_for(RuleSetVersion).check(actor, "manage", base)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Cần ghi lý do thay đổi bộ quy tắc."), code="reason_required", details={"reason": []})
    if len(reason) > 500:
        raise ValidationFailed(_("Lý do thay đổi dài tối đa 500 ký tự."), code="reason_too_long")
    if valid_from < base.valid_from:
        raise ValidationFailed(
            _("Ngày áp dụng không được trước ngày áp dụng của phiên bản gốc (%(date)s).")
            % {"date": f"{base.valid_from:%d/%m/%Y}"},
            code="valid_from_too_early",
            details={"valid_from": []},
        )
    newest = RuleSetVersion.objects.select_for_update().filter(code=base.code).aggregate(Max("version"))["version__max"]
    if newest != base.version:
        raise Conflict(
            _("Đã có phiên bản %(version)s mới hơn của bộ quy tắc %(code)s; hãy sửa từ phiên bản mới nhất.")
            % {"version": newest, "code": base.code},
            code="ruleset_not_newest",
        )
    _rules, data = rules_from_changes(base, changes, valid_from)
    names = changed_fields(base.data, data)
    if not [name for name in names if name != "valid_from"]:
        raise ValidationFailed(_("Không có thay đổi nào so với phiên bản hiện tại."), code="ruleset_unchanged")
    try:
        with transaction.atomic():
            version = RuleSetVersion.objects.create(
                circular=base.circular,
                code=base.code,
                version=base.version + 1,
                valid_from=valid_from,
                valid_to=base.valid_to,
                data=data,
                reason=reason,
                created_by=_user(actor),
            )
    except IntegrityError as exc:  # a concurrent writer took the number first
        raise Conflict(_("Một người khác vừa lưu phiên bản mới; hãy tải lại trang."), code="ruleset_race") from exc
    audit.record(
        actor=_user(actor),
        action="ruleset.new_version",
        obj=version,
        before={"version": base.version, **{name: base.data.get(name) for name in names}},
        after={"version": version.version, **{name: data[name] for name in names}},
        reason=reason,
    )
    return version


@transaction.atomic
def curriculum_set(
    *, actor: Actor, entry: GradeSubject, kind: str | None = None, periods_per_year: int | None = None
) -> GradeSubject:
    """Change how a grade's subject is assessed and its periods a year (CT GDPT 2018, Thông tư 32/2018).

    Sheets already opened keep their columns; the new values shape sheets opened afterwards.
    """
    entry = GradeSubject.objects.select_for_update().select_related("grade", "subject").get(pk=entry.pk)
    if not policy_for(GradeSubject).allows(actor, "manage", entry):
        raise NotPermitted(_("Chỉ quản trị viên của cơ quan quản lý mới được sửa chương trình các khối."))
    before = audit.snapshot(entry, fields=["kind", "periods_per_year"])
    if kind is not None:
        primary = entry.grade.level == SchoolLevel.TH
        allowed = [SubjectKind.PRIMARY] if primary else [SubjectKind.SCORED, SubjectKind.COMMENT]
        if kind not in allowed:
            raise ValidationFailed(
                _("Hình thức đánh giá không phù hợp với %(grade)s.") % {"grade": entry.grade.name},
                code="kind_invalid",
                details={"kind": []},
            )
        entry.kind = kind
    if periods_per_year is not None:
        if not 1 <= periods_per_year <= MAX_PERIODS:
            raise ValidationFailed(
                _("Số tiết một năm phải từ 1 đến %(max)s; đã nhập %(value)s.")
                % {"max": MAX_PERIODS, "value": periods_per_year},
                code="periods_invalid",
                details={"periods_per_year": []},
            )
        entry.periods_per_year = periods_per_year
    after = audit.snapshot(entry, fields=["kind", "periods_per_year"])
    if after == before:
        return entry
    entry.save(update_fields=["kind", "periods_per_year"])
    audit.record(
        actor=_user(actor),
        action="curriculum.set",
        obj=entry,
        object_label=f"{entry.grade.name} – {entry.subject.name}",
        before=before,
        after=after,
    )
    return entry
