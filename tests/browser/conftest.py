"""Browser journeys: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Every test in this folder is marked ``browser`` and gets a transactional database, so that rows made by
the test are visible to the server thread; ``edudx.testing.build_world`` reloads the reference data of the
migrations (grades, subjects) that an earlier transactional test flushed away. Screenshots of each journey's
key page are kept under ``test-results/browser/`` as artefacts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _new_page(browser: Any, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A desktop-sized page; ``page.base_url`` is the live server."""
    context, pg = _new_page(browser, DESKTOP)
    pg.base_url = live_server.url
    yield pg
    context.close()


@pytest.fixture
def phone_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A page 390 px wide, the phone on which parents and citizens use the platform."""
    context, pg = _new_page(browser, PHONE)
    pg.base_url = live_server.url
    yield pg
    context.close()


def screenshot(page: Any, name: str) -> Path:
    """Keep a full-page screenshot of a journey's key page as a test artefact."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_horizontal_scroll(page: Any) -> bool:
    """Nothing on the page is wider than the window: no sideways scrolling on a phone."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def totp_device_for(user: Any) -> Any:
    """The user's confirmed TOTP device, made if missing (as if they had enrolled an authenticator app)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Ứng dụng xác thực", confirmed=True)


def current_totp(device: Any) -> str:
    from django_otp.oath import totp

    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{code:0{device.digits}d}"


def login(page: Any, username: str, password: str | None = None) -> None:
    """Sign in through the log-in form and, when the role requires it, pass the TOTP step.

    Roles that must use a second factor get a confirmed TOTP device before signing in; the code typed in
    is computed from that device exactly as an authenticator app would.
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from edudx.core.permissions import Actor
    from edudx.testing import PASSWORD

    user = get_user_model().objects.get(username=username)
    device = totp_device_for(user) if Actor(user=user).roles & settings.TWO_FACTOR_REQUIRED_ROLES else None
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password or PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    if device is not None:
        page.wait_for_url(re.compile(r"/accounts/security/otp/verify/"))
        page.fill("input[name=code]", current_totp(device))
        with page.expect_navigation():
            page.press("input[name=code]", "Enter")
    assert "/accounts/login/" not in page.url, f"log-in failed for {username}"


def logout(page: Any) -> None:
    """Sign out with the navigation bar's button (a POST form, as Django requires)."""
    form = page.locator("form[action$='/accounts/logout/']").first
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
