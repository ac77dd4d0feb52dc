"""GET /api/v1/me/: who the API key or the session belongs to, with the roles in force today; in the schema."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from edudx.accounts import services
from edudx.core.enums import Role
from edudx.core.models import RoleAssignment
from edudx.testing import grant, make_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/me/"


def test_api_key_answers_the_user_and_current_roles_only(world):
    principal = world.school1.users["principal"]
    # A role that ended yesterday is not among the roles in force.
    grant(principal, Role.SUBJECT_TEACHER, world.school2.school)
    RoleAssignment.objects.filter(user=principal, role=Role.SUBJECT_TEACHER).update(
        valid_to=timezone.localdate() - dt.timedelta(days=1)
    )
    _, raw = services.api_token_issue(actor=None, user=principal, name="Ứng dụng trường")
    answer = Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["username"] == principal.username
    assert body["full_name"] == principal.get_full_name()
    assert body["authentication"] == "api_key"
    assert [(r["role"], r["org_unit"]) for r in body["roles"]] == [(Role.PRINCIPAL, world.school1.school.pk)]
    assert body["roles"][0]["org_unit_name"] == world.school1.school.name
    assert body["roles"][0]["role_label"]


def test_session_user_without_roles(client, world):
    client.force_login(world.nobody)
    body = client.get(URL).json()
    assert body["authentication"] == "session" and body["roles"] == []
    assert body["username"] == world.nobody.username


def test_anonymous_and_bad_keys_are_refused():
    make_user("khong.vai.tro")
    assert Client().get(URL).status_code in (401, 403)
    assert Client().get(URL, HTTP_AUTHORIZATION="Bearer edx_khong-ton-tai").status_code == 401


def test_in_openapi_schema(client, world):
    client.force_login(world.nobody)
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/me/"]["get"]
    assert "200" in operation["responses"]
    assert "Me" in schema["components"]["schemas"]
