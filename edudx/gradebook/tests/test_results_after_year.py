"""After the year: re-assessment (§1.9 D), summer training, the principal's titles, TT27 "tiêu biểu"."""

from __future__ import annotations

import pytest

from edudx.core.api import AuditEvent, NotPermitted, ValidationFailed, actor_for
from edudx.gradebook.models import SubjectResult, YearResult
from edudx.gradebook.services.locking import lock_semester, unlock_semester
from edudx.gradebook.services.results import (
    compute_class_results,
    confirm_title,
    record_retest,
    record_summer_conduct,
    retest_candidates,
    set_exemplary,
)
from edudx.gradebook.tests.results_data import fill, tt22_student, tt27_student
from edudx.registry.api import Subject
from edudx.testing import build_primary_school

pytestmark = pytest.mark.django_db

A = ["9.1", "8.5", "8.0", "8.2", "7.0", "8.8", "9.3", "6.6"]
D = ["5.5", "6.0", "4.2", "4.8", "5.0", "5.1", "3.8", "6.2"]
EXCELLENT = ["9.1", "9.5", "9.0", "9.2", "9.0", "9.8", "8.0", "8.5"]


def _computed(world, klass, students_values, school=None):
    school = school or world.school1
    principal = actor_for(school.users["principal"])
    fill(klass, 1, students_values)
    fill(klass, 2, students_values)
    lock_semester(actor=principal, school_class=klass, semester=1)
    lock_semester(actor=principal, school_class=klass, semester=2)
    return {r.student_id: r for r in compute_class_results(actor=principal, school_class=klass)}


def test_retest_flow_example_d(world):
    s1 = world.school1
    klass, student, other = s1.class_a, s1.students_a[0], s1.students_a[1]
    results = _computed(world, klass, {student: tt22_student(D, conduct="kha"), other: tt22_student(A)})
    result = results[student.pk]
    assert (result.learning_year, result.promotion) == ("chua_dat", "retest")
    assert [r.subject.code for r in retest_candidates(result)] == ["NN1", "GDCD", "CN"]
    assert retest_candidates(results[other.pk]) == []
    homeroom = actor_for(s1.users["homeroom_teacher"])
    with pytest.raises(ValidationFailed):  # TOAN 6.0 is not below 5.0
        record_retest(
            actor=homeroom, student=student, school_class=klass, subject=Subject.objects.get(code="TOAN"), raw="7"
        )
    with pytest.raises(ValidationFailed):  # not a score
        record_retest(
            actor=homeroom, student=student, school_class=klass, subject=Subject.objects.get(code="GDCD"), raw="x"
        )
    with pytest.raises(NotPermitted):
        record_retest(
            actor=actor_for(s1.users["subject_teacher"]),
            student=student,
            school_class=klass,
            subject=Subject.objects.get(code="GDCD"),
            raw="5.5",
        )
    result = record_retest(
        actor=homeroom, student=student, school_class=klass, subject=Subject.objects.get(code="GDCD"), raw="5,5"
    )
    result = record_retest(
        actor=homeroom, student=student, school_class=klass, subject=Subject.objects.get(code="CN"), raw="5"
    )
    assert SubjectResult.objects.get(student=student, school_class=klass, subject__code="GDCD").retest == "5.5"
    assert result.learning_year == "chua_dat"  # the year level stays; the re-assessed level is explained
    assert result.details["learning_after_retest"]["level"] == "dat"
    assert result.promotion == "promoted"
    assert AuditEvent.objects.filter(action="grade.retest_record").count() == 2
    # A later recomputation of the whole class keeps the re-assessment.
    again = {r.student_id: r for r in compute_class_results(actor=actor_for(s1.users["principal"]), school_class=klass)}
    assert again[student.pk].promotion == "promoted"


