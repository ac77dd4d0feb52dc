"""The one permission layer: subtree grants, relationship grants, validity dates."""

import datetime as dt

import pytest

from edudx.core.enums import Role
from edudx.core.errors import NotPermitted
from edudx.core.models import OrgUnit, RoleAssignment
from edudx.core.permissions import Actor, paths_q, policy_for
from edudx.registry.models import ClassMembership, GuardianLink, SchoolClass, Student


def ids(qs):
    return set(qs.values_list("pk", flat=True))


def test_expired_and_future_assignments_grant_nothing(world):
    principal = world.school1.users[Role.PRINCIPAL]
    RoleAssignment.objects.filter(user=principal).update(valid_to=dt.date(2021, 1, 1))
    assert ids(policy_for(Student).visible(Actor(user=principal))) == set()
    RoleAssignment.objects.filter(user=principal).update(valid_from=dt.date(2999, 1, 1), valid_to=None)
    assert ids(policy_for(Student).visible(Actor(user=principal))) == set()
    RoleAssignment.objects.filter(user=principal).update(valid_from=dt.date(2020, 1, 1))
    assert len(ids(policy_for(Student).visible(Actor(user=principal)))) == 6


def test_inactive_user_and_anonymous_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    principal = world.school1.users[Role.PRINCIPAL]
    principal.is_active = False
    principal.save()
    assert ids(policy_for(Student).visible(Actor(user=principal))) == set()
    assert ids(policy_for(Student).visible(Actor(user=AnonymousUser()))) == set()


def test_relationship_counts_only_where_the_role_is_held(world):
    """A guardian role at school 2 must not open the child's records at school 1."""
    guardian = world.school1.users[Role.GUARDIAN]
    RoleAssignment.objects.filter(user=guardian).update(org_unit=world.school2.school)
    assert ids(policy_for(Student).visible(Actor(user=guardian))) == set()


def test_teacher_relationships_cover_classes_and_their_members(world):
    s1 = world.school1
    homeroom = Actor(user=s1.users[Role.HOMEROOM_TEACHER])
    subject = Actor(user=s1.users[Role.SUBJECT_TEACHER])
    assert ids(policy_for(SchoolClass).visible(homeroom)) == {s1.class_a.pk}
    assert ids(policy_for(SchoolClass).visible(subject)) == {s1.class_b.pk}
    assert ids(policy_for(ClassMembership).visible(subject)) == set(
        ClassMembership.objects.filter(school_class=s1.class_b).values_list("pk", flat=True)
    )
    # The homeroom teacher sees the guardians of their class, the subject teacher does not have guardian.view.
    assert ids(policy_for(GuardianLink).visible(homeroom)) == set(
        GuardianLink.objects.filter(student__in=s1.students_a).values_list("pk", flat=True)
    )
    assert ids(policy_for(GuardianLink).visible(subject)) == set()


def test_a_pupil_who_left_the_class_drops_out_of_the_teachers_view(world):
    s1 = world.school1
    leaver = s1.students_a[2]
    ClassMembership.objects.filter(student=leaver).update(left_on=dt.date(2025, 12, 1))
    homeroom = Actor(user=s1.users[Role.HOMEROOM_TEACHER])
    assert leaver.pk not in ids(policy_for(Student).visible(homeroom))


def test_change_needs_the_change_capability(world):
    s1 = world.school1
    student = s1.students_a[0]
    policy = policy_for(Student)
    assert policy.allows(Actor(user=s1.users[Role.CLERK]), "change", student)
    assert policy.allows(Actor(user=s1.users[Role.LIBRARIAN]), "view", student)
    assert not policy.allows(Actor(user=s1.users[Role.LIBRARIAN]), "change", student)
    assert not policy.allows(Actor(user=s1.users[Role.HOMEROOM_TEACHER]), "change", student)
    assert not policy.allows(Actor(user=world.school2.users[Role.PRINCIPAL]), "view", student)
    with pytest.raises(NotPermitted):
        policy.check(Actor(user=world.school2.users[Role.PRINCIPAL]), "view", student)


def test_breadcrumb_ancestors_are_visible_but_not_siblings(world):
    principal = Actor(user=world.school1.users[Role.PRINCIPAL])
    visible = ids(policy_for(OrgUnit).visible(principal))
    assert {world.ministry.pk, world.department.pk, world.authority.pk, world.school1.school.pk} == visible


def test_can_in_and_units_with(world):
    principal = Actor(user=world.school1.users[Role.PRINCIPAL])
    assert principal.can_in("student.import", world.school1.school)
    assert not principal.can_in("student.import", world.school2.school)
    assert not principal.can_in("student.import", None)
    assert list(principal.units_with("student.import")) == [world.school1.school]


def test_paths_q_of_nothing_matches_nothing(world):
    assert not OrgUnit.objects.filter(paths_q("path", [])).exists()
    # Nested paths collapse to the outermost one.
    assert ids(OrgUnit.objects.filter(paths_q("path", [world.authority.path, world.school1.school.path]))) == ids(
        OrgUnit.objects.under(world.authority)
    )


def test_visible_without_distinct_is_the_same_rows_with_repeats_allowed(world):
    """A subject teacher with two subjects in one class reaches each pupil twice through the relationship join:
    ``distinct=False`` gives those repeats (for callers that drop them), never another row."""
    from edudx.registry.models import Subject, TeachingAssignment

    TeachingAssignment.objects.create(
        staff=world.school1.subject_teacher, school_class=world.school1.class_b, subject=Subject.objects.get(code="NV")
    )
    actor = Actor(world.school1.subject_teacher.person.user)
    policy = policy_for(Student)
    unique = list(policy.visible(actor).values_list("pk", flat=True))
    repeated = list(policy.visible(actor, distinct=False).values_list("pk", flat=True))
    assert sorted(unique) == sorted({s.pk for s in world.school1.students_b})
    assert set(repeated) == set(unique) and len(repeated) == 2 * len(unique)
    assert not policy.visible(Actor(None), distinct=False).exists()
