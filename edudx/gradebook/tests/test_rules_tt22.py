"""TT22/2021 (THCS) rules, table by table. Every worked example of the domain notes (§1.9) is here, quoted by
section, and every threshold is tested on both sides. Scores are Decimal only."""

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest

from edudx.core.errors import ValidationFailed
from edudx.gradebook import rules, rulesets
from edudx.gradebook.enums import AdjustmentMode, Circular, CommentResult, PromotionOutcome, Tt22Level, Tt22Title
from edudx.gradebook.rulesets import TT22_2021

TOT, KHA, DAT, CHUA = Tt22Level.GOOD, Tt22Level.FAIR, Tt22Level.PASSED, Tt22Level.NOT_PASSED
PASS, FAIL = CommentResult.PASSED, CommentResult.NOT_PASSED
TABLE_ONLY = dataclasses.replace(TT22_2021, adjustment_mode=AdjustmentMode.NONE)
ADJACENT = dataclasses.replace(TT22_2021, adjustment_mode=AdjustmentMode.ADJACENT_TO_UNLOWERED)
SCORED = ("TOAN", "NV", "NN1", "GDCD", "LSDL", "KHTN", "CN", "TIN")
COMMENT_ALL_PASSED = {"GDTC": PASS, "AN": PASS, "MT": PASS, "HDTN": PASS, "GDDP": PASS}


def scores(*values: str) -> dict[str, D]:
    """The eight scored THCS subjects, in order, with the given averages."""
    assert len(values) == len(SCORED)
    return {code: D(v) for code, v in zip(SCORED, values, strict=True)}


# §1.9 example 4 — student A: 9.1, 8.5, 8.0, 8.2, 7.0, 8.8, 9.3, 6.6
A = scores("9.1", "8.5", "8.0", "8.2", "7.0", "8.8", "9.3", "6.6")
B = {**A, "TIN": D("6.4")}  # §1.9 example 4 — B: same but 6.4 instead of 6.6
C = {**A, "TIN": D("3.2")}  # §1.9 example 4 — C: same as A but 3.2 instead of 6.6
D_ = scores("5.5", "6.0", "4.2", "4.8", "5.0", "5.1", "3.8", "6.2")  # §1.9 example 4 — D


# ---------------------------------------------------------------------------------------------------------------
# Điều 6: regular assessments per semester (§1.2)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("periods", "scored", "expected"),
    [
        (17, True, 2),
        (35, True, 2),  # GDCD, Tin học, Công nghệ lớp 6–7
        (36, True, 3),
        (52, True, 3),  # Công nghệ lớp 8–9
        (70, True, 3),
        (71, True, 4),
        (105, True, 4),  # Ngoại ngữ 1, LS&ĐL
        (140, True, 4),  # Toán, Ngữ văn, KHTN
        (70, False, 2),  # comment-only subjects: always 2
        (140, False, 2),
    ],
)
def test_required_regular_count(periods, scored, expected):
    assert rules.required_regular_count(periods_per_year=periods, scored=scored, rules=TT22_2021) == expected


@pytest.mark.parametrize("periods", [0, -35])
def test_required_regular_count_rejects_non_positive_periods(periods):
    with pytest.raises(ValidationFailed, match="Số tiết"):
        rules.required_regular_count(periods_per_year=periods, rules=TT22_2021)


# ---------------------------------------------------------------------------------------------------------------
# Rounding half-up to one decimal (§1.4)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6.45", "6.5"),  # a tie: half-up goes up
        ("8.25", "8.3"),  # §1.4: round(8.25, 1) gives 8.2, the register shows 8.3
        ("6.4499999", "6.4"),
        ("8.2499", "8.2"),
        ("7.95", "8.0"),
        ("9.95", "10.0"),
        ("0.05", "0.1"),
        ("0.04", "0.0"),
        ("7.7222222222", "7.7"),
        ("8.0333333333", "8.0"),
    ],
)
def test_round_score_half_up(value, expected):
    result = rules.round_score(D(value), TT22_2021)
    assert result == D(expected)
    assert str(result) == expected  # always one decimal


