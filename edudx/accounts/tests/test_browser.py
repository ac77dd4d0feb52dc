"""In Chromium on a 390 px phone: a principal signs in, is made to enrol an authenticator, keeps the
recovery codes, then gives a role; a locked-out user reads why. Screenshots are kept as artefacts."""

import base64
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.oath import TOTP

from edudx.core.models import RoleAssignment
from edudx.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = Path(settings.BASE_DIR) / "test-results" / "browser"


@pytest.fixture
def phone(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.base_url = live_server.url
        yield page
        browser.close()


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"accounts-{name}.png"), full_page=True)


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def _sign_in(page, username, password=PASSWORD):
    page.goto(page.base_url + reverse("accounts:login"))
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def test_principal_enrols_then_assigns_a_role(world, phone):
    page = phone
    _sign_in(page, "principal_a")
    assert reverse("accounts:otp_setup") in page.url
    assert page.locator('[data-testid="otp-qr"] svg').count() == 1
    _no_sideways_scroll(page)
    _shot(page, "otp-setup-390")
    secret = page.get_attribute('[data-testid="otp-secret"]', "data-secret")
    page.get_by_label("Mã xác thực").fill(f"{TOTP(base64.b32decode(secret)).token():06d}")
    page.get_by_role("button", name="Xác nhận và bật").click()
    page.wait_for_load_state()
    assert page.locator('[data-testid="recovery-codes"] li').count() == 10
    _shot(page, "recovery-codes-390")
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
    _shot(page, "role-list-390")


def test_locked_out_page_on_a_phone(world, phone):
    page = phone
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(page, "clerk_b", "sai-mat-khau-1")
    assert "Tài khoản tạm thời bị khoá" in page.content()
    assert "15 phút" in page.content()
    _no_sideways_scroll(page)
    _shot(page, "locked-out-390")
