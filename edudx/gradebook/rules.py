"""Pure rules of student assessment: TT22/2021 for THCS, TT27/2020 for TH. No database access here.

Every function takes the rule set that applies (see ``rulesets.ruleset_for``), so a result decided under one
circular can be recomputed under the same one later. Scores are ``Decimal`` only: averages are computed exactly
and rounded with the rule set's mode (half-up) to one decimal, never with ``float`` or ``round()``
(``round(8.25, 1)`` gives 8.2 where the register shows 8.3). Invalid input raises ``ValidationFailed`` with a
Vietnamese message; passing a ``float`` is a programming error and raises ``TypeError``.
"""

from __future__ import annotations

import bisect
import decimal
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from edudx.core.errors import ValidationFailed

from .enums import (
    AdjustmentMode,
    CommentResult,
    PromotionOutcome,
    Tt22Level,
    Tt22Title,
    Tt27Checkpoint,
    Tt27Classification,
    Tt27QualityLevel,
    Tt27SubjectLevel,
    Tt27Title,
)
from .rulesets import LearningLevelRule, Tt22RuleSet, Tt27RuleSet

# Best first: the position is the distance below Tốt.
TT22_LEVELS_BEST_FIRST: tuple[Tt22Level, ...] = (
    Tt22Level.GOOD,
    Tt22Level.FAIR,
    Tt22Level.PASSED,
    Tt22Level.NOT_PASSED,
)

# Divisions are exact for the denominators of the formulas (3, 7, 8, 9); 60 digits leave no room for a truncated
# quotient to land on a false x.x5 tie before the half-up rounding.
_DIVISION_PRECISION = 60
# One context for every division: entering ``decimal.localcontext`` per average costs more than the arithmetic.
_DIVISION_CONTEXT = decimal.Context(prec=_DIVISION_PRECISION)


def format_score(value: Decimal) -> str:
    """A score as Vietnamese writes it: decimal comma (8,3)."""
    return str(value).replace(".", ",")


def _require_decimal(value: object) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError(f"Scores must be Decimal, got {type(value).__name__}")
    return value


# ---------------------------------------------------------------------------------------------------------------
# TT22/2021 — scores and averages (Điều 5, 6, 9 khoản 1)
# ---------------------------------------------------------------------------------------------------------------


def round_score(value: Decimal, rules: Tt22RuleSet) -> Decimal:
    """Round a computed average to the rule set's step (one decimal), half-up: 8.25 → 8.3, 6.45 → 6.5."""
    return _require_decimal(value).quantize(rules.score_step, rounding=rules.score_rounding)


def _is_valid_score(value: Decimal, rules: Tt22RuleSet) -> bool:
    return (
        value.is_finite()
        and rules.score_min <= value <= rules.score_max
        and value == value.quantize(rules.score_step, rounding=decimal.ROUND_DOWN)
    )


def _checked_score(value: Decimal, rules: Tt22RuleSet, label: Callable[[], str]) -> Decimal:
    """``validate_score`` with a label translated only when the value is refused (the usual case is valid, and a
    translation lookup costs more than the check)."""
    if isinstance(value, Decimal) and _is_valid_score(value, rules):
        return value
    return validate_score(value, rules, label=label())


def validate_score(value: Decimal, rules: Tt22RuleSet, *, label: str | None = None) -> Decimal:
    """A recorded TT22 score: between 0 and 10, a whole number or one decimal (Điều 5)."""
    value = _require_decimal(value)
    if _is_valid_score(value, rules):
        return value
    name = label or _("Điểm")
    if not value.is_finite():
        raise ValidationFailed(_("%(name)s không phải là một số.") % {"name": name}, code="score_not_a_number")
    if value < rules.score_min or value > rules.score_max:
        raise ValidationFailed(
            _("%(name)s phải từ %(low)s đến %(high)s; đã nhập %(value)s.")
            % {
                "name": name,
                "low": format_score(rules.score_min),
                "high": format_score(rules.score_max),
                "value": format_score(value),
            },
            code="score_out_of_range",
        )
    if value != value.quantize(rules.score_step, rounding=decimal.ROUND_DOWN):
        raise ValidationFailed(
            _("%(name)s là số nguyên hoặc số thập phân có một chữ số sau dấu phẩy; đã nhập %(value)s.")
            % {"name": name, "value": format_score(value)},
            code="score_too_precise",
        )
    return value


def required_regular_count(*, periods_per_year: int, rules: Tt22RuleSet, scored: bool = True) -> int:
    """Điều 6: the number of regular assessments (ĐĐGtx) per semester of a subject.

    Scored subjects: 2 for up to 35 periods a year, 3 for more than 35 up to 70, 4 above 70. Subjects assessed by
    comments only: 2 whatever the periods.
    """
    if periods_per_year <= 0:
        raise ValidationFailed(
            _("Số tiết một năm học phải là số nguyên dương; đã nhập %(periods)s.") % {"periods": periods_per_year},
            code="periods_invalid",
        )
    if not scored:
        return rules.comment_regular_count
    for band in rules.regular_count_bands:
        if band.periods_up_to is None or periods_per_year <= band.periods_up_to:
            return band.count
    raise ValidationFailed(_("Bộ quy tắc không có số lần đánh giá thường xuyên cho số tiết này."), code="no_band")


