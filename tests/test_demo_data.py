"""The demo loader and the synthetic data generator: the tree, the reform as events, the people, the accounts."""

import datetime as dt
import io
import random

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from edudx.core.audit import verify_chain
from edudx.core.crypto import decrypt
from edudx.core.enums import AuthorityKind, OrgEventKind, OrgUnitKind, Role
from edudx.core.models import OrgUnit, OrgUnitEvent, OrgUnitVersion, RoleAssignment
from edudx.core.permissions import Actor, policy_for
from edudx.core.rules import personal_id_errors
from edudx.registry import demo
from edudx.registry.management.commands.generate_data import generate
from edudx.registry.management.commands.load_demo import DEMO_PASSWORD, DEMO_USERNAMES
from edudx.registry.models import (
    ClassMembership,
    GuardianLink,
    Person,
    SchoolClass,
    SchoolYear,
    Student,
    TeachingAssignment,
)

BEFORE, REFORM = dt.date(2025, 6, 30), dt.date(2025, 7, 1)


def _parent_on(unit: OrgUnit, day: dt.date) -> OrgUnit | None:
    version = OrgUnitVersion.objects.filter(unit=unit, valid_from__lte=day).order_by("-valid_from").first()
    return version.parent if version else None


@pytest.mark.django_db
def test_load_demo_builds_thu_dau_mot_and_applies_the_reform_as_events():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert "Edudx@2025" in text and "hieutruong" in text and "TOTP" in text

    old_dept = OrgUnit.objects.get(moet_code="SGD-74")
    new_dept = OrgUnit.objects.get(moet_code="SGD-79")
    office = OrgUnit.objects.get(authority_kind=AuthorityKind.EDUCATION_OFFICE, parent=old_dept)
    wards = list(OrgUnit.objects.filter(authority_kind=AuthorityKind.WARD_COMMITTEE, parent=new_dept))
    schools = list(OrgUnit.objects.filter(kind=OrgUnitKind.SCHOOL, moet_code__startswith="74718"))

    assert len(schools) == len(demo.THU_DAU_MOT_SCHOOLS) >= 40
    assert {s.school_level for s in schools} == {"MN", "TH", "THCS"}
    assert {s.ownership for s in schools} == {"public", "private"}
    assert sorted(w.ward_code for w in wards) == ["25747", "25750", "25760", "25768", "25771"]
    assert all(w.valid_from == REFORM and w.valid_to is None for w in wards)

    # Closed and merged on 1/7/2025, with the history kept.
    assert office.valid_to == REFORM and office.merged_into.ward_code == "25747"
    assert old_dept.valid_to == REFORM and old_dept.merged_into == new_dept
    assert OrgUnitEvent.objects.filter(unit=old_dept, kind=OrgEventKind.MERGE, effective_on=REFORM).exists()
    assert OrgUnitEvent.objects.filter(unit=office, kind=OrgEventKind.MERGE, effective_on=REFORM).exists()
    assert OrgUnitEvent.objects.filter(unit=office, kind=OrgEventKind.RENAME).exists()
    for school in schools:
        assert school.valid_from < dt.date(2025, 4, 21)
        assert _parent_on(school, BEFORE) == office
        assert school.parent in wards and _parent_on(school, REFORM) == school.parent
        assert school.path.startswith(new_dept.path)
        assert OrgUnitEvent.objects.filter(unit=school, kind=OrgEventKind.MOVE, effective_on=REFORM).count() == 1
    assert verify_chain().ok

    # Years, classes and pupils.
    current = SchoolYear.objects.get(is_current=True)
    assert current.code == "2025-2026" and current.semester1_ends_on == dt.date(2026, 1, 10)
    assert SchoolYear.objects.filter(code="2024-2025").exists()
    sizes = [
        c.memberships.count()
        for c in SchoolClass.objects.filter(year=current).order_by("id")[:: max(1, len(schools) // 3)]
    ]
    assert all(20 <= n <= 35 for n in sizes), sizes
    grade8 = SchoolClass.objects.filter(year=current, grade__code="8", school__in=schools).first()
    assert grade8.promoted_from is not None and grade8.promoted_from.grade.code == "7"

    rng = random.Random(5)
    memberships = list(
        ClassMembership.objects.filter(school_class__year=current).select_related(
            "student__person", "school_class__grade"
        )
    )
    for m in rng.sample(memberships, 300):
        person = m.student.person
        pid = decrypt(person.personal_id_encrypted)
        assert pid.startswith("074")
        assert personal_id_errors(pid, birth_date=person.date_of_birth, sex=person.sex) == []
        age = 2025 - person.date_of_birth.year
        assert age - demo.GRADE_AGE[m.school_class.grade.code] in (0, 1)
        assert person.search_name and person.search_name.isascii()
    assert GuardianLink.objects.filter(student__school__in=schools).count() > Student.objects.count()
    assert TeachingAssignment.objects.filter(school_class__year=current).count() > 1000

    # One account per role, one password, and the relationships are real.
    users = {u: get_user_model().objects.get(username=u) for u, _r in DEMO_USERNAMES}
    for username, role in DEMO_USERNAMES:
        assert users[username].check_password(DEMO_PASSWORD), username
        assert RoleAssignment.objects.filter(user=users[username], role=role, valid_to__isnull=True).exists()
    ward_tdm = OrgUnit.objects.get(ward_code="25747", kind=OrgUnitKind.AUTHORITY)
    assert RoleAssignment.objects.get(user=users["lanhdao"]).org_unit == ward_tdm
    homeroom_classes = SchoolClass.objects.filter(year=current, homeroom_teacher__person__user=users["gvcn"])
    assert homeroom_classes.exists()
    assert TeachingAssignment.objects.filter(staff__person__user=users["gvbm"], school_class__year=current).exists()

    def visible_students(username):
        return policy_for(Student).visible(Actor(user=users[username]))

    pupil = Student.objects.get(person__user=users["hocsinh"])
    assert list(visible_students("hocsinh")) == [pupil]
    child = visible_students("phuhuynh").get()
    assert child.memberships.filter(school_class__in=homeroom_classes).exists()
    assert visible_students("gvcn").filter(pk=child.pk).exists()
    assert visible_students("lanhdao").filter(school__ward_code="25747").exists()

    # A second run changes nothing.
    counts = (Person.objects.count(), OrgUnitEvent.objects.count(), RoleAssignment.objects.count())
    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert "đã có sẵn" in again.getvalue() and "lanhdao" in again.getvalue()
    assert (Person.objects.count(), OrgUnitEvent.objects.count(), RoleAssignment.objects.count()) == counts


class _Rollback(Exception):
    pass


def _fingerprint(prefix: str):
    rows = []
    for student in (
        Student.objects.filter(school__moet_code__startswith=prefix)
        .select_related("person", "school")
        .order_by("moet_code")
    ):
        p = student.person
        classes = sorted(m.school_class.name for m in student.memberships.select_related("school_class"))
        guardians = sorted(g.guardian.full_name for g in student.guardian_links.select_related("guardian"))
        rows.append(
            (
                student.moet_code,
                student.school.name,
                p.full_name,
                p.date_of_birth,
                p.sex,
                decrypt(p.personal_id_encrypted),
                tuple(classes),
                tuple(guardians),
            )
        )
    return rows


@pytest.mark.django_db
def test_generate_data_is_deterministic_for_a_seed():
    out: list[str] = []
    with pytest.raises(_Rollback), transaction.atomic():
        generate("city", 7, max_schools=2, out=out.append)
        first = _fingerprint("GEN-city-7")
        raise _Rollback
    assert out and "2/2" in out[-1]
    report = generate("city", 7, max_schools=2, out=out.append)
    second = _fingerprint("GEN-city-7")
    assert "Quy mô city" in report
    assert len(first) > 300 and first == second
    for row in second[:200]:
        person = Person.objects.get(student__moet_code=row[0])
        assert personal_id_errors(row[5], birth_date=person.date_of_birth, sex=person.sex) == []
    generate("city", 8, max_schools=2, out=out.append)
    assert _fingerprint("GEN-city-8") != second


@pytest.mark.django_db
def test_generate_data_command_refuses_to_run_twice_for_the_same_seed():
    from django.core.management.base import CommandError

    call_command("generate_data", "--scale", "city", "--seed", "3", "--max-schools", "1", stdout=io.StringIO())
    assert OrgUnit.objects.filter(moet_code="GEN-city-3", kind=OrgUnitKind.DEPARTMENT).exists()
    with pytest.raises(CommandError):
        call_command("generate_data", "--scale", "city", "--seed", "3", "--max-schools", "1", stdout=io.StringIO())


def test_personal_id_allocator_issues_unique_valid_numbers():
    allocator = demo.PersonalIdAllocator(random.Random(1))
    born = dt.date(2012, 5, 17)
    issued = {allocator.issue("074", born, "F") for _ in range(2000)}
    assert len(issued) == 2000
    assert all(v.startswith("074312") and personal_id_errors(v, birth_date=born, sex="F") == [] for v in issued)
    assert allocator.issue("038", dt.date(1985, 1, 1), "M").startswith("038085")
    assert Role.PRINCIPAL in {r for _u, r in DEMO_USERNAMES}
