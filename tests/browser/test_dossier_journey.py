"""The public-service journey in Chromium, the guardian on a phone: a school transfer submitted with the pupil's data
filled in from the registry → the desk asks for it to be completed (Mẫu 02) → the guardian completes it → the desk
receives it (Mẫu 01) and hands it to a handler, who submits it → the leader approves → the result is refused while
the fee is unpaid → the guardian pays through the simulated bank (a signed notification to the real endpoint) →
the desk seals and issues the result → the guardian downloads it (the stored, validly signed file) and rates it →
the authority's targets dashboard shows the indicators move."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from typing import Any

from django.urls import reverse

from edudx.core.credentials import issue_seal_for_unit, trust_roots
from edudx.core.enums import Role
from edudx.core.kpi import get_kpi
from edudx.core.permissions import Actor
from edudx.core.signing import verify_pdf
from edudx.payments.services.accounts import payment_account_set, webhook_secret_add
from edudx.procedures.catalogue import FeeKind, FeeRule
from edudx.procedures.catalogue_store import procedure_from_data
from edudx.procedures.models import Dossier, DossierFile, FileRole, ProcedureVersion, ServiceDesk
from edudx.procedures.services.catalogue import save_procedure_version
from edudx.procedures.states import DossierState
from edudx.testing import build_world

from .conftest import DESKTOP, login, no_horizontal_scroll, screenshot

TRANSFER = "school_transfer_same_province"
FEE = 20_000
BANK = "VCB"
# Indicators whose numerator this one dossier moves by one: received fully online, fee paid online, finished on time
# and without complaint, components and result digitised, a result issued with a digitised file, rated 4–5 stars.
MOVED = (
    "tthc.dossiers_full_online",
    "tthc.online_payment",
    "tthc.satisfaction",
    "tthc.digitised",
    "tthc.digitised_results",
    "tthc.rated_satisfied",
)
REGISTERED = ("tthc.online_payment", "tthc.satisfaction", "tthc.digitised_results")  # in the KPI registry too
DECISION = "Đồng ý tiếp nhận học sinh vào lớp 6 của Trường THCS Hai.\nĐề nghị phụ huynh liên hệ nhà trường để nhập học."


def _pdf(path: Any) -> Any:
    """A small, valid one-page PDF (a scan, as a phone would send it)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(buffer, "PDF")
    path.write_bytes(buffer.getvalue())
    return path


def _prepare(settings: Any, tmp_path: Any) -> Any:
    """The test world, with the authority receiving dossiers (a desk identifier), holding a seal and a collection
    account, and a new catalogue version of the school transfer that charges a fee."""
    settings.SIGNING_CA_DIR = tmp_path / "ca"
    settings.PAYMENTS_SIMULATOR_ENABLED = True
    world = build_world()
    authority = world.authority
    ServiceDesk.objects.create(org_unit=authority, unit_code="H99.01.02", valid_from=dt.date(2025, 1, 1))
    issue_seal_for_unit(authority)
    payment_account_set(
        user=None,
        org_unit=authority,
        bank_code=BANK,
        bank_bin="970436",
        bank_name="Vietcombank",
        account_number="1011009999",
        account_name=authority.name.upper(),
        is_demo=True,
    )
    webhook_secret_add(user=None, bank_code=BANK, secret="journey-secret-0123456789abcdef")
    # The seeded procedures are free; the leader writes a version with a fee so that the journey includes paying.
    leader = world.authority_users[Role.AUTHORITY_LEADER]
    current = ProcedureVersion.objects.filter(key=TRANSFER).order_by("-version").first()
    assert current is not None
    with_fee = dataclasses.replace(
        procedure_from_data(current.data),
        fee=FeeRule(amount_vnd=FEE, kind=FeeKind.CHARGE, legal_basis="Nghị quyết của HĐND tỉnh về lệ phí"),
    )
    save_procedure_version(Actor(user=leader), with_fee, "Thu lệ phí theo nghị quyết mới", base_version=current.version)
    return world


