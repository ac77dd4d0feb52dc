"""School pages: list with search/filters/export, profile with counts, infrastructure form and overview."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from edudx.core import services as core_services
from edudx.core.enums import OrgUnitKind, Ownership, Role, SchoolLevel
from edudx.core.models import AuditEvent
from edudx.registry.enums import InternetType, StaffPosition
from edudx.registry.models import Grade, SchoolClass, SchoolInfrastructure, StaffMember
from edudx.testing import login_verified, make_person


def _leader(world):
    return world.authority_users[Role.AUTHORITY_LEADER]


def _add_schools(world, count):
    grade = Grade.objects.get(code="1")
    for i in range(count):
        school = core_services.orgunit_create(
            actor=None,
            kind=OrgUnitKind.SCHOOL,
            name=f"Trường Tiểu học Số {i}",
            parent=world.authority,
            valid_from=dt.date(2000, 1, 1),
            school_level=SchoolLevel.TH,
            ownership=Ownership.PRIVATE,
            moet_code=f"X{i:05d}",
        )
        SchoolClass.objects.create(school=school, year=world.year, grade=grade, name="1A")
        StaffMember.objects.create(
            person=make_person(f"Giáo viên {i}"), org_unit=school, position=StaffPosition.TEACHER
        )
        SchoolInfrastructure.objects.create(
            school=school,
            internet_type=InternetType.FIBER,
            bandwidth_mbps=100,
            classrooms=10,
            classrooms_with_projector=i % 10,
        )


def test_list_shows_counts_of_the_current_year(world, client):
    login_verified(client, _leader(world))
    response = client.get(reverse("registry:school_list"))
    assert response.status_code == 200
    rows = {s.name: s for s in response.context["object_list"]}
    one = rows["Trường THCS Một"]
    assert (one.class_count, one.student_count, one.staff_count) == (2, 6, 2)
    assert "Trường THCS Hai" in response.content.decode()


def test_search_ignores_diacritics_and_filters_apply(world, client):
    _add_schools(world, 2)
    login_verified(client, _leader(world))
    url = reverse("registry:school_list")
    names = lambda r: sorted(s.name for s in r.context["object_list"])  # noqa: E731
    assert names(client.get(url, {"q": "truong thcs mot"})) == ["Trường THCS Một"]
    assert names(client.get(url, {"q": "TIEU HOC so 1"})) == ["Trường Tiểu học Số 1"]
    assert names(client.get(url, {"level": "TH"})) == ["Trường Tiểu học Số 0", "Trường Tiểu học Số 1"]
    assert names(client.get(url, {"ownership": "public"})) == ["Trường THCS Hai", "Trường THCS Một"]
    assert len(names(client.get(url, {"authority": world.authority.pk}))) == 4


def test_principal_sees_only_own_school_and_404_on_other(world, client):
    login_verified(client, world.school1.users[Role.PRINCIPAL])
    response = client.get(reverse("registry:school_list"))
    assert [s.name for s in response.context["object_list"]] == ["Trường THCS Một"]
    assert client.get(reverse("registry:school_detail", args=[world.school2.school.pk])).status_code == 404
    assert client.get(reverse("registry:school_infrastructure_edit", args=[world.school2.school.pk])).status_code == 404


def test_subject_teacher_counts_only_what_policies_allow(world, client):
    """A subject teacher may see the school but only the class they teach and its pupils."""
    login_verified(client, world.school1.users[Role.SUBJECT_TEACHER])
    response = client.get(reverse("registry:school_detail", args=[world.school1.school.pk]))
    assert response.status_code == 200
    school = response.context["school"]
    assert (school.class_count, school.student_count) == (1, 3)


def test_list_refused_without_school_view(world, client):
    login_verified(client, world.nobody)
    assert client.get(reverse("registry:school_list")).status_code == 403
    client.logout()
    assert client.get(reverse("registry:school_list")).status_code == 302


def test_export_xlsx_and_csv(world, client):
    login_verified(client, world.school1.users[Role.PRINCIPAL])
    csv = client.get(reverse("registry:school_list"), {"export": "csv"})
    body = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Tên trường,Mã trường,Cấp học")
    assert "Trường THCS Một" in body and "Trường THCS Hai" not in body
    xlsx = client.get(reverse("registry:school_list"), {"export": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_detail_shows_breadcrumb_counts_and_infrastructure(world, client):
    school = world.school1.school
    SchoolInfrastructure.objects.create(
        school=school, internet_type=InternetType.FIBER, bandwidth_mbps=300, classrooms=20, classrooms_with_projector=12
    )
    login_verified(client, world.school1.users[Role.CLERK])
    response = client.get(reverse("registry:school_detail", args=[school.pk]))
    html = response.content.decode()
    assert "Phòng GDĐT Thử Nghiệm" in html and "Cáp quang" in html and "300 Mbps" in html
    assert response.context["can_edit"] is False  # the clerk has no school.change
    assert client.get(reverse("registry:school_infrastructure_edit", args=[school.pk])).status_code == 403


def _infra_data(**over):
    data = {
        "internet_type": "fiber",
        "bandwidth_mbps": "200",
        "has_wifi_for_teaching": "on",
        "computer_rooms": "2",
        "student_computers": "60",
        "teacher_computers": "10",
        "classrooms": "24",
        "classrooms_with_projector": "20",
        "classrooms_with_display": "4",
        "other_devices": "2 bảng tương tác",
    }
    data.update(over)
    return data


def test_school_it_updates_infrastructure_with_audit(world, client):
    school = world.school1.school
    login_verified(client, world.school1.users[Role.SCHOOL_IT])
    url = reverse("registry:school_infrastructure_edit", args=[school.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _infra_data())
    assert response.status_code == 302
    infra = SchoolInfrastructure.objects.get(school=school)
    assert infra.bandwidth_mbps == 200 and infra.has_wifi_for_teaching
    event = AuditEvent.objects.get(action="school.infrastructure_update")
    assert event.before is None and event.after["classrooms"] == 24 and event.org_path == school.path
    response = client.post(url, _infra_data(bandwidth_mbps="500"))
    assert response.status_code == 302
    second = AuditEvent.objects.filter(action="school.infrastructure_update").order_by("-seq").first()
    assert second.before["bandwidth_mbps"] == 200 and second.after["bandwidth_mbps"] == 500


def test_projector_rooms_cannot_exceed_classrooms(world, client):
    school = world.school1.school
    login_verified(client, world.school1.users[Role.PRINCIPAL])
    url = reverse("registry:school_infrastructure_edit", args=[school.pk])
    response = client.post(url, _infra_data(classrooms="10", classrooms_with_projector="12"))
    assert response.status_code == 200
    assert "không được lớn hơn tổng số phòng học (10)" in response.content.decode()
    assert not SchoolInfrastructure.objects.filter(school=school).exists()
    assert not AuditEvent.objects.filter(action="school.infrastructure_update").exists()


def test_overview_for_authority_with_totals(world, client):
    _add_schools(world, 3)
    login_verified(client, _leader(world))
    response = client.get(reverse("registry:infrastructure_overview"))
    assert response.status_code == 200
    totals = response.context["totals"]
    assert totals["fibre"] == 3 and totals["classrooms"] == 30 and totals["classrooms_with_projector"] == 3
    assert response.context["school_total"] == 5
    assert "Chưa khai báo" in response.content.decode()
    csv = client.get(reverse("registry:infrastructure_overview"), {"export": "csv"})
    assert "Trường Tiểu học Số 2" in b"".join(csv.streaming_content).decode("utf-8-sig")
    login_verified(client, world.school1.users[Role.PRINCIPAL])
    assert client.get(reverse("registry:infrastructure_overview")).status_code == 403


@pytest.mark.parametrize("url_name", ["registry:school_list", "registry:infrastructure_overview"])
def test_query_count_does_not_grow_with_schools(world, client, url_name):
    login_verified(client, _leader(world))
    url = reverse(url_name)
    _add_schools(world, 1)  # 3 schools
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as three:
        response = client.get(url)
    assert len(response.context["object_list"] if "object_list" in response.context else response.context["rows"]) == 3
    _add_schools_offset(world, 27)  # 30 schools
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(url)
    shown = response.context["object_list"] if "object_list" in response.context else response.context["rows"]
    assert len(shown) in (25, 30)
    assert len(thirty) == len(three)
    assert len(three) <= 12


def _add_schools_offset(world, count):
    grade = Grade.objects.get(code="2")
    for i in range(count):
        school = core_services.orgunit_create(
            actor=None,
            kind=OrgUnitKind.SCHOOL,
            name=f"Trường Mầm non {i}",
            parent=world.authority,
            valid_from=dt.date(2000, 1, 1),
            school_level=SchoolLevel.MN,
            ownership=Ownership.PUBLIC,
        )
        SchoolClass.objects.create(school=school, year=world.year, grade=grade, name="Lá 1")