def test_python_round_gets_the_ties_wrong():
    # Why the rules never use round(): binary floats and banker's rounding both miss the register's value.
    assert round(8.25, 1) == 8.2
    assert round(D("6.45"), 1) == D("6.4")
    assert rules.round_score(D("8.25"), TT22_2021) == D("8.3")
    assert rules.round_score(D("6.45"), TT22_2021) == D("6.5")


def test_round_score_refuses_floats():
    with pytest.raises(TypeError):
        rules.round_score(8.25, TT22_2021)


# ---------------------------------------------------------------------------------------------------------------
# Điều 9 khoản 1: semester and year averages (§1.4, §1.9 examples 1–3)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regular", "midterm", "final", "expected"),
    [
        # §1.9 example 1 — Toán HK I: TX 7, 8, 6.5, 9; GK 7.5; CK 8.0 → 69.5/9 = 7.72… → 7.7
        (("7", "8", "6.5", "9"), "7.5", "8.0", "7.7"),
        # §1.9 example 1 — Toán HK II: TX 8, 8.5, 9, 7; GK 8; CK 8.5 → 74/9 = 8.22… → 8.2
        (("8", "8.5", "9", "7"), "8", "8.5", "8.2"),
        # §1.9 example 2 — GDCD, 2 ĐĐGtx: TX 6, 7; GK 5.5; CK 6.5 → 43.5/7 = 6.214… → 6.2
        (("6", "7"), "5.5", "6.5", "6.2"),
        # §1.9 example 3 — Công nghệ lớp 8, 3 ĐĐGtx: TX 8, 8, 9; GK 8.5; CK 8 → 66/8 = 8.25 → 8.3 (float round: 8.2)
        (("8", "8", "9"), "8.5", "8", "8.3"),
        # A tie at 6.45 (3 ĐĐGtx, denominator 8): 51.6/8 = 6.45 → 6.5, and just below it 51.5/8 = 6.4375 → 6.4
        (("6", "7", "6.6"), "7", "6", "6.5"),
        (("6", "7", "6.5"), "7", "6", "6.4"),
        (("10", "10", "10", "10"), "10", "10", "10.0"),
        (("0", "0"), "0", "0", "0.0"),
    ],
)
def test_semester_average(regular, midterm, final, expected):
    result = rules.semester_average(
        regular_scores=[D(v) for v in regular],
        midterm=D(midterm),
        final=D(final),
        rules=TT22_2021,
        required_count=len(regular),
    )
    assert result == D(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("regular", "midterm", "final", "required", "fragment"),
    [
        (("7", "8"), "7", "7", 3, "đúng 3 điểm"),  # Công nghệ lớp 8 needs 3
        (("7", "8", "9", "9", "9"), "7", "7", 4, "đúng 4 điểm"),
        ((), "7", "7", None, "Chưa có điểm"),
        (("7", "10.1"), "7", "7", 2, "từ 0 đến 10"),
        (("7", "8"), "-0.1", "7", 2, "giữa kì phải từ 0 đến 10"),
        (("7", "8"), "7", "8.25", 2, "một chữ số"),  # a recorded score has at most one decimal
        (("7", "NaN"), "7", "7", 2, "không phải là một số"),
    ],
)
def test_semester_average_rejects_bad_input(regular, midterm, final, required, fragment):
    with pytest.raises(ValidationFailed, match=fragment):
        rules.semester_average(
            regular_scores=[D(v) for v in regular],
            midterm=D(midterm),
            final=D(final),
            rules=TT22_2021,
            required_count=required,
        )


def test_semester_average_refuses_floats():
    with pytest.raises(TypeError):
        rules.semester_average(regular_scores=[7.0, D("8")], midterm=D("7"), final=D("7"), rules=TT22_2021)


