"""The whole-step fast path of the results: the same answers as the Decimal rules, and the same stored results.

``rules.StepRules`` computes averages and levels in whole score steps (tenths) with ``int`` arithmetic; every
function is compared here with its Decimal counterpart over many random inputs, ties included, under the TT22 rule
set and variants of it. Then a class computed by the service is compared with the Decimal rules applied to its
cells as the ORM reads them, including cells the database sums cannot stand for.
"""

from __future__ import annotations

import dataclasses
import decimal
import random
from decimal import Decimal as D

import pytest

from edudx.core.api import AuditEvent, ValidationFailed, actor_for
from edudx.gradebook import rules
from edudx.gradebook.enums import AdjustmentMode, CommentResult, Tt22Level
from edudx.gradebook.models import ScoreCell, ScoreSheet, SubjectKind, SubjectResult, YearResult
from edudx.gradebook.rulesets import TT22_2021
from edudx.gradebook.services.locking import lock_semester
from edudx.gradebook.services.results import compute_class_results
from edudx.gradebook.tests.results_data import TT22_COMMENT, TT22_SCORED, fill, regular_count, tt22_student

PASS, FAIL = CommentResult.PASSED, CommentResult.NOT_PASSED
RULE_SETS = {
    "tt22": TT22_2021,
    "adjacent": dataclasses.replace(TT22_2021, adjustment_mode=AdjustmentMode.ADJACENT_TO_UNLOWERED),
    "no-adjustment": dataclasses.replace(TT22_2021, adjustment_mode=AdjustmentMode.NONE),
    "scored-only-adjustment": dataclasses.replace(TT22_2021, adjustment_counts_comment_subjects=False),
    # Not half-up: the averages go through the Decimal rules, the levels stay in steps.
    "half-even": dataclasses.replace(TT22_2021, score_rounding=decimal.ROUND_HALF_EVEN),
    "other-weights": dataclasses.replace(TT22_2021, midterm_weight=3, final_weight=4, semester_2_weight=3),
    "rows-worst-first": dataclasses.replace(TT22_2021, learning_level_rules=TT22_2021.learning_level_rules[::-1]),
    "other-thresholds": dataclasses.replace(
        TT22_2021,
        learning_level_rules=(
            dataclasses.replace(TT22_2021.learning_level_rules[0], every_scored_at_least=D("6.45")),
            *TT22_2021.learning_level_rules[1:],
        ),
        title_excellent_score=D("8.95"),
    ),
}


def _score(rng: random.Random) -> int:
    # Mostly a register's usual marks, some at the levels' thresholds, some anywhere in range.
    return rng.choice([rng.randint(0, 100), rng.randint(50, 100), rng.choice([35, 50, 65, 80, 90, 100, 0])])


def _decimal(steps: int) -> D:
    return D(steps) / 10


@pytest.mark.parametrize("name", list(RULE_SETS))
def test_semester_average_in_steps_is_the_decimal_rule(name):
    r = RULE_SETS[name]
    steps = rules.step_rules(r)
    assert steps is not None and steps.exact == (name != "half-even")
    rng = random.Random(22)
    ties = 0
    sums, expected_all = [], []
    for _ in range(20000):
        regular = [_score(rng) for _ in range(rng.randint(1, 4))]
        midterm, final = _score(rng), _score(rng)
        got = rules.semester_average_steps(
            regular_total=sum(regular), regular_count=len(regular), midterm=midterm, final=final, steps=steps
        )
        expected = rules.semester_average(
            regular_scores=[_decimal(v) for v in regular], midterm=_decimal(midterm), final=_decimal(final), rules=r
        )
        assert str(steps.decimal(got)) == str(expected), (regular, midterm, final)
        sums.append((sum(regular), len(regular), midterm, final))
        expected_all.append(got)
        numerator = sum(regular) * r.regular_weight + midterm * r.midterm_weight + final * r.final_weight
        ties += (2 * numerator) % (len(regular) * r.regular_weight + r.midterm_weight + r.final_weight) == 0
    assert ties > 500  # x.x5 exactly, where half-up and the other roundings part
    assert rules.semester_averages_steps(sums, steps=steps) == expected_all  # the whole class at once


@pytest.mark.parametrize("name", ["tt22", "half-even", "other-weights"])
def test_year_average_in_steps_is_the_decimal_rule_for_every_pair(name):
    r = RULE_SETS[name]
    steps = rules.step_rules(r)
    for first in range(0, 101):
        for second in range(0, 101):
            got = rules.year_average_steps(semester_1=first, semester_2=second, steps=steps)
            expected = rules.year_average(semester_1=_decimal(first), semester_2=_decimal(second), rules=r)
            assert str(steps.decimal(got)) == str(expected), (first, second)


