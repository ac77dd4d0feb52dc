import datetime as dt

import pytest

from edudx.core.enums import OrgUnitKind, Ownership, SchoolLevel
from edudx.core.errors import Conflict, NotPermitted
from edudx.core.models import AuditEvent
from edudx.core.permissions import Actor
from edudx.core.services import orgunit_create
from edudx.registry import services
from edudx.registry.enums import StudentStatus
from edudx.registry.models import ClassMembership, Grade, SchoolClass, SchoolYear, Student
from edudx.testing import make_person


@pytest.mark.parametrize(
    "name, old, new, expected",
    [
        ("6A1", "6", "7", "7A1"),
        ("6a2", "6", "7", "7a2"),
        ("MG3", "MG3", "MG4", "MG4"),
        ("MG3B", "MG3", "MG4", "MG4B"),
        ("1A", "1", "2", "2A"),
        ("12A", "1", "2", "12A"),  # does not start with grade 1
        ("Lớp Chồi", "MG4", "MG5", "Lớp Chồi"),
        ("NT1", "NT", "MG3", "NT1"),
    ],
)
def test_next_class_name(db, name, old, new, expected):
    assert services.next_class_name(name, Grade.objects.get(code=old), Grade.objects.get(code=new)) == expected


@pytest.fixture
def next_year(db):
    return SchoolYear.objects.create(
        code="2026-2027",
        starts_on=dt.date(2026, 9, 5),
        ends_on=dt.date(2027, 5, 31),
        semester1_ends_on=dt.date(2027, 1, 15),
        semester2_starts_on=dt.date(2027, 1, 18),
    )


def add_class_with_students(school, year, grade_code, name, count):
    klass = SchoolClass.objects.create(school=school, year=year, grade=Grade.objects.get(code=grade_code), name=name)
    students = []
    for i in range(count):
        person = make_person(f"Học sinh {name} {i}")
        student = Student.objects.create(person=person, moet_code=f"R{school.pk}{name}{i}", school=school)
        ClassMembership.objects.create(student=student, school_class=klass, joined_on=year.starts_on)
        students.append(student)
    return klass, students


def test_preview_lists_new_classes_and_completions(world, next_year):
    s1 = world.school1
    nine, graduates = add_class_with_students(s1.school, world.year, "9", "9A1", 2)
    plan = services.year_rollover_preview(
        actor=Actor(user=s1.users["principal"]), school=s1.school, from_year=world.year, to_year=next_year
    )
    by_source = {item.source.name: item for item in plan.classes}
    assert by_source["6A1"].new_name == "7A1" and by_source["6A1"].new_grade.code == "7"
    assert {s.pk for s in by_source["6A1"].students} == {s.pk for s in s1.students_a}
    assert by_source["6A2"].new_name == "7A2"
    assert by_source["9A1"].completing and by_source["9A1"].new_name == ""
    assert plan.conflicts == [] and plan.is_possible
    assert plan.promoted_count == 6 and plan.completing_count == 2
    # A preview writes nothing.
    assert not SchoolClass.objects.filter(year=next_year).exists()


def test_execute_promotes_and_graduates_in_one_audited_step(world, next_year):
    s1 = world.school1
    nine, graduates = add_class_with_students(s1.school, world.year, "9", "9A1", 2)
    before_events = AuditEvent.objects.count()
    services.year_rollover_execute(
        actor=Actor(user=s1.users["principal"]), school=s1.school, from_year=world.year, to_year=next_year
    )
    new_classes = {c.name: c for c in SchoolClass.objects.filter(school=s1.school, year=next_year)}
    assert set(new_classes) == {"7A1", "7A2"}
    assert new_classes["7A1"].promoted_from == s1.class_a
    assert new_classes["7A1"].grade.code == "7"
    members = set(ClassMembership.objects.filter(school_class=new_classes["7A1"]).values_list("student_id", flat=True))
    assert members == {s.pk for s in s1.students_a}
    old = ClassMembership.objects.filter(school_class=s1.class_a)
    assert set(old.values_list("left_on", flat=True)) == {world.year.ends_on}
    for student in graduates:
        student.refresh_from_db()
        assert student.status == StudentStatus.GRADUATED
    assert not ClassMembership.objects.filter(student__in=graduates, left_on__isnull=True).exists()
    # School 2 is untouched.
    assert not SchoolClass.objects.filter(school=world.school2.school, year=next_year).exists()
    assert AuditEvent.objects.count() == before_events + 1
    event = AuditEvent.objects.get(action="year.rollover")
    assert event.org_unit == s1.school and sorted(event.after["graduated"]) == sorted(s.pk for s in graduates)


def test_conflict_refuses_everything(world, next_year):
    s1 = world.school1
    SchoolClass.objects.create(school=s1.school, year=next_year, grade=Grade.objects.get(code="7"), name="7A2")
    who = Actor(user=s1.users["principal"])
    plan = services.year_rollover_preview(actor=who, school=s1.school, from_year=world.year, to_year=next_year)
    assert any("7A2" in c for c in plan.conflicts) and not plan.is_possible
    with pytest.raises(Conflict):
        services.year_rollover_execute(actor=who, school=s1.school, from_year=world.year, to_year=next_year)
    assert SchoolClass.objects.filter(school=s1.school, year=next_year).count() == 1
    assert not ClassMembership.objects.filter(school_class__year=next_year).exists()
    assert not ClassMembership.objects.filter(school_class=s1.class_a, left_on__isnull=False).exists()


def test_backwards_years_conflict(world, next_year):
    who = Actor(user=world.school1.users["principal"])
    plan = services.year_rollover_preview(
        actor=who, school=world.school1.school, from_year=next_year, to_year=world.year
    )
    assert plan.conflicts


def test_rollover_permissions(world, next_year):
    s1 = world.school1
    for user in (world.school2.users["principal"], s1.users["homeroom_teacher"], s1.users["accountant"]):
        with pytest.raises(NotPermitted):
            services.year_rollover_preview(
                actor=Actor(user=user), school=s1.school, from_year=world.year, to_year=next_year
            )
        with pytest.raises(NotPermitted):
            services.year_rollover_execute(
                actor=Actor(user=user), school=s1.school, from_year=world.year, to_year=next_year
            )
    assert not SchoolClass.objects.filter(year=next_year).exists()


def test_preschool_groups_move_up_and_mg5_completes(world, next_year):
    school = orgunit_create(
        actor=None,
        kind=OrgUnitKind.SCHOOL,
        name="Trường Mầm non Hoa Sen",
        parent=world.authority,
        valid_from=dt.date(2000, 1, 1),
        school_level=SchoolLevel.MN,
        ownership=Ownership.PUBLIC,
    )
    add_class_with_students(school, world.year, "MG3", "MG3A", 2)
    add_class_with_students(school, world.year, "MG5", "MG5A", 1)
    leader_of_school = world.school1.users["principal"]  # no rights in this school
    with pytest.raises(NotPermitted):
        services.year_rollover_preview(
            actor=Actor(user=leader_of_school), school=school, from_year=world.year, to_year=next_year
        )
    from edudx.testing import grant, make_user

    user = make_user("ht_mamnon")
    grant(user, "principal", school)
    services.year_rollover_execute(actor=Actor(user=user), school=school, from_year=world.year, to_year=next_year)
    assert list(SchoolClass.objects.filter(school=school, year=next_year).values_list("name", "grade__code")) == [
        ("MG4A", "MG4")
    ]
    assert Student.objects.filter(school=school, status=StudentStatus.GRADUATED).count() == 1