@pytest.mark.parametrize(
    ("semester_1", "semester_2", "expected"),
    [
        ("7.7", "8.2", "8.0"),  # §1.9 example 1 — ĐTBmcn = (7.7 + 16.4)/3 = 8.03… → 8.0
        ("6.4", "6.5", "6.5"),  # 19.4/3 = 6.466…
        ("6.5", "6.4", "6.4"),  # 19.3/3 = 6.433…: semester II counts double
        ("4.9", "5.0", "5.0"),  # 14.9/3 = 4.966…
        ("5.0", "4.9", "4.9"),  # 14.8/3 = 4.933…
        ("10.0", "10", "10.0"),
        ("0", "0.0", "0.0"),
    ],
)
def test_year_average(semester_1, semester_2, expected):
    result = rules.year_average(semester_1=D(semester_1), semester_2=D(semester_2), rules=TT22_2021)
    assert result == D(expected)


def test_year_average_uses_the_rounded_semester_averages():
    # §1.9 example 1: from the unrounded 69.5/9 and 74/9 the year would be 8.055… → 8.1; the rule uses 7.7 and 8.2 → 8.0.
    semester_1 = rules.semester_average(
        regular_scores=[D("7"), D("8"), D("6.5"), D("9")], midterm=D("7.5"), final=D("8.0"), rules=TT22_2021
    )
    semester_2 = rules.semester_average(
        regular_scores=[D("8"), D("8.5"), D("9"), D("7")], midterm=D("8"), final=D("8.5"), rules=TT22_2021
    )
    assert rules.year_average(semester_1=semester_1, semester_2=semester_2, rules=TT22_2021) == D("8.0")
    assert rules.round_score((D("69.5") / 9 + 2 * D(74) / 9) / 3, TT22_2021) == D("8.1")
    with pytest.raises(ValidationFailed, match="một chữ số"):
        rules.year_average(semester_1=D("69.5") / 9, semester_2=D(74) / 9, rules=TT22_2021)


# ---------------------------------------------------------------------------------------------------------------
# Comment-only subjects (§1.5, last paragraph)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assessments", "expected"),
    [
        ((PASS, PASS, PASS, PASS), PASS),  # 2 regular + mid-term + end-of-term, all Đạt
        ((PASS, PASS, PASS), FAIL),  # one assessment missing
        ((PASS, PASS, FAIL, PASS), FAIL),
        (("dat", "dat", "dat", "dat"), PASS),  # stored codes
    ],
)
def test_comment_subject_semester_result(assessments, expected):
    assert rules.comment_subject_semester_result(assessments, rules=TT22_2021) == expected


@pytest.mark.parametrize(
    ("semester_1", "semester_2", "rule_set", "expected"),
    [
        (FAIL, PASS, TT22_2021, PASS),  # the year result is the semester II result
        (PASS, FAIL, TT22_2021, FAIL),
        (FAIL, PASS, dataclasses.replace(TT22_2021, comment_year_from_semester_2=False), FAIL),
        (PASS, PASS, dataclasses.replace(TT22_2021, comment_year_from_semester_2=False), PASS),
    ],
)
def test_comment_subject_year_result(semester_1, semester_2, rule_set, expected):
    assert rules.comment_subject_year_result(semester_1=semester_1, semester_2=semester_2, rules=rule_set) == expected


def test_comment_result_rejects_unknown_codes():
    with pytest.raises(ValidationFailed, match="Đạt hoặc Chưa đạt"):
        rules.comment_subject_semester_result(["dat", "tot", "dat", "dat"], rules=TT22_2021)


