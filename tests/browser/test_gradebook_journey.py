"""The gradebook journey in Chromium: scores → lock → results → three signatures → the family's download →
the public verification page, which accepts the signed file and rejects a copy with one byte changed."""

from __future__ import annotations

import re

from edudx.core.credentials import issue_demo_credentials
from edudx.core.enums import Role
from edudx.gradebook.demo import fill_demo_scores
from edudx.gradebook.models import ScoreCell, ScoreSheet, SheetStatus, Transcript, TranscriptStatus
from edudx.registry.models import Subject, TeachingAssignment
from edudx.testing import build_world

from .conftest import login, logout, no_horizontal_scroll, screenshot

SCORES = {"tx1": "8", "tx2": "7,5", "tx3": "9", "tx4": "8", "gk": "7", "ck": "8,5"}


def _prepare(settings, tmp_path):
    """School 1's class 6A1 with a year of scores (semester I locked, II submitted) except one pupil's Toán
    semester II row, which the subject teacher types in; demo certificates for every teacher and a seal."""
    settings.SIGNING_CA_DIR = tmp_path / "ca"
    world = build_world()
    s1 = world.school1
    TeachingAssignment.objects.create(
        staff=s1.subject_teacher, school_class=s1.class_a, subject=Subject.objects.get(code="TOAN")
    )
    fill_demo_scores(world.year, schools=[s1.school], open_teacher_username="nobody")
    sheet = ScoreSheet.objects.get(school_class=s1.class_a, subject__code="TOAN", semester=2)
    pupil = s1.students_a[0]  # the guardian's child
    ScoreCell.objects.filter(sheet=sheet, student=pupil).exclude(column="nx").delete()
    sheet.status = SheetStatus.OPEN
    sheet.save(update_fields=["status"])
    issue_demo_credentials(school_ids=[s1.school.pk])
    return world, sheet, pupil


def _type_cell(page, student_id: int, column: str, text: str) -> None:
    cell = page.locator(f"tr[data-student='{student_id}'] td[data-column='{column}']")
    cell.click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_scores_to_a_sealed_transcript_that_the_family_downloads_and_anyone_verifies(
    page, phone_page, settings, tmp_path
):
    world, sheet, pupil = _prepare(settings, tmp_path)
    s1 = world.school1

    # 1. The subject teacher types the missing row; an impossible score is refused and nothing is stored.
    login(page, s1.users[Role.SUBJECT_TEACHER].username)
    page.goto(f"{page.base_url}/gradebook/sheets/{sheet.pk}/")
    _type_cell(page, pupil.pk, "tx1", "11")
    bad = page.locator(f"tr[data-student='{pupil.pk}'] td[data-column='tx1']")
    page.wait_for_function("el => el.classList.contains('gb-invalid')", arg=bad.element_handle())
    assert "10" in page.locator("#gb-message").inner_text()
    assert not ScoreCell.objects.filter(sheet=sheet, student=pupil, column="tx1").exists()
    for column, text in SCORES.items():
        _type_cell(page, pupil.pk, column, text)
        saved = page.locator(f"tr[data-student='{pupil.pk}'] td[data-column='{column}']")
        page.wait_for_function("el => el.classList.contains('gb-saved')", arg=saved.element_handle())
    # (8 + 7.5 + 9 + 8 + 2·7 + 3·8.5) / 9 = 72 / 9 = 8.0
    row_average = page.locator(f"tr[data-student='{pupil.pk}'] [data-testid=average]")
    page.wait_for_function("el => ['8', '8,0'].includes(el.textContent.trim())", arg=row_average.element_handle())
    screenshot(page, "gradebook-teacher-enters-scores")
    page.get_by_test_id("submit").click()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Nộp sổ")).click()
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.SUBMITTED
    logout(page)

    # 2. The principal locks semester II and computes the year's results. (The principal stays signed in, in a
    # window of their own: a second log-in within the same 30 s would present the same, already used, TOTP code.)
    boss_context = page.context.browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    boss = boss_context.new_page()
    boss.base_url = page.base_url
    boss.on("dialog", lambda dialog: dialog.accept())
    login(boss, s1.users[Role.PRINCIPAL].username)
    boss.goto(f"{boss.base_url}/gradebook/results/class/{s1.class_a.pk}/lock/2/")
    with boss.expect_navigation():
        boss.get_by_role("button", name="Xác nhận khoá sổ").click()
    boss.goto(f"{boss.base_url}/gradebook/results/class/{s1.class_a.pk}/")
    with boss.expect_navigation():
        boss.get_by_role("button", name="Tính kết quả").click()
    assert boss.get_by_test_id("results-table").is_visible()

    # 3. The homeroom teacher generates the class's học bạ and signs them.
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, s1.users[Role.HOMEROOM_TEACHER].username)
    page.goto(f"{page.base_url}/gradebook/transcripts/class/{s1.class_a.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Tạo học bạ cả lớp").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Ký tất cả (GVCN)").click()
    assert Transcript.objects.filter(school_class=s1.class_a, status=TranscriptStatus.TEACHER_SIGNED).count() == 3
    logout(page)

    # 4. The principal signs, then seals with the school's organisation signature.
    boss.goto(f"{boss.base_url}/gradebook/transcripts/class/{s1.class_a.pk}/")
    with boss.expect_navigation():
        boss.get_by_role("button", name="Ký phê duyệt tất cả (Hiệu trưởng)").click()
    with boss.expect_navigation():
        boss.get_by_role("button", name="Ký số nhà trường tất cả").click()
    transcript = Transcript.objects.get(student=pupil, school_class=s1.class_a)
    assert transcript.status == TranscriptStatus.SEALED
    assert transcript.signatures.count() == 3
    screenshot(boss, "gradebook-principal-sealed")
    boss_context.close()

    # 5. The guardian, on a phone, downloads the sealed PDF.
    login(phone_page, s1.users[Role.GUARDIAN].username)
    phone_page.goto(f"{phone_page.base_url}/gradebook/transcripts/")
    assert no_horizontal_scroll(phone_page)
    screenshot(phone_page, "gradebook-guardian-transcripts-phone")
    with phone_page.expect_download() as download_info:
        phone_page.get_by_role("link", name=re.compile("PDF")).first.click()
    downloaded = tmp_path / "hoc-ba.pdf"
    download_info.value.save_as(downloaded)
    pdf = downloaded.read_bytes()
    assert pdf.startswith(b"%PDF") and pdf == bytes(transcript.pdf)

    # 6. Anyone with the file opens the verification page (no log-in): valid; one changed byte: invalid.
    verifier = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    public = verifier.new_page()
    public.goto(f"{page.base_url}/v/{transcript.token}/")
    assert "Hợp lệ" in public.get_by_test_id("verdict").inner_text()
    assert pupil.person.full_name not in public.content()
    public.set_input_files("input[name=file]", str(downloaded))
    with public.expect_navigation():
        public.get_by_role("button", name="Kiểm tra tệp").click()
    assert "Hợp lệ" in public.get_by_test_id("upload-verdict").inner_text()
    altered = bytearray(pdf)
    middle = len(altered) // 2
    altered[middle] = (altered[middle] + 1) % 256
    tampered = tmp_path / "hoc-ba-sua.pdf"
    tampered.write_bytes(bytes(altered))
    public.set_input_files("input[name=file]", str(tampered))
    with public.expect_navigation():
        public.get_by_role("button", name="Kiểm tra tệp").click()
    assert "Không hợp lệ" in public.get_by_test_id("upload-verdict").inner_text()
    screenshot(public, "gradebook-verification-altered-copy")
    verifier.close()
