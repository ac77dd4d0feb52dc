"""Journeys in Chromium on a 390 px wide phone: a guardian's child card, a principal revealing a number."""

import datetime as dt
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

from edudx.core.crypto import encrypt, lookup_hash
from edudx.core.models import SensitiveRead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTEFACTS = Path(settings.BASE_DIR) / "test-results" / "registry-people"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Grades and subjects come from a data migration; a transactional test before this one may have
    flushed them, so load them again (the loader is idempotent)."""
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


def test_guardian_sees_child_card_on_a_phone(world, live_server, browser_page):
    page = signed_in(browser_page, live_server, world.school1.users["guardian"])
    page.goto(f"{live_server.url}/registry/students/")
    child = world.school1.students_a[0]
    cards = page.get_by_test_id("student-cards")
    assert cards.is_visible()
    assert child.person.full_name in cards.inner_text()
    assert world.school1.students_a[1].person.full_name not in page.content()
    assert no_horizontal_scroll(page)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "guardian-child-card-390.png"), full_page=True)
    page.get_by_role("link", name=child.person.full_name).click()
    page.wait_for_url(f"**/registry/students/{child.pk}/")
    assert "6A1" in page.inner_text("main")
    assert no_horizontal_scroll(page)


def test_principal_reveals_a_number_once_with_a_reason(world, live_server, browser_page):
    student = world.school1.students_a[0]
    person = student.person
    person.date_of_birth, person.sex = dt.date(2015, 1, 1), "M"
    person.personal_id_encrypted = encrypt("079215000654")
    person.personal_id_hash = lookup_hash("079215000654")
    person.personal_id_last3 = "654"
    person.save()
    page = signed_in(browser_page, live_server, world.school1.users["principal"])
    page.goto(f"{live_server.url}/registry/students/{student.pk}/")
    assert page.get_by_test_id("personal-id").inner_text().endswith("654")
    assert "079215000654" not in page.content()
    page.get_by_role("link", name="Xem số định danh đầy đủ").click()
    page.get_by_label("Lý do cần xem số định danh đầy đủ").fill("Đối chiếu hồ sơ nhập học")
    page.get_by_role("button", name="Xem số định danh").click()
    assert page.get_by_test_id("revealed-id").inner_text() == "079215000654"
    assert no_horizontal_scroll(page)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "principal-reveal-id-390.png"), full_page=True)
    assert SensitiveRead.objects.filter(reason="Đối chiếu hồ sơ nhập học").count() == 1
    page.get_by_role("link", name="Quay lại hồ sơ").click()
    assert "079215000654" not in page.content()
