"""Pages of results: the end-to-end path (lock → compute → class page → guardian) and the permission matrix."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from edudx.core.api import actor_for
from edudx.gradebook.models import ClassSemesterLock, ScoreSheet, SheetStatus, YearResult
from edudx.gradebook.services.locking import lock_semester
from edudx.gradebook.services.results import compute_class_results
from edudx.gradebook.tests.results_data import fill, tt22_student
from edudx.registry.api import Subject
from edudx.testing import login_verified

pytestmark = pytest.mark.django_db

A = ["9.1", "8.5", "8.0", "8.2", "7.0", "8.8", "9.3", "6.6"]
D = ["5.5", "6.0", "4.2", "4.8", "5.0", "5.1", "3.8", "6.2"]


def _client(user) -> Client:
    client = Client()
    login_verified(client, user)
    return client


@pytest.fixture
def filled(world):
    s1 = world.school1
    values = {st: tt22_student(A) for st in s1.students_a}
    values[s1.students_a[2]] = tt22_student(D, conduct="kha")
    fill(s1.class_a, 1, values)
    fill(s1.class_a, 2, values)
    return world


def test_end_to_end_lock_compute_class_page_and_guardian(filled):
    world = filled
    s1 = world.school1
    klass = s1.class_a
    principal = _client(s1.users["principal"])
    home = principal.get(reverse("gradebook:results_home"))
    assert home.status_code == 200 and klass.name in home.content.decode()
    # Lock both semesters through the confirmation pages.
    for semester in (1, 2):
        url = reverse("gradebook:results_lock", args=[klass.pk, semester])
        assert principal.get(url).status_code == 200
        assert principal.post(url).status_code == 302
    assert ClassSemesterLock.objects.filter(school_class=klass, locked=True).count() == 2
    response = principal.post(reverse("gradebook:results_compute", args=[klass.pk]))
    assert response.status_code == 302
    page = principal.get(reverse("gradebook:class_results", args=[klass.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert s1.students_a[0].person.full_name in html and "Học sinh Giỏi" in html
    assert reverse("gradebook:results_retest", args=[YearResult.objects.get(student=s1.students_a[2]).pk]) in html
    # Exports of the class table.
    xlsx = principal.get(reverse("gradebook:class_results", args=[klass.pk]), {"export": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    csv = principal.get(reverse("gradebook:class_results", args=[klass.pk]), {"export": "csv"})
    body = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert s1.students_a[0].moet_code in body and "8,5" in body  # Toán ĐTBmcn
    # The principal confirms the title.
    result = YearResult.objects.get(student=s1.students_a[0], school_class=klass)
    assert principal.post(reverse("gradebook:results_title", args=[result.pk]), {"title": "gioi"}).status_code == 302
    result.refresh_from_db()
    assert result.title_confirmed == "gioi"
    # The retest page of the weak student.
    retest_url = reverse("gradebook:results_retest", args=[YearResult.objects.get(student=s1.students_a[2]).pk])
    form = principal.get(retest_url)
    assert form.status_code == 200
    assert Subject.objects.get(code="GDCD").name in form.content.decode()
    assert Subject.objects.get(code="TOAN").name not in form.content.decode()

    # The guardian of the first pupil sees that child's results, and nobody else's.
    guardian = _client(s1.users["guardian"])
    mine = guardian.get(reverse("gradebook:results_home"))
    assert mine.status_code == 200
    text = mine.content.decode()
    assert s1.students_a[0].person.full_name in text
    assert s1.students_a[1].person.full_name not in text and s1.students_a[2].person.full_name not in text
    assert "8,5" in text and "Học sinh Giỏi" in text
    assert guardian.get(reverse("gradebook:class_results", args=[klass.pk])).status_code == 404
    # The student sees their own.
    own = _client(s1.users["student"]).get(reverse("gradebook:results_home")).content.decode()
    assert s1.students_a[1].person.full_name in own and s1.students_a[0].person.full_name not in own


def test_class_page_permission_matrix(filled):
    world = filled
    s1 = world.school1
    url = reverse("gradebook:class_results", args=[s1.class_a.pk])
    assert _client(s1.users["homeroom_teacher"]).get(url).status_code == 200
    assert _client(s1.users["vice_principal"]).get(url).status_code == 200
    assert _client(world.school2.users["principal"]).get(url).status_code == 404
    assert _client(s1.users["subject_teacher"]).get(url).status_code == 404  # teaches 6A2, not 6A1
    assert _client(s1.users["clerk"]).get(url).status_code == 404
    assert _client(world.authority_users["authority_leader"]).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the log-in page


def test_lock_pages_forbidden_to_teachers_and_unlock_needs_reason(filled):
    world = filled
    s1 = world.school1
    klass = s1.class_a
    homeroom = _client(s1.users["homeroom_teacher"])
    assert homeroom.post(reverse("gradebook:results_lock", args=[klass.pk, 1])).status_code == 403
    assert not ClassSemesterLock.objects.filter(school_class=klass, locked=True).exists()
    other = _client(world.school2.users["principal"])
    assert other.post(reverse("gradebook:results_lock", args=[klass.pk, 1])).status_code == 404
    lock_semester(actor=actor_for(s1.users["principal"]), school_class=klass, semester=1)
    principal = _client(s1.users["principal"])
    url = reverse("gradebook:results_unlock", args=[klass.pk, 1])
    response = principal.post(url, {"reason": "ngắn"})
    assert response.status_code == 200  # the form again, with its error
    assert ClassSemesterLock.objects.get(school_class=klass, semester=1).locked
    assert principal.post(url, {"reason": "Giáo viên Toán nhập nhầm cột GK"}).status_code == 302
    assert not ClassSemesterLock.objects.get(school_class=klass, semester=1).locked
    # Sending a sheet back to its teacher.
    sheet = ScoreSheet.objects.get(school_class=klass, semester=1, subject__code="TOAN")
    reopen = reverse("gradebook:results_sheet_reopen", args=[sheet.pk])
    assert homeroom.post(reopen, {"reason": "Thiếu nhận xét cuối kì"}).status_code == 403
    assert principal.post(reopen, {"reason": "Thiếu nhận xét cuối kì"}).status_code == 302
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.OPEN


def test_lock_page_lists_missing_sheets(world):
    s1 = world.school1
    page = _client(s1.users["principal"]).get(reverse("gradebook:results_lock", args=[s1.class_a.pk, 1]))
    assert page.status_code == 200 and "Sổ chủ nhiệm" in page.content.decode()


def test_stats_for_authority_are_aggregates_only(filled):
    world = filled
    s1 = world.school1
    principal = actor_for(s1.users["principal"])
    lock_semester(actor=principal, school_class=s1.class_a, semester=1)
    lock_semester(actor=principal, school_class=s1.class_a, semester=2)
    compute_class_results(actor=principal, school_class=s1.class_a)
    leader = _client(world.authority_users["authority_leader"])
    page = leader.get(reverse("gradebook:stats"))
    assert page.status_code == 200
    html = page.content.decode()
    assert s1.school.name in html and world.school2.school.name in html
    assert "66.7%" in html or "66,7%" in html  # two of three pupils Tốt
    for student in s1.students_a:
        assert student.person.full_name not in html and student.moet_code not in html
    body = b"".join(leader.get(reverse("gradebook:stats"), {"export": "csv"}).streaming_content).decode("utf-8-sig")
    assert s1.school.name in body and s1.students_a[0].person.full_name not in body
    summary = leader.get(reverse("gradebook:school_summary"), {"school": s1.school.pk})
    assert summary.status_code == 200 and s1.students_a[0].person.full_name not in summary.content.decode()
    assert _client(s1.users["homeroom_teacher"]).get(reverse("gradebook:stats")).status_code == 403
    assert _client(s1.users["guardian"]).get(reverse("gradebook:school_summary")).status_code == 403
    # A school's principal reads the summary of their own school only.
    own = _client(s1.users["principal"])
    assert own.get(reverse("gradebook:school_summary"), {"school": s1.school.pk}).status_code == 200
    assert own.get(reverse("gradebook:school_summary"), {"school": world.school2.school.pk}).status_code == 403


def test_primary_class_page_and_exemplary_button(world):
    from edudx.gradebook.tests.results_data import tt27_student
    from edudx.testing import build_primary_school

    th = build_primary_school(world)
    klass, pupil = th.class_a, th.students_a[0]
    values = {pupil: tt27_student(tests={"TOAN": "8"})}
    fill(klass, 1, values)
    fill(klass, 2, values)
    principal = actor_for(th.users["principal"])
    lock_semester(actor=principal, school_class=klass, semester=1)
    lock_semester(actor=principal, school_class=klass, semester=2)
    compute_class_results(actor=principal, school_class=klass)
    homeroom = _client(th.users["homeroom_teacher"])
    page = homeroom.get(reverse("gradebook:class_results", args=[klass.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hoàn thành tốt" in html and "Lớp ghi nhận tiêu biểu" in html
    result = YearResult.objects.get(student=pupil, school_class=klass)
    homeroom.post(reverse("gradebook:results_exemplary", args=[result.pk]), {"exemplary": "1"})
    result.refresh_from_db()
    assert (result.exemplary, result.title_proposed) == (True, "tieu_bieu")
    guardian = _client(th.users["guardian"]).get(reverse("gradebook:results_home")).content.decode()
    assert "Hoàn thành tốt" in guardian and pupil.person.full_name in guardian
