"""The columns of a score sheet and how a typed value becomes a stored cell (pure, table-tested).

A sheet's columns come from the curriculum (kind, periods a year), the rule set and the semester. Every interface
that writes a cell — the grid, the Excel import, the API — passes the raw text through ``parse_cell`` so the same
input gives the same value and the same Vietnamese message everywhere.

Column codes (stable, used in cells, Excel headers' second row and the JSON export):

- TT22 scored subject: ``tx1``…``txN`` (N from the periods a year), ``gk``, ``ck`` (scores), ``nx`` (remark).
- TT22 comment subject: ``tx1``, ``tx2``, ``gk``, ``ck`` (Đ/CĐ), ``nx``.
- TT27 subject: ``muc_gk``, ``muc_ck`` (T/H/C at mid and end of the semester — end of year in semester II),
  ``kt_gk``, ``kt_ck`` (periodic test scores, only where the schedule has a test), ``nx``.
- TT22 homeroom: ``rl`` (rèn luyện level), ``vang_cp``, ``vang_kp`` (sessions absent with/without leave), ``nx``.
- TT27 homeroom: the five phẩm chất ``pc_*`` and ten năng lực ``nl_*`` (Tốt/Đạt/Cần cố gắng), ``nx_pc``, ``nx_nl``,
  ``vang_cp``, ``vang_kp``.
"""

from __future__ import annotations

import decimal
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from edudx.core.api import ValidationFailed
from edudx.core.rules import fold_vietnamese

from .enums import CommentResult, Tt22Level, Tt27Checkpoint, Tt27QualityLevel, Tt27SubjectLevel
from .rules import required_regular_count, tested_subjects, validate_score
from .rulesets import Tt22RuleSet, Tt27RuleSet

SCORE = "score"  # TT22 score 0–10, one decimal
COMMENT_RESULT = "comment_result"  # Đ / CĐ
LEVEL27 = "level27"  # T / H / C
TEST27 = "test27"  # whole number 0–10
QUALITY27 = "quality27"  # Tốt / Đạt / Cần cố gắng
CONDUCT = "conduct"  # Tốt / Khá / Đạt / Chưa đạt
SESSIONS = "sessions"  # whole number of sessions (buổi)
TEXT = "text"  # a remark

MAX_TEXT = 1000
MAX_SESSIONS = 366

QUALITIES = (
    ("pc_yn", "Yêu nước"),
    ("pc_na", "Nhân ái"),
    ("pc_cc", "Chăm chỉ"),
    ("pc_tt", "Trung thực"),
    ("pc_tn", "Trách nhiệm"),
)
COMPETENCIES = (
    ("nl_tctd", "Tự chủ và tự học"),
    ("nl_gthtac", "Giao tiếp và hợp tác"),
    ("nl_gqvd", "Giải quyết vấn đề và sáng tạo"),
    ("nl_nn", "Ngôn ngữ"),
    ("nl_tt", "Tính toán"),
    ("nl_kh", "Khoa học"),
    ("nl_cn", "Công nghệ"),
    ("nl_th", "Tin học"),
    ("nl_tm", "Thẩm mĩ"),
    ("nl_tc", "Thể chất"),
)


@dataclass(frozen=True)
class Column:
    code: str
    label: str  # short header shown in the grid and the Excel file
    type: str
    title: str = ""  # long description (tooltip, Excel note)

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def tt22_subject_columns(*, scored: bool, periods_per_year: int, rules: Tt22RuleSet) -> list[Column]:
    if scored:
        count = required_regular_count(periods_per_year=periods_per_year, rules=rules)
        kind = SCORE
    else:
        count = rules.comment_regular_count
        kind = COMMENT_RESULT
    cols = [
        Column(f"tx{i}", f"TX{i}", kind, _("Đánh giá thường xuyên lần %(n)s") % {"n": i}) for i in range(1, count + 1)
    ]
    cols.append(Column("gk", "GK", kind, _("Đánh giá giữa kì")))
    cols.append(Column("ck", "CK", kind, _("Đánh giá cuối kì")))
    cols.append(Column("nx", _("Nhận xét"), TEXT, _("Nhận xét của giáo viên bộ môn")))
    return cols


def tt27_checkpoints(semester: int) -> tuple[Tt27Checkpoint, Tt27Checkpoint]:
    """The (mid, end) checkpoints of a primary semester."""
    if semester == 1:
        return Tt27Checkpoint.MID_SEMESTER_1, Tt27Checkpoint.END_SEMESTER_1
    return Tt27Checkpoint.MID_SEMESTER_2, Tt27Checkpoint.END_YEAR