@pytest.mark.parametrize("name", list(RULE_SETS))
def test_learning_level_and_title_in_steps_are_the_decimal_rules(name):
    r = RULE_SETS[name]
    steps = rules.step_rules(r)
    rng = random.Random(9)
    adjusted = 0
    for _ in range(8000):
        codes = rng.sample(TT22_SCORED + ("NN2", "X1", "X2"), rng.randint(0, 11))
        scored = {code: _score(rng) for code in codes}
        commented = {code: rng.choice([PASS, PASS, PASS, FAIL]) for code in TT22_COMMENT[: rng.randint(0, 5)]}
        got = rules.learning_level_steps(scored=scored, commented=commented, steps=steps)
        decimals = {code: _decimal(v) for code, v in scored.items()}
        expected = rules.learning_level(scored=decimals, commented=commented, rules=r)
        assert got == expected, (scored, commented)
        adjusted += got.adjusted
        conduct = rng.choice(list(Tt22Level))
        assert rules.title_candidate_steps(
            year_conduct=conduct, year_learning=got.level, year_averages=scored, steps=steps
        ) == rules.title_candidate(year_conduct=conduct, year_learning=got.level, year_averages=decimals, rules=r)
    # The single-subject adjustment was exercised (rows worst first: Đạt is met first, nothing to adjust).
    assert name in ("no-adjustment", "rows-worst-first") or adjusted > 50


def test_step_rules_need_a_step_dividing_one_point():
    assert rules.step_rules(dataclasses.replace(TT22_2021, score_step=D("0.3"))) is None
    assert rules.step_rules(dataclasses.replace(TT22_2021, score_max=D("10.05"))) is None
    steps = rules.step_rules(TT22_2021)
    assert (steps.scale, steps.low, steps.high) == (10, 0, 100)
    assert [str(steps.decimal(s)) for s in (0, 5, 83, 100)] == ["0.0", "0.5", "8.3", "10.0"]


# ---------------------------------------------------------------------------------------------------------------
# The service: stored results are the Decimal rules applied to the cells as the ORM reads them
# ---------------------------------------------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


def _random_student(rng: random.Random) -> dict[str, dict[str, str]]:
    cells = tt22_student(["8"] * len(TT22_SCORED), conduct=rng.choice(["tot", "kha", "dat", "chua_dat"]))
    for code in TT22_SCORED:
        values = {f"tx{i}": str(_decimal(_score(rng))) for i in range(1, regular_count(code) + 1)}
        values.update(gk=str(_decimal(_score(rng))), ck=str(_decimal(_score(rng))))
        cells[code] = values
    for code in TT22_COMMENT:
        cells[code] = {c: rng.choice(["dat", "dat", "dat", "chua_dat"]) for c in ("tx1", "tx2", "gk", "ck")}
    cells["HR"].update(vang_cp=str(rng.randint(0, 20)), vang_kp=str(rng.randint(0, 3)))
    return cells


def _reference(klass, student) -> dict[str, tuple]:
    """Per subject code: (ĐTBmhk I, ĐTBmhk II, ĐTBmcn) from the cells with the Decimal rules (None: incomplete)."""
    out = {}
    for code in TT22_SCORED:
        averages = []
        for semester in (1, 2):
            sheet = ScoreSheet.objects.get(school_class=klass, subject__code=code, semester=semester)
            cells = {
                c.column: c.number
                for c in ScoreCell.objects.filter(sheet=sheet, student=student).exclude(value="")
                if c.number is not None
            }
            regular = [cells.get(c["code"]) for c in sheet.columns if c["code"].startswith("tx")]
            if None in regular or "gk" not in cells or "ck" not in cells:
                averages.append(None)
                continue
            averages.append(
                rules.semester_average(regular_scores=regular, midterm=cells["gk"], final=cells["ck"], rules=TT22_2021)
            )
        year = None
        if None not in averages:
            year = rules.year_average(semester_1=averages[0], semester_2=averages[1], rules=TT22_2021)
        out[code] = (*averages, year)
    return out


def _compute(world, klass):
    principal = actor_for(world.school1.users["principal"])
    for semester in (1, 2):
        lock_semester(actor=principal, school_class=klass, semester=semester)
    return {r.student_id: r for r in compute_class_results(actor=principal, school_class=klass)}


