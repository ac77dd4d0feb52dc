"""A small, complete world for tests: one authority, two schools, classes, people and a user per role.

Tests across apps build on ``build_world()`` so that "another school" and "same school, no role"
always exist. Objects are created with the ORM and core services, not with the code under test.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from edudx.core import audit
from edudx.core import services as core_services
from edudx.core.enums import AuthorityKind, OrgUnitKind, Ownership, Role, SchoolLevel
from edudx.core.models import OrgUnit, RoleAssignment
from edudx.registry.enums import GuardianRelation, Sex, StaffPosition
from edudx.registry.models import (
    ClassMembership,
    Grade,
    GuardianLink,
    Person,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    Subject,
    TeachingAssignment,
)

PASSWORD = "Edudx@2025-demo"
_seq = itertools.count(1)


def make_user(username: str, full_name: str = "", **extra: Any) -> Any:
    User = get_user_model()
    user = User.objects.create_user(username=username, password=PASSWORD, full_name=full_name or username, **extra)
    return user


def make_person(
    full_name: str, *, born: dt.date | None = None, sex: str = Sex.FEMALE, personal_id: str = "", user: Any = None
) -> Person:
    person = Person(full_name=full_name, date_of_birth=born, sex=sex, user=user)
    person.store_personal_id(personal_id)
    person.save()
    return person


def login_verified(client: Any, user: Any) -> None:
    """Sign ``user`` in on a Django test client with a second factor already passed.

    The user gets a confirmed (static) device, made before the log-in so the session remembers it, and
    the session names that device as verified: the two-factor middleware then lets every role through.
    Tests of the second-factor flow itself sign in through the log-in and verification pages instead.
    """
    device, _ = StaticDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


_pending_grants: list[tuple[Any, str, OrgUnit, dt.date]] | None = None


@contextmanager
def _batched_grants() -> Iterator[None]:
    """Inside ``build_world``: store the world's role assignments in one insert with one batch of audit events
    (the same rows and events ``role_assign`` writes one by one; about a third of the world's cost otherwise)."""
    global _pending_grants
    _pending_grants = []
    try:
        yield
        rows = RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=u, role=r, org_unit=o, valid_from=s) for u, r, o, s in _pending_grants]
        )
        audit.record_many(
            [
                {
                    "actor": None,
                    "action": "role.assign",
                    "obj": row,
                    "org_unit": row.org_unit,
                    "after": audit.snapshot(row, exclude=("created_at", "updated_at")),
                }
                for row in rows
            ]
        )
    finally:
        _pending_grants = None


def grant(user: Any, role: str, unit: OrgUnit, since: dt.date = dt.date(2020, 1, 1)) -> None:
    if _pending_grants is not None:
        _pending_grants.append((user, role, unit, since))
        return
    core_services.role_assign(actor=None, user=user, role=role, org_unit=unit, valid_from=since)


@dataclass
class SchoolWorld:
    school: OrgUnit
    class_a: SchoolClass
    class_b: SchoolClass
    students_a: list[Student]
    students_b: list[Student]
    users: dict[str, Any] = field(default_factory=dict)
    homeroom_a: StaffMember | None = None
    subject_teacher: StaffMember | None = None


@dataclass
class World:
    ministry: OrgUnit
    department: OrgUnit
    authority: OrgUnit
    year: SchoolYear
    school1: SchoolWorld
    school2: SchoolWorld
    authority_users: dict[str, Any]
    nobody: Any  # a signed-in user with no role anywhere