def tt27_subject_columns(*, grade: str, subject: str, semester: int, rules: Tt27RuleSet) -> list[Column]:
    mid, end = tt27_checkpoints(semester)
    cols = [
        Column("muc_gk", _("Mức GK"), LEVEL27, str(mid.label)),
        Column("muc_ck", _("Mức CK") if semester == 1 else _("Mức CN"), LEVEL27, str(end.label)),
    ]
    if subject in tested_subjects(grade=grade, checkpoint=mid, rules=rules):
        cols.append(Column("kt_gk", _("KTĐK GK"), TEST27, _("Bài kiểm tra định kì %(point)s") % {"point": mid.label}))
    if subject in tested_subjects(grade=grade, checkpoint=end, rules=rules):
        cols.append(Column("kt_ck", _("KTĐK CK"), TEST27, _("Bài kiểm tra định kì %(point)s") % {"point": end.label}))
    cols.append(Column("nx", _("Nhận xét"), TEXT, _("Nhận xét của giáo viên")))
    return cols


def tt22_homeroom_columns() -> list[Column]:
    return [
        Column("rl", _("Rèn luyện"), CONDUCT, _("Kết quả rèn luyện học kì")),
        Column("vang_cp", _("Nghỉ CP"), SESSIONS, _("Số buổi nghỉ có phép")),
        Column("vang_kp", _("Nghỉ KP"), SESSIONS, _("Số buổi nghỉ không phép")),
        Column("nx", _("Nhận xét"), TEXT, _("Nhận xét của giáo viên chủ nhiệm")),
    ]


def tt27_homeroom_columns() -> list[Column]:
    cols = [Column(code, label, QUALITY27, _("Phẩm chất %(name)s") % {"name": label}) for code, label in QUALITIES]
    cols += [Column(code, label, QUALITY27, _("Năng lực %(name)s") % {"name": label}) for code, label in COMPETENCIES]
    cols += [
        Column("nx_pc", _("Nhận xét phẩm chất"), TEXT),
        Column("nx_nl", _("Nhận xét năng lực"), TEXT),
        Column("vang_cp", _("Nghỉ CP"), SESSIONS, _("Số buổi nghỉ có phép")),
        Column("vang_kp", _("Nghỉ KP"), SESSIONS, _("Số buổi nghỉ không phép")),
    ]
    return cols


# ---------------------------------------------------------------------------------------------------------------
# Parsing what a teacher typed
# ---------------------------------------------------------------------------------------------------------------

_COMMENT_INPUT = {"d": CommentResult.PASSED, "dat": CommentResult.PASSED, "cd": CommentResult.NOT_PASSED,
                  "chua dat": CommentResult.NOT_PASSED, "chua_dat": CommentResult.NOT_PASSED}  # fmt: skip
_LEVEL27_INPUT = {"t": Tt27SubjectLevel.WELL_COMPLETED, "h": Tt27SubjectLevel.COMPLETED,
                  "c": Tt27SubjectLevel.NOT_COMPLETED, "hoan thanh tot": Tt27SubjectLevel.WELL_COMPLETED,
                  "hoan thanh": Tt27SubjectLevel.COMPLETED, "chua hoan thanh": Tt27SubjectLevel.NOT_COMPLETED}  # fmt: skip
_QUALITY_INPUT = {"t": Tt27QualityLevel.GOOD, "tot": Tt27QualityLevel.GOOD, "d": Tt27QualityLevel.PASSED,
                  "dat": Tt27QualityLevel.PASSED, "c": Tt27QualityLevel.NEEDS_EFFORT, "ccg": Tt27QualityLevel.NEEDS_EFFORT,
                  "can co gang": Tt27QualityLevel.NEEDS_EFFORT}  # fmt: skip
_CONDUCT_INPUT = {"t": Tt22Level.GOOD, "tot": Tt22Level.GOOD, "k": Tt22Level.FAIR, "kha": Tt22Level.FAIR,
                  "d": Tt22Level.PASSED, "dat": Tt22Level.PASSED, "cd": Tt22Level.NOT_PASSED,
                  "chua dat": Tt22Level.NOT_PASSED, "chua_dat": Tt22Level.NOT_PASSED}  # fmt: skip

# What each stored code shows as in the grid and in Excel.
DISPLAY = {
    COMMENT_RESULT: {"dat": "Đ", "chua_dat": "CĐ"},
    LEVEL27: {"T": "T", "H": "H", "C": "C"},
    QUALITY27: {"T": "T", "D": "Đ", "C": "C"},
    CONDUCT: {"tot": "T", "kha": "K", "dat": "Đ", "chua_dat": "CĐ"},
}


def _key(raw: str) -> str:
    return fold_vietnamese(raw).strip().lower().replace(".", "").replace("_", " ")


