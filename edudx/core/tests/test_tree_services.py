"""The organisation tree keeps its history: events never rewrite the past."""

import datetime as dt

import pytest

from edudx.core import services
from edudx.core.audit import verify_chain
from edudx.core.enums import AuthorityKind, OrgUnitKind, Role
from edudx.core.errors import NotPermitted, ValidationFailed
from edudx.core.models import AuditEvent, OrgUnit, OrgUnitVersion, RoleAssignment
from edudx.core.permissions import Actor
from edudx.core.selectors import name_as_of, tree_as_of

REFORM = dt.date(2025, 7, 1)


def _ward(world, name="UBND phường Mới"):
    return services.orgunit_create(
        actor=None,
        kind=OrgUnitKind.AUTHORITY,
        name=name,
        parent=world.department,
        valid_from=REFORM,
        authority_kind=AuthorityKind.WARD_COMMITTEE,
    )


def _flatten(nodes, parent=None, out=None):
    out = {} if out is None else out
    for node in nodes:
        out[node.name] = parent
        _flatten(node.children, node.name, out)
    return out


def test_move_repaths_the_whole_subtree_and_keeps_the_old_parent_in_history(world):
    school = world.school1.school
    ward = _ward(world)
    services.orgunit_move(actor=None, unit=school, new_parent=ward, effective_on=REFORM)
    school.refresh_from_db()
    assert school.path == f"{ward.path}{school.pk}/"
    assert school.depth == ward.depth + 1
    # Everything below the school is found under the ward now.
    assert set(OrgUnit.objects.under(ward)) == {ward, school}
    viewer = Actor(user=world.authority_users[Role.AUTHORITY_LEADER])
    leader_on_department = world.authority_users[Role.AUTHORITY_LEADER]
    services.role_assign(
        actor=None,
        user=leader_on_department,
        role=Role.AUTHORITY_LEADER,
        org_unit=world.department,
        valid_from=dt.date(2020, 1, 1),
    )
    viewer = Actor(user=leader_on_department)
    before = _flatten(tree_as_of(actor=viewer, day=dt.date(2025, 4, 21)))
    after = _flatten(tree_as_of(actor=viewer, day=dt.date(2025, 7, 2)))
    assert before[school.name] == world.authority.name
    assert after[school.name] == ward.name
    assert ward.name not in before  # the ward did not exist yet


def test_rename_is_dated(world):
    school = world.school1.school
    old = school.name
    services.orgunit_rename(actor=None, unit=school, new_name="Trường THCS Một Mới", effective_on=REFORM)
    assert name_as_of(school, dt.date(2025, 6, 30)) == old
    assert name_as_of(school, REFORM) == "Trường THCS Một Mới"
    assert OrgUnitVersion.objects.filter(unit=school).count() == 2


def test_an_event_cannot_predate_the_last_change(world):
    school = world.school1.school
    services.orgunit_rename(actor=None, unit=school, new_name="Tên mới", effective_on=REFORM)
    with pytest.raises(ValidationFailed):
        services.orgunit_rename(actor=None, unit=school, new_name="Tên khác", effective_on=dt.date(2025, 6, 1))


def test_merge_moves_children_then_closes_and_ends_roles(world):
    ward = _ward(world)
    services.orgunit_merge(actor=None, unit=world.authority, into=ward, effective_on=REFORM)
    world.authority.refresh_from_db()
    assert world.authority.valid_to == REFORM
    assert world.authority.merged_into == ward
    assert set(OrgUnit.objects.filter(parent=ward)) == {world.school1.school, world.school2.school}
    # Roles held on the closed office end with it.
    assert not RoleAssignment.objects.active_on(REFORM).filter(org_unit=world.authority).exists()
    assert RoleAssignment.objects.active_on(dt.date(2025, 6, 30)).filter(org_unit=world.authority).exists()