def semester_average(
    *,
    regular_scores: Sequence[Decimal],
    midterm: Decimal,
    final: Decimal,
    rules: Tt22RuleSet,
    required_count: int | None = None,
) -> Decimal:
    """Điều 9 khoản 1: ĐTBmhk = (TĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (số ĐĐGtx + 5), rounded half-up to one decimal.

    ``required_count`` (from ``required_regular_count``) makes a missing or extra regular score an error.
    """
    if not regular_scores:
        raise ValidationFailed(_("Chưa có điểm đánh giá thường xuyên nào."), code="regular_missing")
    if required_count is not None and len(regular_scores) != required_count:
        raise ValidationFailed(
            _("Môn học cần đúng %(required)s điểm đánh giá thường xuyên trong học kì; đang có %(given)s.")
            % {"required": required_count, "given": len(regular_scores)},
            code="regular_count_mismatch",
        )
    regular_total = sum((_checked_score(s, rules, _regular_label) for s in regular_scores), Decimal(0))
    midterm = _checked_score(midterm, rules, _midterm_label)
    final = _checked_score(final, rules, _final_label)
    numerator = regular_total * rules.regular_weight + midterm * rules.midterm_weight + final * rules.final_weight
    denominator = len(regular_scores) * rules.regular_weight + rules.midterm_weight + rules.final_weight
    return round_score(_DIVISION_CONTEXT.divide(numerator, denominator), rules)


def _regular_label() -> str:
    return _("Điểm đánh giá thường xuyên")


def _midterm_label() -> str:
    return _("Điểm đánh giá giữa kì")


def _final_label() -> str:
    return _("Điểm đánh giá cuối kì")


def _semester_1_label() -> str:
    return _("Điểm trung bình học kì I")


def _semester_2_label() -> str:
    return _("Điểm trung bình học kì II")


def year_average(*, semester_1: Decimal, semester_2: Decimal, rules: Tt22RuleSet) -> Decimal:
    """Điều 9 khoản 1: ĐTBmcn = (ĐTBmhkI + 2·ĐTBmhkII) / 3, from the semester averages as already rounded."""
    semester_1 = _checked_score(semester_1, rules, _semester_1_label)
    semester_2 = _checked_score(semester_2, rules, _semester_2_label)
    numerator = semester_1 * rules.semester_1_weight + semester_2 * rules.semester_2_weight
    quotient = _DIVISION_CONTEXT.divide(numerator, rules.semester_1_weight + rules.semester_2_weight)
    return round_score(quotient, rules)


def comment_subject_semester_result(assessments: Sequence[CommentResult | str], *, rules: Tt22RuleSet) -> CommentResult:
    """Điều 9 khoản 1: a comment-only subject is Đạt for the semester when every required assessment (the regular
    ones plus mid-term and end-of-term) was done and every one is Đạt."""
    results = [_comment_result(value) for value in assessments]
    required = rules.comment_regular_count + rules.comment_periodic_count
    if len(results) >= required and all(r == CommentResult.PASSED for r in results):
        return CommentResult.PASSED
    return CommentResult.NOT_PASSED


def comment_subject_year_result(
    *, semester_1: CommentResult | str, semester_2: CommentResult | str, rules: Tt22RuleSet
) -> CommentResult:
    """Điều 9 khoản 1: the year result of a comment-only subject is the semester II result (or, if the rule set
    says otherwise, Đạt only when both semesters are Đạt)."""
    first, second = _comment_result(semester_1), _comment_result(semester_2)
    if rules.comment_year_from_semester_2:
        return second
    both = first == CommentResult.PASSED and second == CommentResult.PASSED
    return CommentResult.PASSED if both else CommentResult.NOT_PASSED


_COMMENT_RESULTS: dict[str, CommentResult] = {str(result): result for result in CommentResult}


def _comment_result(value: CommentResult | str) -> CommentResult:
    known = _COMMENT_RESULTS.get(value) if isinstance(value, str) else None
    if known is not None:
        return known
    try:
        return CommentResult(value)
    except ValueError:
        raise ValidationFailed(
            _("Kết quả môn đánh giá bằng nhận xét chỉ là Đạt hoặc Chưa đạt; đã nhập “%(value)s”.") % {"value": value},
            code="comment_result_invalid",
        ) from None


# ---------------------------------------------------------------------------------------------------------------
# TT22/2021 — levels of học tập (Điều 9 khoản 2–3) and rèn luyện (Điều 8)
# ---------------------------------------------------------------------------------------------------------------


def _level(value: Tt22Level | str) -> Tt22Level:
    try:
        return Tt22Level(value)
    except ValueError:
        raise ValidationFailed(
            _("Mức đánh giá chỉ là Tốt, Khá, Đạt hoặc Chưa đạt; đã nhập “%(value)s”.") % {"value": value},
            code="level_invalid",
        ) from None


_LEVEL_RANKS: dict[str, int] = {str(level): rank for rank, level in enumerate(TT22_LEVELS_BEST_FIRST)}


def level_rank(level: Tt22Level | str) -> int:
    """0 for Tốt, 1 for Khá, 2 for Đạt, 3 for Chưa đạt."""
    rank = _LEVEL_RANKS.get(level) if isinstance(level, str) else None
    return rank if rank is not None else TT22_LEVELS_BEST_FIRST.index(_level(level))


