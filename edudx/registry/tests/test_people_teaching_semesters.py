"""Teaching assignments per semester: a whole-year row or per-semester rows, never both."""

import pytest
from django.urls import reverse

from edudx.core.api import NotPermitted, ValidationFailed, actor_for
from edudx.core.models import AuditEvent
from edudx.registry import services
from edudx.registry.enums import StaffPosition
from edudx.registry.models import StaffMember, Subject, TeachingAssignment
from edudx.testing import login_verified, make_person

pytestmark = pytest.mark.django_db


def rows(klass, subject):
    return sorted(
        TeachingAssignment.objects.filter(school_class=klass, subject=subject).values_list("semester", "staff_id")
    )


def second_teacher(school):
    return StaffMember.objects.create(
        person=make_person("Nguyễn Thị Lan"), org_unit=school, position=StaffPosition.TEACHER
    )


def test_semester_assignment_splits_whole_year_and_merges_back(world):
    s1 = world.school1
    toan = Subject.objects.get(code="TOAN")
    old, new = s1.subject_teacher, second_teacher(s1.school)
    actor = actor_for(s1.users["principal"])
    assert rows(s1.class_b, toan) == [(0, old.pk)]
    # The new teacher takes semester 2: the old one keeps semester 1.
    assignment = services.teaching_assignment_set(
        actor=actor, school_class=s1.class_b, subject=toan, staff=new, semester=2
    )
    assert assignment.semester == 2 and assignment.staff == new
    assert rows(s1.class_b, toan) == [(1, old.pk), (2, new.pk)]
    event = AuditEvent.objects.filter(action="class.teaching_assignment_set").latest("seq")
    assert event.before["staff"] == old.pk and event.before["semester"] == 0
    assert event.after["staff"] == new.pk and event.after["kept"]["semester"] == 1
    # Changing semester 2 again replaces only that row.
    services.teaching_assignment_set(
        actor=actor, school_class=s1.class_b, subject=toan, staff=s1.homeroom_a, semester=2
    )
    assert rows(s1.class_b, toan) == [(1, old.pk), (2, s1.homeroom_a.pk)]
    # The same teacher for both semesters is one whole-year row again.
    services.teaching_assignment_set(actor=actor, school_class=s1.class_b, subject=toan, staff=old, semester=2)
    assert rows(s1.class_b, toan) == [(0, old.pk)]


def test_whole_year_assignment_replaces_semester_rows(world):
    s1 = world.school1
    toan = Subject.objects.get(code="TOAN")
    new = second_teacher(s1.school)
    actor = actor_for(s1.users["principal"])
    services.teaching_assignment_set(actor=actor, school_class=s1.class_b, subject=toan, staff=new, semester=1)
    assert rows(s1.class_b, toan) == [(1, new.pk), (2, s1.subject_teacher.pk)]
    services.teaching_assignment_set(actor=actor, school_class=s1.class_b, subject=toan, staff=s1.homeroom_a)
    assert rows(s1.class_b, toan) == [(0, s1.homeroom_a.pk)]
    event = AuditEvent.objects.filter(action="class.teaching_assignment_set").latest("seq")
    assert {r["semester"] for r in event.after["replaced"]} == {1, 2}


def test_semester_assignment_without_whole_year_row_and_refusals(world):
    s1 = world.school1
    van = Subject.objects.get(code="NV")
    actor = actor_for(s1.users["principal"])
    services.teaching_assignment_set(actor=actor, school_class=s1.class_a, subject=van, staff=s1.homeroom_a, semester=1)
    assert rows(s1.class_a, van) == [(1, s1.homeroom_a.pk)]
    before = TeachingAssignment.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationFailed, match="Học kì"):
        services.teaching_assignment_set(
            actor=actor, school_class=s1.class_a, subject=van, staff=s1.homeroom_a, semester=3
        )
    with pytest.raises(NotPermitted):
        services.teaching_assignment_set(
            actor=actor_for(s1.users["subject_teacher"]), school_class=s1.class_a, subject=van, staff=s1.homeroom_a
        )
    assert (TeachingAssignment.objects.count(), AuditEvent.objects.count()) == before


def test_teaching_form_semester_select_and_return_to_next(world, client):
    s1 = world.school1
    toan = Subject.objects.get(code="TOAN")
    new = second_teacher(s1.school)
    login_verified(client, s1.users["clerk"])
    url = reverse("registry:class_teaching_set", args=[s1.class_b.pk])
    page = client.get(url, {"subject": toan.pk, "semester": 2}).content.decode()
    assert 'name="semester"' in page and "Cả năm" in page
    response = client.post(
        url, {"subject": toan.pk, "staff": new.pk, "semester": 2, "next": "/gradebook/assignments/?semester=2"}
    )
    assert response.status_code == 302 and response["Location"] == "/gradebook/assignments/?semester=2"
    assert rows(s1.class_b, toan) == [(1, s1.subject_teacher.pk), (2, new.pk)]
    # A foreign "next" is ignored.
    response = client.post(url, {"subject": toan.pk, "staff": new.pk, "next": "https://evil.example/"})
    assert response["Location"] == reverse("registry:class_detail", args=[s1.class_b.pk])
    assert rows(s1.class_b, toan) == [(0, new.pk)]
    detail = client.get(reverse("registry:class_detail", args=[s1.class_b.pk])).content.decode()
    assert new.person.full_name in detail