@pytestmark_db
@pytest.mark.parametrize("seed", [1, 2])
def test_stored_results_are_the_decimal_rules_applied_to_the_cells(world, seed):
    rng = random.Random(seed)
    klass, students = world.school1.class_a, world.school1.students_a
    first = {student: _random_student(rng) for student in students}
    second = {student: _random_student(rng) for student in students}
    fill(klass, 1, first)
    fill(klass, 2, second)
    results = _compute(world, klass)
    for student in students:
        reference = _reference(klass, student)
        stored = {r.subject.code: r for r in SubjectResult.objects.filter(student=student, school_class=klass)}
        for code, expected in reference.items():
            row = stored[code]
            assert (row.semester_1, row.semester_2, row.year) == expected, code
            assert [str(v) for v in (row.semester_1, row.semester_2, row.year)] == [str(v) for v in expected]
        comments = {code: CommentResult(stored[code].year_result) for code in TT22_COMMENT}
        year = rules.learning_level(scored={c: v[2] for c, v in reference.items()}, commented=comments, rules=TT22_2021)
        result = results[student.pk]
        assert (result.learning_year, result.learning_adjusted) == (str(year.level), year.adjusted)
        assert result.details["year_averages"] == {c: str(v[2]) for c, v in reference.items()}
        assert result.pk and YearResult.objects.get(pk=result.pk).learning_year == result.learning_year


@pytestmark_db
def test_cells_the_sums_cannot_stand_for_are_read_one_by_one(world):
    klass, students = world.school1.class_a, world.school1.students_a
    values = {student: tt22_student(["7.5"] * len(TT22_SCORED)) for student in students}
    fill(klass, 1, values)
    fill(klass, 2, values)
    toan = ScoreSheet.objects.get(school_class=klass, subject__code="TOAN", semester=1)
    nv = ScoreSheet.objects.get(school_class=klass, subject__code="NV", semester=2)
    # A cell of a column the sheet does not have is not a score of the sheet (GDCD has two regular columns).
    gdcd = ScoreSheet.objects.get(school_class=klass, subject__code="GDCD", semester=1)
    ScoreCell.objects.create(sheet=gdcd, student=students[0], column="tx3", value="1", number=D("1"))
    ScoreCell.objects.create(sheet=toan, student=students[0], column="tx9", value="1", number=D("1"))
    # A number that is not a whole step: the result is what the ORM reads back from the database.
    ScoreCell.objects.filter(sheet=nv, student=students[1], column="tx1").update(value="9.25", number=D("9.25"))
    # A missing end-of-term score leaves the semester incomplete.
    ScoreCell.objects.filter(sheet=toan, student=students[2], column="ck").delete()
    results = _compute(world, klass)
    for code in ("TOAN", "GDCD"):
        row = SubjectResult.objects.get(student=students[0], school_class=klass, subject__code=code)
        assert row.semester_1 == D("7.5")
    stored = SubjectResult.objects.get(student=students[1], school_class=klass, subject__code="NV").semester_2
    assert stored == _reference(klass, students[1])["NV"][1] and stored in (D("7.7"), D("7.8"))
    assert results[students[2].pk].learning_1 == "" and results[students[2].pk].details["incomplete"]
    assert results[students[0].pk].learning_1 == "kha"


@pytestmark_db
@pytest.mark.parametrize(
    ("sheet_code", "column", "value", "number", "code"),
    [
        ("TOAN", "ck", "11", D("11"), "score_out_of_range"),
        ("TOAN", "gk", "-1", D("-1"), "score_out_of_range"),
        ("GDTC", "gk", "xyz", None, "comment_result_invalid"),
    ],
)
def test_refused_values_refuse_the_class_and_write_nothing(world, sheet_code, column, value, number, code):
    klass, students = world.school1.class_a, world.school1.students_a
    values = {student: tt22_student(["7.5"] * len(TT22_SCORED)) for student in students}
    fill(klass, 1, values)
    fill(klass, 2, values)
    sheet = ScoreSheet.objects.get(school_class=klass, subject__code=sheet_code, semester=1)
    ScoreCell.objects.filter(sheet=sheet, student=students[1], column=column).update(value=value, number=number)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        _compute(world, klass)
    assert refused.value.code == code
    assert not SubjectResult.objects.filter(school_class=klass).exists()
    assert AuditEvent.objects.count() == events + 2  # the two locks, nothing of the computation