def level_at_least(level: Tt22Level | str, minimum: Tt22Level | str) -> bool:
    return level_rank(level) <= level_rank(minimum)


@dataclass(frozen=True)
class LearningLevelResult:
    """A kết quả học tập level, with what the table gave before the khoản 3 adjustment."""

    level: Tt22Level
    computed_level: Tt22Level
    adjusted_for_subject: str | None = None  # the single subject that lowered the level, when adjusted

    @property
    def adjusted(self) -> bool:
        return self.level != self.computed_level


def _matches(row: LearningLevelRule, scored: Iterable[Decimal], comment_not_passed: int) -> bool:
    values = scored if isinstance(scored, list) else list(scored)
    return (
        comment_not_passed <= row.comment_not_passed_at_most
        and all(v >= row.every_scored_at_least for v in values)
        and sum(1 for v in values if v >= row.scored_count_at_least) >= row.scored_count
    )


def _table_level(
    scored: Mapping[str, Decimal], commented: Mapping[str, CommentResult], rules: Tt22RuleSet
) -> Tt22Level:
    not_passed = sum(1 for r in commented.values() if r != CommentResult.PASSED)
    values = list(scored.values())
    for row in rules.learning_level_rules:
        if _matches(row, values, not_passed):
            return row.level
    return rules.learning_level_fallback


def learning_level(
    *,
    scored: Mapping[str, Decimal],
    commented: Mapping[str, CommentResult | str],
    rules: Tt22RuleSet,
) -> LearningLevelResult:
    """Điều 9 khoản 2–3: the kết quả học tập level of a semester (from ĐTBmhk) or a year (from ĐTBmcn).

    ``scored`` maps subject code → average; ``commented`` maps subject code → Đạt/Chưa đạt. Levels follow the
    rule set's table top-down. Khoản 3: when the level is ``adjustment_min_drop`` (2) or more below Tốt or Khá
    solely because of one subject — i.e. had that one subject met every threshold (score 10, or Đạt) the student
    would have reached Tốt or Khá — the level is raised: by one level (``RAISE_ONE``, the default) or to the
    level just below the one otherwise reached (``ADJACENT_TO_UNLOWERED``). Which reading is right is unconfirmed.
    """
    scores: dict[str, Decimal] = {}
    for code, value in scored.items():
        if isinstance(value, Decimal) and _is_valid_score(value, rules):
            scores[code] = value
        else:
            label = _("Điểm trung bình môn %(subject)s") % {"subject": code}
            scores[code] = validate_score(value, rules, label=label)
    comments = {code: _comment_result(v) for code, v in commented.items()}
    computed = _table_level(scores, comments, rules)
    if rules.adjustment_mode == AdjustmentMode.NONE:
        return LearningLevelResult(level=computed, computed_level=computed)
    # An adjusted level comes from a reference level at least ``adjustment_min_drop`` above the computed one; when
    # no reference level is that far above, no single subject can qualify and the counterfactuals are not needed.
    references = [level_rank(level) for level in rules.adjustment_reference_levels]
    if not references or level_rank(computed) - min(references) < rules.adjustment_min_drop:
        return LearningLevelResult(level=computed, computed_level=computed)

    best: tuple[Tt22Level, str] | None = None
    # The level had one subject scored the maximum depends only on the score it replaces: compute it once per score.
    raised: dict[Decimal, Tt22Level] = {}
    counterfactuals: list[tuple[Tt22Level, str]] = []
    for code, score in scores.items():
        if score not in raised:
            raised[score] = _table_level({**scores, code: rules.score_max}, comments, rules)
        counterfactuals.append((raised[score], code))
    if rules.adjustment_counts_comment_subjects:
        counterfactuals += [
            (_table_level(scores, {**comments, code: CommentResult.PASSED}, rules), code)
            for code, result in comments.items()
            if result != CommentResult.PASSED
        ]
    for unlowered, code in counterfactuals:
        if unlowered not in rules.adjustment_reference_levels:
            continue
        if level_rank(computed) - level_rank(unlowered) < rules.adjustment_min_drop:
            continue
        if best is None or level_rank(unlowered) < level_rank(best[0]):
            best = (unlowered, code)
    if best is None:
        return LearningLevelResult(level=computed, computed_level=computed)
    unlowered, code = best
    if rules.adjustment_mode == AdjustmentMode.RAISE_ONE:
        adjusted = TT22_LEVELS_BEST_FIRST[level_rank(computed) - 1]
    else:
        adjusted = TT22_LEVELS_BEST_FIRST[level_rank(unlowered) + 1]
    return LearningLevelResult(level=adjusted, computed_level=computed, adjusted_for_subject=code)


def semester_learning_level(
    *,
    semester_averages: Mapping[str, Decimal],
    semester_comments: Mapping[str, CommentResult | str],
    rules: Tt22RuleSet,
) -> LearningLevelResult:
    """Kết quả học tập of a semester, from ĐTBmhk and the semester's comment results."""
    return learning_level(scored=semester_averages, commented=semester_comments, rules=rules)


