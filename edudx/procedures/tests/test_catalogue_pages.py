"""The public catalogue: no log-in, search without diacritics, filters, pagination, the procedure page with its
"chờ xác nhận" flags, the version offered today, the public API, and a fixed number of queries."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from edudx.core.api import Actor
from edudx.core.enums import Role
from edudx.procedures.catalogue import FeeKind, FeeRule
from edudx.procedures.models import ProcedureVersion
from edudx.procedures.selectors.catalogue import catalogue_list, procedure_of
from edudx.procedures.services.catalogue import save_procedure_version

pytestmark = pytest.mark.django_db

LIST = "procedures:catalogue"


def _names(response) -> str:
    return response.content.decode()


def _with_fee(world, key: str = "diploma_copy_from_register", **changes) -> ProcedureVersion:
    version = ProcedureVersion.objects.filter(key=key).order_by("-version").first()
    procedure = dataclasses.replace(
        procedure_of(version),
        fee=FeeRule(amount_vnd=10000, kind=FeeKind.FEE, legal_basis="Thông tư của Bộ Tài chính"),
        **changes,
    )
    return save_procedure_version(Actor(world.authority_users[Role.AUTHORITY_LEADER]), procedure, "Có phí")


def test_anonymous_visitors_see_the_catalogue_and_search_without_diacritics(world):
    client = Client()
    page = client.get(reverse(LIST))
    assert page.status_code == 200
    html = _names(page)
    assert 'data-testid="catalogue-list"' in html and reverse("accounts:login") not in html.split("<main")[1]
    found = _names(client.get(reverse(LIST), {"q": "ban sao VAN BANG"}))
    assert "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc" in found and "Giải thể" not in found
    transfer = _names(client.get(reverse(LIST), {"q": "chuyen truong"}))
    assert transfer.count("Chuyển trường đối với học sinh") == 2
    assert 'data-testid="catalogue-empty"' in _names(client.get(reverse(LIST), {"q": "khong co thu tuc nay"}))


def test_filters_and_pagination(world):
    today = timezone.localdate()
    assert catalogue_list(day=today).count() > 20  # the seed fills more than one page
    client = Client()
    first = _names(client.get(reverse(LIST)))
    assert "page=2" in first
    assert client.get(reverse(LIST), {"page": 2}).status_code == 200
    full = catalogue_list(day=today, online_level="full")
    assert {v.key for v in full} >= {"school_transfer_same_province", "school_transfer_other_province"}
    assert all(v.online_level == "full" for v in full)
    ward = catalogue_list(day=today, authority_level="school")
    assert ward.exists() and all(v.authority_level == "school" for v in ward)
    assert not catalogue_list(day=today, fee="yes").exists()
    _with_fee(world)
    assert [v.key for v in catalogue_list(day=today, fee="yes")] == ["diploma_copy_from_register"]
    assert "diploma_copy_from_register" not in {v.key for v in catalogue_list(day=today, fee="no")}
    only_fee = _names(client.get(reverse(LIST), {"fee": "yes"}))
    assert "Cấp bản sao văn bằng" in only_fee and "10.000" in only_fee and "Giải thể" not in only_fee


def test_list_costs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    client = Client()
    client.get(reverse(LIST))  # warm caches (sessions, content types)
    with django_assert_max_num_queries(6):
        assert client.get(reverse(LIST), {"q": "truong"}).status_code == 200


def test_procedure_page_shows_everything_and_the_pending_flags(world):
    client = Client()
    response = client.get(reverse("procedures:procedure_detail", args=["school_transfer_same_province"]))
    assert response.status_code == 200
    html = _names(response)
    for text in (
        "Chuyển trường đối với học sinh tiểu học, trung học cơ sở trong tỉnh, thành phố",
        "Hiệu trưởng trường nơi chuyển đến",
        "Đơn xin chuyển trường",  # a component
        "Bản chính",
        "5 ngày làm việc",
        "Không thu",
        "Dịch vụ công trực tuyến toàn trình",
        "Văn bản đồng ý tiếp nhận học sinh",
        "Trường xin chuyển đến",  # a field of the form
        "chờ xác nhận",
    ):
        assert text in html, text
    assert html.count('data-testid="pending"') >= 4  # code, legal basis, components, processing days…
    try:
        submit = reverse("procedures:submit", args=["school_transfer_same_province"])
    except NoReverseMatch:
        assert 'data-testid="submit-online"' not in html
    else:
        assert f'href="{submit}"' in html and "Nộp hồ sơ trực tuyến" in html


def test_procedure_page_offers_the_version_in_force(world):
    client = Client()
    url = reverse("procedures:procedure_detail", args=["diploma_copy_from_register"])
    later = timezone.localdate() + dt.timedelta(days=10)
    _with_fee(world, name="Tên mới từ tháng sau", valid_from=later)
    assert "Tên mới từ tháng sau" not in _names(client.get(url))
    _with_fee(world, name="Cấp bản sao văn bằng (bản hiện hành)", valid_from=timezone.localdate())
    assert "Cấp bản sao văn bằng (bản hiện hành)" in _names(client.get(url))
    assert client.get(reverse("procedures:procedure_detail", args=["no_such_procedure"])).status_code == 404


def test_signed_in_users_see_the_same_catalogue(world):
    client = Client()
    client.force_login(world.school1.users[Role.GUARDIAN])
    assert client.get(reverse(LIST)).status_code == 200


def test_public_api(world):
    api = APIClient()
    listed = api.get("/api/v1/procedures/catalogue/", {"q": "chuyen truong"})
    assert listed.status_code == 200
    keys = {row["key"] for row in listed.json()["results"]}
    assert keys == {"school_transfer_same_province", "school_transfer_other_province"}
    detail = api.get("/api/v1/procedures/catalogue/diploma_correction/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["version"] == 1 and "code" in body["unconfirmed_fields"] and body["data"]["processing_days"] == 5
    assert api.get("/api/v1/procedures/catalogue/no_such_key/").status_code == 404
    before = api.get("/api/v1/procedures/catalogue/", {"on": "2025-06-30"}).json()
    assert before["count"] == 0  # the seed starts with the reform on 1/7/2025
    assert api.get("/api/v1/procedures/catalogue/", {"on": "30/06/2025"}).status_code == 400
    assert api.get("/api/v1/procedures/catalogue/", {"online_level": "full", "page_size": 100}).json()["count"] >= 2
    # Read-only: no method writes through the public endpoint.
    assert api.post("/api/v1/procedures/catalogue/", {}, format="json").status_code in (401, 403, 405)
