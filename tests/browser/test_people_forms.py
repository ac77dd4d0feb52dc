"""Journeys in Chromium on a 390 px wide phone: a clerk enrols a pupil, adds a guardian, moves the pupil."""

from edudx.registry.models import ClassMembership, GuardianLink, Student

from .conftest import login, no_horizontal_scroll, screenshot


def test_clerk_enrols_a_pupil_adds_a_guardian_and_moves_class(world, phone_page):
    page = phone_page
    s1 = world.school1
    login(page, s1.users["clerk"].username)
    page.goto(f"{page.base_url}/registry/students/")
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
    screenshot(page, "people-forms-student-create-error-390")
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
    screenshot(page, "people-forms-guardian-add-390")
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
    screenshot(page, "people-forms-student-detail-after-forms-390")