def year_learning_level(
    *, year_averages: Mapping[str, Decimal], year_comments: Mapping[str, CommentResult | str], rules: Tt22RuleSet
) -> LearningLevelResult:
    """Kết quả học tập of the year, from ĐTBmcn and the year's comment results."""
    return learning_level(scored=year_averages, commented=year_comments, rules=rules)


def year_conduct_level(*, semester_1: Tt22Level | str, semester_2: Tt22Level | str, rules: Tt22RuleSet) -> Tt22Level:
    """Điều 8: kết quả rèn luyện of the year from the two semester levels (the rule set's table)."""
    first, second = _level(semester_1), _level(semester_2)
    for cell in rules.conduct_year_table:
        if cell.semester_1 == first and cell.semester_2 == second:
            return cell.year
    raise ValidationFailed(
        _("Bộ quy tắc không có mức rèn luyện cả năm cho học kì I %(first)s và học kì II %(second)s.")
        % {"first": first.label, "second": second.label},
        code="conduct_table_incomplete",
    )


# ---------------------------------------------------------------------------------------------------------------
# TT22/2021 — re-assessment, promotion (Điều 12–14) and titles (Điều 15)
# ---------------------------------------------------------------------------------------------------------------


def retest_subjects(
    *, year_averages: Mapping[str, Decimal], year_comments: Mapping[str, CommentResult | str], rules: Tt22RuleSet
) -> tuple[str, ...]:
    """Điều 14: the subjects a student may be re-assessed in — scored ones with ĐTBmcn below 5.0 and comment-only
    ones Chưa đạt — in the order given."""
    low = [code for code, v in year_averages.items() if validate_score(v, rules) < rules.retest_below_score]
    failed = [code for code, v in year_comments.items() if _comment_result(v) != CommentResult.PASSED]
    return tuple(low + failed)


@dataclass(frozen=True)
class YearResults:
    """Year results of every subject: averages of scored subjects and Đạt/Chưa đạt of comment-only ones."""

    averages: dict[str, Decimal]
    comments: dict[str, CommentResult]


def apply_retest_results(
    *,
    year_averages: Mapping[str, Decimal],
    year_comments: Mapping[str, CommentResult | str],
    retest_scores: Mapping[str, Decimal],
    retest_comments: Mapping[str, CommentResult | str],
    rules: Tt22RuleSet,
) -> YearResults:
    """Điều 14: the re-assessment result replaces the subject's year result (or, if the rule set says so, only
    when higher); the year level is then recomputed from the returned results with ``year_learning_level``."""
    eligible = set(retest_subjects(year_averages=year_averages, year_comments=year_comments, rules=rules))
    for code in [*retest_scores, *retest_comments]:
        if code not in eligible:
            raise ValidationFailed(
                _("Môn %(subject)s không thuộc diện kiểm tra, đánh giá lại.") % {"subject": code},
                code="retest_not_eligible",
            )
    averages = {code: validate_score(v, rules) for code, v in year_averages.items()}
    for code, raw in retest_scores.items():
        score = validate_score(raw, rules, label=_("Điểm kiểm tra lại môn %(subject)s") % {"subject": code})
        averages[code] = max(score, averages[code]) if rules.retest_keeps_higher_score else score
    comments = {code: _comment_result(v) for code, v in year_comments.items()}
    for code, result in retest_comments.items():
        comments[code] = _comment_result(result)
    return YearResults(averages=averages, comments=comments)


@dataclass(frozen=True)
class PromotionDecision:
    outcome: PromotionOutcome
    reason: str


def promotion_decision(
    *,
    year_conduct: Tt22Level | str,
    year_learning: Tt22Level | str,
    absence_sessions: int,
    rules: Tt22RuleSet,
    conduct_after_summer: Tt22Level | str | None = None,
    learning_after_retest: Tt22Level | str | None = None,
) -> PromotionDecision:
    """Điều 12–14: lên lớp, rèn luyện trong hè, kiểm tra lại or ở lại lớp.

    Absences above the limit (45 buổi, excused or not, one session a day) mean ở lại lớp. A year rèn luyện below
    Đạt sends the student to summer training; its re-evaluation (``conduct_after_summer``) replaces the year level.
    Then a year học tập below Đạt sends the student to re-assessment; the recomputed level
    (``learning_after_retest``) replaces the year level. Call again as each result arrives.
    """
    conduct, learning = _level(year_conduct), _level(year_learning)
    if absence_sessions < 0:
        raise ValidationFailed(_("Số buổi nghỉ không được âm."), code="absences_negative")
    if absence_sessions > rules.absence_limit_sessions:
        return PromotionDecision(
            PromotionOutcome.RETAINED,
            _("Nghỉ %(absences)s buổi trong năm học, quá %(limit)s buổi.")
            % {"absences": absence_sessions, "limit": rules.absence_limit_sessions},
        )

    trained_in_summer = False
    if not level_at_least(conduct, rules.promotion_min_conduct):
        if conduct_after_summer is None:
            if learning_after_retest is not None:
                raise ValidationFailed(
                    _("Chưa có kết quả đánh giá lại rèn luyện sau kì nghỉ hè nên chưa thể kiểm tra lại."),
                    code="retest_before_summer_training",
                )
            return PromotionDecision(PromotionOutcome.SUMMER_TRAINING, _("Kết quả rèn luyện cả năm học mức Chưa đạt."))
        if not level_at_least(_level(conduct_after_summer), rules.promotion_min_conduct):
            return PromotionDecision(
                PromotionOutcome.RETAINED, _("Kết quả rèn luyện sau rèn luyện trong kì nghỉ hè vẫn mức Chưa đạt.")
            )
        trained_in_summer = True
    elif conduct_after_summer is not None:
        raise ValidationFailed(
            _("Học sinh không thuộc diện rèn luyện trong kì nghỉ hè."), code="summer_training_not_eligible"
        )

    if not level_at_least(learning, rules.promotion_min_learning):
        if trained_in_summer and not rules.retest_allowed_after_summer_training:
            return PromotionDecision(
                PromotionOutcome.RETAINED,
                _("Kết quả rèn luyện và kết quả học tập cả năm học đều mức Chưa đạt."),
            )
        if learning_after_retest is None:
            return PromotionDecision(PromotionOutcome.RETEST, _("Kết quả học tập cả năm học mức Chưa đạt."))
        if not level_at_least(_level(learning_after_retest), rules.promotion_min_learning):
            return PromotionDecision(
                PromotionOutcome.RETAINED, _("Kết quả học tập sau kiểm tra, đánh giá lại vẫn mức Chưa đạt.")
            )
    elif learning_after_retest is not None:
        raise ValidationFailed(_("Học sinh không thuộc diện kiểm tra, đánh giá lại."), code="retest_not_eligible")

    return PromotionDecision(PromotionOutcome.PROMOTED, _("Đủ điều kiện lên lớp."))


