"""Desk API: list and detail for staff only, every action through ``act`` once, 409 on a stale version, the
register export, and the schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from edudx.core.enums import Role
from edudx.procedures.states import DossierState

from .test_workflow import make_dossier, other_authority, staff  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
S = DossierState
BASE = "/api/v1/desk/dossiers/"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _act(client, dossier, action, kind, **extra):
    dossier.refresh_from_db()
    body = {"action": action, "as_kind": kind, "expected_version": dossier.version, **extra}
    return client.post(f"{BASE}{dossier.pk}/act/", body, format="json")


def test_list_and_detail_for_staff_only(world, staff):  # noqa: F811
    _leader, specialist = staff
    dossier = make_dossier(world)
    api = _api(specialist.user)
    rows = api.get(BASE, {"queue": "desk"}).json()["results"]
    assert [r["code"] for r in rows] == [dossier.code]
    detail = api.get(f"{BASE}{dossier.pk}/").json()
    assert {"action": "receive", "as_kind": "desk", "label": "Tiếp nhận hồ sơ"} in detail["allowed_actions"]
    assert all("079314000123" not in line["value"] for line in detail["form_data"])
    assert detail["events"][0]["to_state"] == "submitted"
    # The applicant does not reach the staff API; another unit's staff neither.
    applicant = _api(world.school1.users[Role.GUARDIAN])
    assert applicant.get(BASE).json()["results"] == []
    assert applicant.get(f"{BASE}{dossier.pk}/").status_code == 404
    assert _act(applicant, dossier, "receive", "desk").status_code == 404
    _unit, stranger, _l = other_authority(world)
    assert _act(_api(stranger), dossier, "receive", "desk").status_code == 404
    dossier.refresh_from_db()
    assert dossier.state == S.SUBMITTED


def test_every_action_through_the_api(world, staff):  # noqa: F811
    leader, specialist = staff
    lead, desk = _api(leader.user), _api(specialist.user)
    dossier = make_dossier(world)
    assert _act(desk, dossier, "receive", "desk").json()["state"] == S.RECEIVED
    assert _act(desk, dossier, "assign", "desk", to_user_id=specialist.user.pk).json()["handler"] == specialist.user.pk
    assert _act(desk, dossier, "start_processing", "handler").json()["state"] == S.PROCESSING
    assert _act(desk, dossier, "request_supplement", "handler", note="Thiếu đơn").json()["state"] == (
        S.SUPPLEMENT_REQUESTED
    )
    assert _act(desk, dossier, "submit_supplement", "desk").json()["state"] == S.PROCESSING
    dossier.refresh_from_db()
    new_due = timezone.localtime(dossier.due_at) + dt.timedelta(days=5)
    answer = _act(desk, dossier, "apologise_and_extend", "handler", note="Chậm", new_due_at=new_due.isoformat())
    assert answer.status_code == 200 and answer.json()["due_at"] is not None
    assert _act(desk, dossier, "hand_over", "handler", to_user_id=leader.user.pk).json()["state"] == S.ASSIGNED
    assert _act(lead, dossier, "start_processing", "handler").status_code == 200
    assert _act(lead, dossier, "submit_for_approval", "handler").json()["state"] == S.AWAITING_APPROVAL
    assert _act(lead, dossier, "return_for_rework", "leader", note="Xem lại").json()["state"] == S.PROCESSING
    _act(lead, dossier, "submit_for_approval", "handler")
    assert [r["code"] for r in lead.get(BASE, {"queue": "approval"}).json()["results"]] == [dossier.code]
    assert _act(lead, dossier, "approve", "leader").json()["state"] == S.APPROVED

    other = make_dossier(world)
    assert _act(desk, other, "request_completion", "desk", note="Thiếu").json()["state"] == S.NEEDS_COMPLETION
    assert _act(desk, other, "refuse", "desk", note="Không bổ sung").json()["state"] == S.REFUSED
    third = make_dossier(world)
    _act(desk, third, "receive", "desk")
    assert _act(lead, third, "stop", "leader", note="Dừng").json()["state"] == S.STOPPED


def test_refusals_are_clear(world, staff):  # noqa: F811
    _leader, specialist = staff
    api = _api(specialist.user)
    dossier = make_dossier(world)
    stale = api.post(
        f"{BASE}{dossier.pk}/act/", {"action": "receive", "as_kind": "desk", "expected_version": 99}, format="json"
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    forbidden = _act(api, dossier, "approve", "leader")
    assert forbidden.status_code == 403
    missing_note = _act(api, dossier, "refuse", "desk")
    assert missing_note.status_code == 400 and missing_note.json()["code"] == "note_required"
    system = api.post(f"{BASE}{dossier.pk}/act/", {"action": "receive", "as_kind": "system"}, format="json")
    assert system.status_code == 400  # not a capacity a caller may choose


def test_register_endpoint_and_schema(world, staff):  # noqa: F811
    _leader, specialist = staff
    api = _api(specialist.user)
    dossier = make_dossier(world, submitted_at=timezone.now())
    today = timezone.localdate().isoformat()
    rows = api.get(f"{BASE}register/", {"from": today, "to": today}).json()
    assert [r["code"] for r in rows] == [dossier.code]
    export = api.get(f"{BASE}register/", {"from": today, "to": today, "export": "csv"})
    assert export.status_code == 200 and dossier.code in b"".join(export.streaming_content).decode("utf-8-sig")
    schema = api.get("/api/v1/openapi.json").json()
    assert "/api/v1/desk/dossiers/{id}/act/" in schema["paths"]
    assert "/api/v1/desk/dossiers/register/" in schema["paths"]
