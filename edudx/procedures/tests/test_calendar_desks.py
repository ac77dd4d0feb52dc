"""The working calendar (stored days off and make-up days beside the package's holidays) and the service desks'
dated identifiers: services, pages, API, permissions, and the demo loader."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from edudx.core.api import AuditEvent, ValidationFailed
from edudx.core.enums import OrgUnitKind, Role
from edudx.core.errors import Conflict, NotPermitted
from edudx.procedures.demo import load_desks_and_calendar
from edudx.procedures.dossier_codes import validate_unit_code
from edudx.procedures.models import CalendarDay, CalendarDayKind, ServiceDesk
from edudx.procedures.selectors.calendar import work_calendar
from edudx.procedures.services.catalogue import calendar_day_add, calendar_day_delete, desk_identifier_set
from edudx.procedures.services.codes import desk_for
from edudx.procedures.workdays import is_working_day
from edudx.testing import login_verified

pytestmark = pytest.mark.django_db

FRIDAY = dt.date(2026, 1, 2)
SATURDAY = dt.date(2026, 1, 10)


def _client(user) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def _manager(world):
    return world.authority_users[Role.AUTHORITY_LEADER]


# ---------------------------------------------------------------------------------------------------------------
# Calendar
# ---------------------------------------------------------------------------------------------------------------


def test_calendar_days_change_the_working_calendar(world, actor_of):
    manager = actor_of(_manager(world))
    assert is_working_day(FRIDAY, work_calendar()) and not is_working_day(SATURDAY, work_calendar())
    off = calendar_day_add(actor=manager, day=FRIDAY, kind=CalendarDayKind.DAY_OFF, name="Nghỉ Tết Dương lịch")
    calendar_day_add(actor=manager, day=SATURDAY, kind=CalendarDayKind.WORKING_DAY, name="Làm bù")
    assert not is_working_day(FRIDAY, work_calendar()) and is_working_day(SATURDAY, work_calendar())
    assert AuditEvent.objects.filter(action="calendar.add").count() == 2
    calendar_day_delete(actor=manager, calendar_day=off, reason="Nhập nhầm")
    assert is_working_day(FRIDAY, work_calendar())
    event = AuditEvent.objects.get(action="calendar.delete")
    assert event.before["day"] == "2026-01-02" and event.reason == "Nhập nhầm"


def test_calendar_refuses_pointless_or_duplicate_days_and_outsiders(world, actor_of):
    manager = actor_of(_manager(world))
    with pytest.raises(ValidationFailed, match="vốn đã là ngày nghỉ"):
        calendar_day_add(actor=manager, day=dt.date(2026, 1, 4), kind=CalendarDayKind.DAY_OFF, name="Chủ nhật")
    with pytest.raises(ValidationFailed, match="vốn đã là ngày nghỉ"):  # Quốc khánh is in the package
        calendar_day_add(actor=manager, day=dt.date(2026, 9, 2), kind=CalendarDayKind.DAY_OFF, name="Quốc khánh")
    with pytest.raises(ValidationFailed, match="vốn đã là ngày làm việc"):
        calendar_day_add(actor=manager, day=FRIDAY, kind=CalendarDayKind.WORKING_DAY, name="Làm")
    with pytest.raises(ValidationFailed):
        calendar_day_add(actor=manager, day=FRIDAY, kind=CalendarDayKind.DAY_OFF, name="   ")
    row = calendar_day_add(actor=manager, day=FRIDAY, kind=CalendarDayKind.DAY_OFF, name="Nghỉ")
    with pytest.raises(Conflict):
        calendar_day_add(actor=manager, day=FRIDAY, kind=CalendarDayKind.DAY_OFF, name="Lần hai")
    for outsider in (world.school1.users[Role.PRINCIPAL], world.nobody):
        with pytest.raises(NotPermitted):
            calendar_day_add(actor=actor_of(outsider), day=SATURDAY, kind=CalendarDayKind.WORKING_DAY, name="x")
        with pytest.raises(NotPermitted):
            calendar_day_delete(actor=actor_of(outsider), calendar_day=row)
    assert list(CalendarDay.objects.values_list("day", flat=True)) == [FRIDAY]


def test_calendar_pages(world):
    url = reverse("procedures:calendar")
    assert Client().get(url).status_code == 302
    outsider = _client(world.school1.users[Role.PRINCIPAL])
    assert outsider.get(url).status_code == 403
    assert outsider.post(url, {"day": "2026-01-02", "kind": "off", "name": "x"}).status_code == 403
    assert not CalendarDay.objects.exists()
    client = _client(_manager(world))
    page = client.get(url, {"year": 2026})
    html = page.content.decode()
    assert page.status_code == 200 and "Tết Nguyên Đán" in html and "Ngày Văn hóa Việt Nam" in html
    added = client.post(f"{url}?year=2026", {"day": "2026-01-02", "kind": "off", "name": "Nghỉ Tết Dương lịch 2026"})
    assert added.status_code == 302
    row = CalendarDay.objects.get(day=FRIDAY)
    assert row.created_by == _manager(world)
    refused = client.post(url, {"day": "2026-01-03", "kind": "off", "name": "Thứ Bảy"})
    assert refused.status_code == 200 and "vốn đã là ngày nghỉ" in refused.content.decode()
    listed = client.get(url, {"year": 2026}).content.decode()
    assert "Nghỉ Tết Dương lịch 2026" in listed and reverse("procedures:calendar_delete", args=[row.pk]) in listed
    delete_url = reverse("procedures:calendar_delete", args=[row.pk])
    assert outsider.post(delete_url).status_code == 403
    assert client.get(delete_url).status_code == 200 and CalendarDay.objects.exists()
    assert client.post(delete_url, {"reason": "Nhầm"}).status_code == 302
    assert not CalendarDay.objects.exists()


def test_calendar_api(world):
    api = APIClient()
    assert api.get("/api/v1/procedures/calendar-days/").status_code in (401, 403)
    api.force_authenticate(world.school1.users[Role.PRINCIPAL])
    assert (
        api.post("/api/v1/procedures/calendar-days/", {"day": "2026-01-02", "kind": "off", "name": "x"}).status_code
        == 403
    )
    api.force_authenticate(_manager(world))
    created = api.post("/api/v1/procedures/calendar-days/", {"day": "2026-01-02", "kind": "off", "name": "Nghỉ bù"})
    assert created.status_code == 201
    assert (
        api.post("/api/v1/procedures/calendar-days/", {"day": "2026-01-02", "kind": "off", "name": "x"}).status_code
        == 409
    )
    assert api.get("/api/v1/procedures/calendar-days/", {"year": 2026}).json()["count"] == 1
    holidays = api.get("/api/v1/procedures/calendar-days/holidays/", {"year": 2026}).json()
    assert {"day": "2026-09-02", "name": "Quốc khánh"} in holidays
    assert api.delete(f"/api/v1/procedures/calendar-days/{created.json()['id']}/").status_code == 204
    assert not CalendarDay.objects.exists()


# ---------------------------------------------------------------------------------------------------------------
# Service desks
# ---------------------------------------------------------------------------------------------------------------


def test_a_new_identifier_closes_the_old_one(world, actor_of):
    manager = actor_of(_manager(world))
    unit = world.authority
    first = desk_identifier_set(
        actor=manager, org_unit=unit, unit_code="h56.10.01", valid_from=dt.date(2025, 7, 1), address="Số 1"
    )
    assert first.unit_code == "H56.10.01"
    second = desk_identifier_set(actor=manager, org_unit=unit, unit_code="H56.10.02", valid_from=dt.date(2026, 1, 1))
    first.refresh_from_db()
    assert first.valid_to == dt.date(2025, 12, 31) and second.valid_to is None and second.address == "Số 1"
    assert desk_for(unit, dt.date(2025, 12, 31)) == first and desk_for(unit, dt.date(2026, 1, 1)) == second
    event = AuditEvent.objects.filter(action="desk.set_identifier").order_by("seq").last()
    assert event.before["unit_code"] == "H56.10.01" and event.after["unit_code"] == "H56.10.02"


def test_desk_refusals(world, actor_of):
    manager = actor_of(_manager(world))
    unit, school = world.authority, world.school1.school
    with pytest.raises(ValidationFailed) as invalid:
        desk_identifier_set(actor=manager, org_unit=unit, unit_code="56.10", valid_from=dt.date(2025, 7, 1))
    assert invalid.value.details["unit_code"]
    desk_identifier_set(actor=manager, org_unit=unit, unit_code="H56.10.01", valid_from=dt.date(2025, 7, 1))
    with pytest.raises(ValidationFailed):  # the same identifier again
        desk_identifier_set(actor=manager, org_unit=unit, unit_code="H56.10.01", valid_from=dt.date(2026, 1, 1))
    with pytest.raises(ValidationFailed):  # not after the current one's start
        desk_identifier_set(actor=manager, org_unit=unit, unit_code="H56.10.02", valid_from=dt.date(2025, 7, 1))
    with pytest.raises(ValidationFailed, match="H56.10.01"):  # another unit's identifier
        desk_identifier_set(actor=manager, org_unit=school, unit_code="H56.10.01", valid_from=dt.date(2025, 7, 1))
    principal = actor_of(world.school1.users[Role.PRINCIPAL])
    with pytest.raises(NotPermitted):
        desk_identifier_set(actor=principal, org_unit=school, unit_code="H56.20.01", valid_from=dt.date(2025, 7, 1))
    assert ServiceDesk.objects.count() == 1


def test_desk_pages_and_api(world):
    url = reverse("procedures:desks")
    outsider = _client(world.school1.users[Role.PRINCIPAL])
    assert outsider.get(url).status_code == 403
    assert (
        outsider.post(
            url, {"org_unit": world.authority.pk, "unit_code": "H56.10.01", "valid_from": "2025-07-01"}
        ).status_code
        == 403
    )
    client = _client(_manager(world))
    page = client.get(url).content.decode()
    assert world.authority.name in page and "Chưa có mã định danh" in page
    assert world.school1.school.name in client.get(url, {"kind": "school"}).content.decode()
    saved = client.post(url, {"org_unit": world.authority.pk, "unit_code": "H56.10.01", "valid_from": "2025-07-01"})
    assert saved.status_code == 302 and ServiceDesk.objects.get().unit_code == "H56.10.01"
    bad = client.post(url, {"org_unit": world.authority.pk, "unit_code": "XYZ", "valid_from": "2026-01-01"})
    assert bad.status_code == 200 and "không hợp lệ" in bad.content.decode()
    assert ServiceDesk.objects.count() == 1
    api = APIClient()
    api.force_authenticate(world.school1.users[Role.PRINCIPAL])
    body = {"org_unit": world.authority.pk, "unit_code": "H56.10.02", "valid_from": "2026-01-01"}
    assert api.post("/api/v1/procedures/desks/", body).status_code == 404
    api.force_authenticate(_manager(world))
    created = api.post("/api/v1/procedures/desks/", body)
    assert created.status_code == 201 and created.json()["unit_code"] == "H56.10.02"
    listed = api.get("/api/v1/procedures/desks/", {"org_unit": world.authority.pk}).json()
    assert [row["valid_to"] for row in listed["results"]] == [None, "2025-12-31"]


# ---------------------------------------------------------------------------------------------------------------
# Demo
# ---------------------------------------------------------------------------------------------------------------


def test_demo_desks_and_calendar_are_idempotent(world):
    added = load_desks_and_calendar()
    authorities = world.authority.__class__.objects.filter(kind=OrgUnitKind.AUTHORITY, valid_to__isnull=True)
    assert added == {"desks": authorities.count(), "calendar_days": 2}
    for unit in authorities:
        desk = desk_for(unit, dt.date(2026, 3, 2))
        assert validate_unit_code(desk.unit_code) == desk.unit_code and desk.unit_code.startswith("H56.")
    assert not is_working_day(FRIDAY, work_calendar()) and is_working_day(SATURDAY, work_calendar())
    assert load_desks_and_calendar() == {"desks": 0, "calendar_days": 0}
