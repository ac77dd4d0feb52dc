"""school_infrastructure_update: permission first, validation, audit with before/after."""

import pytest

from edudx.core.enums import Role
from edudx.core.errors import NotPermitted, ValidationFailed
from edudx.core.models import AuditEvent
from edudx.core.permissions import Actor
from edudx.registry.models import SchoolInfrastructure
from edudx.registry.services.schools import school_infrastructure_update

GOOD = {"internet_type": "fiber", "bandwidth_mbps": 100, "classrooms": 10, "classrooms_with_projector": 10}


@pytest.mark.parametrize(
    "who",
    [
        lambda w: w.school2.users[Role.PRINCIPAL],  # another school
        lambda w: w.school1.users[Role.CLERK],  # same school, no school.change
        lambda w: w.school1.users[Role.HOMEROOM_TEACHER],
        lambda w: w.authority_users[Role.AUTHORITY_LEADER],  # sees it, may not change it
        lambda w: w.nobody,
    ],
)
def test_denied_actors_change_nothing(world, who):
    audit_before = AuditEvent.objects.count()
    with pytest.raises(NotPermitted):
        school_infrastructure_update(actor=Actor(user=who(world)), school=world.school1.school, **GOOD)
    assert not SchoolInfrastructure.objects.exists()
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize("role", [Role.PRINCIPAL, Role.VICE_PRINCIPAL, Role.SCHOOL_IT])
def test_allowed_roles_write_and_audit(world, role):
    actor = Actor(user=world.school1.users[role])
    infra = school_infrastructure_update(actor=actor, school=world.school1.school, **GOOD)
    assert infra.bandwidth_mbps == 100 and infra.updated_by == actor.user
    event = AuditEvent.objects.get(action="school.infrastructure_update")
    assert event.after["classrooms_with_projector"] == 10 and event.actor == actor.user


@pytest.mark.parametrize(
    "fields, message",
    [
        ({**GOOD, "classrooms_with_projector": 11}, "không được lớn hơn tổng số phòng học"),
        ({**GOOD, "classrooms_with_display": 11}, "màn hình/TV thông minh (11)"),
        ({**GOOD, "internet_type": "none"}, "băng thông phải bằng 0"),
        ({**GOOD, "bandwidth_mbps": 0}, "Hãy nhập băng thông"),
        ({**GOOD, "computer_rooms": 1}, "phòng máy tính thì phải có máy tính"),
        ({**GOOD, "classrooms": -1}, "Dữ liệu hạ tầng không hợp lệ"),
        ({**GOOD, "internet_type": "satellite"}, "Dữ liệu hạ tầng không hợp lệ"),
        ({**GOOD, "colour": "red"}, "không được hỗ trợ"),
    ],
)
def test_validation(world, fields, message):
    actor = Actor(user=world.school1.users[Role.PRINCIPAL])
    with pytest.raises(ValidationFailed) as caught:
        school_infrastructure_update(actor=actor, school=world.school1.school, **fields)
    assert message in caught.value.message
    assert not SchoolInfrastructure.objects.exists()


def test_partial_update_keeps_other_fields(world):
    actor = Actor(user=world.school1.users[Role.PRINCIPAL])
    school_infrastructure_update(actor=actor, school=world.school1.school, **GOOD)
    school_infrastructure_update(actor=actor, school=world.school1.school, has_wifi_for_teaching=True)
    infra = SchoolInfrastructure.objects.get()
    assert infra.has_wifi_for_teaching and infra.classrooms == 10
    last = AuditEvent.objects.filter(action="school.infrastructure_update").order_by("-seq").first()
    assert last.before["has_wifi_for_teaching"] is False and last.after["has_wifi_for_teaching"] is True
