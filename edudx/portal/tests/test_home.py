"""Home dashboards: one section per role, counts through the policies, a friendly page without a role."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from edudx.core import services as core_services
from edudx.core.enums import OrgUnitKind, Ownership, Role, SchoolLevel
from edudx.registry.enums import InternetType
from edudx.registry.models import SchoolInfrastructure
from edudx.testing import grant, login_verified


def test_anonymous_is_sent_to_login(world, client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_authority_dashboard_counts(world, client):
    SchoolInfrastructure.objects.create(
        school=world.school1.school, internet_type=InternetType.FIBER, bandwidth_mbps=100
    )
    SchoolInfrastructure.objects.create(school=world.school2.school, internet_type=InternetType.ADSL, bandwidth_mbps=20)
    core_services.orgunit_create(
        actor=None,
        kind=OrgUnitKind.SCHOOL,
        name="Trường Mầm non Hoa Sen",
        parent=world.authority,
        valid_from=dt.date(2010, 1, 1),
        school_level=SchoolLevel.MN,
        ownership=Ownership.PRIVATE,
    )
    login_verified(client, world.authority_users[Role.AUTHORITY_LEADER])
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    board = response.context["authority"]
    assert board.school_total == 3
    assert dict(board.schools_by_level) == {"Mầm non": 1, "Tiểu học": 0, "Trung học cơ sở": 2, "Liên cấp": 0}
    assert board.students == 12
    assert board.staff == 4
    assert str(board.fibre_percent) == "33.3"
    html = response.content.decode()
    assert "33,3%" in html  # Vietnamese decimal comma
    assert reverse("registry:school_list") in html and reverse("core:audit_log") in html
    assert "guardian-dashboard" not in html and "no-role" not in html


def test_principal_sees_own_school_counts_and_quick_links(world, client):
    login_verified(client, world.school1.users[Role.PRINCIPAL])
    response = client.get(reverse("portal:home"))
    [school] = [row["school"] for row in response.context["schools"]]
    assert school.pk == world.school1.school.pk
    assert (school.class_count, school.student_count, school.staff_count) == (2, 6, 2)
    html = response.content.decode()
    assert reverse("registry:import_list") in html and reverse("registry:class_list") in html
    assert "Trường THCS Hai" not in html
    assert "authority-dashboard" not in html


def test_clerk_and_vice_principal_get_the_school_section(world, client):
    for role in (Role.CLERK, Role.VICE_PRINCIPAL):
        login_verified(client, world.school2.users[role])
        response = client.get(reverse("portal:home"))
        assert [row["school"].name for row in response.context["schools"]] == ["Trường THCS Hai"]


def test_teachers_see_homeroom_and_taught_classes(world, client):
    login_verified(client, world.school1.users[Role.HOMEROOM_TEACHER])
    items = [row["item"] for row in client.get(reverse("portal:home")).context["teaching"]]
    assert [(i.school_class.name, i.is_homeroom, i.student_count) for i in items] == [("6A1", True, 3)]
    login_verified(client, world.school1.users[Role.SUBJECT_TEACHER])
    response = client.get(reverse("portal:home"))
    items = [row["item"] for row in response.context["teaching"]]
    assert [(i.school_class.name, i.is_homeroom, i.subjects) for i in items] == [("6A2", False, ["Toán"])]
    assert reverse("registry:class_detail", args=[world.school1.class_b.pk]) in response.content.decode()


def test_guardian_gets_a_card_per_own_child(world, client):
    guardian = world.school1.users[Role.GUARDIAN]
    login_verified(client, guardian)
    response = client.get(reverse("portal:home"))
    cards = [row["card"] for row in response.context["children"]]
    assert [(c.student.pk, c.class_name, c.school_name) for c in cards] == [
        (world.school1.students_a[0].pk, "6A1", "Trường THCS Một")
    ]
    html = response.content.decode()
    assert world.school1.students_a[0].person.full_name in html
    assert world.school1.students_a[1].person.full_name not in html
    assert 'name="viewport"' in html and "col-12 col-sm-6" in html


def test_guardian_with_two_children_in_two_schools(world, client):
    from edudx.registry.models import GuardianLink

    guardian = world.school1.users[Role.GUARDIAN]
    grant(guardian, Role.GUARDIAN, world.school2.school)
    GuardianLink.objects.create(guardian=guardian.person, student=world.school2.students_b[0], relation="father")
    login_verified(client, guardian)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("portal:home"))
    cards = sorted((row["card"].school_name, row["card"].class_name) for row in response.context["children"])
    assert cards == [("Trường THCS Hai", "6A2"), ("Trường THCS Một", "6A1")]
    assert len(queries) < 15


def test_student_sees_own_card(world, client):
    login_verified(client, world.school1.users[Role.STUDENT])
    response = client.get(reverse("portal:home"))
    [card] = response.context["own_cards"]
    assert card.student.pk == world.school1.students_a[1].pk and card.class_name == "6A1"
    assert world.school1.students_a[1].moet_code in response.content.decode()


def test_user_without_role_gets_a_friendly_message(world, client):
    login_verified(client, world.nobody)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "chưa được giao vai trò nào" in html
    assert "hiệu trưởng" in html


def test_menu_shows_only_allowed_entries(world, client):
    login_verified(client, world.school1.users[Role.GUARDIAN])
    labels = [item["label"] for item in client.get(reverse("portal:home")).context["nav_items"]]
    assert "Nhật ký thay đổi" not in labels and "Cơ cấu tổ chức" not in labels
    assert "Trường học" in labels
    login_verified(client, world.authority_users[Role.AUTHORITY_LEADER])
    items = {i["label"]: i["url"] for i in client.get(reverse("portal:home")).context["nav_items"]}
    assert items["Cơ cấu tổ chức"] == reverse("core:org_tree")
    assert items["Nhật ký thay đổi"] == reverse("core:audit_log")
    assert items["Trường học"] == reverse("registry:school_list")


def test_plan_targets_are_measured_live_for_the_authority(client, world):
    from edudx.registry.models import StaffMember

    SchoolInfrastructure.objects.create(
        school=world.school1.school, internet_type=InternetType.FIBER, bandwidth_mbps=200
    )
    SchoolInfrastructure.objects.create(school=world.school2.school, internet_type=InternetType.NONE)
    StaffMember.objects.filter(pk=world.school1.homeroom_a.pk).update(signing_certificate_ref="CA-123")
    login_verified(client, world.authority_users[Role.AUTHORITY_LEADER])
    page = client.get("/").content.decode()
    row = page.split('data-kpi="infra.fibre_schools"')[1].split("</tr>")[0]
    assert "50,0%" in row and "Chưa đạt" in row
    row = page.split('data-kpi="staff.digital_signature"')[1].split("</tr>")[0]
    assert "25,0%" in row
    # The authority sees the public-service targets; a principal, who has no servicekpi.view, does not.
    assert 'data-kpi="tthc.on_time"' in page or 'data-kpi="tthc.satisfaction"' in page
    client.logout()
    login_verified(client, world.school1.users[Role.PRINCIPAL])
    principal_page = client.get("/").content.decode()
    assert 'data-kpi="infra.fibre_schools"' in principal_page and 'data-kpi="tthc.' not in principal_page
    # A teacher has no plan-target table.
    client.logout()
    login_verified(client, world.school1.users[Role.HOMEROOM_TEACHER])
    assert 'data-testid="plan-targets"' not in client.get("/").content.decode()
