"""Dated rule sets of student assessment: every threshold, count, weight, label and table as plain data.

A rule set belongs to one circular and is in force from ``valid_from`` to ``valid_to`` (inclusive; ``None`` while it
is current). A new circular or an amendment is a new rule set, never an edit of an old one, so a result decided
under one set can always be recomputed and explained under that same set. Values are plain Python data (dates,
``Decimal``, ``int``, ``bool``, strings and tuples of small frozen records) so that a migration can store them as rows.

Where the legal text is not yet confirmed, the field carries the documented default and its name is listed in
``unconfirmed_fields``; screens can show those as "chờ Sở xác nhận" and a province can change them by data.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Literal, overload

from .enums import AdjustmentMode, Circular, Tt22Level, Tt27Checkpoint, Tt27Classification, Tt27QualityLevel
from .enums import Tt27SubjectLevel as Subj

# ---------------------------------------------------------------------------------------------------------------
# TT22/2021 (THCS)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegularCountBand:
    """Điều 6: regular assessments (ĐĐGtx) per semester for a subject with up to ``periods_up_to`` periods a year."""

    periods_up_to: int | None  # inclusive upper bound; None = no upper bound
    count: int


@dataclass(frozen=True)
class LearningLevelRule:
    """One row of the Điều 9 khoản 2 table: the conditions of a kết quả học tập level.

    A student reaches ``level`` when every scored subject is at least ``every_scored_at_least``, at least
    ``scored_count`` scored subjects are at least ``scored_count_at_least``, and no more than
    ``comment_not_passed_at_most`` comment-only subjects are Chưa đạt.
    """

    level: Tt22Level
    every_scored_at_least: Decimal
    scored_count: int
    scored_count_at_least: Decimal
    comment_not_passed_at_most: int


@dataclass(frozen=True)
class ConductYearCell:
    """One cell of the year rèn luyện table (Điều 8): the year level from the two semester levels."""

    semester_1: Tt22Level
    semester_2: Tt22Level
    year: Tt22Level


@dataclass(frozen=True)
class Tt22RuleSet:
    """Assessment of lower-secondary students under Thông tư 22/2021/TT-BGDĐT."""

    code: str
    legal_basis: str
    valid_from: dt.date
    valid_to: dt.date | None
    grades: tuple[str, ...]
    final_grade: str  # completing it completes the THCS programme
    # Điều 5: scores on a 10-point scale, whole or one decimal after rounding (làm tròn số).
    score_min: Decimal
    score_max: Decimal
    score_step: Decimal
    score_rounding: str  # a rounding mode of the decimal module
    # Điều 6: ĐĐGtx per semester, by periods per school year; comment-only subjects have a fixed count.
    regular_count_bands: tuple[RegularCountBand, ...]
    comment_regular_count: int
    comment_periodic_count: int  # one mid-term and one end-of-term assessment per semester (Điều 7)
    # Điều 9 khoản 1: ĐTBmhk = (TĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (số ĐĐGtx + 5); ĐTBmcn = (ĐTBmhkI + 2·ĐTBmhkII) / 3.
    regular_weight: int
    midterm_weight: int
    final_weight: int
    semester_1_weight: int
    semester_2_weight: int
    # Điều 9 khoản 1: the year result of a comment-only subject is the semester II result.
    comment_year_from_semester_2: bool
    # Điều 9 khoản 2: levels best first; a student matching no row is at ``learning_level_fallback``.
    learning_level_rules: tuple[LearningLevelRule, ...]
    learning_level_fallback: Tt22Level
    # Điều 9 khoản 3: a level lowered by ``adjustment_min_drop`` or more below one of ``adjustment_reference_levels``
    # solely because of one subject is raised.
    adjustment_mode: AdjustmentMode
    adjustment_reference_levels: tuple[Tt22Level, ...]
    adjustment_min_drop: int
    adjustment_counts_comment_subjects: bool
    # Điều 8: year rèn luyện from the two semesters.
    conduct_year_table: tuple[ConductYearCell, ...]
    # Điều 12: promotion needs both year levels at least these, and absences within the limit (buổi, one a day).
    promotion_min_conduct: Tt22Level
    promotion_min_learning: Tt22Level
    absence_limit_sessions: int
    # Điều 14: re-assessment of scored subjects below this year average and of comment subjects Chưa đạt.
    retest_below_score: Decimal
    retest_allowed_after_summer_training: bool
    retest_keeps_higher_score: bool  # False: the re-test result replaces the year result
    # Điều 15: titles.
    titles_awarded: bool
    title_min_conduct: Tt22Level
    title_min_learning: Tt22Level
    title_excellent_score: Decimal
    title_excellent_count: int
    unconfirmed_fields: tuple[str, ...]


_G, _K, _D, _C = Tt22Level.GOOD, Tt22Level.FAIR, Tt22Level.PASSED, Tt22Level.NOT_PASSED

# Rows: semester II; columns: semester I (Tốt, Khá, Đạt, Chưa đạt). The Tốt row is verified; the other cells follow
# the recollection recorded in the domain notes (an English rendering reads "HK II Đạt + HK I Khá → Khá").
_CONDUCT_TABLE = {
    _G: (_G, _G, _K, _K),
    _K: (_K, _K, _K, _D),
    _D: (_K, _D, _D, _D),
    _C: (_C, _C, _C, _C),
}

TT22_2021 = Tt22RuleSet(
    code="TT22-2021",
    legal_basis="Thông tư 22/2021/TT-BGDĐT ngày 20/7/2021 quy định về đánh giá học sinh trung học cơ sở và trung học phổ thông",
    valid_from=dt.date(2021, 9, 5),
    valid_to=None,
    grades=("6", "7", "8", "9"),
    final_grade="9",
    score_min=Decimal("0"),
    score_max=Decimal("10"),
    score_step=Decimal("0.1"),
    score_rounding=decimal.ROUND_HALF_UP,
    regular_count_bands=(
        RegularCountBand(periods_up_to=35, count=2),
        RegularCountBand(periods_up_to=70, count=3),
        RegularCountBand(periods_up_to=None, count=4),
    ),
    comment_regular_count=2,
    comment_periodic_count=2,
    regular_weight=1,
    midterm_weight=2,
    final_weight=3,
    semester_1_weight=1,
    semester_2_weight=2,
    comment_year_from_semester_2=True,
    learning_level_rules=(
        LearningLevelRule(_G, Decimal("6.5"), 6, Decimal("8.0"), 0),
        LearningLevelRule(_K, Decimal("5.0"), 6, Decimal("6.5"), 0),
        LearningLevelRule(_D, Decimal("3.5"), 6, Decimal("5.0"), 1),
    ),
    learning_level_fallback=_C,
    adjustment_mode=AdjustmentMode.RAISE_ONE,
    adjustment_reference_levels=(_G, _K),
    adjustment_min_drop=2,
    adjustment_counts_comment_subjects=True,
    conduct_year_table=tuple(
        ConductYearCell(semester_1=s1, semester_2=s2, year=year)
        for s2, row in _CONDUCT_TABLE.items()
        for s1, year in zip((_G, _K, _D, _C), row, strict=True)
    ),
    promotion_min_conduct=_D,
    promotion_min_learning=_D,
    absence_limit_sessions=45,
    retest_below_score=Decimal("5.0"),
    retest_allowed_after_summer_training=True,
    retest_keeps_higher_score=False,
    titles_awarded=True,
    title_min_conduct=_G,
    title_min_learning=_G,
    title_excellent_score=Decimal("9.0"),
    title_excellent_count=6,
    unconfirmed_fields=(
        "score_rounding",  # "làm tròn số" is not spelled out; half-up is the practice of the registers
        "midterm_weight",  # formula reproduced by independent implementations; article text to confirm
        "final_weight",
        "semester_2_weight",
        "comment_year_from_semester_2",
        "adjustment_mode",  # khoản 3: "raise by one" or "adjacent to the level otherwise reached"
        "adjustment_counts_comment_subjects",
        "conduct_year_table",  # only the Tốt row is verified
        "retest_allowed_after_summer_training",
        "retest_keeps_higher_score",
        "titles_awarded",  # Thông tư 19/2025 may end the titles
        "title_excellent_count",
    ),
)


# ---------------------------------------------------------------------------------------------------------------
# TT27/2020 (TH)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledTest:
    """A bài kiểm tra định kỳ due for ``subject`` (a registry subject code) in ``grade`` at ``checkpoint``."""

    grade: str
    subject: str
    checkpoint: Tt27Checkpoint


@dataclass(frozen=True)
class Tt27ClassificationRule:
    """One row of the Điều 9 khoản 2 table, evaluated top-down; the first row that matches wins."""

    classification: Tt27Classification
    subject_levels: tuple[Subj, ...]  # every subject and activity at one of these
    quality_levels: tuple[Tt27QualityLevel, ...]  # every phẩm chất and năng lực at one of these
    min_test_score: int  # every end-of-year periodic test at least this


@dataclass(frozen=True)
class Tt27RuleSet:
    """Assessment of primary pupils under Thông tư 27/2020/TT-BGDĐT."""

    code: str
    legal_basis: str
    valid_from: dt.date
    valid_to: dt.date | None
    grades: tuple[str, ...]
    final_grade: str  # completing it completes the primary programme
    # Điều 7: periodic tests are scored in whole numbers on a 10-point scale (0 allowed).
    test_score_min: int
    test_score_max: int
    scheduled_tests: tuple[ScheduledTest, ...]
    classification_rules: tuple[Tt27ClassificationRule, ...]
    classification_fallback: Tt27Classification
    completing_classifications: tuple[Tt27Classification, ...]  # Điều 11: the grade programme is completed
    retest_replaces_end_year_score: bool
    unconfirmed_fields: tuple[str, ...]


def _tt27_schedule() -> tuple[ScheduledTest, ...]:
    # End of semester I and end of year for the tested subjects of each grade; grades 4 and 5 also test Tiếng Việt
    # and Toán at mid-semester I and II. The registry keeps Tin học and Công nghệ as two subjects, so both appear.
    tested: dict[str, tuple[str, ...]] = {
        "1": ("TV", "TOAN"),
        "2": ("TV", "TOAN"),
        "3": ("TV", "TOAN", "NN1", "TIN", "CN"),
        "4": ("TV", "TOAN", "NN1", "TIN", "CN", "LSDL", "KH"),
        "5": ("TV", "TOAN", "NN1", "TIN", "CN", "LSDL", "KH"),
    }
    schedule: list[ScheduledTest] = []
    for grade, subjects in tested.items():
        for subject in subjects:
            checkpoints = [Tt27Checkpoint.END_SEMESTER_1, Tt27Checkpoint.END_YEAR]
            if grade in ("4", "5") and subject in ("TV", "TOAN"):
                checkpoints = [Tt27Checkpoint.MID_SEMESTER_1, *checkpoints, Tt27Checkpoint.MID_SEMESTER_2]
            schedule.extend(ScheduledTest(grade, subject, checkpoint) for checkpoint in checkpoints)
    return tuple(schedule)


_T, _Q = Tt27Classification, Tt27QualityLevel

TT27_2020 = Tt27RuleSet(
    code="TT27-2020",
    legal_basis="Thông tư 27/2020/TT-BGDĐT ngày 04/9/2020 ban hành Quy định đánh giá học sinh tiểu học",
    valid_from=dt.date(2020, 10, 20),
    valid_to=None,
    grades=("1", "2", "3", "4", "5"),
    final_grade="5",
    test_score_min=0,
    test_score_max=10,
    scheduled_tests=_tt27_schedule(),
    classification_rules=(
        Tt27ClassificationRule(_T.EXCELLENT, (Subj.WELL_COMPLETED,), (_Q.GOOD,), 9),
        Tt27ClassificationRule(_T.WELL_COMPLETED, (Subj.WELL_COMPLETED,), (_Q.GOOD,), 7),
        Tt27ClassificationRule(
            _T.COMPLETED, (Subj.WELL_COMPLETED, Subj.COMPLETED), (_Q.GOOD, _Q.PASSED), 5
        ),  # the pass mark 5
    ),
    classification_fallback=_T.NOT_COMPLETED,
    completing_classifications=(_T.EXCELLENT, _T.WELL_COMPLETED, _T.COMPLETED),
    retest_replaces_end_year_score=True,
    unconfirmed_fields=(
        "scheduled_tests",  # Khoa học, and which grades test which subjects, follow the programme
        "classification_rules",  # the pass mark 5 of Hoàn thành; quality labels Tốt/Đạt/Cần cố gắng
    ),
)


# ---------------------------------------------------------------------------------------------------------------
# Choosing a rule set by date
# ---------------------------------------------------------------------------------------------------------------

RuleSet = Tt22RuleSet | Tt27RuleSet

RULE_SETS: dict[Circular, tuple[RuleSet, ...]] = {
    Circular.TT22_2021: (TT22_2021,),
    Circular.TT27_2020: (TT27_2020,),
}


class RuleSetNotFound(LookupError):
    """No rule set of the circular is in force on the date asked."""


@overload
def ruleset_for(circular: Literal[Circular.TT22_2021], on: dt.date) -> Tt22RuleSet: ...
@overload
def ruleset_for(circular: Literal[Circular.TT27_2020], on: dt.date) -> Tt27RuleSet: ...
@overload
def ruleset_for(circular: Circular | str, on: dt.date) -> RuleSet: ...
def ruleset_for(circular: Circular | str, on: dt.date) -> RuleSet:
    """The rule set of ``circular`` in force on ``on`` (the latest start on or before that day)."""
    candidates = [
        rule_set
        for rule_set in RULE_SETS.get(Circular(circular), ())
        if rule_set.valid_from <= on and (rule_set.valid_to is None or on <= rule_set.valid_to)
    ]
    if not candidates:
        raise RuleSetNotFound(
            f"Không có bộ quy tắc đánh giá nào theo {Circular(circular).label} áp dụng cho ngày {on:%d/%m/%Y}."
        )
    return max(candidates, key=lambda rule_set: rule_set.valid_from)


def field_names(rule_set: RuleSet) -> frozenset[str]:
    """The names of a rule set's fields (to check ``unconfirmed_fields`` and to map them to columns)."""
    return frozenset(f.name for f in fields(rule_set))


