"""The school list answers "as of" a date: names and parents of that day, schools open that day."""

import datetime as dt

from edudx.core import services as core_services
from edudx.core.enums import AuthorityKind, OrgUnitKind, Role
from edudx.testing import login_verified

REFORM = dt.date(2025, 7, 1)


def _reform(world):
    ward = core_services.orgunit_create(
        actor=None,
        kind=OrgUnitKind.AUTHORITY,
        name="UBND phường Phú Lợi",
        parent=world.department,
        valid_from=REFORM,
        authority_kind=AuthorityKind.WARD_COMMITTEE,
    )
    core_services.orgunit_rename(
        actor=None, unit=world.school1.school, new_name="Trường THCS Phú Lợi", effective_on=REFORM
    )
    core_services.orgunit_merge(actor=None, unit=world.authority, into=ward, effective_on=REFORM)
    core_services.role_assign(
        actor=None,
        user=world.authority_users[Role.AUTHORITY_LEADER],
        role=Role.AUTHORITY_LEADER,
        org_unit=ward,
        valid_from=REFORM,
    )
    return ward


def test_school_list_as_of_before_and_after_the_reform(client, world):
    ward = _reform(world)
    login_verified(client, world.authority_users[Role.AUTHORITY_LEADER])
    before = client.get("/registry/schools/?as_of=2025-04-21")
    names_before = [s.name_then for s in before.context["page_obj"]]
    parents_before = {s.parent_then for s in before.context["page_obj"]}
    assert names_before == ["Trường THCS Hai", "Trường THCS Một"]
    assert parents_before == {"Phòng GDĐT Thử Nghiệm"}
    assert "nay: Trường THCS Phú Lợi" in before.content.decode()

    today = client.get("/registry/schools/")
    assert [s.name_then for s in today.context["page_obj"]] == ["Trường THCS Hai", "Trường THCS Phú Lợi"]
    assert {s.parent_then for s in today.context["page_obj"]} == {ward.name}

    # Filtering by the closed office works for a day when it existed, and finds nothing after it closed.
    office = world.authority.pk
    assert len(client.get(f"/registry/schools/?as_of=2025-04-21&authority={office}").context["page_obj"]) == 2
    assert len(client.get(f"/registry/schools/?as_of=2025-07-02&authority={office}").context["page_obj"]) == 0


def test_a_school_founded_later_is_absent_from_the_earlier_list(client, world):
    core_services.orgunit_create(
        actor=None,
        kind=OrgUnitKind.SCHOOL,
        name="Trường Mầm non Mới",
        parent=world.authority,
        valid_from=dt.date(2025, 9, 1),
        school_level="MN",
        ownership="public",
    )
    login_verified(client, world.authority_users[Role.AUTHORITY_LEADER])
    names = [s.name_then for s in client.get("/registry/schools/?as_of=2025-04-21").context["page_obj"]]
    assert "Trường Mầm non Mới" not in names
    export = client.get("/registry/schools/?as_of=2025-04-21&export=csv")
    assert "Trường Mầm non Mới" not in b"".join(export.streaming_content).decode("utf-8-sig")
