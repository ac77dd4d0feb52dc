"""Receipts: consecutive numbers without gaps per unit and year, a cancelled receipt keeps its number, the PDF
states the amount in words and carries a QR code to the bill's page."""

from __future__ import annotations

import pytest
from django.db import transaction

from edudx.core.api import Actor
from edudx.payments import receipts as receipt_rules
from edudx.payments.models import Receipt, ReceiptSequence
from edudx.payments.services.bills import bill_refund

from .conftest import make_bill, send

pytestmark = pytest.mark.django_db


def test_numbers_have_no_gaps_even_when_a_payment_rolls_back(pay, fast_receipts):
    from edudx.payments.services import settlement

    bills = [make_bill(pay, amount=10_000 + i) for i in range(4)]
    send(pay.account1, bills[0].total, bills[0].reference, transaction_id="T0")
    send(pay.account1, bills[1].total, bills[1].reference, transaction_id="T1")
    # A payment whose transaction fails after taking a number gives the number back.
    with pytest.raises(RuntimeError), transaction.atomic():
        bill = settlement.lock_bill(bills[2].pk)
        bill.amount_paid = bill.total
        settlement.settle_bill(bill)
        raise RuntimeError("boom")
    send(pay.account1, bills[2].total, bills[2].reference, transaction_id="T2")
    send(pay.account1, bills[3].total, bills[3].reference, transaction_id="T3")
    bill_refund(actor=Actor(pay.world.school1.users["accountant"]), bill_id=bills[1].pk, reason="Hoàn trả thử")
    sequence = ReceiptSequence.objects.get(org_unit=pay.school1)
    numbers = list(Receipt.objects.filter(sequence=sequence).order_by("number").values_list("number", "issued_at"))
    assert [n for n, _ in numbers] == [1, 2, 3, 4] and sequence.last_number == 4
    series = receipt_rules.ReceiptSeries(sequence.form_symbol, sequence.series_symbol, sequence.year)
    report = receipt_rules.numbering_report([(n, at.date()) for n, at in numbers], series=series)
    assert report.is_clean
    assert Receipt.objects.get(bill=bills[1]).is_voided
    # Each unit has its own series.
    other = make_bill(pay, unit=pay.school2, amount=5_000)
    send(pay.account2, 5_000, other.reference, transaction_id="T9")
    assert Receipt.objects.get(bill=other).number == 1


def test_receipt_pdf_is_rendered_with_amount_in_words(pay, monkeypatch):
    from django.template.loader import render_to_string

    from edudx.payments.services import receipts

    rendered: list[str] = []
    real = receipts.render_pdf

    def spy(template, context):
        rendered.append(render_to_string(template, context))
        return real(template, context)

    monkeypatch.setattr(receipts, "render_pdf", spy)
    bill = make_bill(pay, amount=1_250_000, payer_name="Phạm Thị Dung")
    send(pay.account1, 1_250_000, bill.reference, transaction_id="FT77")
    receipt = Receipt.objects.get(bill=bill)
    pdf = bytes(receipt.pdf)
    assert pdf.startswith(b"%PDF") and len(receipt.sha256) == 64
    html = rendered[0]
    assert "BIÊN LAI THU TIỀN" in html
    assert "Một triệu hai trăm năm mươi nghìn đồng" in html
    assert "FT77" in html and "Phạm Thị Dung" in html and "1.250.000" in html
    assert "<svg" in html  # the QR code to the bill's page
    assert receipt.sequence.series_symbol.endswith("E") and receipt.number_text == "0000001"