# ---------------------------------------------------------------------------------------------------------------
# Điều 9 khoản 2: the level table, both sides of every threshold (adjustment off to isolate the table)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("averages", "comments", "expected"),
    [
        # Tốt: every subject ≥ 6.5 and six ≥ 8.0
        (scores("8.0", "8.0", "8.0", "8.0", "8.0", "8.0", "6.5", "6.5"), {}, TOT),
        (scores("8.0", "8.0", "8.0", "8.0", "8.0", "8.0", "6.5", "6.4"), {}, KHA),  # one below 6.5
        (scores("8.0", "8.0", "8.0", "8.0", "8.0", "7.9", "6.5", "6.5"), {}, KHA),  # only five ≥ 8.0
        # Khá: every subject ≥ 5.0 and six ≥ 6.5
        (scores("6.5", "6.5", "6.5", "6.5", "6.5", "6.5", "5.0", "5.0"), {}, KHA),
        (scores("6.5", "6.5", "6.5", "6.5", "6.5", "6.5", "5.0", "4.9"), {}, DAT),  # one below 5.0
        (scores("6.5", "6.5", "6.5", "6.5", "6.5", "6.4", "5.0", "5.0"), {}, DAT),  # only five ≥ 6.5
        # Đạt: six ≥ 5.0 and none below 3.5
        (scores("5.0", "5.0", "5.0", "5.0", "5.0", "5.0", "3.5", "3.5"), {}, DAT),
        (scores("5.0", "5.0", "5.0", "5.0", "5.0", "5.0", "3.5", "3.4"), {}, CHUA),  # one below 3.5
        (scores("5.0", "5.0", "5.0", "5.0", "5.0", "4.9", "3.5", "3.5"), {}, CHUA),  # only five ≥ 5.0
        # Comment-only subjects: Tốt and Khá need all Đạt; Đạt allows one Chưa đạt
        (scores("9", "9", "9", "9", "9", "9", "9", "9"), {**COMMENT_ALL_PASSED}, TOT),
        (scores("9", "9", "9", "9", "9", "9", "9", "9"), {**COMMENT_ALL_PASSED, "AN": FAIL}, DAT),
        (scores("9", "9", "9", "9", "9", "9", "9", "9"), {**COMMENT_ALL_PASSED, "AN": FAIL, "MT": FAIL}, CHUA),
        # §1.9 example 4
        (A, COMMENT_ALL_PASSED, TOT),
        (B, COMMENT_ALL_PASSED, KHA),
        (C, COMMENT_ALL_PASSED, CHUA),
        (D_, COMMENT_ALL_PASSED, CHUA),
    ],
)
def test_learning_level_table(averages, comments, expected):
    result = rules.year_learning_level(year_averages=averages, year_comments=comments, rules=TABLE_ONLY)
    assert result.level == expected
    assert not result.adjusted


def test_semester_and_year_levels_use_the_same_table():
    semester = rules.semester_learning_level(semester_averages=B, semester_comments=COMMENT_ALL_PASSED, rules=TT22_2021)
    year = rules.year_learning_level(year_averages=B, year_comments=COMMENT_ALL_PASSED, rules=TT22_2021)
    assert semester == year
    assert semester.level == KHA


# ---------------------------------------------------------------------------------------------------------------
# Điều 9 khoản 3: the single-subject adjustment (unconfirmed wording → an option, default "raise by one")
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("averages", "comments", "rule_set", "expected", "computed", "subject"),
    [
        # §1.9 example 4 — C: Chưa đạt; without that one subject Tốt → Đạt under "raise by one", Khá under the other
        (C, COMMENT_ALL_PASSED, TT22_2021, DAT, CHUA, "TIN"),
        (C, COMMENT_ALL_PASSED, ADJACENT, KHA, CHUA, "TIN"),
        (C, COMMENT_ALL_PASSED, TABLE_ONLY, CHUA, CHUA, None),
        # §1.9 example 4 — B: one level only below Tốt, no adjustment
        (B, COMMENT_ALL_PASSED, TT22_2021, KHA, KHA, None),
        # §1.9 example 4 — D: without the 3.8 only Đạt, which is not Tốt or Khá, so no adjustment
        (D_, COMMENT_ALL_PASSED, TT22_2021, CHUA, CHUA, None),
        # Two levels below Tốt (Đạt) because of one subject at 4.9 → Khá in both readings
        (scores("8.0", "8.0", "8.0", "8.0", "8.0", "8.0", "6.5", "4.9"), {}, TT22_2021, KHA, DAT, "TIN"),
        (scores("8.0", "8.0", "8.0", "8.0", "8.0", "8.0", "6.5", "4.9"), {}, ADJACENT, KHA, DAT, "TIN"),
        # Two levels below Khá (Chưa đạt) because of one subject at 3.4 → Đạt
        (scores("6.5", "6.5", "6.5", "6.5", "6.5", "6.5", "5.0", "3.4"), {}, TT22_2021, DAT, CHUA, "TIN"),
        # Two subjects pull the level down: not "solely because of one subject"
        (scores("8.0", "8.0", "8.0", "8.0", "8.0", "8.0", "4.9", "4.9"), {}, TT22_2021, DAT, DAT, None),
        # One comment-only subject Chưa đạt with Tốt-level scores: Đạt → Khá (the option can exclude comment subjects)
        (A, {**COMMENT_ALL_PASSED, "AN": FAIL}, TT22_2021, KHA, DAT, "AN"),
        (
            A,
            {**COMMENT_ALL_PASSED, "AN": FAIL},
            dataclasses.replace(TT22_2021, adjustment_counts_comment_subjects=False),
            DAT,
            DAT,
            None,
        ),
    ],
)
def test_single_subject_adjustment(averages, comments, rule_set, expected, computed, subject):
    result = rules.year_learning_level(year_averages=averages, year_comments=comments, rules=rule_set)
    assert (result.level, result.computed_level, result.adjusted_for_subject) == (expected, computed, subject)
    assert result.adjusted == (expected != computed)


