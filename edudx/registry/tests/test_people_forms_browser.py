"""Journeys in Chromium on a 390 px wide phone: a clerk enrols a pupil, adds a guardian, moves the pupil."""

import importlib
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from edudx.registry.models import ClassMembership, GuardianLink, Student

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTEFACTS = Path(settings.BASE_DIR) / "test-results" / "registry-people"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Grades and subjects come from a data migration that a transactional flush removes."""
    from django.apps import apps

    importlib.import_module("edudx.registry.migrations.0002_reference_data").load(apps, None)


@pytest.fixture
def browser_page():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport=PHONE, locale="vi-VN")
        yield context
        context.close()
        browser.close()


def signed_in(context, live_server, user):
    """A session cookie for ``user`` with a verified second factor, as after a real log-in."""
    device = TOTPDevice.objects.create(user=user, name="browser", confirmed=True)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}])
    return context.new_page()


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def shot(page, name):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / name), full_page=True)


def test_clerk_enrols_a_pupil_adds_a_guardian_and_moves_class(world, live_server, browser_page):
    s1 = world.school1
    page = signed_in(browser_page, live_server, s1.users["clerk"])
    page.goto(f"{live_server.url}/registry/students/")
    page.get_by_role("link", name="Thêm học sinh").click()
    page.get_by_label("Họ và tên").fill("Đỗ Minh Khang")
    page.get_by_label("Ngày sinh").fill("2015-01-01")
    page.get_by_label("Giới tính").select_option("M")
    page.get_by_label("Số định danh cá nhân").fill("079215000999")
    page.get_by_label("Mã học sinh (CSDL ngành)").fill("7900001234")
    page.get_by_label("Lớp (năm học hiện tại)").select_option(str(s1.class_a.pk))
    # First a wrong number: the form comes back with the message on the field.
    page.get_by_label("Số định danh cá nhân").fill("079315000999")
    page.get_by_role("button", name="Lưu").click()
    assert "Chữ số thứ 4" in page.inner_text("main")
    assert not Student.objects.filter(moet_code="7900001234").exists()
    assert no_horizontal_scroll(page)
    shot(page, "student-create-error-390.png")
    page.get_by_label("Số định danh cá nhân").fill("079215000999")
    page.get_by_role("button", name="Lưu").click()
    student = Student.objects.get(moet_code="7900001234")
    page.wait_for_url(f"**/registry/students/{student.pk}/")
    assert "Đỗ Minh Khang" in page.inner_text("h1")
    assert page.get_by_test_id("personal-id").inner_text().endswith("999")

    page.get_by_role("link", name="Thêm phụ huynh").click()
    page.get_by_label("Quan hệ với học sinh").select_option("mother")
    page.get_by_label("Họ và tên").fill("Lê Thị Thu")
    page.get_by_label("Điện thoại").fill("0987654321")
    assert no_horizontal_scroll(page)
    shot(page, "guardian-add-390.png")
    page.get_by_role("button", name="Thêm phụ huynh").click()
    page.wait_for_url(f"**/registry/students/{student.pk}/")
    assert "Lê Thị Thu" in page.get_by_test_id("guardians").inner_text()
    assert GuardianLink.objects.filter(student=student, guardian__full_name="Lê Thị Thu").exists()

    page.get_by_role("link", name="Chuyển lớp").click()
    page.get_by_label("Chuyển sang lớp").select_option(str(s1.class_b.pk))
    page.get_by_role("button", name="Chuyển lớp").click()
    page.wait_for_url(f"**/registry/students/{student.pk}/")
    assert "6A2" in page.inner_text("main")
    assert ClassMembership.objects.get(student=student, left_on__isnull=True).school_class == s1.class_b
    assert no_horizontal_scroll(page)
    shot(page, "student-detail-after-forms-390.png")