def _school(authority: OrgUnit, name: str, year: SchoolYear, tag: str) -> SchoolWorld:
    school = core_services.orgunit_create(
        actor=None,
        kind=OrgUnitKind.SCHOOL,
        name=name,
        parent=authority,
        valid_from=dt.date(2000, 1, 1),
        school_level=SchoolLevel.THCS,
        ownership=Ownership.PUBLIC,
        moet_code=f"T{tag}{next(_seq):05d}",
    )
    grade6 = Grade.objects.get(code="6")
    class_a = SchoolClass.objects.create(school=school, year=year, grade=grade6, name="6A1")
    class_b = SchoolClass.objects.create(school=school, year=year, grade=grade6, name="6A2")
    world = SchoolWorld(school, class_a, class_b, [], [])
    for role in (Role.PRINCIPAL, Role.CLERK, Role.ACCOUNTANT, Role.SCHOOL_IT, Role.LIBRARIAN, Role.VICE_PRINCIPAL):
        user = make_user(f"{role}_{tag}", f"{role} {tag}")
        make_person(f"Cán bộ {role} {tag}", user=user)
        grant(user, role, school)
        world.users[role] = user
    # Homeroom teacher of 6A1, subject teacher of 6A2 (Toán).
    hr_user = make_user(f"gvcn_{tag}", f"GVCN {tag}")
    hr_person = make_person(f"Giáo viên chủ nhiệm {tag}", user=hr_user)
    world.homeroom_a = StaffMember.objects.create(person=hr_person, org_unit=school, position=StaffPosition.TEACHER)
    class_a.homeroom_teacher = world.homeroom_a
    class_a.save()
    grant(hr_user, Role.HOMEROOM_TEACHER, school)
    world.users[Role.HOMEROOM_TEACHER] = hr_user
    st_user = make_user(f"gvbm_{tag}", f"GVBM {tag}")
    st_person = make_person(f"Giáo viên bộ môn {tag}", user=st_user)
    world.subject_teacher = StaffMember.objects.create(
        person=st_person, org_unit=school, position=StaffPosition.TEACHER
    )
    TeachingAssignment.objects.create(
        staff=world.subject_teacher, school_class=class_b, subject=Subject.objects.get(code="TOAN")
    )
    grant(st_user, Role.SUBJECT_TEACHER, school)
    world.users[Role.SUBJECT_TEACHER] = st_user
    for klass, bucket in ((class_a, world.students_a), (class_b, world.students_b)):
        for i in range(3):
            n = next(_seq)
            person = make_person(
                f"Học sinh {klass.name} {tag} {i}",
                born=dt.date(2014, 3, 1 + i),
                sex=Sex.FEMALE,
                personal_id=f"079314{n:06d}",
            )
            student = Student.objects.create(
                person=person, moet_code=f"70{n:08d}", school=school, enrolled_on=dt.date(2025, 9, 5)
            )
            ClassMembership.objects.create(student=student, school_class=klass, joined_on=dt.date(2025, 9, 5))
            bucket.append(student)
    # The guardian of the first pupil of 6A1, and that pupil's own account.
    g_user = make_user(f"phuhuynh_{tag}", f"Phụ huynh {tag}")
    g_person = make_person(f"Phụ huynh {tag}", user=g_user, sex=Sex.MALE)
    GuardianLink.objects.create(
        guardian=g_person, student=world.students_a[0], relation=GuardianRelation.FATHER, is_primary=True
    )
    grant(g_user, Role.GUARDIAN, school)
    world.users[Role.GUARDIAN] = g_user
    s_user = make_user(f"hocsinh_{tag}", f"Học sinh {tag}")
    person = world.students_a[1].person
    person.user = s_user
    person.save()
    grant(s_user, Role.STUDENT, school)
    world.users[Role.STUDENT] = s_user
    return world


def ensure_reference_data() -> None:
    """Grades and subjects come from a data migration; a transactional test's flush removes them."""
    import importlib

    from django.apps import apps

    if not Grade.objects.exists():
        importlib.import_module("edudx.registry.migrations.0002_reference_data").load(apps, None)
    from edudx.gradebook.models import RuleSetVersion

    if not RuleSetVersion.objects.exists():
        importlib.import_module("edudx.gradebook.migrations.0002_rulesets_and_curriculum").load(apps, None)
    from edudx.procedures.models import ProcedureVersion

    if not ProcedureVersion.objects.exists():
        importlib.import_module("edudx.procedures.migrations.0002_seed_catalogue").load(apps, None)


def build_world() -> World:
    with _batched_grants():
        return _build_world()


def _build_world() -> World:
    ensure_reference_data()
    ministry = core_services.orgunit_create(
        actor=None,
        kind=OrgUnitKind.MINISTRY,
        name="Bộ Giáo dục và Đào tạo",
        parent=None,
        valid_from=dt.date(2000, 1, 1),
    )
    department = core_services.orgunit_create(
        actor=None,
        kind=OrgUnitKind.DEPARTMENT,
        name="Sở GDĐT Thử Nghiệm",
        parent=ministry,
        valid_from=dt.date(2000, 1, 1),
    )
    authority = core_services.orgunit_create(
        actor=None,
        kind=OrgUnitKind.AUTHORITY,
        name="Phòng GDĐT Thử Nghiệm",
        parent=department,
        valid_from=dt.date(2000, 1, 1),
        authority_kind=AuthorityKind.EDUCATION_OFFICE,
    )
    year = SchoolYear.objects.create(
        code="2025-2026",
        starts_on=dt.date(2025, 9, 5),
        ends_on=dt.date(2026, 5, 31),
        semester1_ends_on=dt.date(2026, 1, 10),
        semester2_starts_on=dt.date(2026, 1, 12),
        is_current=True,
    )
    school1 = _school(authority, "Trường THCS Một", year, "a")
    school2 = _school(authority, "Trường THCS Hai", year, "b")
    authority_users = {}
    for role in (Role.AUTHORITY_LEADER, Role.AUTHORITY_SPECIALIST, Role.SECURITY_OFFICER):
        user = make_user(f"{role}_pgd", f"{role} PGD")
        grant(user, role, authority)
        authority_users[role] = user
    nobody = make_user("norole", "Không vai trò")
    return World(ministry, department, authority, year, school1, school2, authority_users, nobody)


def build_primary_school(world: World, tag: str = "th") -> SchoolWorld:
    """A primary school (TT27) under the world's authority: class 4A1 (homeroom teacher, 3 pupils, a guardian)
    and 4A2 (a subject teacher of Tiếng Anh), with the same users per role as the THCS schools."""
    school_world = _school(world.authority, "Trường Tiểu học Thử Nghiệm", world.year, tag)
    school = school_world.school
    school.school_level = SchoolLevel.TH
    school.save(update_fields=["school_level"])
    grade4 = Grade.objects.get(code="4")
    for klass, name in ((school_world.class_a, "4A1"), (school_world.class_b, "4A2")):
        klass.grade = grade4
        klass.name = name
        klass.save(update_fields=["grade", "name"])
    TeachingAssignment.objects.filter(school_class=school_world.class_b).update(subject=Subject.objects.get(code="NN1"))
    return school_world