def test_learning_level_validates_averages():
    with pytest.raises(ValidationFailed, match="Điểm trung bình môn TOAN"):
        rules.year_learning_level(year_averages={**A, "TOAN": D("7.25")}, year_comments={}, rules=TT22_2021)


# ---------------------------------------------------------------------------------------------------------------
# Điều 8: year rèn luyện from the two semesters (§1.6 table, §1.9 example 5)
# ---------------------------------------------------------------------------------------------------------------

_TABLE_ROWS = {  # rows: semester II; columns: semester I Tốt, Khá, Đạt, Chưa đạt (§1.6)
    TOT: (TOT, TOT, KHA, KHA),
    KHA: (KHA, KHA, KHA, DAT),
    DAT: (KHA, DAT, DAT, DAT),
    CHUA: (CHUA, CHUA, CHUA, CHUA),
}


@pytest.mark.parametrize(
    ("semester_1", "semester_2", "expected"),
    [(s1, s2, year) for s2, row in _TABLE_ROWS.items() for s1, year in zip((TOT, KHA, DAT, CHUA), row, strict=True)],
)
def test_year_conduct_table(semester_1, semester_2, expected):
    assert rules.year_conduct_level(semester_1=semester_1, semester_2=semester_2, rules=TT22_2021) == expected


@pytest.mark.parametrize(
    ("semester_1", "semester_2", "expected", "outcome"),
    [
        (DAT, TOT, KHA, PromotionOutcome.PROMOTED),  # §1.9 example 5 — HK I Đạt + HK II Tốt → Khá
        (TOT, CHUA, CHUA, PromotionOutcome.SUMMER_TRAINING),  # §1.9 example 5 — HK I Tốt + HK II Chưa đạt → summer
    ],
)
def test_year_conduct_worked_examples(semester_1, semester_2, expected, outcome):
    year = rules.year_conduct_level(semester_1=semester_1, semester_2=semester_2, rules=TT22_2021)
    assert year == expected
    decision = rules.promotion_decision(year_conduct=year, year_learning=TOT, absence_sessions=0, rules=TT22_2021)
    assert decision.outcome == outcome


def test_year_conduct_rejects_unknown_level():
    with pytest.raises(ValidationFailed, match="Tốt, Khá, Đạt hoặc Chưa đạt"):
        rules.year_conduct_level(semester_1="gioi", semester_2=TOT, rules=TT22_2021)


# ---------------------------------------------------------------------------------------------------------------
# Điều 14: re-assessment (§1.7, §1.9 example 4 D)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("averages", "comments", "expected"),
    [
        (D_, COMMENT_ALL_PASSED, ("NN1", "GDCD", "CN")),  # §1.9 example 4 — D: re-test 4.2, 4.8, 3.8
        (scores("5.0", "4.9", "9", "9", "9", "9", "9", "9"), {}, ("NV",)),  # 5.0 is not re-tested, 4.9 is
        (A, {**COMMENT_ALL_PASSED, "MT": FAIL}, ("MT",)),  # comment-only subject Chưa đạt
        (A, COMMENT_ALL_PASSED, ()),
    ],
)
def test_retest_subjects(averages, comments, expected):
    assert rules.retest_subjects(year_averages=averages, year_comments=comments, rules=TT22_2021) == expected


