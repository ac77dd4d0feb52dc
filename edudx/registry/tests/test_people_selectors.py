"""Selectors: search and filters, and a fixed number of queries whatever the number of rows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from edudx.core.permissions import Actor
from edudx.registry import selectors
from edudx.registry.enums import GuardianRelation, StaffPosition, StudentStatus
from edudx.registry.models import ClassMembership, GuardianLink, SchoolClass, StaffMember, Student, Subject
from edudx.testing import make_person


def ready_actor(user):
    actor = Actor(user=user)
    actor.grants  # noqa: B018 - resolved once per request, outside the counted queries
    actor.person_id  # noqa: B018
    return actor


def add_students(world, count, start=0):
    s1 = world.school1
    for i in range(start, start + count):
        person = make_person(f"Đặng Thị Ngọc {i}", born=dt.date(2014, 1, 1), personal_id=f"079314{900000 + i:06d}")
        student = Student.objects.create(person=person, moet_code=f"QC{i:06d}", school=s1.school)
        ClassMembership.objects.create(student=student, school_class=s1.class_b, joined_on=dt.date(2025, 9, 5))
        GuardianLink.objects.create(
            guardian=make_person(f"Đặng Văn Phụ {i}"), student=student, relation=GuardianRelation.FATHER
        )
        staff = StaffMember.objects.create(
            person=make_person(f"Giáo viên {i}"), org_unit=s1.school, position=StaffPosition.TEACHER
        )
        staff.subjects.set(Subject.objects.filter(code__in=["TOAN", "TIN"]))


def consume_students(qs):
    return [(s.person.full_name, s.school.name, [m.school_class.year.code for m in s.current_memberships]) for s in qs]


def consume_classes(qs):
    return [
        (c.name, c.school.name, c.year.code, c.grade.name, getattr(c.homeroom_teacher, "person", None), c.member_count)
        for c in qs
    ]


def consume_staff(qs):
    return [(s.person.full_name, s.org_unit.name, [x.name for x in s.subjects.all()]) for s in qs]


def consume_guardians(qs):
    return [(g.guardian.full_name, g.student.person.full_name, g.student.school.name) for g in qs]


CASES = [
    ("students", lambda a: selectors.student_list(actor=a), consume_students),
    ("classes", lambda a: selectors.class_list(actor=a), consume_classes),
    ("staff", lambda a: selectors.staff_list(actor=a), consume_staff),
    ("guardians", lambda a: selectors.guardian_list(actor=a), consume_guardians),
]


@pytest.mark.parametrize("name, select, consume", CASES, ids=[c[0] for c in CASES])
def test_query_count_does_not_grow_with_rows(world, django_assert_num_queries, name, select, consume):
    actor = ready_actor(world.school1.users["principal"])
    add_students(world, 3)
    with CaptureQueriesContext(connection) as first:
        rows3 = consume(select(actor))
    expected = {"students": 2, "classes": 1, "staff": 2, "guardians": 1}[name]
    assert len(first.captured_queries) == expected
    with django_assert_num_queries(expected):
        consume(select(actor))
    add_students(world, 27, start=3)
    for i in range(20):  # more classes too, so the class list grows
        SchoolClass.objects.create(
            school=world.school1.school, year=world.year, grade=world.school1.class_a.grade, name=f"6B{i}"
        )
    with django_assert_num_queries(expected):
        rows30 = consume(select(actor))
    assert len(rows30) > len(rows3)


def test_student_search_without_diacritics_code_and_personal_id(world):
    actor = ready_actor(world.school1.users["principal"])
    add_students(world, 3)
    assert selectors.student_list(actor=actor, q="dang thi ngoc").count() == 3
    assert selectors.student_list(actor=actor, q="ĐẶNG THỊ NGỌC 1").count() == 1
    assert [s.moet_code for s in selectors.student_list(actor=actor, q="QC000002")] == ["QC000002"]
    found = selectors.student_list(actor=actor, q="079314900001")
    assert [s.moet_code for s in found] == ["QC000001"]
    assert selectors.student_list(actor=actor, q="0793149000").count() == 0  # partial numbers find nothing
    # Another school's principal finds nothing by the exact number.
    other = ready_actor(world.school2.users["principal"])
    assert selectors.student_list(actor=other, q="079314900001").count() == 0


def test_student_filters(world):
    s1 = world.school1
    actor = ready_actor(world.authority_users["authority_leader"])
    assert selectors.student_list(actor=actor, school=s1.school).count() == 6
    assert set(selectors.student_list(actor=actor, school_class=s1.class_a)) == set(s1.students_a)
    assert selectors.student_list(actor=actor, grade=s1.class_a.grade, school=s1.school).count() == 6
    assert selectors.student_list(actor=actor, year=world.year).count() == 12
    s1.students_a[0].status = StudentStatus.LEFT
    s1.students_a[0].save()
    assert list(selectors.student_list(actor=actor, status=StudentStatus.LEFT)) == [s1.students_a[0]]


def test_class_member_count_is_not_skewed_by_policy_joins(world):
    guardian = ready_actor(world.school1.users["guardian"])
    classes = list(selectors.class_list(actor=guardian))
    assert [(c.name, c.member_count) for c in classes] == [("6A1", 3)]
    homeroom = ready_actor(world.school1.users["homeroom_teacher"])
    assert [c.name for c in selectors.class_list(actor=homeroom)] == ["6A1"]
    subject = ready_actor(world.school1.users["subject_teacher"])
    assert [c.name for c in selectors.class_list(actor=subject)] == ["6A2"]


def test_guardian_list_for_a_guardian_is_their_own(world):
    guardian = ready_actor(world.school1.users["guardian"])
    links = list(selectors.guardian_list(actor=guardian))
    assert [link.student for link in links] == [world.school1.students_a[0]]