def _second_window(page: Any, username: str) -> Any:
    """Another signed-in person in a browser window of their own (their TOTP code is theirs, not reused)."""
    context = page.context.browser.new_context(viewport=DESKTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(15_000)
    other = context.new_page()
    other.base_url = page.base_url
    other.on("dialog", lambda dialog: dialog.accept())
    login(other, username)
    return other


def _numerators(page: Any) -> dict[str, int]:
    page.goto(f"{page.base_url}{reverse('procedures:targets')}")
    return {
        code: int(page.locator(f"[data-kpi='{code}'] [data-testid=kpi-numerator]").inner_text().replace(".", ""))
        for code in MOVED
    }


def _act(page: Any, action: str, *, note: str = "", to_user: int | None = None) -> None:
    """Take one step on the staff dossier page (the confirmation box and dialog when the step asks for them)."""
    form = page.get_by_test_id(f"action-{action}")
    if to_user is not None:
        form.locator("select[name=to_user_id]").select_option(str(to_user))
    if note:
        form.locator("textarea[name=note]").fill(note)
    if form.locator("input[name=confirm]").count():
        form.locator("input[name=confirm]").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert not page.get_by_test_id("action-error").count(), page.get_by_test_id("action-error").inner_text()


def test_guardian_transfers_a_pupil_pays_and_rates_and_the_targets_move(page, phone_page, settings, tmp_path):
    world = _prepare(settings, tmp_path)
    s1 = world.school1
    pupil = s1.students_a[0]  # the guardian's child
    guardian = s1.users[Role.GUARDIAN]
    officer = world.authority_users[Role.AUTHORITY_SPECIALIST]
    leader_user = world.authority_users[Role.AUTHORITY_LEADER]
    leader_actor = Actor(user=leader_user)
    registry_before = {code: get_kpi(code).measure(leader_actor).numerator for code in REGISTERED}

    # 0. The authority's leader, in a window of their own, looks at the targets before anything happens.
    leader = _second_window(page, leader_user.username)
    before = _numerators(leader)

    # 1. The guardian, on a phone: the catalogue → the procedure (with its fee) → submit online → their child.
    phone = phone_page
    login(phone, guardian.username)
    phone.goto(f"{phone.base_url}{reverse('procedures:catalogue')}")
    phone.fill("#q", "Chuyển trường")
    with phone.expect_navigation():
        phone.press("#q", "Enter")
    with phone.expect_navigation():
        phone.get_by_test_id("catalogue-list").get_by_role("link", name=re.compile("trong tỉnh, thành phố")).click()
    assert "20.000" in phone.get_by_test_id("procedure-facts").inner_text()
    with phone.expect_navigation():
        phone.get_by_test_id("submit-online").first.click()
    with phone.expect_navigation():
        phone.get_by_test_id("children").get_by_role("link", name=re.compile(pupil.person.full_name)).click()

    # The pupil and their school come from the registry, marked ✓; the guardian types only what is new.
    assert phone.get_by_test_id("student-name").inner_text() == pupil.person.full_name
    for key, value in (("student_full_name", pupil.person.full_name), ("current_school", s1.school.name)):
        assert phone.input_value(f"#id_{key}") == value
        assert "✓" in phone.locator(f"label[for=id_{key}]").inner_text()
    assert phone.input_value("#id_current_grade") == "6"
    phone.fill("#id_receiving_school", "Trường THCS Hai")
    phone.select_option("#id_origin", "same_province")
    phone.fill("#id_reason", "Gia đình chuyển nơi ở sang phường khác.")
    phone.fill("#id_guardian_personal_id", "079085001234")
    phone.fill("#id_guardian_phone", "0912345678")
    phone.select_option("#id_result_delivery", "online")
    phone.uncheck("#reuse_0")  # attach the school's signed summary instead of reusing the records
    phone.set_input_files("#component_0", str(_pdf(tmp_path / "tong-hop-ket-qua.pdf")))
    phone.get_by_role("button", name="Xem lại").click()
    assert "tong-hop-ket-qua.pdf" in phone.get_by_test_id("review").inner_text()
    assert no_horizontal_scroll(phone)
    with phone.expect_navigation():
        phone.get_by_role("button", name="Nộp hồ sơ").click()
    dossier = Dossier.objects.get(applicant=guardian)
    assert dossier.fee_vnd == FEE and dossier.bill_reference and "student_full_name" in dossier.prefilled_fields
    assert phone.get_by_test_id("dossier-code").inner_text() == dossier.code
    assert dossier.code in phone.content()  # the confirmation names the code
    assert no_horizontal_scroll(phone)
    screenshot(phone, "dossier-guardian-tracking-phone")

    # 2. The desk officer (second factor) opens the dossier from the queue and asks for it to be completed.
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, officer.username)
    page.goto(f"{page.base_url}{reverse('procedures:desk_queue')}")
    with page.expect_navigation():
        page.get_by_role("link", name=dossier.code).click()
    screenshot(page, "dossier-desk-detail")
    _act(page, "request_completion", note="Bản tổng hợp kết quả học tập cần có xác nhận của nhà trường.")
    assert page.get_by_test_id("state").inner_text() == DossierState.NEEDS_COMPLETION.label

    # 3. The guardian sees what is asked and sends the stamped summary with a note.
    track_url = f"{phone.base_url}{reverse('procedures:dossier_track', args=[dossier.code])}"
    phone.goto(track_url)
    assert "xác nhận của nhà trường" in phone.get_by_test_id("supplement-request").inner_text()
    with phone.expect_navigation():
        phone.get_by_test_id("supplement-request").get_by_role("link", name="Nộp bổ sung").click()
    phone.set_input_files("#component_0", str(_pdf(tmp_path / "tong-hop-co-dau.pdf")))
    phone.fill("#id_note", "Đã bổ sung bản có dấu của nhà trường.")
    assert no_horizontal_scroll(phone)
    with phone.expect_navigation():
        phone.get_by_role("button", name="Nộp bổ sung").click()
    dossier.refresh_from_db()
    assert dossier.state == DossierState.SUBMITTED
    assert dossier.files.filter(role=FileRole.SUPPLEMENT, filename="tong-hop-co-dau.pdf").exists()

    # 4. The desk receives it (Mẫu 01) and hands it to the handler (the same officer), who processes and submits it.
    page.reload()
    _act(page, "receive")
    _act(page, "assign", to_user=officer.pk, note="Đề nghị xử lý.")
    _act(page, "start_processing")
    _act(page, "submit_for_approval")
    assert page.get_by_test_id("state").inner_text() == DossierState.AWAITING_APPROVAL.label

    # 5. The leader approves.
    leader.goto(f"{leader.base_url}{reverse('procedures:dossier_detail', args=[dossier.pk])}")
    _act(leader, "approve")
    assert leader.get_by_test_id("state").inner_text() == DossierState.APPROVED.label

    # 6. The result is not issued while the fee is unpaid.
    page.reload()
    with page.expect_navigation():
        page.get_by_role("link", name="Trả kết quả điện tử").click()
    assert "chưa được thanh toán" in page.get_by_test_id("blocker").inner_text()
    assert page.get_by_role("button", name="Ký số và trả kết quả").is_disabled()

    # 7. The guardian pays on the phone: the simulated bank sends a signed notification to the real endpoint.
    phone.goto(track_url)
    with phone.expect_navigation():
        phone.get_by_test_id("pay").click()
    assert "20" in phone.get_by_test_id("pay-amount").inner_text()
    with phone.expect_navigation():
        phone.get_by_test_id("simulate-pay").click()
    assert phone.get_by_test_id("pay-status").get_attribute("data-status") == "paid"
    assert phone.get_by_test_id("receipt-download").first.is_visible()
    assert no_horizontal_scroll(phone)
    screenshot(phone, "dossier-guardian-paid-phone")
    dossier.refresh_from_db()
    assert dossier.paid_at is not None and dossier.paid_online

    # 8. The desk seals and issues the result (delivered online: the system's step, prepared by the officer).
    page.reload()
    assert not page.get_by_test_id("blocker").count()
    page.fill("#decision_text", DECISION)
    with page.expect_navigation():
        page.get_by_role("button", name="Ký số và trả kết quả").click()
    assert page.get_by_test_id("state").inner_text() == DossierState.RESULT_ISSUED.label

    # 9. The guardian downloads the signed result — the stored file, with a valid seal — and rates the service.
    phone.goto(track_url)
    with phone.expect_download() as download_info:
        phone.get_by_test_id("result-download").click()
    downloaded = tmp_path / "ket-qua.pdf"
    download_info.value.save_as(downloaded)
    pdf = downloaded.read_bytes()
    stored = DossierFile.objects.get(dossier=dossier, role=FileRole.RESULT)
    assert pdf.startswith(b"%PDF") and pdf == bytes(stored.content) and stored.signed
    verdict = verify_pdf(pdf, trust_roots())
    assert verdict.valid, verdict.problems
    rating = phone.get_by_test_id("rating")
    rating.locator("#rating_5").check()
    rating.locator("#id_comment").fill("Nhanh, không phải đi lại.")
    with phone.expect_navigation():
        rating.get_by_role("button", name="Gửi đánh giá").click()
    assert "5/5" in phone.content()
    dossier.refresh_from_db()
    assert (dossier.state, dossier.rating) == (DossierState.RESULT_ISSUED, 5)
    assert no_horizontal_scroll(phone)

    # 10. The leader's dashboard: each indicator this dossier touches moved by one (and the KPI registry agrees).
    after = _numerators(leader)
    assert {code: after[code] - before[code] for code in MOVED} == dict.fromkeys(MOVED, 1)
    screenshot(leader, "dossier-targets-dashboard")
    registry_after = {code: get_kpi(code).measure(leader_actor).numerator for code in REGISTERED}
    assert {code: registry_after[code] - registry_before[code] for code in REGISTERED} == dict.fromkeys(REGISTERED, 1)
    leader.context.close()