# ---------------------------------------------------------------------------------------------------------------
# Rule sets as stored data (RuleSetVersion.data): plain JSON both ways
# ---------------------------------------------------------------------------------------------------------------

_NESTED: dict[str, type] = {
    "regular_count_bands": RegularCountBand,
    "learning_level_rules": LearningLevelRule,
    "conduct_year_table": ConductYearCell,
    "scheduled_tests": ScheduledTest,
    "classification_rules": Tt27ClassificationRule,
}
_RULESET_CLASSES: dict[Circular, type] = {Circular.TT22_2021: Tt22RuleSet, Circular.TT27_2020: Tt27RuleSet}


def _encode(value: object) -> object:
    if isinstance(value, Decimal | dt.date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _encode(getattr(value, f.name)) for f in fields(value)}  # type: ignore[arg-type]
    if isinstance(value, str):
        return str(value)  # TextChoices members become their plain code
    return value


def to_data(rule_set: RuleSet) -> dict[str, object]:
    """The rule set as JSON-ready data (Decimals as strings, dates ISO, enums as codes)."""
    data = _encode(rule_set)
    assert isinstance(data, dict)
    return data


def _decode_field(cls: type, name: str, raw: object) -> object:
    """Rebuild one field from JSON using the dataclass's annotation (a string, since annotations are postponed)."""
    annotation = {f.name: f.type for f in fields(cls)}[name]
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    if raw is None:
        return None
    if name in _NESTED:
        nested = _NESTED[name]
        return tuple(nested(**{k: _decode_field(nested, k, v) for k, v in item.items()}) for item in raw)  # type: ignore[union-attr]
    if text.startswith("tuple["):
        inner = text[len("tuple[") : -1].split(",")[0].strip()
        return tuple(_decode_scalar(inner, item) for item in raw)  # type: ignore[union-attr]
    return _decode_scalar(text.replace(" | None", ""), raw)


