"""In Chromium on a 390 px phone: a principal signs in, is made to enrol an authenticator, keeps the
recovery codes, then gives a role; a locked-out user reads why. Screenshots are kept as artefacts."""

import base64

from django.conf import settings
from django.urls import reverse
from django_otp.oath import TOTP

from edudx.core.models import RoleAssignment
from edudx.testing import PASSWORD

from .conftest import screenshot


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def _sign_in(page, username, password=PASSWORD):
    """Submit the log-in form and stop there: what comes next (enrolment, lock-out) is the journey itself.

    The shared ``login`` would enrol a device first and insist on a successful sign-in."""
    page.goto(page.base_url + reverse("accounts:login"))
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def test_principal_enrols_then_assigns_a_role(world, phone_page):
    page = phone_page
    _sign_in(page, "principal_a")
    assert reverse("accounts:otp_setup") in page.url
    assert page.locator('[data-testid="otp-qr"] svg').count() == 1
    _no_sideways_scroll(page)
    screenshot(page, "accounts-otp-setup-390")
    secret = page.get_attribute('[data-testid="otp-secret"]', "data-secret")
    page.get_by_label("Mã xác thực").fill(f"{TOTP(base64.b32decode(secret)).token():06d}")
    page.get_by_role("button", name="Xác nhận và bật").click()
    page.wait_for_load_state()
    assert page.locator('[data-testid="recovery-codes"] li').count() == 10
    screenshot(page, "accounts-recovery-codes-390")
    page.get_by_role("link", name="Tôi đã lưu, tiếp tục").click()
    page.wait_for_load_state()
    assert page.url.rstrip("/") == page.base_url

    page.goto(page.base_url + reverse("accounts:role_assign"))
    field = page.get_by_label("Tên đăng nhập của người được phân quyền")
    field.press_sequentially("gvb", delay=40)
    page.wait_for_function("document.querySelectorAll('#user-options option').length > 0")
    assert page.eval_on_selector_all("#user-options option", "els => els.map(e => e.value)") == ["gvbm_a"]
    field.fill("gvbm_a")
    page.get_by_label("Vai trò").select_option("librarian")
    page.get_by_label("Đơn vị").select_option(label="Trường THCS Một")
    page.get_by_role("button", name="Giao vai trò").click()
    page.wait_for_load_state()
    assert page.url.endswith(reverse("accounts:role_list"))
    assert "Đã giao vai trò Thủ thư" in page.content()
    assert RoleAssignment.objects.filter(user__username="gvbm_a", role="librarian").exists()
    _no_sideways_scroll(page)
    screenshot(page, "accounts-role-list-390")


def test_locked_out_page_on_a_phone(world, phone_page):
    page = phone_page
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(page, "clerk_b", "sai-mat-khau-1")
    assert "Tài khoản tạm thời bị khoá" in page.content()
    assert "15 phút" in page.content()
    _no_sideways_scroll(page)
    screenshot(page, "accounts-locked-out-390")
