"""Citizen sign-up with a one-time code by SMS or e-mail, and log-in with the phone number or e-mail."""

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from edudx.accounts import rules
from edudx.accounts.models import SignupVerification
from edudx.accounts.signup_views import landing_url
from edudx.core.models import AuditEvent, RoleAssignment
from edudx.core.sms import LocmemSmsBackend
from edudx.procedures import forms_schema
from edudx.testing import PASSWORD, make_user

pytestmark = pytest.mark.django_db
User = get_user_model()

GOOD_PASSWORD = "Hoa-Sen-Trang-2025"
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


_on_commit = {}


@pytest.fixture(autouse=True)
def empty_sms_outbox(django_capture_on_commit_callbacks):
    # Codes leave after the transaction commits; the test's own transaction never does, so run them here.
    _on_commit["capture"] = django_capture_on_commit_callbacks
    LocmemSmsBackend.outbox.clear()
    yield
    LocmemSmsBackend.outbox.clear()


def committed(call):
    with _on_commit["capture"](execute=True):
        return call()


def sms_code(phone):
    texts = [text for to, text in LocmemSmsBackend.outbox if to == phone]
    assert texts, f"no SMS to {phone}"
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


def mail_code(address):
    messages = [m for m in mail.outbox if address in m.to]
    assert messages, f"no mail to {address}"
    return re.search(r"\b(\d{6})\b", messages[-1].subject).group(1)


def start(client, contact, *, full_name="Nguyễn Thị Hoa", password=GOOD_PASSWORD, password2=None):
    data = {"full_name": full_name, "contact": contact, "password1": password, "password2": password2 or password}
    return committed(lambda: client.post(reverse("accounts:signup"), data))


def resend(client, **kwargs):
    return committed(lambda: client.post(reverse("accounts:signup_resend"), **kwargs))


def verify(client, code):
    return client.post(reverse("accounts:signup_verify"), {"code": code})


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


# --- rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["0912345678", "0912 345 678", "0912.345.678", "+84 912 345 678", "84912345678", "(091) 234-5678", "02838123456"],
)
def test_phone_normalisation_matches_the_dossier_forms(raw):
    assert rules.normalise_phone(raw) == forms_schema.normalise_phone(raw)


@pytest.mark.parametrize(
    ("raw", "mobile"),
    [
        ("0912345678", True),
        ("+84 387 654 321", True),
        ("0512345678", True),
        ("0212345678", False),  # landlines cannot receive the code
        ("02838123456", False),
        ("091234567", False),
        ("09123456789", False),
        ("0412345678", False),
    ],
)
def test_only_vietnamese_mobile_numbers_receive_codes(raw, mobile):
    assert rules.is_mobile_phone(raw) is mobile


def test_destination_is_masked():
    assert rules.mask_destination("0912345678") == "09******78"
    assert rules.mask_destination("hoa.nguyen@example.vn") == "ho***@example.vn"


# --- phone sign-up ----------------------------------------------------------------------------


def test_signup_page_is_vietnamese_and_linked_from_login(client):
    html = client.get(reverse("accounts:signup")).content.decode()
    assert "Đăng ký tài khoản dịch vụ công" in html
    assert "Số điện thoại di động hoặc thư điện tử" in html
    assert 'autocomplete="new-password"' in html
    assert reverse("accounts:signup") in client.get(reverse("accounts:login")).content.decode()


def test_phone_signup_sends_a_code_and_creates_a_signed_in_citizen(client):
    response = start(client, "+84 912 345 678")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:signup_verify")
    assert not User.objects.filter(username="0912345678").exists()  # nothing until the code is entered
    code = sms_code("0912345678")
    row = SignupVerification.objects.get(destination="0912345678")
    assert code not in row.code_hash and row.password_hash.startswith("md5$")  # only hashes are kept
    assert row.expires_at - row.last_sent_at == dt.timedelta(minutes=10)

    page = client.get(reverse("accounts:signup_verify")).content.decode()
    assert "09******78" in page and "0912345678" not in page

    wrong = verify(client, "000000" if code != "000000" else "111111")
    assert "Mã xác nhận không đúng. Bạn còn 4 lần thử." in wrong.content.decode()
    assert signed_in_user(client) is None

    done = verify(client, f"{code[:3]} {code[3:]}")
    assert done.status_code == 302 and done["Location"] == landing_url() == reverse("procedures:catalogue")
    user = signed_in_user(client)
    assert user.username == "0912345678" and user.phone == "0912345678" and user.full_name == "Nguyễn Thị Hoa"
    assert user.is_active and user.check_password(GOOD_PASSWORD) and not user.is_staff
    assert not RoleAssignment.objects.filter(user=user).exists()  # citizens get no role
    assert AuditEvent.objects.filter(action="account.signup", object_id=str(user.pk)).exists()
    row.refresh_from_db()
    assert row.completed_at is not None and row.user == user and row.password_hash == ""
    # The pending sign-up is finished: the page no longer asks for a code.
    assert client.get(reverse("accounts:signup_verify"))["Location"] == landing_url()