def completes_lower_secondary(*, grade: str, decision: PromotionDecision, rules: Tt22RuleSet) -> bool:
    """Điều 12: a student of the last grade who meets the promotion conditions completes the THCS programme."""
    return grade == rules.final_grade and decision.outcome == PromotionOutcome.PROMOTED


def title_candidate(
    *,
    year_conduct: Tt22Level | str,
    year_learning: Tt22Level | str,
    year_averages: Mapping[str, Decimal],
    rules: Tt22RuleSet,
) -> Tt22Title | None:
    """Điều 15: Học sinh Xuất sắc (rèn luyện Tốt, học tập Tốt, at least 6 subjects with ĐTBmcn ≥ 9.0) or Học sinh
    Giỏi (rèn luyện Tốt, học tập Tốt). A candidate only: the principal decides."""
    if not rules.titles_awarded:
        return None
    if not (
        level_at_least(year_conduct, rules.title_min_conduct)
        and level_at_least(year_learning, rules.title_min_learning)
    ):
        return None
    high = sum(1 for v in year_averages.values() if validate_score(v, rules) >= rules.title_excellent_score)
    return Tt22Title.EXCELLENT if high >= rules.title_excellent_count else Tt22Title.GOOD


# ---------------------------------------------------------------------------------------------------------------
# TT22/2021 — the same rules in whole score steps, for a whole class at once
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepRules:
    """A TT22 rule set's numbers as whole counts of its score step (a tenth of a point), for computing the results
    of many students with ``int`` arithmetic instead of ``Decimal``.

    Scores, averages and thresholds are ``int`` steps: 8.3 is 83. Every function below gives what its Decimal
    counterpart gives for the same valid input (the results tests compare them over many random inputs, ties
    included). Averages round half-up with integer division when the rule set rounds half-up over non-negative
    scores with positive weights (``exact``); any other rounding goes through the Decimal rules. A threshold t
    becomes the least whole step not below it, so ``steps >= threshold`` decides exactly as ``score >= t``.
    Inputs are taken as valid: the caller has checked every score against the rule set's range and step.
    """

    rules: Tt22RuleSet
    scale: int  # steps per point: 10 for a step of 0.1
    low: int  # the score bounds in steps
    high: int
    exact: bool  # the integer formulas round as the rule set does
    level_rows: tuple[tuple[Tt22Level, int, int, int, int], ...]  # (level, each ≥, how many, of ≥, Chưa đạt ≤)
    count_thresholds: tuple[int, ...]  # the rows' "of ≥" thresholds, sorted
    reference_ranks: tuple[int, ...]  # ranks of ``adjustment_reference_levels``
    title_excellent: int
    decimals: tuple[Decimal, ...]  # position ``steps - low``: the Decimal the rules give (83 → Decimal("8.3"))
    # ĐTBmcn of the pairs of semester averages met so far (a few thousand at most): a class's pupils share many.
    year_averages: dict[tuple[int, int], int] = field(default_factory=dict, compare=False, repr=False)

    def decimal(self, steps: int) -> Decimal:
        return self.decimals[steps - self.low]


def _steps_at_least(value: Decimal, scale: int) -> int:
    """The least whole number of steps not below ``value``."""
    return int((value * scale).to_integral_value(rounding=decimal.ROUND_CEILING))


