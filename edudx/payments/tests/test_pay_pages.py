"""The pay page (VietQR with the bill's amount and reference in 62/08, manual transfer details, polling), the QR
images, the simulated bank (page, pay-page button, command), bill list/detail/export and the reconcile pages."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from edudx.payments import vietqr
from edudx.payments.models import BankCredit, BillStatus
from edudx.testing import login_verified

from .conftest import make_bill, send

pytestmark = pytest.mark.django_db


def test_pay_page_shows_a_dynamic_vietqr_for_the_bill(pay, client):
    bill = make_bill(pay, amount=125_000, purpose="Lệ phí cấp bản sao văn bằng")
    login_verified(client, pay.world.school1.users["guardian"])
    page = client.get(bill.get_pay_url())
    assert page.status_code == 200
    payload = page.context["qr"].payload
    parsed = vietqr.parse_payload(payload)
    assert parsed["amount"] == 125_000 and not parsed["is_static"]
    assert parsed["bank_bin"] == "970436" and parsed["account"] == pay.account1.account_number
    assert parsed["purpose"].startswith(bill.reference + " Le phi")
    assert vietqr.find_references(parsed["purpose"], prefix="DX") == [bill.reference]
    html = page.content.decode()
    assert f'data-payload="{payload}"' in html and "<svg" in html
    assert pay.account1.account_number in html and "hx-get" in html
    png = client.get(f"/thanh-toan/nop/{bill.reference}/qr.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    svg = client.get(f"/thanh-toan/nop/{bill.reference}/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert client.get(f"/thanh-toan/nop/{bill.reference}/qr.gif").status_code == 404


def test_status_polling_stops_and_offers_the_receipt_once_paid(pay, client, fast_receipts):
    bill = make_bill(pay)
    login_verified(client, pay.world.school1.users["guardian"])
    waiting = client.get(f"/thanh-toan/nop/{bill.reference}/trang-thai/", headers={"HX-Request": "true"})
    assert b"hx-trigger" in waiting.content and b'data-status="issued"' in waiting.content
    send(pay.account1, bill.total, bill.reference)
    done = client.get(f"/thanh-toan/nop/{bill.reference}/trang-thai/")
    assert b"hx-trigger" not in done.content and b"receipt-download" in done.content
    receipt = done.context["receipts"][0]
    pdf = client.get(f"/thanh-toan/bien-lai/{receipt.pk}/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_payer_pays_through_the_simulated_bank_in_demo_mode(pay, client, settings, fast_receipts):
    bill = make_bill(pay)
    login_verified(client, pay.world.school1.users["guardian"])
    settings.PAYMENTS_SIMULATOR_ENABLED = False
    assert client.post(f"/thanh-toan/nop/{bill.reference}/mo-phong/").status_code == 404
    assert b"simulate-pay" not in client.get(bill.get_pay_url()).content
    settings.PAYMENTS_SIMULATOR_ENABLED = True
    assert b"simulate-pay" in client.get(bill.get_pay_url()).content
    assert client.post(f"/thanh-toan/nop/{bill.reference}/mo-phong/").status_code == 302
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID and BankCredit.objects.get().source == "webhook"


def test_simulate_page_and_command(pay, client, settings, fast_receipts):
    settings.PAYMENTS_SIMULATOR_ENABLED = True
    first, second = make_bill(pay), make_bill(pay)
    login_verified(client, pay.world.school1.users["guardian"])
    assert client.get("/thanh-toan/ngan-hang-mo-phong/").status_code == 403
    login_verified(client, pay.world.school1.users["accountant"])
    assert client.get("/thanh-toan/ngan-hang-mo-phong/").status_code == 200
    assert client.post("/thanh-toan/ngan-hang-mo-phong/", {"reference": first.reference}).status_code == 302
    first.refresh_from_db()
    assert first.status == BillStatus.PAID
    out = io.StringIO()
    call_command("simulate_bank_credit", second.reference, "1000", stdout=out)
    second.refresh_from_db()
    assert second.status == BillStatus.ISSUED and "200" in out.getvalue()
    assert BankCredit.objects.get(amount=1000).match_outcome == "underpaid"
    settings.PAYMENTS_SIMULATOR_ENABLED = False
    assert client.get("/thanh-toan/ngan-hang-mo-phong/").status_code == 404


def test_bill_list_filters_search_and_export(pay, client, fast_receipts):
    paid = make_bill(pay, purpose="Lệ phí cấp bản sao", payer_name="Đỗ Văn Hùng")
    make_bill(pay, purpose="Phí chuyển trường", payer_name="Ngô Thị Lan")
    send(pay.account1, paid.total, paid.reference)
    login_verified(client, pay.world.school1.users["accountant"])
    page = client.get("/thanh-toan/khoan-thu/")
    assert page.status_code == 200 and page.context["page_obj"].paginator.count == 2
    assert client.get("/thanh-toan/khoan-thu/?status=paid").context["page_obj"].paginator.count == 1
    assert client.get("/thanh-toan/khoan-thu/?q=Lan").context["page_obj"].paginator.count == 1
    assert client.get(f"/thanh-toan/khoan-thu/?q={paid.reference}").context["page_obj"].paginator.count == 1
    assert client.get("/thanh-toan/khoan-thu/?purpose=chuyển").context["page_obj"].paginator.count == 1
    export = client.get("/thanh-toan/khoan-thu/?status=paid&export=xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Mã thanh toán" and rows[1][0] == paid.reference and len(rows) == 2


def test_bill_detail_void_and_refund_through_pages(pay, client, fast_receipts):
    unpaid, paid = make_bill(pay), make_bill(pay)
    send(pay.account1, paid.total, paid.reference)
    login_verified(client, pay.world.school1.users["accountant"])
    page = client.get(f"/thanh-toan/khoan-thu/{paid.reference}/")
    assert page.status_code == 200 and page.context["can_refund"] and not page.context["can_void"]
    assert page.context["postings"]
    login_verified(client, pay.world.school1.users["principal"])  # audit.view: the bill's audit trail
    page = client.get(f"/thanh-toan/khoan-thu/{paid.reference}/")
    assert page.context["events"] and not page.context["can_refund"]
    login_verified(client, pay.world.school1.users["accountant"])
    response = client.post(f"/thanh-toan/khoan-thu/{paid.reference}/huy/", {"reason": "Không thu nữa"}, follow=True)
    assert "hoàn trả trước" in response.content.decode()
    client.post(f"/thanh-toan/khoan-thu/{paid.reference}/hoan-tra/", {"reason": "Phụ huynh rút hồ sơ"})
    client.post(f"/thanh-toan/khoan-thu/{unpaid.reference}/huy/", {"reason": "Lập nhầm"})
    paid.refresh_from_db()
    unpaid.refresh_from_db()
    assert paid.status == BillStatus.REFUNDED and unpaid.status == BillStatus.VOIDED


def test_reconcile_queue_credit_page_and_books(pay, client, fast_receipts):
    bill = make_bill(pay, amount=90_000)
    send(pay.account1, 90_000, "nop tien khong ghi ma")
    credit = BankCredit.objects.get()
    login_verified(client, pay.world.school1.users["accountant"])
    queue = client.get("/thanh-toan/doi-soat/")
    assert queue.status_code == 200 and credit in queue.context["object_list"]
    detail = client.get(f"/thanh-toan/doi-soat/giao-dich/{credit.pk}/")
    assert detail.status_code == 200 and bill in detail.context["candidates"]
    client.post(
        f"/thanh-toan/doi-soat/giao-dich/{credit.pk}/",
        {"action": "assign", "reference": bill.reference, "reason": "Phụ huynh gửi ảnh chụp giao dịch"},
    )
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    assert credit not in client.get("/thanh-toan/doi-soat/").context["object_list"]
    books = client.get(f"/thanh-toan/doi-soat/so-thu/{pay.school1.pk}/")
    assert books.status_code == 200 and books.context["all_balance"] and books.context["days"]
    export = client.get(f"/thanh-toan/doi-soat/so-thu/{pay.school1.pk}/?export=xlsx")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[1][-1] == "Có"


def test_demo_accounts(world):
    from edudx.payments.demo import load_payment_accounts
    from edudx.payments.models import PaymentAccount

    created = load_payment_accounts()
    assert created == 3  # the authority and the two schools
    assert load_payment_accounts() == 0
    assert all(a.is_demo and a.bank_bin == "970436" for a in PaymentAccount.objects.all())
