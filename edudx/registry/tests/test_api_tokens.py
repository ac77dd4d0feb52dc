"""Bearer API keys: a key acts as its user, within that user's scope, until it is revoked."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from edudx.accounts.models import ApiToken, hash_token

pytestmark = pytest.mark.django_db


def issue_token(user, name: str = "CSDL ngành") -> tuple[ApiToken, str]:
    raw = ApiToken.generate()
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:12], token_hash=hash_token(raw))
    return token, raw


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def moet_codes(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["moet_code"] for row in response.json()["results"]}


def test_token_acts_with_its_users_scope(world):
    s1, s2 = world.school1, world.school2
    token, raw = issue_token(s1.users["principal"])
    client = bearer(raw)
    assert moet_codes(client.get("/api/v1/students/")) == {s.moet_code for s in s1.students_a + s1.students_b}
    assert client.get(f"/api/v1/students/{s2.students_a[0].pk}/").status_code == 404
    assert client.get(f"/api/v1/students/{s1.students_a[0].pk}/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None

    _, teacher_raw = issue_token(s1.users["homeroom_teacher"])
    assert moet_codes(bearer(teacher_raw).get("/api/v1/students/")) == {s.moet_code for s in s1.students_a}

    _, nobody_raw = issue_token(world.nobody)
    assert bearer(nobody_raw).get("/api/v1/students/").json()["count"] == 0


def test_revoked_unknown_or_inactive_tokens_get_401(world):
    user = world.school1.users["principal"]
    token, raw = issue_token(user)
    assert bearer(raw).get("/api/v1/schools/").status_code == 200
    token.revoke()
    response = bearer(raw).get("/api/v1/schools/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert bearer("edx_not-a-real-key").get("/api/v1/schools/").status_code == 401

    _, second = issue_token(user, "Cổng dịch vụ công")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert bearer(second).get("/api/v1/schools/").status_code == 401


def test_only_the_hash_of_a_token_is_stored(world):
    token, raw = issue_token(world.school1.users["clerk"])
    assert raw not in {token.token_hash, token.prefix}
    assert ApiToken.objects.filter(token_hash=raw).count() == 0
    assert bearer(raw).get("/api/v1/classes/").status_code == 200
