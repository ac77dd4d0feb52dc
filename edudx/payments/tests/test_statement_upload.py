"""Statement upload: preview stores nothing, commit records new credits and skips known ones, a bad file (wrong
type behind a right extension, wrong columns, a bad row, oversized) stores nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from edudx.core.api import Actor, ValidationFailed
from edudx.core.models import AuditEvent
from edudx.payments.models import BankCredit, Bill, BillStatus, LedgerPosting
from edudx.payments.services.statements import statement_import, statement_preview
from edudx.testing import login_verified

from .conftest import make_bill, send

pytestmark = pytest.mark.django_db


def statement(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["SAO KÊ TÀI KHOẢN"])
    sheet.append(["Ngày", "Mã giao dịch", "Số tiền", "Nội dung"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_preview_then_import_records_new_credits_and_skips_known(pay, fast_receipts):
    paid_by_notification = make_bill(pay, amount=100_000)
    paid_by_statement = make_bill(pay, amount=50_000)
    send(pay.account1, 100_000, paid_by_notification.reference, transaction_id="FT100")
    data = statement(
        [
            ["05/09/2026", "FT100", 100_000, paid_by_notification.reference],
            ["05/09/2026", "FT200", 50_000, f"NOP {paid_by_statement.reference}"],
            ["06/09/2026", "FT300", 20_000, "khong ro"],
        ]
    )
    actor = Actor(pay.world.school1.users["accountant"])
    postings = LedgerPosting.objects.count()
    preview = statement_preview(actor=actor, account_id=pay.account1.pk, data=data)
    assert [e.credit.transaction_id for e in preview.new] == ["FT200", "FT300"]
    assert [e.credit.transaction_id for e in preview.known] == ["FT100"]
    assert BankCredit.objects.count() == 1 and LedgerPosting.objects.count() == postings
    _preview, recorded, skipped = statement_import(actor=actor, account_id=pay.account1.pk, data=data)
    assert (recorded, skipped) == (2, 1)
    assert BankCredit.objects.filter(source="statement").count() == 2
    assert Bill.objects.get(pk=paid_by_statement.pk).status == BillStatus.PAID
    assert AuditEvent.objects.filter(action="payments.statement_imported").count() == 1
    # Uploading the same statement again changes nothing.
    assert statement_import(actor=actor, account_id=pay.account1.pk, data=data)[1:] == (0, 3)


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7 not a spreadsheet",  # wrong type behind an .xlsx name
        b"",  # empty
        "Ngày,Số tiền\n05/09/2026,100000\n".encode(),  # wrong columns
        "Ngày,Mã giao dịch,Số tiền,Nội dung\n05/09/2026,FT1,100000,ok\n05/09/2026,FT2,1.5,bad\n".encode(),
    ],
)
def test_bad_files_store_nothing(pay, data):
    actor = Actor(pay.world.school1.users["accountant"])
    with pytest.raises(ValidationFailed):
        statement_import(actor=actor, account_id=pay.account1.pk, data=data)
    assert not BankCredit.objects.exists()


def test_oversized_file_refused(pay, settings):
    settings.PAYMENTS_STATEMENT_MAX_BYTES = 100
    actor = Actor(pay.world.school1.users["accountant"])
    with pytest.raises(ValidationFailed) as refused:
        statement_preview(actor=actor, account_id=pay.account1.pk, data=statement([["05/09/2026", "FT1", 1, "x"]]))
    assert refused.value.code == "FILE_TOO_LARGE"


def test_other_units_account_is_not_found(pay):
    actor = Actor(pay.world.school2.users["accountant"])
    with pytest.raises(ValidationFailed):
        statement_preview(actor=actor, account_id=pay.account1.pk, data=statement([["05/09/2026", "FT1", 1, "x"]]))


def test_upload_pages_preview_then_commit(pay, client, fast_receipts):
    bill = make_bill(pay, amount=50_000)
    login_verified(client, pay.world.school1.users["accountant"])
    upload = SimpleUploadedFile("saoke.xlsx", statement([["05/09/2026", "FT9", 50_000, bill.reference]]))
    page = client.post("/thanh-toan/doi-soat/sao-ke/", {"account": pay.account1.pk, "file": upload})
    assert page.status_code == 200 and b"FT9" in page.content
    assert not BankCredit.objects.exists()
    token = page.context["token"]
    done = client.post("/thanh-toan/doi-soat/sao-ke/", {"commit": "1", "token": token})
    assert done.status_code == 302
    assert BankCredit.objects.filter(transaction_id="FT9").exists()
    bad = SimpleUploadedFile("saoke.xlsx", b"%PDF-1.4 fake")
    page = client.post("/thanh-toan/doi-soat/sao-ke/", {"account": pay.account1.pk, "file": bad})
    assert page.status_code == 200 and page.context["preview"] is None
    assert BankCredit.objects.count() == 1