def _choice(raw: str, table: dict[str, str], message: str) -> str:
    try:
        return str(table[_key(raw)].value)  # type: ignore[attr-defined]
    except KeyError:
        raise ValidationFailed(message % {"value": raw}, code="cell_invalid") from None


def _decimal(raw: str, label: str) -> Decimal:
    try:
        number = Decimal(raw.strip().replace(",", "."))
    except decimal.InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise ValidationFailed(
            _("%(col)s: “%(value)s” không phải là một số.") % {"col": label, "value": raw}, code="cell_not_a_number"
        )
    return number


def parse_cell(column: Column, raw: object, rules: Tt22RuleSet | Tt27RuleSet) -> tuple[str, Decimal | None]:
    """``(value, number)`` to store for what was typed (or pasted, or read from Excel) into ``column``.

    An empty input clears the cell: ``("", None)``. Anything else invalid raises ``ValidationFailed`` with a
    message that names the column and the value.
    """
    text = "" if raw is None else str(raw).strip()
    if text == "":
        return "", None
    label = column.label
    if column.type == SCORE:
        assert isinstance(rules, Tt22RuleSet)
        value = validate_score(_decimal(text, label), rules, label=_("Điểm %(col)s") % {"col": label})
        value = value.quantize(rules.score_step)
        # Registers write whole scores without a decimal: 8, not 8,0.
        text_value = str(int(value)) if value == value.to_integral_value() else str(value)
        return text_value, value
    if column.type == TEST27:
        assert isinstance(rules, Tt27RuleSet)
        number = _decimal(text, label)
        if not number.is_finite() or number != number.to_integral_value():
            raise ValidationFailed(
                _("Điểm bài kiểm tra định kì (%(col)s) là số nguyên; đã nhập %(value)s.")
                % {"col": label, "value": text},
                code="cell_invalid",
            )
        if not rules.test_score_min <= number <= rules.test_score_max:
            raise ValidationFailed(
                _("Điểm bài kiểm tra định kì (%(col)s) phải từ %(low)s đến %(high)s; đã nhập %(value)s.")
                % {"col": label, "low": rules.test_score_min, "high": rules.test_score_max, "value": text},
                code="cell_invalid",
            )
        whole = int(number)
        return str(whole), Decimal(whole)
    if column.type == SESSIONS:
        number = _decimal(text, label)
        if number != number.to_integral_value() or not 0 <= number <= MAX_SESSIONS:
            raise ValidationFailed(
                _("%(col)s là số buổi nghỉ, một số nguyên từ 0 đến %(max)s; đã nhập %(value)s.")
                % {"col": label, "max": MAX_SESSIONS, "value": text},
                code="cell_invalid",
            )
        return str(int(number)), Decimal(int(number))
    if column.type == COMMENT_RESULT:
        msg = _("%(col)s chỉ nhận Đ (Đạt) hoặc CĐ (Chưa đạt); đã nhập “%%(value)s”.") % {"col": label}
        return _choice(text, _COMMENT_INPUT, msg), None
    if column.type == LEVEL27:
        msg = _(
            "%(col)s chỉ nhận T (Hoàn thành tốt), H (Hoàn thành) hoặc C (Chưa hoàn thành); đã nhập “%%(value)s”."
        ) % {"col": label}
        return _choice(text, _LEVEL27_INPUT, msg), None
    if column.type == QUALITY27:
        msg = _("%(col)s chỉ nhận T (Tốt), Đ (Đạt) hoặc C (Cần cố gắng); đã nhập “%%(value)s”.") % {"col": label}
        return _choice(text, _QUALITY_INPUT, msg), None
    if column.type == CONDUCT:
        msg = _("%(col)s chỉ nhận T (Tốt), K (Khá), Đ (Đạt) hoặc CĐ (Chưa đạt); đã nhập “%%(value)s”.") % {"col": label}
        return _choice(text, _CONDUCT_INPUT, msg), None
    if column.type == TEXT:
        if len(text) > MAX_TEXT:
            raise ValidationFailed(
                _("%(col)s dài tối đa %(max)s ký tự; đã nhập %(n)s ký tự.")
                % {"col": label, "max": MAX_TEXT, "n": len(text)},
                code="cell_invalid",
            )
        return text, None
    raise ValueError(f"unknown column type {column.type}")


def display(column_type: str, value: str) -> str:
    """How a stored value is shown (Đ for "dat", a score with a decimal comma)."""
    if value == "":
        return ""
    if column_type == SCORE:
        return value.replace(".", ",")
    return DISPLAY.get(column_type, {}).get(value, value)


def column_from_dict(data: dict[str, str]) -> Column:
    return Column(code=data["code"], label=data["label"], type=data["type"], title=data.get("title", ""))
