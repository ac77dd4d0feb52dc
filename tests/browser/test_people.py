"""Journeys in Chromium on a 390 px wide phone: a guardian's child card, a principal revealing a number."""

import datetime as dt

from edudx.core.crypto import encrypt, lookup_hash
from edudx.core.models import SensitiveRead

from .conftest import login, no_horizontal_scroll, screenshot


def test_guardian_sees_child_card_on_a_phone(world, phone_page):
    page = phone_page
    login(page, world.school1.users["guardian"].username)
    page.goto(f"{page.base_url}/registry/students/")
    child = world.school1.students_a[0]
    cards = page.get_by_test_id("student-cards")
    assert cards.is_visible()
    assert child.person.full_name in cards.inner_text()
    assert world.school1.students_a[1].person.full_name not in page.content()
    assert no_horizontal_scroll(page)
    screenshot(page, "people-guardian-child-card-390")
    page.get_by_role("link", name=child.person.full_name).click()
    page.wait_for_url(f"**/registry/students/{child.pk}/")
    assert "6A1" in page.inner_text("main")
    assert no_horizontal_scroll(page)


def test_principal_reveals_a_number_once_with_a_reason(world, phone_page):
    page = phone_page
    student = world.school1.students_a[0]
    person = student.person
    person.date_of_birth, person.sex = dt.date(2015, 1, 1), "M"
    person.personal_id_encrypted = encrypt("079215000654")
    person.personal_id_hash = lookup_hash("079215000654")
    person.personal_id_last3 = "654"
    person.save()
    login(page, world.school1.users["principal"].username)
    page.goto(f"{page.base_url}/registry/students/{student.pk}/")
    assert page.get_by_test_id("personal-id").inner_text().endswith("654")
    assert "079215000654" not in page.content()
    page.get_by_role("link", name="Xem số định danh đầy đủ").click()
    page.get_by_label("Lý do cần xem số định danh đầy đủ").fill("Đối chiếu hồ sơ nhập học")
    page.get_by_role("button", name="Xem số định danh").click()
    assert page.get_by_test_id("revealed-id").inner_text() == "079215000654"
    assert no_horizontal_scroll(page)
    screenshot(page, "people-principal-reveal-id-390")
    assert SensitiveRead.objects.filter(reason="Đối chiếu hồ sơ nhập học").count() == 1
    page.get_by_role("link", name="Quay lại hồ sơ").click()
    assert "079215000654" not in page.content()
