"""TT27/2020 (TH) rules, table by table. Every worked example of the domain notes (§2.6) is here, quoted by
section, and every threshold is tested on both sides. Scores are Decimal only."""

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest

from edudx.core.errors import ValidationFailed
from edudx.gradebook import rules, rulesets
from edudx.gradebook.enums import (
    Circular,
    Tt27Checkpoint,
    Tt27Classification,
    Tt27QualityLevel,
    Tt27SubjectLevel,
    Tt27Title,
)
from edudx.gradebook.rulesets import TT27_2020

T, H, C = Tt27SubjectLevel.WELL_COMPLETED, Tt27SubjectLevel.COMPLETED, Tt27SubjectLevel.NOT_COMPLETED
GOOD, PASSED, EFFORT = Tt27QualityLevel.GOOD, Tt27QualityLevel.PASSED, Tt27QualityLevel.NEEDS_EFFORT
HTXS, HTT, HT, CHT = (
    Tt27Classification.EXCELLENT,
    Tt27Classification.WELL_COMPLETED,
    Tt27Classification.COMPLETED,
    Tt27Classification.NOT_COMPLETED,
)
MID1, END1, MID2, END = (
    Tt27Checkpoint.MID_SEMESTER_1,
    Tt27Checkpoint.END_SEMESTER_1,
    Tt27Checkpoint.MID_SEMESTER_2,
    Tt27Checkpoint.END_YEAR,
)

GRADE4_SUBJECTS = ("TV", "TOAN", "NN1", "DD", "LSDL", "KH", "TIN", "CN", "GDTC", "AN", "MT", "HDTN")
QUALITIES = (
    "yeu_nuoc",
    "nhan_ai",
    "cham_chi",
    "trung_thuc",
    "trach_nhiem",
    "tu_chu_tu_hoc",
    "giao_tiep_hop_tac",
    "giai_quyet_van_de",
    "ngon_ngu",
    "tinh_toan",
    "khoa_hoc",
    "cong_nghe",
    "tin_hoc",
    "tham_mi",
    "the_chat",
)
ALL_T = {code: T for code in GRADE4_SUBJECTS}
ALL_GOOD = {code: GOOD for code in QUALITIES}
# §2.6 — lớp 4 end-year KTĐK: TV 9, Toán 10, Ngoại ngữ 9, LS&ĐL 9, Khoa học 9, Tin học & CN 9
# (the registry keeps Tin học and Công nghệ as two subjects, each with its score)
GRADE4_TESTS = {"TV": D(9), "TOAN": D(10), "NN1": D(9), "LSDL": D(9), "KH": D(9), "TIN": D(9), "CN": D(9)}


def with_lowest(score: str) -> dict[str, D]:
    """Grade-4 tests, all 10 except Toán at ``score``."""
    return {**{code: D(10) for code in GRADE4_TESTS}, "TOAN": D(score)}


# ---------------------------------------------------------------------------------------------------------------
# Điều 7: subject levels and periodic test scores (§2.2)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [("T", T), ("H", H), ("C", C), (T, T)])
def test_subject_evaluation_accepts_t_h_c(value, expected):
    assert rules.validate_subject_evaluation(value) == expected


@pytest.mark.parametrize("value", ["", "t", "D", "Hoàn thành", "A"])
def test_subject_evaluation_rejects_anything_else(value):
    with pytest.raises(ValidationFailed, match="T \\(Hoàn thành tốt\\), H \\(Hoàn thành\\) hoặc C"):
        rules.validate_subject_evaluation(value)


@pytest.mark.parametrize(("value", "expected"), [("T", GOOD), ("D", PASSED), ("C", EFFORT)])
def test_quality_evaluation(value, expected):
    assert rules.validate_quality_evaluation(value) == expected


def test_quality_evaluation_rejects_unknown():
    with pytest.raises(ValidationFailed, match="Tốt, Đạt hoặc Cần cố gắng"):
        rules.validate_quality_evaluation("H")


@pytest.mark.parametrize(
    ("score", "expected"),
    [("0", 0), ("1", 1), ("5", 5), ("9", 9), ("10", 10), ("7.0", 7), ("10.00", 10)],
)
def test_periodic_test_score_whole_0_to_10(score, expected):
    result = rules.validate_periodic_test_score(D(score), grade="4", subject="TOAN", checkpoint=END, rules=TT27_2020)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    ("score", "fragment"),
    [
        ("-1", "từ 0 đến 10"),
        ("11", "từ 0 đến 10"),
        ("10.5", "số nguyên"),
        ("7.5", "số nguyên"),  # primary scores have no decimals
        ("0.1", "số nguyên"),
        ("NaN", "số nguyên"),
    ],
)
def test_periodic_test_score_rejects(score, fragment):
    with pytest.raises(ValidationFailed, match=fragment):
        rules.validate_periodic_test_score(D(score), grade="4", subject="TOAN", checkpoint=END, rules=TT27_2020)


def test_periodic_test_score_refuses_floats():
    with pytest.raises(TypeError):
        rules.validate_periodic_test_score(9.0, grade="4", subject="TOAN", checkpoint=END, rules=TT27_2020)


