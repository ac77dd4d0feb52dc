import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from edudx.accounts import services
from edudx.accounts.models import ApiToken, hash_token
from edudx.core.errors import NotPermitted, ValidationFailed
from edudx.core.models import AuditEvent
from edudx.core.permissions import Actor
from edudx.testing import login_verified, make_user

pytestmark = pytest.mark.django_db


def _bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_issue_stores_only_hash_and_is_audited():
    user = make_user("csdl.nganh")
    token, raw = services.api_token_issue(actor=Actor(user=user), user=user, name="CSDL ngành")
    assert raw.startswith("edx_") and len(raw) > 40
    assert token.token_hash == hash_token(raw) and raw not in token.token_hash
    assert token.prefix == raw[:12]
    event = AuditEvent.objects.get(action="api_token.issue", object_id=str(token.pk))
    assert raw not in json.dumps(event.after)


def test_only_the_owner_or_the_console_manages_tokens(world):
    principal = world.school1.users["principal"]
    teacher = world.school1.users["subject_teacher"]
    with pytest.raises(NotPermitted):
        services.api_token_issue(actor=Actor(user=principal), user=teacher, name="hộ")
    token, _ = services.api_token_issue(actor=None, user=teacher, name="từ dòng lệnh")
    with pytest.raises(NotPermitted):
        services.api_token_revoke(actor=Actor(user=principal), token=token)
    token.refresh_from_db()
    assert token.is_active
    with pytest.raises(ValidationFailed):
        services.api_token_issue(actor=None, user=teacher, name="   ")


@pytest.mark.urls("edudx.accounts.tests.urls_api_probe")
def test_revoked_token_gets_401(client):
    user = make_user("cong.dvc")
    token, raw = services.api_token_issue(actor=None, user=user, name="Cổng DVC")
    ok = client.get("/probe/", **_bearer(raw))
    assert ok.status_code == 200 and ok.json() == {"username": "cong.dvc"}
    token.refresh_from_db()
    assert token.last_used_at is not None
    services.api_token_revoke(actor=None, token=token)
    denied = client.get("/probe/", **_bearer(raw))
    assert denied.status_code == 401
    assert denied.json()["detail"] == "Khoá API không hợp lệ hoặc đã bị thu hồi."
    assert client.get("/probe/", **_bearer("edx_khong-ton-tai")).status_code == 401
    assert client.get("/probe/").status_code in (401, 403)
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(token.pk)).exists()


@pytest.mark.urls("edudx.accounts.tests.urls_api_probe")
def test_token_of_deactivated_user_gets_401(client):
    user = make_user("tat.tai.khoan")
    _, raw = services.api_token_issue(actor=None, user=user, name="x")
    user.is_active = False
    user.save()
    assert client.get("/probe/", **_bearer(raw)).status_code == 401


def test_token_page_create_show_once_and_revoke(client, world):
    teacher = world.school1.users["subject_teacher"]
    login_verified(client, teacher)
    url = reverse("accounts:token_list")
    created = client.post(url, {"name": "Hệ thống LMS"})
    assert created.status_code == 302
    page = client.get(url).content.decode()
    raw = page.split('data-testid="raw-token">')[1].split("<")[0]
    token = ApiToken.objects.get(user=teacher)
    assert token.token_hash == hash_token(raw)
    assert raw not in client.get(url).content.decode()  # shown once
    revoke_url = reverse("accounts:token_revoke", args=[token.pk])
    assert "Thu hồi khoá API?" in client.get(revoke_url).content.decode()
    token.refresh_from_db()
    assert token.is_active
    client.post(revoke_url)
    token.refresh_from_db()
    assert not token.is_active
    # Someone else's token is not found.
    other, _ = services.api_token_issue(actor=None, user=world.school1.users["clerk"], name="khác")
    assert client.get(reverse("accounts:token_revoke", args=[other.pk])).status_code == 404
    assert client.post(reverse("accounts:token_revoke", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.is_active


def test_issue_and_revoke_commands(world):
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_api_token", "clerk_a", "--name", "Ngân hàng", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert "\n" not in raw and raw.startswith("edx_")
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    assert token.name == "Ngân hàng" and token.user.username == "clerk_a"
    with pytest.raises(CommandError, match="Không tìm thấy người dùng"):
        call_command("issue_api_token", "khong_co", stdout=io.StringIO())
    out = io.StringIO()
    call_command("revoke_api_token", token.prefix, stdout=out)
    token.refresh_from_db()
    assert not token.is_active and "Đã thu hồi" in out.getvalue()
    with pytest.raises(CommandError, match="đã bị thu hồi"):
        call_command("revoke_api_token", str(token.pk), stdout=io.StringIO())
    with pytest.raises(CommandError, match="Không tìm thấy"):
        call_command("revoke_api_token", "edx_zzzzzzzz", stdout=io.StringIO())


def test_list_users_command(world):
    out = io.StringIO()
    call_command("list_users", "--role", "principal", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert [r["username"] for r in rows] == ["principal_a", "principal_b"]
    first = rows[0]
    assert set(first) == {"username", "full_name", "is_active", "roles"}
    assert first["roles"] == [
        {
            "role": "principal",
            "org_unit": "Trường THCS Một",
            "org_unit_id": world.school1.school.pk,
            "valid_from": "2020-01-01",
            "valid_to": None,
        }
    ]
    out = io.StringIO()
    call_command("list_users", stdout=out)
    text = out.getvalue()
    assert "norole" in text and "authority_leader @ Phòng GDĐT Thử Nghiệm" in text
    with pytest.raises(CommandError, match="Vai trò không hợp lệ"):
        call_command("list_users", "--role", "hieutruong", stdout=io.StringIO())


def test_creating_a_token_needs_a_second_factor(client, world):
    teacher = world.school1.users["subject_teacher"]
    client.force_login(teacher)
    page = client.get(reverse("accounts:token_list")).content.decode()
    assert "chỉ được tạo sau khi bật xác thực hai lớp" in page and 'name="name"' not in page
    events = AuditEvent.objects.count()
    response = client.post(reverse("accounts:token_list"), {"name": "Lén tạo"})
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=teacher).exists()
    assert AuditEvent.objects.count() == events
