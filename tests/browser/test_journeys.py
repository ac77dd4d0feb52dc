"""The journeys the platform foundation promises, in Chromium, as real users would take them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from openpyxl import Workbook

from edudx.core import services as core_services
from edudx.core.enums import AuthorityKind, OrgUnitKind, Role
from edudx.registry.imports.rules import COLUMNS
from edudx.registry.models import ClassMembership, Student
from edudx.testing import build_world

from .conftest import login, no_horizontal_scroll, screenshot

NEW_PUPILS = [
    ("7499000001", "Trần Thị Mai Anh", "12/03/2014", "Nữ", "079314777001", "6A1"),
    ("7499000002", "Lê Văn Khôi", "02/11/2014", "Nam", "079214777002", "6A1"),
    # The bad row: a girl's ID number with the male digit.
    ("7499000003", "Phạm Ngọc Hân", "21/07/2014", "Nữ", "079214777003", "6A1"),
]


def _students_file(path: Path, rows: list[tuple[str, ...]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Học sinh"
    ws.append([c.header for c in COLUMNS["students"]])
    for code, name, born, sex, pid, klass in rows:
        ws.append([code, name, born, sex, "Kinh", pid, klass, "Phường Phú Lợi"])
    wb.save(path)
    return path


def _upload(page, file: Path) -> None:
    page.goto(f"{page.base_url}/registry/imports/")
    page.select_option("select[name=kind]", "students")
    page.set_input_files("input[name=file]", str(file))
    with page.expect_navigation():
        page.get_by_role("button", name="Tải lên và kiểm tra").click()


def test_principal_imports_students_fixes_a_bad_row_and_finds_them_in_the_class(page, tmp_path):
    world = build_world()
    login(page, world.school1.users[Role.PRINCIPAL].username)

    _upload(page, _students_file(tmp_path / "hoc-sinh.xlsx", NEW_PUPILS))
    rows = page.get_by_test_id("error-table").locator("tbody tr")
    rows.first.wait_for()
    # Exactly one error, naming row 4 (the third pupil, after the header) and the ID column.
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[0] == "4"
    assert cells[1] == "Số định danh cá nhân"
    assert not Student.objects.filter(moet_code__startswith="7499").exists()
    screenshot(page, "import-with-a-bad-row")

    fixed = [*NEW_PUPILS[:2], (*NEW_PUPILS[2][:4], "079314777003", "6A1")]
    _upload(page, _students_file(tmp_path / "hoc-sinh-da-sua.xlsx", fixed))
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_test_id("commit").click()
    page.get_by_text("Đã ghi").first.wait_for()
    assert Student.objects.filter(moet_code__startswith="7499").count() == 3

    # Re-importing the same file changes nothing and duplicates nothing.
    _upload(page, _students_file(tmp_path / "hoc-sinh-lan-2.xlsx", fixed))
    assert Student.objects.filter(moet_code__startswith="7499").count() == 3

    page.goto(f"{page.base_url}/registry/classes/{world.school1.class_a.pk}/")
    for _, name, *_rest in fixed:
        page.get_by_text(name).first.wait_for()
    assert (
        ClassMembership.objects.filter(
            school_class=world.school1.class_a, student__moet_code__startswith="7499"
        ).count()
        == 3
    )
    screenshot(page, "class-after-import")


def test_a_teacher_sees_only_the_classes_they_teach(page):
    world = build_world()
    s1 = world.school1
    login(page, s1.users[Role.SUBJECT_TEACHER].username)
    page.goto(f"{page.base_url}/registry/classes/")
    table = page.locator("main")
    assert "6A2" in table.inner_text()
    assert "6A1" not in table.inner_text()
    page.goto(f"{page.base_url}/registry/students/")
    text = page.locator("main").inner_text()
    for student in s1.students_b:
        assert student.person.full_name in text
    for student in s1.students_a + world.school2.students_a:
        assert student.person.full_name not in text
    screenshot(page, "teacher-students")
    response = page.goto(f"{page.base_url}/registry/students/{s1.students_a[0].pk}/")
    assert response.status == 404


def test_a_guardian_on_a_phone_sees_only_their_child(phone_page):
    page = phone_page
    world = build_world()
    s1 = world.school1
    child = s1.students_a[0]
    login(page, s1.users[Role.GUARDIAN].username)
    dashboard = page.get_by_test_id("guardian-dashboard")
    dashboard.get_by_text(child.person.full_name).wait_for()
    assert no_horizontal_scroll(page)
    page.goto(f"{page.base_url}/registry/students/")
    text = page.locator("main").inner_text()
    assert child.person.full_name in text
    others = [s for s in s1.students_a + s1.students_b if s.pk != child.pk]
    assert not any(s.person.full_name in text for s in others)
    assert no_horizontal_scroll(page)
    page.goto(f"{page.base_url}/registry/students/{child.pk}/")
    page.get_by_text(child.moet_code).first.wait_for()
    assert "•••" in page.locator("main").inner_text()  # the ID number is masked
    screenshot(page, "guardian-phone-child")
    assert page.goto(f"{page.base_url}/registry/students/{others[0].pk}/").status == 404


def test_an_authority_user_sees_the_tree_before_and_after_the_2025_reform(page):
    world = build_world()
    reform = dt.date(2025, 7, 1)
    city = core_services.orgunit_create(
        actor=None, kind=OrgUnitKind.DEPARTMENT, name="Sở GDĐT Thành phố Mới", parent=world.ministry, valid_from=reform
    )
    ward = core_services.orgunit_create(
        actor=None,
        kind=OrgUnitKind.AUTHORITY,
        name="UBND phường Phú Lợi",
        parent=city,
        valid_from=reform,
        authority_kind=AuthorityKind.WARD_COMMITTEE,
    )
    core_services.orgunit_merge(actor=None, unit=world.authority, into=ward, effective_on=reform)
    leader = world.authority_users[Role.AUTHORITY_LEADER]
    core_services.role_assign(
        actor=None, user=leader, role=Role.AUTHORITY_LEADER, org_unit=world.ministry, valid_from=dt.date(2025, 7, 1)
    )
    login(page, leader.username)
    page.goto(f"{page.base_url}/org/?a=21/04/2025&b=02/07/2025")
    before = page.get_by_test_id("tree-1")
    after = page.get_by_test_id("tree-2")
    before.get_by_text("Phòng GDĐT Thử Nghiệm").first.wait_for()
    assert "Trường THCS Một" in before.inner_text()
    assert "UBND phường Phú Lợi" not in before.inner_text()
    assert "UBND phường Phú Lợi" in after.inner_text()
    assert "Trường THCS Một" in after.inner_text()
    assert "Phòng GDĐT Thử Nghiệm" not in after.inner_text()
    timeline = page.get_by_test_id("timeline").inner_text()
    assert re.search(r"01/07/2025", timeline)
    screenshot(page, "org-tree-before-after-reform")
