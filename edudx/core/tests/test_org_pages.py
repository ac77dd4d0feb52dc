"""Organisation tree pages: the tree as of two dates, unit history and the dated change forms."""

import datetime as dt

import pytest
from django.urls import reverse

from edudx.core import services
from edudx.core.enums import AuthorityKind, OrgEventKind, OrgUnitKind, Role, SchoolLevel
from edudx.core.models import AuditEvent, OrgUnit, OrgUnitEvent
from edudx.testing import grant, login_verified

REFORM = dt.date(2025, 7, 1)


@pytest.fixture
def leader(world, client):
    """The authority leader, also given org.manage on the department so moves between authorities work."""
    user = world.authority_users[Role.AUTHORITY_LEADER]
    grant(user, Role.AUTHORITY_LEADER, world.department)
    login_verified(client, user)
    return user


def _ward(world):
    return services.orgunit_create(
        actor=None,
        kind=OrgUnitKind.AUTHORITY,
        name="UBND phường Thủ Dầu Một",
        parent=world.department,
        valid_from=REFORM,
        authority_kind=AuthorityKind.WARD_COMMITTEE,
    )


def _flatten(nodes, parent=None, out=None):
    out = {} if out is None else out
    for node in nodes:
        out[node["name"]] = (parent, node)
        _flatten(node["children"], node["name"], out)
    return out


def _post_confirmed(client, url, data):
    first = client.post(url, data)
    assert first.status_code == 200
    assert "Xác nhận" in first.content.decode()
    return client.post(url, {**data, "confirmed": "1"})


