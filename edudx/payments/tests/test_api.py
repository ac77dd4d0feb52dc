"""The payments REST API: bills (list scoped, create, pay payload, void, refund), receipts, credits (assign,
refund), statement upload; refusals in Vietnamese with a code."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from edudx.payments import vietqr
from edudx.payments.models import BankCredit, Bill, BillStatus

from .conftest import make_bill, send
from .test_statement_upload import statement

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_bills_list_is_scoped_and_counts_queries(pay, django_assert_max_num_queries):
    mine = make_bill(pay)
    make_bill(pay, unit=pay.school2, payer=pay.world.school2.users["guardian"])
    guardian = api(pay.world.school1.users["guardian"])
    with django_assert_max_num_queries(8):
        body = guardian.get("/api/v1/payments/bills/").json()
    assert [row["reference"] for row in body["results"]] == [mine.reference]
    assert (
        api(pay.world.school2.users["accountant"]).get(f"/api/v1/payments/bills/{mine.reference}/").status_code == 404
    )
    leader = api(pay.world.authority_users["authority_leader"]).get("/api/v1/payments/bills/").json()
    assert len(leader["results"]) == 2


def test_create_pay_void_refund(pay, fast_receipts):
    accountant = api(pay.world.school1.users["accountant"])
    payload = {
        "org_unit": pay.school1.pk,
        "payer_name": "Vũ Minh Châu",
        "purpose": "Phí tham quan",
        "lines": [{"description": "Vé", "amount": 120000}, {"description": "Xe", "amount": 30000}],
    }
    created = accountant.post("/api/v1/payments/bills/", payload, format="json")
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    assert created.json()["total"] == 150000
    assert (
        api(pay.world.school2.users["accountant"]).post("/api/v1/payments/bills/", payload, format="json").status_code
        == 404
    )
    assert (
        api(pay.world.school1.users["guardian"]).post("/api/v1/payments/bills/", payload, format="json").status_code
        == 404
    )
    pay_data = accountant.get(f"/api/v1/payments/bills/{reference}/pay/").json()
    assert pay_data["payable"] and vietqr.parse_payload(pay_data["payload"])["amount"] == 150000
    assert pay_data["image_png"].endswith("qr.png")
    send(pay.account1, 150000, reference)
    refused = accountant.post(f"/api/v1/payments/bills/{reference}/void/", {"reason": "Không thu"}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "BILL_HAS_PAYMENTS"
    refunded = accountant.post(
        f"/api/v1/payments/bills/{reference}/refund/", {"reason": "Hủy chuyến đi"}, format="json"
    )
    assert refunded.status_code == 200 and refunded.json()["status"] == BillStatus.REFUNDED
    receipts = accountant.get("/api/v1/payments/receipts/").json()["results"]
    assert receipts[0]["voided_at"] and receipts[0]["bill_reference"] == reference
    assert accountant.get(receipts[0]["pdf_url"]).status_code == 200
    assert not accountant.get(f"/api/v1/payments/bills/{reference}/pay/").json()["payable"]


def test_credits_assign_and_refund(pay, fast_receipts):
    bill = make_bill(pay, amount=100_000)
    send(pay.account1, 120_000, "tien hoc", transaction_id="FT1")
    credit = BankCredit.objects.get()
    accountant = api(pay.world.school1.users["accountant"])
    assert api(pay.world.school1.users["guardian"]).get("/api/v1/payments/credits/").json()["results"] == []
    no_reason = accountant.post(
        f"/api/v1/payments/credits/{credit.pk}/assign/", {"bill": bill.reference, "reason": "x"}
    )
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "REASON_REQUIRED"
    assigned = accountant.post(
        f"/api/v1/payments/credits/{credit.pk}/assign/", {"bill": bill.reference, "reason": "Xác nhận qua điện thoại"}
    )
    assert assigned.status_code == 200 and assigned.json()["unapplied"] == 20_000
    refunded = accountant.post(f"/api/v1/payments/credits/{credit.pk}/refund/", {"reason": "Hoàn phần thừa"})
    assert refunded.json()["state"] == "resolved"
    assert Bill.objects.get(pk=bill.pk).status == BillStatus.PAID
    other = api(pay.world.school2.users["accountant"])
    assert other.post(f"/api/v1/payments/credits/{credit.pk}/refund/", {"reason": "Thử"}).status_code == 404


def test_statement_upload_api(pay):
    accountant = api(pay.world.school1.users["accountant"])
    data = statement([["05/09/2026", "FT5", 10_000, "abc"]])
    preview = accountant.post(
        "/api/v1/payments/statements/", {"account": pay.account1.pk, "file": SimpleUploadedFile("s.xlsx", data)}
    )
    assert preview.status_code == 200 and preview.json()["new"][0]["transaction_id"] == "FT5"
    assert not BankCredit.objects.exists()
    done = accountant.post(
        "/api/v1/payments/statements/",
        {"account": pay.account1.pk, "file": SimpleUploadedFile("s.xlsx", data), "commit": "true"},
    )
    assert done.json() == {"recorded": 1, "skipped": 0, "rows": 1}
    bad = accountant.post(
        "/api/v1/payments/statements/", {"account": pay.account1.pk, "file": SimpleUploadedFile("s.xlsx", b"%PDF-1")}
    )
    assert bad.status_code == 400 and BankCredit.objects.count() == 1
