"""Cells → lock → compute → stored results, for every worked example of the domain notes (§1.9, §2.6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from edudx.core.api import AuditEvent, NotPermitted, ValidationFailed, actor_for
from edudx.gradebook.enums import PromotionOutcome
from edudx.gradebook.models import SubjectResult, YearResult
from edudx.gradebook.services.locking import lock_semester
from edudx.gradebook.services.results import compute_class_results
from edudx.gradebook.tests.results_data import fill, tt22_student, tt27_student
from edudx.registry.api import ClassMembership, Grade, SchoolClass, Subject
from edudx.testing import build_primary_school

pytestmark = pytest.mark.django_db

A = ["9.1", "8.5", "8.0", "8.2", "7.0", "8.8", "9.3", "6.6"]


def _run(principal, klass, semesters=(1, 2)):
    for semester in semesters:
        lock_semester(actor=principal, school_class=klass, semester=semester)
    return {r.student_id: r for r in compute_class_results(actor=principal, school_class=klass)}


def _subject(student, klass, code):
    return SubjectResult.objects.get(student=student, school_class=klass, subject__code=code)


def test_toan_and_gdcd_averages_from_cells(world):
    s1 = world.school1
    klass, student = s1.class_a, s1.students_a[0]
    first = tt22_student(A)
    first["TOAN"] = {"tx1": "7", "tx2": "8", "tx3": "6.5", "tx4": "9", "gk": "7.5", "ck": "8"}
    first["GDCD"] = {"tx1": "6", "tx2": "7", "gk": "5.5", "ck": "6.5"}
    second = tt22_student(A)
    second["TOAN"] = {"tx1": "8", "tx2": "8.5", "tx3": "9", "tx4": "7", "gk": "8", "ck": "8.5"}
    principal = actor_for(s1.users["principal"])
    fill(klass, 1, {student: first})
    fill(klass, 2, {student: second})
    _run(principal, klass)
    toan = _subject(student, klass, "TOAN")
    assert (toan.semester_1, toan.semester_2, toan.year) == (Decimal("7.7"), Decimal("8.2"), Decimal("8.0"))
    assert _subject(student, klass, "GDCD").semester_1 == Decimal("6.2")
    assert _subject(student, klass, "AN").year_result == "dat"


def test_half_up_tie_cong_nghe_grade_8(world):
    s1 = world.school1
    klass = SchoolClass.objects.create(school=s1.school, year=world.year, grade=Grade.objects.get(code="8"), name="8A1")
    student = s1.students_b[0]
    ClassMembership.objects.create(student=student, school_class=klass, joined_on=dt.date(2025, 9, 5))
    cells = tt22_student(A, grade="8")
    cells["CN"] = {"tx1": "8", "tx2": "8", "tx3": "9", "gk": "8.5", "ck": "8"}
    fill(klass, 1, {student: cells})
    lock_semester(actor=actor_for(s1.users["principal"]), school_class=klass, semester=1)
    (result,) = compute_class_results(actor=actor_for(s1.users["principal"]), school_class=klass)
    assert _subject(student, klass, "CN").semester_1 == Decimal("8.3")  # 66/8 = 8.25, half-up
    # Semester I only: semester levels, no year.
    assert result.learning_1 == "tot" and result.conduct_1 == "tot"
    assert result.learning_year == "" and result.promotion == "" and _subject(student, klass, "CN").year is None


@pytest.mark.parametrize(
    ("averages", "conduct", "learning", "adjusted", "promotion", "title"),
    [
        (A, "tot", "tot", False, "promoted", "gioi"),  # A: only two ≥ 9.0 → Giỏi, not Xuất sắc
        (A[:7] + ["6.4"], "tot", "kha", False, "promoted", ""),  # B
        (A[:7] + ["3.2"], "tot", "dat", True, "promoted", ""),  # C: Chưa đạt raised one level
        (["5.5", "6.0", "4.2", "4.8", "5.0", "5.1", "3.8", "6.2"], "kha", "chua_dat", False, "retest", ""),  # D
        (["9.1", "9.5", "9.0", "9.2", "9.0", "9.8", "8.0", "8.5"], "tot", "tot", False, "promoted", "xuat_sac"),
    ],
    ids=["A-tot-gioi", "B-kha", "C-adjusted", "D-retest", "xuat-sac"],
)
def test_year_learning_level_examples(world, averages, conduct, learning, adjusted, promotion, title):
    s1 = world.school1
    klass, student = s1.class_a, s1.students_a[0]
    principal = actor_for(s1.users["principal"])
    fill(klass, 1, {student: tt22_student(averages, conduct=conduct)})
    fill(klass, 2, {student: tt22_student(averages, conduct=conduct)})
    result = _run(principal, klass)[student.pk]
    assert (result.learning_year, result.learning_adjusted, result.promotion, result.title_proposed) == (
        learning,
        adjusted,
        promotion,
        title,
    )
    assert result.conduct_year == conduct
    assert result.details["learning_year"]["level"] == learning
    if adjusted:
        assert result.details["learning_year"] == {
            "level": "dat",
            "computed": "chua_dat",
            "adjusted_for_subject": "TIN",
        }
    if promotion == "retest":
        assert result.details["retest_subjects"] == ["NN1", "GDCD", "CN"]


@pytest.mark.parametrize(
    ("conduct_1", "conduct_2", "year", "promotion"),
    [("dat", "tot", "kha", "promoted"), ("tot", "chua_dat", "chua_dat", "summer_training")],
)
def test_year_conduct_examples(world, conduct_1, conduct_2, year, promotion):
    s1 = world.school1
    klass, student = s1.class_a, s1.students_a[0]
    fill(klass, 1, {student: tt22_student(A, conduct=conduct_1)})
    fill(klass, 2, {student: tt22_student(A, conduct=conduct_2)})
    result = _run(actor_for(s1.users["principal"]), klass)[student.pk]
    assert (result.conduct_1, result.conduct_2, result.conduct_year, result.promotion) == (
        conduct_1,
        conduct_2,
        year,
        promotion,
    )


@pytest.mark.parametrize(("absences", "promotion"), [((20, 25), "promoted"), ((20, 26), "retained")])
def test_45_session_absence_limit(world, absences, promotion):
    s1 = world.school1
    klass, student = s1.class_a, s1.students_a[0]
    # 45 sessions is still allowed; 46 (both semesters, excused and unexcused together) is not.
    fill(klass, 1, {student: tt22_student(A, absences=(absences[0], 0))})
    fill(klass, 2, {student: tt22_student(A, absences=(0, absences[1]))})
    result = _run(actor_for(s1.users["principal"]), klass)[student.pk]
    assert result.absences == sum(absences)
    assert result.promotion == promotion


def test_grade_9_completes_lower_secondary(world):
    s1 = world.school1
    klass = SchoolClass.objects.create(school=s1.school, year=world.year, grade=Grade.objects.get(code="9"), name="9A1")
    student = s1.students_b[1]
    ClassMembership.objects.create(student=student, school_class=klass, joined_on=dt.date(2025, 9, 5))
    fill(klass, 1, {student: tt22_student(A, grade="9")})
    fill(klass, 2, {student: tt22_student(A, grade="9")})
    result = _run(actor_for(s1.users["principal"]), klass)[student.pk]
    assert result.completes_level is True and result.promotion == PromotionOutcome.PROMOTED


def test_compute_is_idempotent_and_audited_once_per_change(world):
    s1 = world.school1
    klass = s1.class_a
    principal = actor_for(s1.users["principal"])
    values = {st: tt22_student(A) for st in s1.students_a}
    fill(klass, 1, values)
    fill(klass, 2, values)
    _run(principal, klass)
    assert YearResult.objects.filter(school_class=klass).count() == 3
    assert SubjectResult.objects.filter(school_class=klass).count() == 3 * 13
    events = AuditEvent.objects.filter(action="grade.result_compute").count()
    assert events == 3
    assert AuditEvent.objects.filter(action="grade.class_results_compute").count() == 1
    compute_class_results(actor=principal, school_class=klass)
    assert YearResult.objects.filter(school_class=klass).count() == 3
    assert AuditEvent.objects.filter(action="grade.result_compute").count() == 3  # nothing changed
    assert AuditEvent.objects.filter(action="grade.class_results_compute").count() == 2


def test_compute_needs_semester_1_locked_and_the_right(world):
    s1 = world.school1
    klass = s1.class_a
    fill(klass, 1, {s1.students_a[0]: tt22_student(A)})
    with pytest.raises(ValidationFailed):
        compute_class_results(actor=actor_for(s1.users["principal"]), school_class=klass)
    lock_semester(actor=actor_for(s1.users["principal"]), school_class=klass, semester=1)
    for user in (s1.users["subject_teacher"], world.school2.users["principal"], s1.users["guardian"]):
        with pytest.raises(NotPermitted):
            compute_class_results(actor=actor_for(user), school_class=klass)
    # The homeroom teacher of the class may compute.
    assert len(compute_class_results(actor=actor_for(s1.users["homeroom_teacher"]), school_class=klass)) == 3


def test_incomplete_student_gets_no_levels_and_says_why(world):
    s1 = world.school1
    klass, student = s1.class_a, s1.students_a[0]
    cells = tt22_student(A)
    del cells["TOAN"]["ck"]
    fill(klass, 1, {student: cells})
    lock_semester(actor=actor_for(s1.users["principal"]), school_class=klass, semester=1)
    result = {
        r.student_id: r for r in compute_class_results(actor=actor_for(s1.users["principal"]), school_class=klass)
    }[student.pk]
    assert result.learning_1 == "" and result.conduct_1 == "tot"
    assert any(Subject.objects.get(code="TOAN").name in m for m in result.details["incomplete"])


# ---------------------------------------------------------------------------------------------------------------
# TT27 (§2.6)
# ---------------------------------------------------------------------------------------------------------------

ALL_NINE = {"TV": "9", "TOAN": "10", "NN1": "9", "LSDL": "9", "KH": "9", "TIN": "9", "CN": "9"}


@pytest.mark.parametrize(
    ("levels", "tests", "classification", "title", "promotion"),
    [
        ({}, ALL_NINE, "htxs", "xuat_sac", "promoted"),
        ({}, {**ALL_NINE, "TOAN": "8"}, "htt", "", "promoted"),
        ({"AN": "H"}, ALL_NINE, "ht", "", "promoted"),
    ],
    ids=["htxs", "toan-8-htt", "am-nhac-h-ht"],
)
def test_tt27_grade_4_examples(world, levels, tests, classification, title, promotion):
    th = build_primary_school(world)
    klass, pupil = th.class_a, th.students_a[0]
    principal = actor_for(th.users["principal"])
    fill(klass, 1, {pupil: tt27_student(semester=1)})
    fill(klass, 2, {pupil: tt27_student(levels, tests)})
    result = _run(principal, klass)[pupil.pk]
    assert (result.classification, result.title_proposed, result.promotion) == (classification, title, promotion)
    assert result.completes_level is False  # grade 4 is not the last grade of primary
    toan = _subject(pupil, klass, "TOAN")
    assert toan.test_score == int(tests["TOAN"]) and toan.year_result == "T"


def test_tt27_grade_2_not_completed(world):
    th = build_primary_school(world)
    klass = SchoolClass.objects.create(school=th.school, year=world.year, grade=Grade.objects.get(code="2"), name="2A1")
    pupil = th.students_b[0]
    ClassMembership.objects.create(student=pupil, school_class=klass, joined_on=dt.date(2025, 9, 5))
    grade_2 = ("TV", "TOAN", "DD", "TNXH", "GDTC", "AN", "MT", "HDTN")
    fill(klass, 1, {pupil: tt27_student(subjects=grade_2, tested=("TV", "TOAN"), semester=1)})
    fill(
        klass,
        2,
        {pupil: tt27_student({"TV": "C"}, {"TV": "7", "TOAN": "6"}, subjects=grade_2, tested=("TV", "TOAN"))},
    )
    result = _run(actor_for(th.users["principal"]), klass)[pupil.pk]
    assert (result.classification, result.promotion, result.title_proposed) == ("cht", "retest", "")


def test_compute_and_class_page_cost_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from edudx.testing import login_verified

    s1 = world.school1
    principal = actor_for(s1.users["principal"])
    counts = []
    for klass, students in ((s1.class_a, s1.students_a[:1]), (s1.class_b, s1.students_b)):
        ClassMembership.objects.filter(school_class=klass).exclude(student__in=students).delete()
        values = {st: tt22_student(A) for st in students}
        fill(klass, 1, values)
        fill(klass, 2, values)
        lock_semester(actor=principal, school_class=klass, semester=1)
        lock_semester(actor=principal, school_class=klass, semester=2)
        with CaptureQueriesContext(connection) as ctx:
            compute_class_results(actor=principal, school_class=klass)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] and counts[1] <= 25  # one student or three: the same queries
    client = Client()
    login_verified(client, s1.users["principal"])
    client.get(reverse("gradebook:class_results", args=[s1.class_b.pk]))  # warm caches
    with django_assert_max_num_queries(30):
        assert client.get(reverse("gradebook:class_results", args=[s1.class_b.pk])).status_code == 200