def test_worked_example_d_retest_then_promotion():
    # §1.9 example 4 — D: rèn luyện Khá, học tập Chưa đạt → re-test; 4.8→5.5 and 3.8→5.0 → seven ≥ 5.0, min 4.2 → Đạt
    # → promoted if absences ≤ 45 buổi.
    year = rules.year_learning_level(year_averages=D_, year_comments=COMMENT_ALL_PASSED, rules=TT22_2021).level
    assert year == CHUA
    first = rules.promotion_decision(year_conduct=KHA, year_learning=year, absence_sessions=12, rules=TT22_2021)
    assert first.outcome == PromotionOutcome.RETEST

    after = rules.apply_retest_results(
        year_averages=D_,
        year_comments=COMMENT_ALL_PASSED,
        retest_scores={"GDCD": D("5.5"), "CN": D("5.0")},
        retest_comments={},
        rules=TT22_2021,
    )
    assert after.averages == {**D_, "GDCD": D("5.5"), "CN": D("5.0")}
    relevelled = rules.year_learning_level(year_averages=after.averages, year_comments=after.comments, rules=TT22_2021)
    assert relevelled.level == DAT

    for absences, outcome in ((45, PromotionOutcome.PROMOTED), (46, PromotionOutcome.RETAINED)):
        decision = rules.promotion_decision(
            year_conduct=KHA,
            year_learning=year,
            learning_after_retest=relevelled.level,
            absence_sessions=absences,
            rules=TT22_2021,
        )
        assert decision.outcome == outcome


@pytest.mark.parametrize(
    ("rule_set", "retest", "expected"),
    [
        (TT22_2021, "3.9", "3.9"),  # the re-test result replaces the year result, even when lower
        (dataclasses.replace(TT22_2021, retest_keeps_higher_score=True), "3.9", "4.2"),
        (dataclasses.replace(TT22_2021, retest_keeps_higher_score=True), "6.0", "6.0"),
    ],
)
def test_retest_replacement_option(rule_set, retest, expected):
    after = rules.apply_retest_results(
        year_averages=D_, year_comments={}, retest_scores={"NN1": D(retest)}, retest_comments={}, rules=rule_set
    )
    assert after.averages["NN1"] == D(expected)


def test_retest_comment_subject_result_replaces_year_result():
    after = rules.apply_retest_results(
        year_averages=A,
        year_comments={**COMMENT_ALL_PASSED, "MT": FAIL},
        retest_scores={},
        retest_comments={"MT": PASS},
        rules=TT22_2021,
    )
    assert after.comments["MT"] == PASS


@pytest.mark.parametrize(
    ("retest_scores", "retest_comments", "fragment"),
    [
        ({"TOAN": D("9.0")}, {}, "Môn TOAN không thuộc diện"),  # 5.5 needs no re-test
        ({}, {"GDTC": PASS}, "Môn GDTC không thuộc diện"),
        ({"NN1": D("11")}, {}, "Điểm kiểm tra lại môn NN1"),
    ],
)
def test_retest_rejects_ineligible_or_invalid(retest_scores, retest_comments, fragment):
    with pytest.raises(ValidationFailed, match=fragment):
        rules.apply_retest_results(
            year_averages=D_,
            year_comments=COMMENT_ALL_PASSED,
            retest_scores=retest_scores,
            retest_comments=retest_comments,
            rules=TT22_2021,
        )


# ---------------------------------------------------------------------------------------------------------------
# Điều 12–14: promotion (§1.7)
# ---------------------------------------------------------------------------------------------------------------

NO_RETEST_AFTER_SUMMER = dataclasses.replace(TT22_2021, retest_allowed_after_summer_training=False)


