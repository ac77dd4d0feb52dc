"""In Chromium: the guardian's home reads on a 390 px phone; the org tree collapses without JavaScript."""

from django.urls import reverse

from edudx.core.enums import Role

from .conftest import login, screenshot


def test_guardian_home_on_a_phone(world, phone_page):
    page = phone_page
    login(page, world.school1.users[Role.GUARDIAN].username)
    page.goto(page.base_url + reverse("portal:home"))
    card = page.locator(".child-card")
    assert card.count() == 1
    assert world.school1.students_a[0].person.full_name in card.inner_text()
    assert "Lớp 6A1" in card.inner_text()
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "home-guardian-390")


def test_org_tree_collapses_and_compares_two_dates(world, page):
    login(page, world.authority_users[Role.AUTHORITY_LEADER].username)
    page.goto(page.base_url + reverse("core:org_tree"))
    first = page.locator("[data-testid=tree-1]")
    assert first.get_by_text("Trường THCS Một").is_visible()
    first.locator("summary", has_text="Phòng GDĐT Thử Nghiệm").first.click()
    assert not first.get_by_text("Trường THCS Một").is_visible()
    screenshot(page, "home-org-tree")


def test_school_pages_fit_a_phone(world, phone_page):
    page = phone_page
    login(page, world.school1.users[Role.PRINCIPAL].username)
    page.goto(page.base_url + reverse("registry:school_detail", args=[world.school1.school.pk]))
    assert page.locator("[data-testid=school-counts]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "home-school-detail-390")
    page.goto(page.base_url + reverse("core:unit_change", args=[world.school1.school.pk, "rename"]))
    # The principal holds no org.manage: the change form is refused.
    assert "403" in page.title() or page.locator("form input[name=new_name]").count() == 0
    page.goto(page.base_url + reverse("core:audit_log"))
    assert page.locator("[data-testid=audit-table]").is_visible()
    screenshot(page, "home-audit-log-390")
