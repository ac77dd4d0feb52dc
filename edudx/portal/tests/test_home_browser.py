"""In Chromium: the guardian's home reads on a 390 px phone; the org tree collapses without JavaScript."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from edudx.core.enums import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def _session_cookie(user):
    device, _ = StaticDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def world(transactional_db):
    """The shared world, after reloading the reference grades and subjects that a flush removes."""
    import importlib

    from django.apps import apps

    from edudx.testing import build_world

    importlib.import_module("edudx.registry.migrations.0002_reference_data").load(apps, None)
    return build_world()


@pytest.fixture
def browser():
    from playwright import sync_api

    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


def _page(browser, live_server, user, width, height=844):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": _session_cookie(user), "url": live_server.url}]
    )
    return context.new_page()


def test_guardian_home_on_a_phone(world, live_server, browser):
    page = _page(browser, live_server, world.school1.users[Role.GUARDIAN], 390)
    page.goto(live_server.url + reverse("portal:home"))
    card = page.locator(".child-card")
    assert card.count() == 1
    assert world.school1.students_a[0].person.full_name in card.inner_text()
    assert "Lớp 6A1" in card.inner_text()
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "home-guardian-390.png"), full_page=True)


def test_org_tree_collapses_and_compares_two_dates(world, live_server, browser):
    page = _page(browser, live_server, world.authority_users[Role.AUTHORITY_LEADER], 1280)
    page.goto(live_server.url + reverse("core:org_tree"))
    first = page.locator("[data-testid=tree-1]")
    assert first.get_by_text("Trường THCS Một").is_visible()
    first.locator("summary", has_text="Phòng GDĐT Thử Nghiệm").first.click()
    assert not first.get_by_text("Trường THCS Một").is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "org-tree.png"), full_page=True)


def test_school_pages_fit_a_phone(world, live_server, browser):
    page = _page(browser, live_server, world.school1.users[Role.PRINCIPAL], 390)
    page.goto(live_server.url + reverse("registry:school_detail", args=[world.school1.school.pk]))
    assert page.locator("[data-testid=school-counts]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "school-detail-390.png"), full_page=True)
    page.goto(live_server.url + reverse("core:unit_change", args=[world.school1.school.pk, "rename"]))
    # The principal holds no org.manage: the change form is refused.
    assert "403" in page.title() or page.locator("form input[name=new_name]").count() == 0
    page.goto(live_server.url + reverse("core:audit_log"))
    assert page.locator("[data-testid=audit-table]").is_visible()
    page.screenshot(path=str(SHOTS / "audit-log-390.png"), full_page=True)