def test_tree_shows_both_dates_with_kinds_and_school_counts(world, client):
    login_verified(client, world.authority_users[Role.AUTHORITY_LEADER])
    response = client.get(reverse("core:org_tree"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cơ cấu ngày 21/04/2025" in html
    assert "Trường THCS Một" in html and "Trường THCS Hai" in html
    sides = response.context["sides"]
    assert sides[0]["day"] == dt.date(2025, 4, 21)
    tree = _flatten(sides[1]["roots"])
    _, authority = tree["Phòng GDĐT Thử Nghiệm"]
    assert authority["school_count"] == 2
    _, school = tree["Trường THCS Một"]
    assert school["level_label"] == "Trung học cơ sở"
    assert school["ownership_label"] == "Công lập"
    assert "<details" in html and "<summary>" in html


def test_tree_as_of_keeps_old_parent_and_old_name_after_a_move(world, client, leader):
    school = world.school1.school
    ward = _ward(world)
    url = reverse("core:unit_change", args=[school.pk, "move"])
    response = _post_confirmed(
        client,
        url,
        {"target": ward.pk, "effective_on": "01/07/2025", "legal_basis": "Nghị quyết 1656/NQ-UBTVQH15"},
    )
    assert response.status_code == 302
    rename_url = reverse("core:unit_change", args=[school.pk, "rename"])
    response = _post_confirmed(
        client,
        rename_url,
        {"new_name": "Trường THCS Thủ Dầu Một", "effective_on": "2025-08-15", "legal_basis": "QĐ 12/QĐ-UBND"},
    )
    assert response.status_code == 302

    response = client.get(reverse("core:org_tree"), {"a": "2025-04-21", "b": "2025-09-01"})
    before = _flatten(response.context["sides"][0]["roots"])
    after = _flatten(response.context["sides"][1]["roots"])
    assert before["Trường THCS Một"][0] == "Phòng GDĐT Thử Nghiệm"
    assert "Trường THCS Thủ Dầu Một" not in before
    assert "UBND phường Thủ Dầu Một" not in before
    assert after["Trường THCS Thủ Dầu Một"][0] == "UBND phường Thủ Dầu Một"
    assert "Trường THCS Một" not in after
    assert after["Phòng GDĐT Thử Nghiệm"][1]["school_count"] == 1
    # The timeline shows both events with their legal basis.
    html = response.content.decode()
    assert "Nghị quyết 1656/NQ-UBTVQH15" in html
    assert "Đổi tên từ “Trường THCS Một” thành “Trường THCS Thủ Dầu Một”" in html


def test_tree_requires_org_view(world, client):
    for user in (world.school1.users[Role.GUARDIAN], world.school1.users[Role.STUDENT], world.nobody):
        login_verified(client, user)
        assert client.get(reverse("core:org_tree")).status_code == 403
    client.logout()
    assert client.get(reverse("core:org_tree")).status_code == 302


def test_teacher_sees_own_school_and_the_chain_above_but_not_the_other_school(world, client):
    login_verified(client, world.school1.users[Role.HOMEROOM_TEACHER])
    response = client.get(reverse("core:org_tree"))
    html = response.content.decode()
    assert "Trường THCS Một" in html
    assert "Trường THCS Hai" not in html


def test_unit_detail_breadcrumb_versions_and_404_for_other_school(world, client):
    school = world.school1.school
    services.orgunit_rename(actor=None, unit=school, new_name="Trường THCS Một Mới", effective_on=REFORM)
    login_verified(client, world.school1.users[Role.PRINCIPAL])
    response = client.get(reverse("core:unit_detail", args=[school.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Phòng GDĐT Thử Nghiệm" in html  # breadcrumb
    assert [label for label, _ in response.context["crumbs"]][1:] == [
        "Bộ Giáo dục và Đào tạo",
        "Sở GDĐT Thử Nghiệm",
        "Phòng GDĐT Thử Nghiệm",
        "Trường THCS Một Mới",
    ]
    assert "Trường THCS Một" in html and "01/07/2025" in html
    assert response.context["can_manage"] is False
    assert client.get(reverse("core:unit_detail", args=[world.school2.school.pk])).status_code == 404
    # No org.manage: the change forms are refused.
    assert client.get(reverse("core:unit_change", args=[school.pk, "rename"])).status_code == 403
    assert client.get(reverse("core:unit_create")).status_code == 403


def test_rename_needs_confirmation_and_shows_service_errors(world, client, leader):
    school = world.school1.school
    url = reverse("core:unit_change", args=[school.pk, "rename"])
    data = {"new_name": "Trường THCS Mới", "effective_on": "2025-07-01", "legal_basis": "QĐ 1"}
    first = client.post(url, data)
    assert first.status_code == 200 and first.context["confirming"]
    school.refresh_from_db()
    assert school.name == "Trường THCS Một"  # nothing changed before confirmation
    events_before = AuditEvent.objects.count()
    # A date before the unit's current version is refused with the service's message.
    bad = client.post(url, {**data, "effective_on": "1999-01-01", "confirmed": "1"})
    assert bad.status_code == 200
    assert "Ngày hiệu lực phải sau 01/01/2000" in bad.content.decode()
    assert AuditEvent.objects.count() == events_before
    ok = client.post(url, {**data, "confirmed": "1"})
    assert ok.status_code == 302
    school.refresh_from_db()
    assert school.name == "Trường THCS Mới"
    assert AuditEvent.objects.filter(action="org.rename", object_id=str(school.pk)).exists()


def test_close_refuses_a_unit_with_open_children(world, client, leader):
    url = reverse("core:unit_change", args=[world.authority.pk, "close"])
    response = client.post(url, {"effective_on": "2025-07-01", "legal_basis": "QĐ 2", "confirmed": "1"})
    assert response.status_code == 200
    assert "Còn 2 đơn vị trực thuộc đang hoạt động" in response.content.decode()
    world.authority.refresh_from_db()
    assert world.authority.valid_to is None


def test_merge_and_close_schools(world, client, leader):
    one, two = world.school1.school, world.school2.school
    response = _post_confirmed(
        client,
        reverse("core:unit_change", args=[two.pk, "merge"]),
        {"target": one.pk, "effective_on": "2025-07-01", "legal_basis": "QĐ sáp nhập"},
    )
    assert response.status_code == 302
    two.refresh_from_db()
    assert two.valid_to == REFORM and two.merged_into_id == one.pk
    assert OrgUnitEvent.objects.filter(unit=two, kind=OrgEventKind.MERGE).exists()
    response = _post_confirmed(
        client,
        reverse("core:unit_change", args=[one.pk, "close"]),
        {"effective_on": "2025-08-01", "legal_basis": "QĐ giải thể"},
    )
    assert response.status_code == 302
    one.refresh_from_db()
    assert one.valid_to == dt.date(2025, 8, 1)


def test_manager_of_school1_only_cannot_touch_school2(world, client):
    """An authority leader of a different authority gets 404, a same-tree reader without manage 403."""
    login_verified(client, world.authority_users[Role.SECURITY_OFFICER])
    url = reverse("core:unit_change", args=[world.school1.school.pk, "rename"])
    assert client.get(url).status_code == 403
    response = client.post(url, {"new_name": "X", "effective_on": "2025-07-01", "legal_basis": "x", "confirmed": "1"})
    assert response.status_code == 403
    world.school1.school.refresh_from_db()
    assert world.school1.school.name == "Trường THCS Một"


def test_create_school_with_province_and_ward(world, client, leader):
    response = client.get(reverse("core:unit_create"), {"parent": world.authority.pk})
    assert response.status_code == 200
    assert "Thành phố Hồ Chí Minh" in response.content.decode()
    wards = client.get(reverse("core:ward_options"), {"province_code": "79"}).content.decode()
    assert "Phường Thủ Dầu Một" in wards and "Phường Sài Gòn" in wards
    data = {
        "parent": world.authority.pk,
        "kind": OrgUnitKind.SCHOOL,
        "name": "Trường Tiểu học Phú Lợi",
        "school_level": SchoolLevel.TH,
        "ownership": "public",
        "moet_code": "79000123",
        "province_code": "79",
        "ward_code": "",
        "address": "12 Huỳnh Văn Lũy",
        "valid_from": "2025-09-01",
        "legal_basis": "QĐ thành lập 5/QĐ-UBND",
    }
    # No ward yet: the form asks for one and now lists the wards of the chosen province.
    response = client.post(reverse("core:unit_create"), data)
    assert response.status_code == 200
    assert "Phường Thủ Dầu Một" in response.content.decode()
    response = client.post(reverse("core:unit_create"), {**data, "ward_code": "25747"})
    assert response.status_code == 302
    unit = OrgUnit.objects.get(moet_code="79000123")
    assert unit.parent_id == world.authority.pk and unit.school_level == "TH"
    assert unit.province_code == "79" and unit.ward_code == "25747"
    detail = client.get(reverse("core:unit_detail", args=[unit.pk])).content.decode()
    assert "Phường Thủ Dầu Một" in detail and "Thành phố Hồ Chí Minh" in detail
    assert OrgUnitEvent.objects.filter(unit=unit, kind=OrgEventKind.CREATE, legal_basis__startswith="QĐ").exists()


def test_create_school_needs_level(world, client, leader):
    data = {
        "parent": world.authority.pk,
        "kind": OrgUnitKind.SCHOOL,
        "name": "Trường X",
        "valid_from": "2025-09-01",
        "legal_basis": "QĐ",
    }
    response = client.post(reverse("core:unit_create"), data)
    assert response.status_code == 200
    assert "Hãy chọn cấp học của trường." in response.content.decode()
    assert not OrgUnit.objects.filter(name="Trường X").exists()


def test_tree_dates_typed_the_vietnamese_way_show_in_the_date_inputs(client, world):
    from edudx.core.enums import Role
    from edudx.testing import login_verified

    login_verified(client, world.authority_users[Role.AUTHORITY_LEADER])
    html = client.get("/org/?a=21/04/2025&b=02/07/2025").content.decode()
    assert 'value="2025-04-21"' in html
    assert 'value="2025-07-02"' in html
