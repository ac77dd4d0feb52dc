"""Citizen API: own dossiers only, submit (multipart), supplement, withdraw, rate; the routes are in OpenAPI."""

# ruff: noqa: F811  (the fixtures imported from test_submission are used as parameters)

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from edudx.core.permissions import Actor
from edudx.procedures.models import Dossier, DossierSequence
from edudx.procedures.services.workflow import Step, apply_action
from edudx.procedures.states import ActorKind, DossierAction, DossierState

from .test_submission import RESULTS, TRANSFER, desk, guardian, png_bytes, submit_transfer, transfer_answers  # noqa: F401

pytestmark = pytest.mark.django_db
BASE = "/api/v1/procedures/my-dossiers/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_list_and_detail_are_own_dossiers_only(world, guardian):
    mine = submit_transfer(world, guardian)
    listing = api(guardian).get(BASE)
    assert [row["code"] for row in listing.json()["results"]] == [mine.code]
    detail = api(guardian).get(f"{BASE}{mine.code}/").json()
    assert detail["events"][0]["to_state"] == "submitted"
    assert all(mine.form_data["student_personal_id"] != a["value"] for a in detail["answers"])
    assert api(world.school2.users["guardian"]).get(BASE).json()["results"] == []
    assert api(world.school2.users["guardian"]).get(f"{BASE}{mine.code}/").status_code == 404
    # Staff of the receiving unit see it on their desk, not among "my dossiers".
    assert api(world.authority_users["authority_leader"]).get(BASE).json()["results"] == []
    assert APIClient().get(BASE).status_code in (401, 403)


def test_submit_multipart(world, guardian):
    pupil = world.school1.students_a[0]
    answer = api(guardian).post(
        BASE,
        {"procedure": TRANSFER, "student": pupil.pk, "form": json.dumps(transfer_answers()),
         f"component:{RESULTS}": SimpleUploadedFile("kq.png", png_bytes())},
        format="multipart",
    )  # fmt: skip
    assert answer.status_code == 201, answer.json()
    dossier = Dossier.objects.get(code=answer.json()["code"])
    assert dossier.files.get().component == RESULTS


def test_refused_submit_stores_nothing(world, guardian):
    answer = api(guardian).post(
        BASE,
        {"procedure": TRANSFER, "student": world.school1.students_a[0].pk,
         "form": json.dumps(transfer_answers(guardian_phone="1")),
         f"component:{RESULTS}": SimpleUploadedFile("kq.pdf", png_bytes())},
        format="multipart",
    )  # fmt: skip
    assert answer.status_code == 400
    assert {"guardian_phone", RESULTS} <= set(answer.json()["errors"])
    assert not Dossier.objects.exists() and not DossierSequence.objects.filter(last__gt=0).exists()


def test_submit_about_another_child_is_refused(world, guardian):
    answer = api(guardian).post(
        BASE,
        {"procedure": TRANSFER, "student": world.school2.students_a[0].pk, "form": json.dumps(transfer_answers()),
         "reused": RESULTS},
        format="multipart",
    )  # fmt: skip
    assert answer.status_code == 400 and not Dossier.objects.exists()


def test_supplement_withdraw_and_rate(world, guardian):
    dossier = submit_transfer(world, guardian)
    client = api(guardian)
    refused = client.post(f"{BASE}{dossier.code}/supplement/", {"note": "x"}, format="multipart")
    assert refused.status_code == 400  # nothing asked
    officer = world.authority_users["authority_specialist"]
    apply_action(Actor(officer), dossier.pk, Step(DossierAction.REQUEST_COMPLETION, ActorKind.DESK, note="Thiếu."))
    answered = client.post(
        f"{BASE}{dossier.code}/supplement/",
        {"note": "Đã bổ sung.", f"component:{RESULTS}": SimpleUploadedFile("kq.png", png_bytes())},
        format="multipart",
    )
    assert answered.status_code == 200 and answered.json()["state"] == DossierState.SUBMITTED
    assert client.post(f"{BASE}{dossier.code}/rate/", {"rating": 5}).status_code == 400  # no result yet
    other = api(world.school2.users["guardian"])
    assert other.post(f"{BASE}{dossier.code}/withdraw/", {}).status_code == 404
    withdrawn = client.post(f"{BASE}{dossier.code}/withdraw/", {"reason": "Thôi."})
    assert withdrawn.json()["state"] == DossierState.WITHDRAWN
    second = submit_transfer(world, guardian)
    Dossier.objects.filter(pk=second.pk).update(state=DossierState.RESULT_ISSUED)
    assert client.post(f"{BASE}{second.code}/rate/", {"rating": 6}).status_code == 400
    assert client.post(f"{BASE}{second.code}/rate/", {"rating": 5, "comment": "Tốt"}).json()["rating"] == 5
    assert client.post(f"{BASE}{second.code}/rate/", {"rating": 1}).status_code == 400  # once


def test_routes_are_in_the_openapi_schema(world):
    schema = api(world.nobody).get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    assert {BASE, f"{BASE}{{code}}/", f"{BASE}{{code}}/supplement/", f"{BASE}{{code}}/rate/"} <= paths