@functools.lru_cache(maxsize=16)
def step_rules(rules: Tt22RuleSet) -> StepRules | None:
    """``rules`` in whole steps, or None when its step does not divide one point and its score bounds."""
    if not (rules.score_step.is_finite() and rules.score_step > 0):
        return None
    scale_value = 1 / rules.score_step
    low_value, high_value = rules.score_min * scale_value, rules.score_max * scale_value
    if any(v != v.to_integral_value() for v in (scale_value, low_value, high_value)) or low_value > high_value:
        return None
    scale, low, high = int(scale_value), int(low_value), int(high_value)
    weights = (
        rules.regular_weight,
        rules.midterm_weight,
        rules.final_weight,
        rules.semester_1_weight,
        rules.semester_2_weight,
    )
    level_rows = tuple(
        (
            row.level,
            _steps_at_least(row.every_scored_at_least, scale),
            row.scored_count,
            _steps_at_least(row.scored_count_at_least, scale),
            row.comment_not_passed_at_most,
        )
        for row in rules.learning_level_rules
    )
    return StepRules(
        rules=rules,
        scale=scale,
        low=low,
        high=high,
        # floor((2n + d) / 2d) is half-up only for n ≥ 0 and d > 0.
        exact=rules.score_rounding == decimal.ROUND_HALF_UP and low >= 0 and all(w > 0 for w in weights),
        level_rows=level_rows,
        count_thresholds=tuple(sorted({row[3] for row in level_rows})),
        reference_ranks=tuple(level_rank(level) for level in rules.adjustment_reference_levels),
        title_excellent=_steps_at_least(rules.title_excellent_score, scale),
        decimals=tuple(round_score(Decimal(s) * rules.score_step, rules) for s in range(low, high + 1)),
    )


def semester_average_steps(
    *, regular_total: int, regular_count: int, midterm: int, final: int, steps: StepRules
) -> int:
    """``semester_average`` of valid scores in steps: the regular scores' total and count (at least one), the
    mid-term and the end-of-term score."""
    r = steps.rules
    numerator = regular_total * r.regular_weight + midterm * r.midterm_weight + final * r.final_weight
    denominator = regular_count * r.regular_weight + r.midterm_weight + r.final_weight
    if steps.exact:
        return (2 * numerator + denominator) // (2 * denominator)  # half-up: floor(n / d + 1/2)
    quotient = _DIVISION_CONTEXT.divide(Decimal(numerator) * r.score_step, denominator)
    return int(round_score(quotient, r) * steps.scale)