_ENUMS = {
    "Tt22Level": Tt22Level,
    "AdjustmentMode": AdjustmentMode,
    "Tt27Checkpoint": Tt27Checkpoint,
    "Tt27Classification": Tt27Classification,
    "Tt27QualityLevel": Tt27QualityLevel,
    "Subj": Subj,
}


def _decode_scalar(type_name: str, raw: object) -> object:
    if type_name == "Decimal":
        return Decimal(str(raw))
    if type_name in ("dt.date", "date"):
        return dt.date.fromisoformat(str(raw))
    if type_name in _ENUMS:
        return _ENUMS[type_name](raw)
    if type_name == "int":
        return int(raw)  # type: ignore[call-overload]
    if type_name == "bool":
        return bool(raw)
    return raw


def from_data(circular: Circular | str, data: dict[str, object]) -> RuleSet:
    """The frozen rule set described by ``data`` (as written by ``to_data``); unknown or missing fields fail."""
    cls = _RULESET_CLASSES[Circular(circular)]
    names = {f.name for f in fields(cls)}
    if set(data) != names:
        missing, extra = sorted(names - set(data)), sorted(set(data) - names)
        raise ValueError(f"Dữ liệu bộ quy tắc không khớp: thiếu {missing}, thừa {extra}.")
    return cls(**{name: _decode_field(cls, name, data[name]) for name in names})  # type: ignore[no-any-return]