@pytest.mark.parametrize(
    ("grade", "subject", "checkpoint", "scheduled"),
    [
        ("4", "TOAN", MID1, True),  # lớp 4–5: Tiếng Việt and Toán also at mid-semester I and II
        ("5", "TV", MID2, True),
        ("3", "TOAN", MID1, False),  # not in lớp 3
        ("4", "KH", MID1, False),  # only Tiếng Việt and Toán at mid-semester
        ("1", "TV", END1, True),
        ("1", "TOAN", END, True),
        ("2", "NN1", END, False),  # Ngoại ngữ is elective in lớp 1–2
        ("3", "NN1", END, True),
        ("3", "TIN", END1, True),
        ("3", "KH", END, False),  # Khoa học from lớp 4
        ("4", "KH", END, True),
        ("5", "LSDL", END1, True),
        ("4", "AN", END, False),  # Âm nhạc is rated, never tested
        ("4", "DD", END, False),
    ],
)
def test_periodic_tests_only_at_scheduled_points(grade, subject, checkpoint, scheduled):
    if scheduled:
        assert (
            rules.validate_periodic_test_score(
                D(8), grade=grade, subject=subject, checkpoint=checkpoint, rules=TT27_2020
            )
            == 8
        )
    else:
        with pytest.raises(ValidationFailed, match="không có bài kiểm tra định kì"):
            rules.validate_periodic_test_score(
                D(8), grade=grade, subject=subject, checkpoint=checkpoint, rules=TT27_2020
            )


# ---------------------------------------------------------------------------------------------------------------
# Điều 9 khoản 2: year-end classification (§2.3, §2.6)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subjects", "qualities", "tests", "expected"),
    [
        # §2.6 — lớp 4; all subjects T; all phẩm chất/năng lực Tốt; KTĐK 9, 10, 9, 9, 9, 9 → HTXS
        (ALL_T, ALL_GOOD, GRADE4_TESTS, HTXS),
        # §2.6 — same but Toán 8 → not HTXS (every test ≥ 9) → HTT
        (ALL_T, ALL_GOOD, {**GRADE4_TESTS, "TOAN": D(8)}, HTT),
        # §2.6 — same as first but Âm nhạc rated H → neither HTXS nor HTT → HT, even with all tests ≥ 9
        ({**ALL_T, "AN": H}, ALL_GOOD, GRADE4_TESTS, HT),
        # Thresholds of the tests, both sides: 9 | 8, 7 | 6, 5 | 4
        (ALL_T, ALL_GOOD, with_lowest("9"), HTXS),
        (ALL_T, ALL_GOOD, with_lowest("8"), HTT),
        (ALL_T, ALL_GOOD, with_lowest("7"), HTT),
        (ALL_T, ALL_GOOD, with_lowest("6"), HT),
        (ALL_T, ALL_GOOD, with_lowest("5"), HT),  # the pass mark 5
        (ALL_T, ALL_GOOD, with_lowest("4"), CHT),
        (ALL_T, ALL_GOOD, with_lowest("0"), CHT),
        # Subject and quality levels
        ({**ALL_T, "TOAN": H}, ALL_GOOD, with_lowest("10"), HT),
        (ALL_T, {**ALL_GOOD, "cham_chi": PASSED}, with_lowest("10"), HT),  # a quality Đạt stops HTXS and HTT
        (ALL_T, {**ALL_GOOD, "cham_chi": EFFORT}, with_lowest("10"), CHT),  # Cần cố gắng
        ({**ALL_T, "MT": C}, ALL_GOOD, with_lowest("10"), CHT),
        ({code: H for code in GRADE4_SUBJECTS}, {code: PASSED for code in QUALITIES}, with_lowest("5"), HT),
    ],
)
def test_year_classification(subjects, qualities, tests, expected):
    result = rules.year_classification(
        grade="4", subject_levels=subjects, quality_levels=qualities, end_year_scores=tests, rules=TT27_2020
    )
    assert result == expected


def test_worked_example_grade_2_not_completed():
    # §2.6 — lớp 2, Tiếng Việt C at year end, Toán 6 → Chưa hoàn thành → support plan, re-assess, principal decides.
    subjects = {"TV": C, "TOAN": T, "DD": T, "TNXH": T, "GDTC": T, "AN": T, "MT": T, "HDTN": T}
    result = rules.year_classification(
        grade="2",
        subject_levels=subjects,
        quality_levels=ALL_GOOD,
        end_year_scores={"TV": D(7), "TOAN": D(6)},
        rules=TT27_2020,
    )
    assert result == CHT
    assert not rules.grade_completed(result, rules=TT27_2020)


def test_worked_example_htxs_gives_excellent_title():
    # §2.6 — the first pupil: HTXS → Học sinh Xuất sắc
    result = rules.year_classification(
        grade="4", subject_levels=ALL_T, quality_levels=ALL_GOOD, end_year_scores=GRADE4_TESTS, rules=TT27_2020
    )
    assert rules.tt27_title_candidate(result) == Tt27Title.EXCELLENT


