"""Issuing receipts (biên lai) for paid bills: gap-free numbers per unit and year, PDF kept with its SHA-256.

The number is taken under a row lock on the unit's ``ReceiptSequence`` and stored with the receipt in the same
transaction, so a rolled-back payment gives its number back and the series never has a gap (Thông tư
78/2021/TT-BTC: numbers are consecutive and never reused; a cancelled receipt keeps its number).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.pdf import render_pdf
from edudx.core.qr import qr_svg

from .. import receipts as receipt_rules
from ..models import Allocation, Bill, Receipt, ReceiptSequence

__all__ = ["receipt_issue", "receipt_void", "render_receipt_pdf", "status_url"]

PDF_TEMPLATE = "payments/receipt_pdf.html"
DEFAULT_FORM_SYMBOL = "01BLP0-001"
DEFAULT_SERIES_FORMAT = "AA-{yy}E"


def status_url(bill: Bill) -> str:
    """The address printed in the receipt's QR code: the bill's pay/status page."""
    return settings.PUBLIC_BASE_URL + bill.get_pay_url()


def _sequence(bill: Bill, year: int) -> ReceiptSequence:
    """The unit's series for ``year``, locked until the end of the transaction (created on first use)."""
    locked = ReceiptSequence.objects.select_for_update().filter(org_unit=bill.org_unit, year=year).first()
    if locked is not None:
        return locked
    form_symbol = getattr(settings, "PAYMENTS_RECEIPT_FORM_SYMBOL", DEFAULT_FORM_SYMBOL)
    series_symbol = getattr(settings, "PAYMENTS_RECEIPT_SERIES_FORMAT", DEFAULT_SERIES_FORMAT).format(
        yy=f"{year % 100:02d}"
    )
    try:
        with transaction.atomic():
            ReceiptSequence.objects.create(
                org_unit=bill.org_unit, form_symbol=form_symbol, series_symbol=series_symbol, year=year
            )
    except IntegrityError:
        pass  # created by a concurrent payment: lock theirs
    return ReceiptSequence.objects.select_for_update().get(org_unit=bill.org_unit, year=year)


def _series(sequence: ReceiptSequence) -> receipt_rules.ReceiptSeries:
    return receipt_rules.ReceiptSeries(
        form_symbol=sequence.form_symbol, series_symbol=sequence.series_symbol, year=sequence.year
    )


def _transaction_ids(bill: Bill) -> str:
    ids = (
        Allocation.objects.filter(bill=bill, reversed_at__isnull=True)
        .order_by("id")
        .values_list("credit__transaction_id", flat=True)
    )
    return ", ".join(dict.fromkeys(ids))[:200]


def _content(
    bill: Bill, number: receipt_rules.ReceiptNumber, issued_at: dt.datetime, collector: str, transaction_ids: str
) -> receipt_rules.Receipt:
    unit = bill.org_unit
    return receipt_rules.build_receipt(
        number=number,
        issued_at=issued_at,
        issuer_name=unit.name,
        issuer_address=unit.address,
        payer_name=bill.payer_name,
        payer_detail=bill.payer_detail,
        lines=[(line.description, line.amount) for line in bill.lines.all()],
        method=receipt_rules.PaymentMethod.BANK_TRANSFER,
        collector_name=collector,
        bank_transaction_id=transaction_ids,
        reference=bill.reference,
    )


def render_receipt_pdf(receipt: receipt_rules.Receipt, bill: Bill) -> bytes:
    return render_pdf(
        PDF_TEMPLATE,
        {"receipt": receipt.context(), "qr_svg": qr_svg(status_url(bill), scale=3), "status_url": status_url(bill)},
    )


def _collector(user: Any) -> str:
    name = getattr(user, "full_name", "") or (user.get_username() if user is not None else "")
    return name or _("Thu tự động qua ngân hàng")


def receipt_issue(*, bill: Bill, user: Any = None, now: dt.datetime | None = None) -> Receipt:
    """Number, render and store the receipt of a bill just paid in full. Call inside the paying transaction."""
    issued_at = now or timezone.now()
    year = timezone.localtime(issued_at).year
    sequence = _sequence(bill, year)
    number = receipt_rules.next_number(_series(sequence), sequence.last_number or None)
    content = _content(bill, number, issued_at, _collector(user), _transaction_ids(bill) or bill.reference)
    pdf = render_receipt_pdf(content, bill)
    sequence.last_number = number.number
    sequence.save(update_fields=["last_number"])
    return Receipt.objects.create(
        sequence=sequence,
        number=number.number,
        bill=bill,
        amount=content.total,
        bank_transaction_id=content.bank_transaction_id,
        collector_name=content.collector_name,
        issued_at=issued_at,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
    )


def receipt_void(*, receipt: Receipt, reason: str, user: Any = None, now: dt.datetime | None = None) -> Receipt:
    """Mark a receipt cancelled (it keeps its number) and re-render it so the PDF says so."""
    bill = receipt.bill
    sequence = receipt.sequence
    number = _series(sequence).number(receipt.number)
    original = _content(
        bill, number, receipt.issued_at, receipt.collector_name or _collector(None), receipt.bank_transaction_id
    )
    content = receipt_rules.void_receipt(original, reason=reason)
    pdf = render_receipt_pdf(content, bill)
    receipt.voided_at = now or timezone.now()
    receipt.void_reason = reason
    receipt.pdf = pdf
    receipt.sha256 = hashlib.sha256(pdf).hexdigest()
    receipt.save(update_fields=["voided_at", "void_reason", "pdf", "sha256"])
    return receipt
