import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from edudx.accounts import services
from edudx.core.models import AuditEvent
from edudx.testing import PASSWORD

from .conftest import confirmed_device, totp_now

pytestmark = pytest.mark.django_db


def _password_login(client, user):
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return response


def test_principal_without_device_must_enrol_before_reaching_home(client, world):
    principal = world.school1.users["principal"]
    _password_login(client, principal)
    home = client.get("/")
    assert home.status_code == 302 and home["Location"].startswith(reverse("accounts:otp_setup"))
    # Other pages are closed too, including account pages beyond enrolment.
    for url in (reverse("accounts:role_list"), reverse("accounts:token_list"), "/admin/"):
        assert client.get(url)["Location"].startswith(reverse("accounts:otp_setup")), url

    page = client.get(home["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and "Bật xác thực hai lớp" in html
    secret = re.search(r'data-secret="([A-Z2-7]+)"', html).group(1)
    device = TOTPDevice.objects.get(user=principal, confirmed=False)
    import base64

    assert base64.b32decode(secret) == device.bin_key
    # Reloading keeps the same secret (same pending device).
    assert secret in client.get(reverse("accounts:otp_setup")).content.decode()

    wrong = client.post(reverse("accounts:otp_setup"), {"code": "000000" if totp_now(device) != "000000" else "111111"})
    assert "Mã xác thực không đúng" in wrong.content.decode()
    assert client.get("/").status_code == 302
    device.refresh_from_db()
    device.throttle_reset()

    done = client.post(reverse("accounts:otp_setup") + "?next=/", {"code": totp_now(device), "next": "/"})
    assert done.status_code == 302 and done["Location"].startswith(reverse("accounts:recovery_codes"))
    device.refresh_from_db()
    assert device.confirmed
    codes_page = client.get(done["Location"]).content.decode()
    shown = re.findall(r'<li class="list-group-item font-monospace fs-5">([a-z0-9-]+)</li>', codes_page)
    assert len(shown) == 10
    assert StaticToken.objects.filter(device__user=principal).count() == 10
    # Shown once only.
    assert shown[0] not in client.get(reverse("accounts:recovery_codes")).content.decode()
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="account.otp_enrol", object_id=str(principal.pk)).exists()


def test_principal_with_device_must_verify(client, world, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    principal = world.school1.users["principal"]
    device = confirmed_device(principal)
    _password_login(client, principal)
    home = client.get("/registry/?q=1")
    verify_url = reverse("accounts:otp_verify")
    assert home.status_code == 302 and home["Location"].startswith(verify_url)
    assert "next=%2Fregistry%2F%3Fq%3D1" in home["Location"]
    # The setup page does not let someone with a password but no phone replace the device.
    assert client.get(reverse("accounts:otp_setup"))["Location"].startswith(verify_url)
    bad = client.post(verify_url, {"code": "12345" + ("6" if totp_now(device)[-1] != "6" else "7")})
    assert "Mã xác thực không đúng" in bad.content.decode()
    assert client.get("/").status_code == 302
    ok = client.post(verify_url, {"code": totp_now(device), "next": "/"})
    assert ok.status_code == 302 and ok["Location"] == "/"
    assert client.get("/").status_code == 200
    # A replayed code does not verify a second session.
    other = client.__class__()
    _password_login(other, principal)
    replay = other.post(verify_url, {"code": totp_now(device), "next": "/"})
    assert replay.status_code == 200 and "Mã xác thực không đúng" in replay.content.decode()


def test_recovery_code_works_once(client, world):
    leader = world.authority_users["authority_leader"]
    confirmed_device(leader)
    codes = services.recovery_codes_regenerate(user=leader)
    assert len(codes) == 10 and len(set(codes)) == 10
    code = codes[3]
    typed = f"{code[:5].upper()} - {code[5:].upper()}"  # as read aloud from paper
    verify_url = reverse("accounts:otp_verify")

    _password_login(client, leader)
    ok = client.post(verify_url, {"code": typed, "next": "/"})
    assert ok.status_code == 302 and ok["Location"] == "/"
    assert client.get("/").status_code == 200
    assert StaticToken.objects.filter(device__user=leader).count() == 9
    assert AuditEvent.objects.filter(action="account.recovery_code_used", object_id=str(leader.pk)).exists()

    client.post(reverse("accounts:logout"))
    _password_login(client, leader)
    again = client.post(verify_url, {"code": code, "next": "/"})
    assert again.status_code == 200
    assert "Mã xác thực không đúng hoặc đã được dùng." in again.content.decode()
    assert client.get("/").status_code == 302


def test_regenerate_replaces_codes_and_needs_verified_session(verified_client, world):
    principal = world.school1.users["principal"]
    client = verified_client(principal)
    old = services.recovery_codes_regenerate(user=principal)
    response = client.post(reverse("accounts:recovery_codes_regenerate"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:recovery_codes")
    page = client.get(response["Location"]).content.decode()
    new = [c.replace("-", "") for c in re.findall(r"fs-5\">([a-z0-9-]+)</li>", page)]
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.filter(device__user=principal).values_list("token", flat=True)) == set(new)


def test_teacher_is_not_forced_but_may_enrol(client, world):
    teacher = world.school1.users["subject_teacher"]
    _password_login(client, teacher)
    assert client.get("/").status_code == 200
    security = client.get(reverse("accounts:security")).content.decode()
    assert "Chưa bật" in security and "bắt buộc" not in security
    client.get(reverse("accounts:otp_setup"))
    device = TOTPDevice.objects.get(user=teacher)
    client.post(reverse("accounts:otp_setup"), {"code": totp_now(device)})
    assert client.get("/").status_code == 200
    # Once enrolled, the teacher's next log-in asks for the code too.
    client.post(reverse("accounts:logout"))
    _password_login(client, teacher)
    assert client.get("/")["Location"].startswith(reverse("accounts:otp_verify"))


def test_optional_user_may_disable_but_principal_may_not(verified_client, world):
    teacher = world.school1.users["homeroom_teacher"]
    client = verified_client(teacher)
    services.recovery_codes_regenerate(user=teacher)
    assert "Tắt xác thực hai lớp" in client.get(reverse("accounts:otp_disable")).content.decode()
    client.post(reverse("accounts:otp_disable"))
    assert not TOTPDevice.objects.filter(user=teacher).exists()
    assert not StaticDevice.objects.filter(user=teacher).exists()

    principal = world.school2.users["principal"]
    client = verified_client(principal)
    client.post(reverse("accounts:otp_disable"))
    assert TOTPDevice.objects.filter(user=principal, confirmed=True).exists()


def test_new_principal_sets_password_first_then_enrols(client, world, settings):
    from edudx.accounts.services import user_create
    from edudx.core.permissions import Actor

    leader = world.authority_users["authority_leader"]
    user, temporary = user_create(
        actor=Actor(user=leader),
        username="hieutruong.moi",
        full_name="Trần Thị Mới",
        org_unit=world.school1.school,
        role="principal",
    )
    client.post(reverse("accounts:login"), {"username": "hieutruong.moi", "password": temporary})
    assert client.get("/")["Location"].startswith(reverse("accounts:password_change"))
    new = "Cay-Bang-Xanh-2025"
    client.post(
        reverse("accounts:password_change"),
        {"old_password": temporary, "new_password1": new, "new_password2": new},
    )
    assert client.get("/")["Location"].startswith(reverse("accounts:otp_setup"))


def test_disabling_without_a_device_changes_nothing(client, world):
    teacher = world.school1.users["librarian"]
    client.force_login(teacher)
    events = AuditEvent.objects.count()
    assert "chưa bật" in client.get(reverse("accounts:otp_disable")).content.decode()
    client.post(reverse("accounts:otp_disable"))
    client.post(reverse("accounts:recovery_codes_regenerate"))
    assert AuditEvent.objects.count() == events