@pytest.mark.parametrize(
    ("conduct", "learning", "absences", "after_summer", "after_retest", "rule_set", "expected"),
    [
        (TOT, TOT, 0, None, None, TT22_2021, PromotionOutcome.PROMOTED),
        (DAT, DAT, 45, None, None, TT22_2021, PromotionOutcome.PROMOTED),  # 45 buổi is still allowed
        (DAT, DAT, 46, None, None, TT22_2021, PromotionOutcome.RETAINED),  # 46 is over the limit
        (TOT, TOT, 46, None, None, TT22_2021, PromotionOutcome.RETAINED),
        (CHUA, CHUA, 46, None, None, TT22_2021, PromotionOutcome.RETAINED),  # no summer training over the limit
        # rèn luyện Chưa đạt → summer training; its re-evaluation replaces the year level
        (CHUA, TOT, 0, None, None, TT22_2021, PromotionOutcome.SUMMER_TRAINING),
        (CHUA, TOT, 0, DAT, None, TT22_2021, PromotionOutcome.PROMOTED),
        (CHUA, TOT, 0, CHUA, None, TT22_2021, PromotionOutcome.RETAINED),
        # học tập Chưa đạt with rèn luyện ≥ Đạt → re-assessment; the recomputed level replaces the year level
        (KHA, CHUA, 0, None, None, TT22_2021, PromotionOutcome.RETEST),
        (DAT, CHUA, 0, None, DAT, TT22_2021, PromotionOutcome.PROMOTED),
        (KHA, CHUA, 0, None, CHUA, TT22_2021, PromotionOutcome.RETAINED),
        # both Chưa đạt: summer training first, then re-test once rèn luyện is ≥ Đạt (unconfirmed order → option)
        (CHUA, CHUA, 0, None, None, TT22_2021, PromotionOutcome.SUMMER_TRAINING),
        (CHUA, CHUA, 0, DAT, None, TT22_2021, PromotionOutcome.RETEST),
        (CHUA, CHUA, 0, DAT, DAT, TT22_2021, PromotionOutcome.PROMOTED),
        (CHUA, CHUA, 0, DAT, None, NO_RETEST_AFTER_SUMMER, PromotionOutcome.RETAINED),
        (CHUA, TOT, 0, DAT, None, NO_RETEST_AFTER_SUMMER, PromotionOutcome.PROMOTED),
    ],
)
def test_promotion_decision(conduct, learning, absences, after_summer, after_retest, rule_set, expected):
    decision = rules.promotion_decision(
        year_conduct=conduct,
        year_learning=learning,
        absence_sessions=absences,
        conduct_after_summer=after_summer,
        learning_after_retest=after_retest,
        rules=rule_set,
    )
    assert decision.outcome == expected
    assert decision.reason


def test_absence_limit_is_data():
    decision = rules.promotion_decision(
        year_conduct=TOT,
        year_learning=TOT,
        absence_sessions=46,
        rules=dataclasses.replace(TT22_2021, absence_limit_sessions=50),
    )
    assert decision.outcome == PromotionOutcome.PROMOTED
    retained = rules.promotion_decision(year_conduct=TOT, year_learning=TOT, absence_sessions=46, rules=TT22_2021)
    assert retained.reason == "Nghỉ 46 buổi trong năm học, quá 45 buổi."


@pytest.mark.parametrize(
    ("conduct", "learning", "absences", "after_summer", "after_retest", "fragment"),
    [
        (TOT, TOT, -1, None, None, "không được âm"),
        (TOT, TOT, 0, DAT, None, "không thuộc diện rèn luyện"),
        (TOT, TOT, 0, None, DAT, "không thuộc diện kiểm tra"),
        (CHUA, CHUA, 0, None, DAT, "Chưa có kết quả đánh giá lại rèn luyện"),
        ("gioi", TOT, 0, None, None, "Tốt, Khá, Đạt hoặc Chưa đạt"),
    ],
)
def test_promotion_decision_rejects_inconsistent_input(
    conduct, learning, absences, after_summer, after_retest, fragment
):
    with pytest.raises(ValidationFailed, match=fragment):
        rules.promotion_decision(
            year_conduct=conduct,
            year_learning=learning,
            absence_sessions=absences,
            conduct_after_summer=after_summer,
            learning_after_retest=after_retest,
            rules=TT22_2021,
        )


