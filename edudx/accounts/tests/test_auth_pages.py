import re
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from edudx.core.models import AuditEvent
from edudx.testing import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_login_page_is_vietnamese_and_accessible(client):
    response = client.get(reverse("accounts:login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="vi">' in html
    assert 'name="viewport"' in html
    assert '<label class="form-label fw-semibold" for="id_username">Tên đăng nhập' in html
    assert 'for="id_password">Mật khẩu' in html
    assert 'autocomplete="current-password"' in html
    assert reverse("accounts:password_reset") in html


def test_login_success_and_failure_messages(client):
    make_user("thu.nguyen", "Nguyễn Thị Thu")
    bad = client.post(reverse("accounts:login"), {"username": "thu.nguyen", "password": "sai-mat-khau-1"})
    assert bad.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in bad.content.decode()
    good = client.post(reverse("accounts:login"), {"username": "thu.nguyen", "password": PASSWORD})
    assert good.status_code == 302 and good["Location"] == reverse("portal:home")
    assert client.get("/").status_code == 200


def test_logout_needs_post(client):
    user = make_user("an.tran")
    client.force_login(user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert client.get("/").status_code == 302


def test_password_change_errors_are_vietnamese(client):
    user = make_user("binh.le", "Lê Văn Bình")
    client.force_login(user)
    url = reverse("accounts:password_change")
    short = client.post(url, {"old_password": PASSWORD, "new_password1": "Ab1-xyz", "new_password2": "Ab1-xyz"})
    html = short.content.decode()
    assert "Mật khẩu quá ngắn. Mật khẩu phải có ít nhất 10 ký tự." in html
    numeric = client.post(url, {"old_password": PASSWORD, "new_password1": "3141592653", "new_password2": "3141592653"})
    assert "Mật khẩu này hoàn toàn là số." in numeric.content.decode()
    wrong_old = client.post(url, {"old_password": "khong-dung-123", "new_password1": "x", "new_password2": "x"})
    assert "Mật khẩu cũ không chính xác" in wrong_old.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_clears_temporary_flag_and_is_audited(client):
    user = make_user("cuong.pham", must_change_password=True)
    client.force_login(user)
    # A temporary password sends the user to change it before anything else.
    blocked = client.get("/")
    assert blocked.status_code == 302 and blocked["Location"].startswith(reverse("accounts:password_change"))
    new = "Hoa-Sen-Trang-2025"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password(new) and not user.must_change_password
    assert AuditEvent.objects.filter(action="account.password_change", object_id=str(user.pk)).exists()
    assert client.get("/").status_code == 200  # still signed in, and free to go


def test_password_reset_by_email_in_vietnamese(client):
    user = make_user("dung.vo", "Võ Thị Dung", email="dung.vo@truong.edu.vn", must_change_password=True)
    response = client.post(reverse("accounts:password_reset"), {"email": "dung.vo@truong.edu.vn"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Đặt lại mật khẩu tài khoản EduDX"
    assert "Kính gửi Võ Thị Dung" in message.body and "dung.vo" in message.body
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Đặt mật khẩu mới" in form_page.content.decode()
    post_url = form_page.redirect_chain[-1][0]
    weak = client.post(post_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert "Mật khẩu quá ngắn" in weak.content.decode()
    new = "Truong-Moi-Nam-2025"
    done = client.post(post_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(new) and not user.must_change_password
    # The link works only once.
    assert "không hợp lệ" in client.get(link, follow=True).content.decode()


def test_password_reset_does_not_reveal_unknown_addresses(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "khong-co@truong.edu.vn"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_lockout_after_five_failures(client):
    user = make_user("giang.do")
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        r = client.post(url, {"username": "giang.do", "password": "sai-mat-khau"})
        assert r.status_code == 200
    locked = client.post(url, {"username": "giang.do", "password": "sai-mat-khau"})
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Tài khoản tạm thời bị khoá" in html
    assert "Vui lòng thử lại sau 15 phút." in html
    assert "giang.do" in html
    # Even the right password is refused while locked, and no session is opened.
    again = client.post(url, {"username": "giang.do", "password": PASSWORD})
    assert again.status_code == 429
    assert client.get("/").status_code == 302
    # Locking is by user name: a colleague behind the same school IP can still sign in.
    make_user("colleague")
    ok = client.post(url, {"username": "colleague", "password": PASSWORD})
    assert ok.status_code == 302
    assert AccessAttempt.objects.filter(username="giang.do").exists()
    assert user.pk


def test_password_reset_lifts_lockout(client):
    user = make_user("hanh.bui", email="hanh@truong.edu.vn")
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "hanh.bui", "password": "sai"})
    assert client.post(url, {"username": "hanh.bui", "password": PASSWORD}).status_code == 429
    from edudx.accounts.services import user_password_changed

    user_password_changed(user=user)
    assert client.post(url, {"username": "hanh.bui", "password": PASSWORD}).status_code == 302


def test_expired_session_is_sent_to_login(client):
    user = make_user("khanh.ngo")
    client.force_login(user)
    assert client.get("/").status_code == 200
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    later = timezone.now() + timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_activity_keeps_session_alive(client):
    user = make_user("lan.dang")
    client.force_login(user)
    half = timezone.now() + timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE * 0.6)
    with mock.patch("django.utils.timezone.now", return_value=half):
        assert client.get("/").status_code == 200
    later = half + timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE * 0.6)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert client.get("/").status_code == 200
