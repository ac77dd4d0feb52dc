"""The targets dashboard (``procedures:targets``) and its API: who may open them, filters, chart, exports."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from edudx.core.api import Role
from edudx.procedures.tests.test_targets_kpis import make_dossier
from edudx.testing import login_verified

pytestmark = pytest.mark.django_db

URL = "/dich-vu-cong/chi-tieu/"
API = "/api/v1/procedures/targets/"
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def dossiers(world):
    unit = world.authority
    return [
        make_dossier(unit, processed="2026-03-06", issued="2026-03-06", rating=5),
        make_dossier(unit, channel="counter", received="2026-03-03", processed="2026-03-10"),
        make_dossier(unit, received="2026-03-16"),
    ]


def client_for(client, user):
    login_verified(client, user)
    return client


def test_the_url_name_of_the_menu():
    assert reverse("procedures:targets") == URL


@pytest.mark.parametrize("role", [Role.AUTHORITY_LEADER, Role.AUTHORITY_SPECIALIST])
def test_authority_staff_see_every_indicator_with_its_parts(client, world, dossiers, role):
    response = client_for(client, world.authority_users[role]).get(URL, MARCH)
    assert response.status_code == 200
    html = response.content.decode()
    for code in ("tthc.procedures_full_online", "tthc.dossiers_full_online", "tthc.online_payment",
                 "tthc.satisfaction", "tthc.digitised", "tthc.digitised_results", "tthc.on_time",
                 "tthc.average_days"):  # fmt: skip
        assert f'data-kpi="{code}"' in html
    card = html.split('data-kpi="tthc.dossiers_full_online"')[1].split("</section>")[0]
    assert "66,7%" in card  # 2 of 3 received online (Vietnamese decimal comma)
    assert "Tổng số hồ sơ tiếp nhận trong kỳ" in card and "Mục tiêu" in card and "≥ 70" in card
    assert "<svg" in card and "03/26" in card
    assert "Chưa đạt" in card


@pytest.mark.parametrize("role", [Role.PRINCIPAL, Role.GUARDIAN, Role.ACCOUNTANT])
def test_school_roles_are_refused(client, world, role):
    assert client_for(client, world.school1.users[role]).get(URL).status_code == 403
    assert client_for(client, world.school1.users[role]).get(API).status_code == 403


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(API).status_code in (401, 403)


def test_unit_filter_and_a_unit_outside_the_scope(client, world, dossiers):
    c = client_for(client, world.authority_users[Role.AUTHORITY_LEADER])
    response = c.get(URL, {**MARCH, "unit": world.school1.school.pk})
    assert response.status_code == 404  # a school without a desk is no receiving unit
    response = c.get(URL, {**MARCH, "unit": world.authority.pk})
    assert response.status_code == 200
    assert c.get(URL, {**MARCH, "unit": world.ministry.pk}).status_code == 404


def test_a_bad_period_is_explained_and_the_default_shown(client, world):
    c = client_for(client, world.authority_users[Role.AUTHORITY_LEADER])
    response = c.get(URL, {"from": "2026-03-31", "to": "2026-03-01"})
    assert response.status_code == 200
    assert "Ngày kết thúc kỳ báo cáo phải sau ngày bắt đầu." in response.content.decode()
    api = c.get(API, {"from": "hôm qua"})
    assert api.status_code == 400 and "không hợp lệ" in api.json()["detail"]


def test_xlsx_export_has_the_period_and_each_month(client, world, dossiers):
    c = client_for(client, world.authority_users[Role.AUTHORITY_LEADER])
    response = c.get(URL, {"from": "2026-02-01", "to": "2026-03-31", "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('chi-tieu-dich-vu-cong-20260201-20260331.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Kỳ báo cáo", "Mã chỉ tiêu", "Chỉ tiêu")
    full_online = [r for r in rows if r[1] == "tthc.dossiers_full_online"]
    assert [r[0] for r in full_online] == [
        "01/02/2026 – 31/03/2026",
        "01/02/2026 – 28/02/2026",
        "01/03/2026 – 31/03/2026",
    ]
    assert full_online[0][4:7] == (2, "Tổng số hồ sơ tiếp nhận trong kỳ (mọi kênh)", 3)
    assert full_online[0][10] == "Chưa đạt"
    csv = c.get(URL, {**MARCH, "export": "csv"})
    assert b"tthc.on_time" in b"".join(csv.streaming_content)


def test_api_report(client, world, dossiers):
    c = client_for(client, world.authority_users[Role.AUTHORITY_LEADER])
    body = c.get(API, MARCH).json()
    assert body["start"] == "2026-03-01" and body["unit"] is None
    readings = {r["code"]: r for r in body["readings"]}
    assert readings["tthc.dossiers_full_online"]["numerator"] == 2
    assert readings["tthc.dossiers_full_online"]["denominator"] == 3
    assert readings["tthc.dossiers_full_online"]["value"] == "66.7"
    assert readings["tthc.dossiers_full_online"]["met"] is False
    assert readings["tthc.on_time"]["target_percent"] is None
    assert readings["tthc.average_days"]["unit"] == "days"
    assert [m["start"] for m in body["months"]] == ["2026-03-01"]
    assert c.get(API, {"unit": 999999}).status_code == 404


def test_the_page_costs_a_fixed_number_of_queries(client, world, dossiers):
    c = client_for(client, world.authority_users[Role.AUTHORITY_LEADER])
    c.get(URL, MARCH)
    with CaptureQueriesContext(connection) as few:
        c.get(URL, {"from": "2026-01-01", "to": "2026-03-31"})
    for i in range(12):
        make_dossier(
            world.authority, received="2026-03-04", processed="2026-03-06", issued="2026-03-06", rating=i % 5 + 1
        )
    with CaptureQueriesContext(connection) as many:
        c.get(URL, {"from": "2026-01-01", "to": "2026-03-31"})
    assert len(many) == len(few)
    assert len(many) <= 30


def test_the_home_page_lists_the_service_targets(client, world, dossiers):
    response = client_for(client, world.authority_users[Role.AUTHORITY_LEADER]).get("/")
    html = response.content.decode()
    assert 'data-kpi="tthc.dossiers_full_online"' in html and 'data-kpi="tthc.satisfaction"' in html