@pytest.mark.parametrize(
    ("grade", "outcome", "expected"),
    [
        ("9", PromotionOutcome.PROMOTED, True),
        ("8", PromotionOutcome.PROMOTED, False),
        ("9", PromotionOutcome.RETAINED, False),
        ("9", PromotionOutcome.RETEST, False),
    ],
)
def test_completes_lower_secondary(grade, outcome, expected):
    decision = rules.PromotionDecision(outcome, "")
    assert rules.completes_lower_secondary(grade=grade, decision=decision, rules=TT22_2021) is expected


# ---------------------------------------------------------------------------------------------------------------
# Điều 15: titles (§1.8, §1.9 example 4 A)
# ---------------------------------------------------------------------------------------------------------------

SIX_NINES = scores("9.0", "9.0", "9.0", "9.0", "9.0", "9.0", "8.0", "8.0")


@pytest.mark.parametrize(
    ("conduct", "learning", "averages", "rule_set", "expected"),
    [
        # §1.9 example 4 — A with rèn luyện Tốt → Học sinh Giỏi (only 2 subjects ≥ 9.0, so not Xuất sắc)
        (TOT, TOT, A, TT22_2021, Tt22Title.GOOD),
        (TOT, TOT, SIX_NINES, TT22_2021, Tt22Title.EXCELLENT),  # exactly six ≥ 9.0
        (TOT, TOT, {**SIX_NINES, "KHTN": D("8.9")}, TT22_2021, Tt22Title.GOOD),  # five ≥ 9.0
        (KHA, TOT, SIX_NINES, TT22_2021, None),  # rèn luyện Khá
        (TOT, KHA, SIX_NINES, TT22_2021, None),  # học tập Khá
        (TOT, TOT, SIX_NINES, dataclasses.replace(TT22_2021, titles_awarded=False), None),
    ],
)
def test_title_candidate(conduct, learning, averages, rule_set, expected):
    assert (
        rules.title_candidate(year_conduct=conduct, year_learning=learning, year_averages=averages, rules=rule_set)
        == expected
    )


def test_worked_example_a_end_to_end():
    # §1.9 example 4 — A: Tốt; with rèn luyện Tốt → Học sinh Giỏi.
    learning = rules.year_learning_level(year_averages=A, year_comments=COMMENT_ALL_PASSED, rules=TT22_2021)
    assert learning.level == TOT
    title = rules.title_candidate(year_conduct=TOT, year_learning=learning.level, year_averages=A, rules=TT22_2021)
    assert title == Tt22Title.GOOD


# ---------------------------------------------------------------------------------------------------------------
# Rule sets are dated data
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "found"),
    [(dt.date(2021, 9, 4), False), (dt.date(2021, 9, 5), True), (dt.date(2026, 5, 31), True)],
)
def test_ruleset_for_tt22_by_date(on, found):
    if found:
        assert rulesets.ruleset_for(Circular.TT22_2021, on) is TT22_2021
    else:
        with pytest.raises(rulesets.RuleSetNotFound, match="04/09/2021"):
            rulesets.ruleset_for(Circular.TT22_2021, on)


def test_ruleset_for_picks_the_set_in_force(monkeypatch):
    old = dataclasses.replace(TT22_2021, valid_to=dt.date(2026, 8, 31))
    new = dataclasses.replace(TT22_2021, code="TT22-2026", valid_from=dt.date(2026, 9, 1), absence_limit_sessions=40)
    monkeypatch.setitem(rulesets.RULE_SETS, Circular.TT22_2021, (old, new))
    assert rulesets.ruleset_for("TT22/2021", dt.date(2026, 8, 31)) is old
    assert rulesets.ruleset_for("TT22/2021", dt.date(2026, 9, 1)) is new


def test_tt22_ruleset_is_frozen_plain_data():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TT22_2021.absence_limit_sessions = 50  # type: ignore[misc]
    assert set(TT22_2021.unconfirmed_fields) <= rulesets.field_names(TT22_2021)
    cells = {(c.semester_1, c.semester_2) for c in TT22_2021.conduct_year_table}
    assert len(cells) == len(TT22_2021.conduct_year_table) == 16
    assert TT22_2021.adjustment_mode == AdjustmentMode.RAISE_ONE  # the documented default
    assert TT22_2021.absence_limit_sessions == 45