@pytest.mark.parametrize(
    ("rule_set", "expected"),
    [
        (TT27_2020, HT),  # the retest 5 replaces the end-of-year 4
        (dataclasses.replace(TT27_2020, retest_replaces_end_year_score=False), CHT),
    ],
)
def test_retest_replaces_end_year_score(rule_set, expected):
    result = rules.year_classification(
        grade="4",
        subject_levels=ALL_T,
        quality_levels=ALL_GOOD,
        end_year_scores=with_lowest("4"),
        retest_scores={"TOAN": D(5)},
        rules=rule_set,
    )
    assert result == expected


def test_pass_mark_is_an_option():
    # The 5 of "Hoàn thành" is unconfirmed: a rule set with another pass mark changes the result by data alone.
    rows = tuple(
        dataclasses.replace(row, min_test_score=6) if row.classification == HT else row
        for row in TT27_2020.classification_rules
    )
    stricter = dataclasses.replace(TT27_2020, classification_rules=rows)
    common = dict(grade="4", subject_levels=ALL_T, quality_levels=ALL_GOOD)
    assert rules.year_classification(**common, end_year_scores=with_lowest("5"), rules=TT27_2020) == HT
    assert rules.year_classification(**common, end_year_scores=with_lowest("5"), rules=stricter) == CHT
    assert rules.year_classification(**common, end_year_scores=with_lowest("6"), rules=stricter) == HT


@pytest.mark.parametrize(
    ("subjects", "qualities", "tests", "fragment"),
    [
        (ALL_T, ALL_GOOD, {k: v for k, v in GRADE4_TESTS.items() if k != "KH"}, "Thiếu điểm .*: KH"),
        (ALL_T, ALL_GOOD, {**GRADE4_TESTS, "AN": D(9)}, "Môn AN lớp 4 không có bài kiểm tra"),
        (ALL_T, ALL_GOOD, {**GRADE4_TESTS, "TV": D("8.5")}, "số nguyên"),
        ({**ALL_T, "AN": "X"}, ALL_GOOD, GRADE4_TESTS, "Mức đạt được"),
        (ALL_T, {**ALL_GOOD, "cham_chi": "X"}, GRADE4_TESTS, "Mức phẩm chất"),
        ({}, ALL_GOOD, GRADE4_TESTS, "Chưa có mức đạt được"),
        (ALL_T, {}, GRADE4_TESTS, "Chưa có mức đánh giá phẩm chất"),
    ],
)
def test_year_classification_rejects_incomplete_or_invalid(subjects, qualities, tests, fragment):
    with pytest.raises(ValidationFailed, match=fragment):
        rules.year_classification(
            grade="4", subject_levels=subjects, quality_levels=qualities, end_year_scores=tests, rules=TT27_2020
        )


# ---------------------------------------------------------------------------------------------------------------
# Điều 11: completion; Điều 13: titles (§2.4, §2.5)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("classification", "completed"), [(HTXS, True), (HTT, True), (HT, True), (CHT, False), ("ht", True)]
)
def test_grade_completed(classification, completed):
    assert rules.grade_completed(classification, rules=TT27_2020) is completed


@pytest.mark.parametrize(
    ("grade", "classification", "expected"),
    [("5", HT, True), ("5", HTXS, True), ("5", CHT, False), ("4", HTXS, False), ("1", HT, False)],
)
def test_primary_completed(grade, classification, expected):
    assert rules.primary_completed(grade=grade, classification=classification, rules=TT27_2020) is expected


@pytest.mark.parametrize(
    ("classification", "recognised", "expected"),
    [
        (HTXS, False, Tt27Title.EXCELLENT),
        (HTT, True, Tt27Title.EXEMPLARY),  # recognised by the class: a human decision
        (HTT, False, None),
        (HT, True, None),
        (CHT, True, None),
    ],
)
def test_tt27_title_candidate(classification, recognised, expected):
    assert rules.tt27_title_candidate(classification, recognised_by_class=recognised) == expected


# ---------------------------------------------------------------------------------------------------------------
# Rule sets are dated data
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "found"),
    [(dt.date(2020, 10, 19), False), (dt.date(2020, 10, 20), True), (dt.date(2026, 1, 20), True)],
)
def test_ruleset_for_tt27_by_date(on, found):
    if found:
        assert rulesets.ruleset_for(Circular.TT27_2020, on) is TT27_2020
    else:
        with pytest.raises(rulesets.RuleSetNotFound, match="19/10/2020"):
            rulesets.ruleset_for(Circular.TT27_2020, on)


def test_tt27_ruleset_is_frozen_plain_data():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TT27_2020.test_score_max = 100  # type: ignore[misc]
    assert set(TT27_2020.unconfirmed_fields) <= rulesets.field_names(TT27_2020)
    assert len(set(TT27_2020.scheduled_tests)) == len(TT27_2020.scheduled_tests)
    assert [row.classification for row in TT27_2020.classification_rules] == [HTXS, HTT, HT]