@pytestmark_db
def test_comment_subjects_and_kinds(world):
    klass, students = world.school1.class_a, world.school1.students_a
    cells = tt22_student(["8"] * len(TT22_SCORED))
    cells["AN"] = {"tx1": "dat", "tx2": "chua_dat", "gk": "dat", "ck": "dat"}
    cells["MT"] = {"tx1": "dat", "gk": "dat", "ck": "dat"}  # one regular assessment missing
    fill(klass, 1, {students[0]: cells})
    fill(klass, 2, {students[0]: tt22_student(["8"] * len(TT22_SCORED))})
    _compute(world, klass)
    rows = {r.subject.code: r for r in SubjectResult.objects.filter(student=students[0], school_class=klass)}
    assert (rows["AN"].kind, rows["AN"].semester_1_result, rows["AN"].year_result) == (
        SubjectKind.COMMENT,
        "chua_dat",
        "dat",
    )
    assert rows["MT"].semester_1_result == "chua_dat" and rows["GDTC"].semester_1_result == "dat"
    assert rows["TOAN"].kind == SubjectKind.SCORED and rows["TOAN"].semester_1_result == ""


@pytestmark_db
@pytest.mark.parametrize("seed", [3, 4])
def test_sums_in_fields_are_the_packed_sums(world, seed, monkeypatch):
    """SQLite sums a scored sheet with one field per column (``_SCORED_FIELDS_SQL``); the packed statement of the
    other engines must read the same averages, gaps, refusals and odd groups from the same cells."""
    from django.db import connection, transaction

    from edudx.gradebook.services import results as service

    rng = random.Random(seed)
    klass, students = world.school1.class_a, world.school1.students_a
    fill(klass, 1, {student: _random_student(rng) for student in students})
    fill(klass, 2, {student: _random_student(rng) for student in students})
    toan = ScoreSheet.objects.get(school_class=klass, subject__code="TOAN", semester=1)
    gdcd = ScoreSheet.objects.get(school_class=klass, subject__code="GDCD", semester=2)
    ScoreCell.objects.filter(sheet=toan, student=students[0], column="tx2").update(value="8.25", number=D("8.25"))
    ScoreCell.objects.filter(sheet=toan, student=students[1], column="gk").delete()
    ScoreCell.objects.create(sheet=gdcd, student=students[2], column="tx4", value="5", number=D("5"))
    ScoreCell.objects.filter(sheet=gdcd, student=students[1], column="ck").update(value="0", number=D("0"))

    def load():
        with transaction.atomic():
            data = service._load(klass, (1, 2))
        return data.averages, data.no_regular, data.odd_students, data.comment_counts, data.cells

    if connection.vendor == "sqlite":
        assert service._field_layout([(toan.pk, ("tx1", "tx2"))], rules.step_rules(TT22_2021)) is not None
    fields = load()
    monkeypatch.setattr(service, "_field_layout", lambda sheets, steps: None)
    packed = load()
    assert fields == packed
    assert students[2].pk in fields[2]  # a cell of a column its sheet does not have
    if connection.vendor == "sqlite":  # PostgreSQL's numeric(4, 1) stores 8.25 as 8.3
        assert students[0].pk in fields[2]
    assert fields[0][students[1].pk][toan.pk] is None


@pytestmark_db
def test_details_are_stored_as_the_field_writes_them(world):
    """The year results' ``details`` go in as ``JSONField`` would write them (on SQLite the same text, byte for
    byte), though the part every student shares is encoded once per class."""
    import json

    from django.db import connection

    from edudx.gradebook.services.results import _DetailsEncoder, _EncodedJson

    rng = random.Random(5)
    klass, students = world.school1.class_a, world.school1.students_a
    fill(klass, 1, {student: _random_student(rng) for student in students})
    fill(klass, 2, {student: _random_student(rng) for student in students})
    results = _compute(world, klass)
    field = YearResult._meta.get_field("details")
    with connection.cursor() as cursor:
        cursor.execute("SELECT student_id, details FROM gradebook_yearresult WHERE school_class_id = %s", [klass.pk])
        stored = dict(cursor.fetchall())
    assert set(stored) == {student.pk for student in students}
    for student in students:
        details = results[student.pk].details
        assert YearResult.objects.get(pk=results[student.pk].pk).details == details
        if connection.vendor == "sqlite":
            assert stored[student.pk] == field.get_db_prep_save(details, connection)
    common = {"a": [1, "ệ"], "b": {"c": 2}}
    encode = _DetailsEncoder(common)
    if connection.vendor == "sqlite":
        for details in ({**common, "d": "đ", "e": [3]}, dict(common)):
            encoded = encode(details)
            assert isinstance(encoded, _EncodedJson) and encoded.text == json.dumps(details)
    # Details that do not begin with the very same entries go through the field as usual.
    assert encode({"b": common["b"], "a": common["a"]}) == {"b": common["b"], "a": common["a"]}
    assert encode({"a": [1, "ệ"], "b": common["b"]}) == {"a": [1, "ệ"], "b": common["b"]}