def test_cannot_close_a_unit_with_open_children(world):
    with pytest.raises(ValidationFailed, match="trực thuộc"):
        services.orgunit_close(actor=None, unit=world.authority, effective_on=REFORM)


def test_cannot_move_a_unit_under_its_own_descendant(world):
    with pytest.raises(ValidationFailed):
        services.orgunit_move(actor=None, unit=world.department, new_parent=world.authority, effective_on=REFORM)


def test_a_school_cannot_sit_under_a_school(world):
    with pytest.raises(ValidationFailed, match="cấp trên"):
        services.orgunit_move(
            actor=None, unit=world.school1.school, new_parent=world.school2.school, effective_on=REFORM
        )


def test_only_holders_of_org_manage_in_scope_may_change_the_tree(world):
    principal = Actor(user=world.school1.users[Role.PRINCIPAL])
    with pytest.raises(NotPermitted):
        services.orgunit_rename(actor=principal, unit=world.school1.school, new_name="X", effective_on=REFORM)
    specialist = Actor(user=world.authority_users[Role.AUTHORITY_SPECIALIST])
    services.orgunit_rename(actor=specialist, unit=world.school1.school, new_name="X", effective_on=REFORM)
    with pytest.raises(NotPermitted):  # the department is above the specialist's office
        services.orgunit_rename(actor=specialist, unit=world.department, new_name="Y", effective_on=REFORM)


def test_role_assignment_stays_inside_scope(world):
    principal = Actor(user=world.school1.users[Role.PRINCIPAL])
    with pytest.raises(NotPermitted):
        services.role_assign(
            actor=principal, user=world.nobody, role=Role.CLERK, org_unit=world.school2.school, valid_from=REFORM
        )
    with pytest.raises(NotPermitted):
        services.role_assign(
            actor=principal,
            user=world.nobody,
            role=Role.AUTHORITY_LEADER,
            org_unit=world.school1.school,
            valid_from=REFORM,
        )
    assignment = services.role_assign(
        actor=principal, user=world.nobody, role=Role.CLERK, org_unit=world.school1.school, valid_from=REFORM
    )
    assert assignment.granted_by == world.school1.users[Role.PRINCIPAL]
    with pytest.raises(ValidationFailed, match="đã có vai trò"):
        services.role_assign(
            actor=principal, user=world.nobody, role=Role.CLERK, org_unit=world.school1.school, valid_from=REFORM
        )


def test_every_change_is_audited_and_the_chain_verifies(world):
    count = AuditEvent.objects.count()
    services.orgunit_rename(actor=None, unit=world.school1.school, new_name="Tên mới", effective_on=REFORM)
    assert AuditEvent.objects.count() == count + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "org.rename"
    assert event.before == {"name": "Trường THCS Một"}
    assert verify_chain().ok


def test_a_failed_service_leaves_no_audit_event(world):
    count = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed):
        services.orgunit_close(actor=None, unit=world.authority, effective_on=REFORM)
    assert AuditEvent.objects.count() == count


def test_a_rename_and_a_move_on_the_same_day_make_one_new_version(world):
    school = world.school1.school
    ward = _ward(world)
    services.orgunit_rename(actor=None, unit=school, new_name="Trường THCS Phú Lợi", effective_on=REFORM)
    services.orgunit_move(actor=None, unit=school, new_parent=ward, effective_on=REFORM)
    versions = list(OrgUnitVersion.objects.filter(unit=school).order_by("valid_from"))
    assert [(v.name, v.parent_id, v.valid_from, v.valid_to) for v in versions] == [
        ("Trường THCS Một", world.authority.pk, dt.date(2000, 1, 1), REFORM),
        ("Trường THCS Phú Lợi", ward.pk, REFORM, None),
    ]
    assert name_as_of(school, dt.date(2025, 6, 30)) == "Trường THCS Một"
    # Closing needs a later day than the last change: a unit cannot open and close on one date.
    with pytest.raises(ValidationFailed):
        services.orgunit_close(actor=None, unit=school, effective_on=REFORM)
