"""Smoke journey: a principal signs in with the second factor, sees the home page and signs out."""

import re

from tests.browser.conftest import login, logout, screenshot


def test_principal_signs_in_with_totp_sees_home_and_signs_out(page, world):
    principal = world.school1.users["principal"]

    login(page, principal.username)

    assert page.url == f"{page.base_url}/"
    assert page.locator("html").get_attribute("lang") == "vi"
    body = page.locator("body")
    assert principal.full_name in body.inner_text()
    assert world.school1.school.name in body.inner_text()
    assert page.locator("form[action$='/accounts/logout/']").count() >= 1
    screenshot(page, "smoke-principal-home")

    logout(page)
    page.goto(f"{page.base_url}/")
    assert re.search(r"/accounts/login/", page.url)