def semester_averages_steps(sums: Iterable[tuple[int, int, int, int]], *, steps: StepRules) -> list[int]:
    """``semester_average_steps`` of many sheets at once, each given as (regular total, regular count, mid-term,
    end-of-term): a class's thousands of averages without a call each."""
    r = steps.rules
    if not steps.exact:
        return [
            semester_average_steps(regular_total=total, regular_count=count, midterm=midterm, final=final, steps=steps)
            for total, count, midterm, final in sums
        ]
    regular_weight, midterm_weight, final_weight = r.regular_weight, r.midterm_weight, r.final_weight
    averages = []
    for total, count, midterm, final in sums:
        denominator = count * regular_weight + midterm_weight + final_weight
        numerator = total * regular_weight + midterm * midterm_weight + final * final_weight
        averages.append((2 * numerator + denominator) // (2 * denominator))  # half-up, as above
    return averages


def year_average_steps(*, semester_1: int, semester_2: int, steps: StepRules) -> int:
    """``year_average`` of two valid semester averages in steps."""
    known = steps.year_averages.get((semester_1, semester_2))
    if known is None:
        known = steps.year_averages[(semester_1, semester_2)] = _year_average_steps(semester_1, semester_2, steps)
    return known


def _year_average_steps(semester_1: int, semester_2: int, steps: StepRules) -> int:
    r = steps.rules
    numerator = semester_1 * r.semester_1_weight + semester_2 * r.semester_2_weight
    denominator = r.semester_1_weight + r.semester_2_weight
    if steps.exact:
        return (2 * numerator + denominator) // (2 * denominator)
    quotient = _DIVISION_CONTEXT.divide(Decimal(numerator) * r.score_step, denominator)
    return int(round_score(quotient, r) * steps.scale)


def _level_steps(lowest: int | None, counts: list[int], not_passed: int, steps: StepRules) -> Tt22Level:
    """The first row of the table met: ``lowest`` is the lowest average (None: no scored subject), ``counts`` how
    many averages reach each row's ``scored_count_at_least``, ``not_passed`` how many comment subjects are CĐ."""
    for (level, each_at_least, count, _at_least, not_passed_at_most), found in zip(
        steps.level_rows, counts, strict=True
    ):
        if not_passed <= not_passed_at_most and (lowest is None or lowest >= each_at_least) and found >= count:
            return level
    return steps.rules.learning_level_fallback


def _best_rank_steps(lowest: int | None, counts: list[int], not_passed: int, steps: StepRules) -> int:
    """The best rank among the rows met (and the fallback): a bound for any situation no better than this one."""
    best = level_rank(steps.rules.learning_level_fallback)
    for (level, each_at_least, count, _at_least, not_passed_at_most), found in zip(
        steps.level_rows, counts, strict=True
    ):
        if not_passed <= not_passed_at_most and (lowest is None or lowest >= each_at_least) and found >= count:
            best = min(best, level_rank(level))
    return best


def learning_level_steps(
    *, scored: Mapping[str, int], commented: Mapping[str, CommentResult], steps: StepRules
) -> LearningLevelResult:
    """``learning_level`` of valid averages in steps (subject code → steps) and comment results already read."""
    r = steps.rules
    values = sorted(scored.values())
    lowest = values[0] if values else None
    counts = [len(values) - bisect.bisect_left(values, row[3]) for row in steps.level_rows]
    not_passed = sum(1 for result in commented.values() if result != CommentResult.PASSED)
    computed = _level_steps(lowest, counts, not_passed, steps)
    if r.adjustment_mode == AdjustmentMode.NONE:
        return LearningLevelResult(level=computed, computed_level=computed)
    computed_rank = level_rank(computed)
    references = steps.reference_ranks
    if not references or computed_rank - min(references) < r.adjustment_min_drop:
        return LearningLevelResult(level=computed, computed_level=computed)

    # No counterfactual does better than every count one more with the lowest average gone, or one comment
    # subject fewer Chưa đạt (a row met stays met as the lowest average and the counts rise): when even the best
    # level those could give is less than ``adjustment_min_drop`` above the computed one, no subject lowered it.
    high = steps.high
    best_rank = _best_rank_steps(
        values[1] if len(values) > 1 else high, [found + 1 for found in counts], not_passed, steps
    )
    if not_passed and r.adjustment_counts_comment_subjects:
        best_rank = min(best_rank, _best_rank_steps(lowest, counts, not_passed - 1, steps))
    if computed_rank - best_rank < r.adjustment_min_drop:
        return LearningLevelResult(level=computed, computed_level=computed)

    # The counterfactuals in the order ``learning_level`` weighs them: each scored subject at the maximum score,
    # then each comment subject Đạt. Raising one average moves only the lowest average (when it was the lowest)
    # and the counts of the thresholds it was below, so scores alike in both respects give the same level.
    raised: dict[tuple[bool, int], Tt22Level] = {}
    counterfactuals: list[tuple[Tt22Level, str]] = []
    for code, score in scored.items():
        alike = (score == lowest, bisect.bisect_right(steps.count_thresholds, score))
        level = raised.get(alike)
        if level is None:
            others_lowest = (values[1] if len(values) > 1 else None) if score == lowest else lowest
            raised_counts = [
                found - (score >= row[3]) + (high >= row[3])
                for found, row in zip(counts, steps.level_rows, strict=True)
            ]
            raised_lowest = high if others_lowest is None else min(others_lowest, high)
            level = raised[alike] = _level_steps(raised_lowest, raised_counts, not_passed, steps)
        counterfactuals.append((level, code))
    if r.adjustment_counts_comment_subjects and not_passed:
        passed_one_more = _level_steps(lowest, counts, not_passed - 1, steps)
        counterfactuals += [
            (passed_one_more, code) for code, result in commented.items() if result != CommentResult.PASSED
        ]
    best: tuple[Tt22Level, str] | None = None
    for unlowered, code in counterfactuals:
        if unlowered not in r.adjustment_reference_levels:
            continue
        if computed_rank - level_rank(unlowered) < r.adjustment_min_drop:
            continue
        if best is None or level_rank(unlowered) < level_rank(best[0]):
            best = (unlowered, code)
    if best is None:
        return LearningLevelResult(level=computed, computed_level=computed)
    unlowered, code = best
    if r.adjustment_mode == AdjustmentMode.RAISE_ONE:
        adjusted = TT22_LEVELS_BEST_FIRST[computed_rank - 1]
    else:
        adjusted = TT22_LEVELS_BEST_FIRST[level_rank(unlowered) + 1]
    return LearningLevelResult(level=adjusted, computed_level=computed, adjusted_for_subject=code)


def title_candidate_steps(
    *, year_conduct: Tt22Level | str, year_learning: Tt22Level | str, year_averages: Mapping[str, int], steps: StepRules
) -> Tt22Title | None:
    """``title_candidate`` with the year averages in steps."""
    r = steps.rules
    if not r.titles_awarded:
        return None
    if not (level_at_least(year_conduct, r.title_min_conduct) and level_at_least(year_learning, r.title_min_learning)):
        return None
    high = sum(1 for v in year_averages.values() if v >= steps.title_excellent)
    return Tt22Title.EXCELLENT if high >= r.title_excellent_count else Tt22Title.GOOD


# ---------------------------------------------------------------------------------------------------------------
# TT27/2020 — primary (Điều 7, 9, 11, 13)
# ---------------------------------------------------------------------------------------------------------------


def validate_subject_evaluation(value: Tt27SubjectLevel | str) -> Tt27SubjectLevel:
    """Điều 7: a subject or activity is rated T (Hoàn thành tốt), H (Hoàn thành) or C (Chưa hoàn thành)."""
    try:
        return Tt27SubjectLevel(value)
    except ValueError:
        raise ValidationFailed(
            _(
                "Mức đạt được của môn học chỉ là T (Hoàn thành tốt), H (Hoàn thành) hoặc C (Chưa hoàn thành); "
                "đã nhập “%(value)s”."
            )
            % {"value": value},
            code="subject_level_invalid",
        ) from None


def validate_quality_evaluation(value: Tt27QualityLevel | str) -> Tt27QualityLevel:
    """Điều 7: a phẩm chất or năng lực is rated T (Tốt), Đ (Đạt) or C (Cần cố gắng)."""
    try:
        return Tt27QualityLevel(value)
    except ValueError:
        raise ValidationFailed(
            _("Mức phẩm chất, năng lực chỉ là Tốt, Đạt hoặc Cần cố gắng; đã nhập “%(value)s”.") % {"value": value},
            code="quality_level_invalid",
        ) from None


def tested_subjects(*, grade: str, checkpoint: Tt27Checkpoint | str, rules: Tt27RuleSet) -> tuple[str, ...]:
    """The subjects with a periodic test in ``grade`` at ``checkpoint``."""
    return tuple(t.subject for t in rules.scheduled_tests if t.grade == grade and t.checkpoint == checkpoint)


def validate_periodic_test_score(
    score: Decimal, *, grade: str, subject: str, checkpoint: Tt27Checkpoint | str, rules: Tt27RuleSet
) -> int:
    """Điều 7: a periodic test score is a whole number from 0 to 10, for a test the schedule foresees."""
    score = _require_decimal(score)
    point = Tt27Checkpoint(checkpoint)
    if subject not in tested_subjects(grade=grade, checkpoint=point, rules=rules):
        raise ValidationFailed(
            _("Môn %(subject)s lớp %(grade)s không có bài kiểm tra định kì vào thời điểm %(checkpoint)s.")
            % {"subject": subject, "grade": grade, "checkpoint": point.label},
            code="test_not_scheduled",
        )
    if not score.is_finite() or score != score.to_integral_value():
        raise ValidationFailed(
            _("Điểm bài kiểm tra định kì là số nguyên, không có phần thập phân; đã nhập %(value)s.")
            % {"value": format_score(score)},
            code="test_score_not_whole",
        )
    if not rules.test_score_min <= score <= rules.test_score_max:
        raise ValidationFailed(
            _("Điểm bài kiểm tra định kì phải từ %(low)s đến %(high)s; đã nhập %(value)s.")
            % {"low": rules.test_score_min, "high": rules.test_score_max, "value": format_score(score)},
            code="test_score_out_of_range",
        )
    return int(score)


def year_classification(
    *,
    grade: str,
    subject_levels: Mapping[str, Tt27SubjectLevel | str],
    quality_levels: Mapping[str, Tt27QualityLevel | str],
    end_year_scores: Mapping[str, Decimal],
    rules: Tt27RuleSet,
    retest_scores: Mapping[str, Decimal] | None = None,
) -> Tt27Classification:
    """Điều 9 khoản 2: Hoàn thành xuất sắc / Hoàn thành tốt / Hoàn thành / Chưa hoàn thành, top-down.

    ``end_year_scores`` must hold the end-of-year test of every subject tested in ``grade``; a re-test score
    replaces the end-of-year score of its subject.
    """
    if not subject_levels:
        raise ValidationFailed(_("Chưa có mức đạt được của môn học nào."), code="subject_levels_missing")
    if not quality_levels:
        raise ValidationFailed(_("Chưa có mức đánh giá phẩm chất, năng lực nào."), code="quality_levels_missing")
    subjects = [validate_subject_evaluation(v) for v in subject_levels.values()]
    qualities = [validate_quality_evaluation(v) for v in quality_levels.values()]
    end_year = Tt27Checkpoint.END_YEAR
    scores = {
        code: validate_periodic_test_score(v, grade=grade, subject=code, checkpoint=end_year, rules=rules)
        for code, v in end_year_scores.items()
    }
    for code, v in (retest_scores or {}).items():
        retest = validate_periodic_test_score(v, grade=grade, subject=code, checkpoint=end_year, rules=rules)
        if rules.retest_replaces_end_year_score or code not in scores:
            scores[code] = retest
    missing = [code for code in tested_subjects(grade=grade, checkpoint=end_year, rules=rules) if code not in scores]
    if missing:
        raise ValidationFailed(
            _("Thiếu điểm bài kiểm tra định kì cuối năm học của môn: %(subjects)s.") % {"subjects": ", ".join(missing)},
            code="test_scores_missing",
        )
    for row in rules.classification_rules:
        if (
            all(s in row.subject_levels for s in subjects)
            and all(q in row.quality_levels for q in qualities)
            and all(v >= row.min_test_score for v in scores.values())
        ):
            return row.classification
    return rules.classification_fallback


def grade_completed(classification: Tt27Classification | str, *, rules: Tt27RuleSet) -> bool:
    """Điều 11: the pupil completed the grade programme (Hoàn thành xuất sắc, Hoàn thành tốt or Hoàn thành)."""
    return Tt27Classification(classification) in rules.completing_classifications


def primary_completed(*, grade: str, classification: Tt27Classification | str, rules: Tt27RuleSet) -> bool:
    """Điều 11: a pupil of the last grade who completed it completes the primary programme."""
    return grade == rules.final_grade and grade_completed(classification, rules=rules)


def tt27_title_candidate(
    classification: Tt27Classification | str, *, recognised_by_class: bool = False
) -> Tt27Title | None:
    """Điều 13: Học sinh Xuất sắc for Hoàn thành xuất sắc; Học sinh Tiêu biểu for Hoàn thành tốt when the class
    recognises an outstanding subject or clear progress (a human decision, passed in as a flag)."""
    value = Tt27Classification(classification)
    if value == Tt27Classification.EXCELLENT:
        return Tt27Title.EXCELLENT
    if value == Tt27Classification.WELL_COMPLETED and recognised_by_class:
        return Tt27Title.EXEMPLARY
    return None