def test_email_signup(client):
    response = start(client, "  Hoa.Nguyen@Example.VN ")
    assert response.status_code == 302
    code = mail_code("hoa.nguyen@example.vn")
    assert "10 phút" in mail.outbox[-1].body
    assert verify(client, code).status_code == 302
    user = signed_in_user(client)
    assert user.username == "hoa.nguyen@example.vn" and user.email == "hoa.nguyen@example.vn" and user.phone == ""
    assert LocmemSmsBackend.outbox == []


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"contact": "0212345678"}, "số điện thoại di động Việt Nam"),
        ({"contact": "hoa@"}, "Địa chỉ thư điện tử không hợp lệ."),
        ({"password": "Ab1-xyz"}, "Mật khẩu quá ngắn. Mật khẩu phải có ít nhất 10 ký tự."),
        ({"password": "3141592653"}, "Mật khẩu này hoàn toàn là số."),
        ({"password2": "Khac-Hoan-Toan-2025"}, "Hai mật khẩu không khớp nhau."),
        ({"full_name": "   "}, "Trường này là bắt buộc."),
    ],
)
def test_signup_errors_are_vietnamese_and_send_nothing(client, data, field_error):
    response = start(client, data.get("contact", "0912345678"), **{k: v for k, v in data.items() if k != "contact"})
    assert response.status_code == 200
    assert field_error in response.content.decode()
    assert LocmemSmsBackend.outbox == [] and mail.outbox == []
    assert not SignupVerification.objects.exists()


def test_password_similar_to_the_name_is_refused(client):
    response = start(client, "hoa.nguyen@example.vn", password="hoa.nguyen@example")
    assert "Mật khẩu quá giống với" in response.content.decode()


def test_five_wrong_codes_end_the_code_and_a_resend_starts_over(client):
    with freeze_time(START) as clock:
        start(client, "0987654321")
        code = sms_code("0987654321")
        wrong = "123456" if code != "123456" else "654321"
        for _ in range(4):
            verify(client, wrong)
        last = verify(client, wrong).content.decode()
        assert "Bạn đã nhập sai quá 5 lần" in last
        # Even the right code is refused now.
        assert "Bạn đã nhập sai quá 5 lần" in verify(client, code).content.decode()
        assert signed_in_user(client) is None
        assert SignupVerification.objects.get().attempts == 5

        clock.tick(61)
        assert resend(client).status_code == 302
        fresh = sms_code("0987654321")
        assert len(LocmemSmsBackend.outbox) == 2
        if fresh != code:
            assert "Mã xác nhận không đúng" in verify(client, code).content.decode()  # the old code is dead
        assert verify(client, fresh).status_code == 302
        assert signed_in_user(client).username == "0987654321"


def test_code_expires_after_ten_minutes(client):
    with freeze_time(START) as clock:
        start(client, "0987654321")
        code = sms_code("0987654321")
        clock.tick(10 * 60)
        response = verify(client, code)
        assert "Mã xác nhận đã hết hạn" in response.content.decode()
        assert signed_in_user(client) is None


def test_resend_has_a_cool_down_and_a_per_number_hourly_limit(client):
    with freeze_time(START) as clock:
        start(client, "0987654321")
        too_soon = resend(client, follow=True).content.decode()
        assert "Vui lòng chờ 60 giây rồi bấm gửi lại mã." in too_soon
        assert len(LocmemSmsBackend.outbox) == 1
        for _ in range(4):
            clock.tick(61)
            resend(client)
        assert len(LocmemSmsBackend.outbox) == 5
        clock.tick(61)
        limited = resend(client, follow=True).content.decode()
        assert "đã nhận quá nhiều mã trong một giờ qua" in limited
        # A new sign-up from another browser for the same number is limited too.
        other = start(client.__class__(), "0987654321")
        assert "đã nhận quá nhiều mã trong một giờ qua" in other.content.decode()
        assert len(LocmemSmsBackend.outbox) == 5
        # An hour later the number may receive codes again.
        clock.tick(3600)
        assert start(client.__class__(), "0987654321").status_code == 302
        assert len(LocmemSmsBackend.outbox) == 6