def test_summer_training_then_promotion(world):
    s1 = world.school1
    klass, student = s1.class_a, s1.students_a[0]
    principal = actor_for(s1.users["principal"])
    fill(klass, 1, {student: tt22_student(A, conduct="tot")})
    fill(klass, 2, {student: tt22_student(A, conduct="chua_dat")})
    lock_semester(actor=principal, school_class=klass, semester=1)
    lock_semester(actor=principal, school_class=klass, semester=2)
    (result,) = [r for r in compute_class_results(actor=principal, school_class=klass) if r.student_id == student.pk]
    assert result.promotion == "summer_training"
    result = record_summer_conduct(actor=principal, student=student, school_class=klass, level="Đ")
    assert (result.summer_conduct, result.promotion) == ("dat", "promoted")
    result = record_summer_conduct(actor=principal, student=student, school_class=klass, level="CĐ")
    assert result.promotion == "retained"
    other = s1.students_a[1]
    with pytest.raises(ValidationFailed):
        record_summer_conduct(actor=principal, student=other, school_class=klass, level="Đ")


def test_principal_confirms_titles(world):
    s1 = world.school1
    klass, student = s1.class_a, s1.students_a[0]
    result = _computed(world, klass, {student: tt22_student(EXCELLENT)})[student.pk]
    assert result.title_proposed == "xuat_sac"
    for user in (s1.users["homeroom_teacher"], s1.users["vice_principal"], world.school2.users["principal"]):
        with pytest.raises(NotPermitted):
            confirm_title(actor=actor_for(user), year_result=result, title="xuat_sac")
    principal = actor_for(s1.users["principal"])
    with pytest.raises(ValidationFailed):
        confirm_title(actor=principal, year_result=result, title="tieu_bieu")
    result = confirm_title(actor=principal, year_result=result, title="gioi")
    assert (result.title_confirmed, result.title_confirmed_by) == ("gioi", s1.users["principal"])
    result = confirm_title(actor=principal, year_result=result, title="xuat_sac")
    assert YearResult.objects.get(pk=result.pk).title_confirmed == "xuat_sac"
    assert AuditEvent.objects.filter(action="grade.title_confirm").count() == 2
    # Stale results (after an unlock) cannot be confirmed.
    unlock_semester(actor=principal, school_class=klass, semester=2, reason="Điều chỉnh điểm sau phúc khảo")
    with pytest.raises(Exception) as exc:
        confirm_title(actor=principal, year_result=result, title="")
    assert getattr(exc.value, "code", "") == "results_stale"


def test_tt27_exemplary_flag_and_retest(world):
    th = build_primary_school(world)
    klass, pupil, weak = th.class_a, th.students_a[0], th.students_a[1]
    good = tt27_student(tests={"TOAN": "8"})  # Hoàn thành tốt
    low = tt27_student(tests={"TOAN": "4"}, default_level="H")  # Toán 4 < 5 → Chưa hoàn thành
    results = _computed(world, klass, {pupil: good, weak: low}, school=th)
    assert (results[pupil.pk].classification, results[pupil.pk].title_proposed) == ("htt", "")
    with pytest.raises(NotPermitted):
        set_exemplary(actor=actor_for(th.users["subject_teacher"]), year_result=results[pupil.pk], flag=True)
    result = set_exemplary(actor=actor_for(th.users["homeroom_teacher"]), year_result=results[pupil.pk], flag=True)
    assert (result.exemplary, result.title_proposed) == (True, "tieu_bieu")
    principal = actor_for(th.users["principal"])
    confirm_title(actor=principal, year_result=result, title="tieu_bieu")
    # Recomputing keeps the class's recognition.
    again = {r.student_id: r for r in compute_class_results(actor=principal, school_class=klass)}
    assert (again[pupil.pk].title_proposed, again[pupil.pk].title_confirmed) == ("tieu_bieu", "tieu_bieu")
    # The weak pupil re-takes the Toán test: 6 replaces 4.
    weak_result = again[weak.pk]
    assert (weak_result.classification, weak_result.promotion) == ("cht", "retest")
    assert "TOAN" in [r.subject.code for r in retest_candidates(weak_result)]
    with pytest.raises(ValidationFailed):
        record_retest(
            actor=principal, student=weak, school_class=klass, subject=Subject.objects.get(code="TOAN"), raw="6.5"
        )
    weak_result = record_retest(
        actor=principal, student=weak, school_class=klass, subject=Subject.objects.get(code="TOAN"), raw="6"
    )
    assert (weak_result.classification, weak_result.promotion) == ("ht", "promoted")