def test_verify_page_without_a_pending_signup_goes_back_to_the_form(client):
    response = client.get(reverse("accounts:signup_verify"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:signup")


def test_signed_in_users_do_not_see_the_form(client):
    client.force_login(make_user("an.tran"))
    assert client.get(reverse("accounts:signup"))["Location"] == landing_url()


# --- duplicates ---------------------------------------------------------------------------------


def test_taken_phone_looks_the_same_to_the_requester_and_tells_the_holder(client):
    holder = make_user("0912345678", "Lê Văn Bình", phone="0912345678")
    response = start(client, "0912 345 678")
    # Same answer as for a free number: on to the code page, nothing about the account.
    assert response.status_code == 302 and response["Location"] == reverse("accounts:signup_verify")
    page = client.get(reverse("accounts:signup_verify")).content.decode()
    assert "09******78" in page and "đã có tài khoản" not in page
    # The holder of the number is told, and receives no code.
    [(to, text)] = LocmemSmsBackend.outbox
    assert to == "0912345678" and "da co tai khoan" in text and not re.search(r"\d{6}", text)
    # No code can complete it.
    for guess in ("000000", "123456", "999999"):
        assert "Mã xác nhận không đúng" in verify(client, guess).content.decode()
    assert User.objects.filter(username="0912345678").count() == 1
    holder.refresh_from_db()
    assert holder.check_password(PASSWORD) and holder.full_name == "Lê Văn Bình"


def test_taken_email_of_a_staff_account_is_told_by_mail(client):
    make_user("thu.nguyen", "Nguyễn Thị Thu", email="thu.nguyen@example.vn")
    assert start(client, "Thu.Nguyen@example.vn").status_code == 302
    [message] = mail.outbox
    assert message.to == ["thu.nguyen@example.vn"] and "đã có tài khoản" in message.body
    assert not re.search(r"\b\d{6}\b", message.subject + message.body)


def test_address_taken_while_the_code_was_pending_gets_a_clear_message(client):
    start(client, "0912345678")
    code = sms_code("0912345678")
    make_user("0912345678", phone="0912345678")  # another sign-up finished first
    response = verify(client, code)
    # The code proves the number is theirs, so now it may be said plainly.
    assert "đã có tài khoản" in response.content.decode()
    assert signed_in_user(client) is None and User.objects.filter(username="0912345678").count() == 1


# --- log-in with the phone number or e-mail ---------------------------------------------------------


def signup_done(client, contact, destination):
    start(client, contact)
    code = sms_code(destination) if "@" not in destination else mail_code(destination)
    verify(client, code)
    client.post(reverse("accounts:logout"))


@pytest.mark.parametrize("typed", ["0912345678", "+84 912 345 678", "0912.345.678"])
def test_log_in_with_the_phone_number_in_any_spelling(client, typed):
    signup_done(client, "0912345678", "0912345678")
    response = client.post(reverse("accounts:login"), {"username": typed, "password": GOOD_PASSWORD})
    assert response.status_code == 302
    assert signed_in_user(client).username == "0912345678"


def test_log_in_with_the_email_address_and_staff_with_their_recorded_email(client):
    signup_done(client, "hoa.nguyen@example.vn", "hoa.nguyen@example.vn")
    client.post(reverse("accounts:login"), {"username": "HOA.NGUYEN@example.vn", "password": GOOD_PASSWORD})
    assert signed_in_user(client).username == "hoa.nguyen@example.vn"
    client.post(reverse("accounts:logout"))
    make_user("thu.nguyen", email="thu.nguyen@example.vn")
    client.post(reverse("accounts:login"), {"username": "thu.nguyen@example.vn", "password": PASSWORD})
    assert signed_in_user(client).username == "thu.nguyen"


def test_lockout_counts_every_spelling_against_the_same_account(client):
    signup_done(client, "0912345678", "0912345678")
    url = reverse("accounts:login")
    for typed in ["0912345678", "+84912345678", "0912 345 678", "84912345678"]:
        assert client.post(url, {"username": typed, "password": "sai-mat-khau-1"}).status_code == 200
    fifth = client.post(url, {"username": "0912.345.678", "password": "sai-mat-khau-1"})
    assert fifth.status_code == 429
    # Even the right password, in yet another spelling, is refused while locked.
    locked = client.post(url, {"username": "+84 912 345 678", "password": GOOD_PASSWORD})
    assert locked.status_code == 429
    assert signed_in_user(client) is None
    assert AccessAttempt.objects.get().username == "0912345678"


def test_ambiguous_email_resolves_to_nothing(client):
    make_user("a.one", email="shared@example.vn")
    make_user("a.two", email="shared@example.vn")
    response = client.post(reverse("accounts:login"), {"username": "shared@example.vn", "password": PASSWORD})
    assert response.status_code == 200 and signed_in_user(client) is None


def test_pending_signups_older_than_a_day_are_purged(client):
    with freeze_time(START) as clock:
        start(client, "0912345678")
        clock.tick(dt.timedelta(days=1, hours=1))
        start(client.__class__(), "0987654321")
        assert list(SignupVerification.objects.values_list("destination", flat=True)) == ["0987654321"]
        assert timezone.now() > START
