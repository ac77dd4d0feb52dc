"""Receipts (biên lai): their numbering, and what one says — the content a PDF template lays out.

Numbering (administration notes §4.5: Nghị định 123/2020/NĐ-CP as amended, Thông tư 78/2021/TT-BTC; the exact
symbol formats are from secondary sources and must be confirmed with the tax office before release, so they are
checked loosely and kept as data of a ``ReceiptSeries``):

* a **form symbol** (ký hiệu mẫu biên lai), e.g. ``01BLP0-001``;
* a **series symbol** (ký hiệu biên lai) that carries the two-digit year, e.g. ``AA-26E`` or ``C26TAA``; a series
  is used within one calendar year and a new one is registered for the next;
* a **number** within the series: consecutive from 1, seven digits (``0000001``), never reused — a cancelled
  receipt keeps its number and stays in the register, marked cancelled;
* numbers follow time: a receipt never bears an earlier date than the receipt numbered before it.

``numbering_report`` finds what an inspector would find: missing numbers (gaps), numbers used twice, numbers out
of the series' range and receipts dated before the one numbered before them.

A ``Receipt`` holds everything printed on it — issuer, payer, lines, total, the total in words, method, collector —
and ``Receipt.context()`` gives the template its strings, already formatted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from edudx.core.errors import ValidationFailed

from .money import MAX_VND, amount_in_words, check_vnd, format_vnd

__all__ = [
    "NumberingReport",
    "PaymentMethod",
    "Receipt",
    "ReceiptLine",
    "ReceiptNumber",
    "ReceiptSeries",
    "build_receipt",
    "next_number",
    "numbering_report",
    "series_symbol_year",
    "void_receipt",
]

VIETNAM_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NUMBER_WIDTH = 7
MAX_DESCRIPTION_LENGTH = 255

_FORM_SYMBOL = re.compile(r"[0-9A-Z][0-9A-Z/.-]{0,19}")
_SERIES_SYMBOL = re.compile(r"[A-Z0-9][A-Z0-9/.-]{0,9}")
# Where the year sits in the series symbols seen in practice: "AA-26E", "AB/26P", "C26TAA", "K26TXY".
_SERIES_YEAR = (re.compile(r"[A-Z]{1,2}[-/]?(\d{2})[A-Z]"), re.compile(r"[CK](\d{2})[A-Z]{3}"))


class PaymentMethod(StrEnum):
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"

    @property
    def label(self) -> str:
        return str(_METHOD_LABELS[self])


_METHOD_LABELS = {
    PaymentMethod.CASH: gettext_lazy("Tiền mặt"),
    PaymentMethod.BANK_TRANSFER: gettext_lazy("Chuyển khoản"),
}


def series_symbol_year(series_symbol: str) -> int | None:
    """The two-digit year written in a series symbol (``"AA-26E"`` → 26), or None if it has no known shape."""
    for pattern in _SERIES_YEAR:
        found = pattern.fullmatch(series_symbol)
        if found:
            return int(found.group(1))
    return None


@dataclass(frozen=True)
class ReceiptSeries:
    """One registered run of receipt numbers: form symbol, series symbol, the year it is used in."""

    form_symbol: str
    series_symbol: str
    year: int
    width: int = NUMBER_WIDTH

    def __post_init__(self) -> None:
        object.__setattr__(self, "form_symbol", self.form_symbol.strip().upper())
        object.__setattr__(self, "series_symbol", self.series_symbol.strip().upper())
        if not _FORM_SYMBOL.fullmatch(self.form_symbol):
            raise ValidationFailed(
                _("Ký hiệu mẫu biên lai «%(value)s» chỉ gồm chữ in hoa, chữ số và / . -, tối đa 20 ký tự.")
                % {"value": self.form_symbol},
                code="INVALID_FORM_SYMBOL",
            )
        if not _SERIES_SYMBOL.fullmatch(self.series_symbol):
            raise ValidationFailed(
                _("Ký hiệu biên lai «%(value)s» chỉ gồm chữ in hoa, chữ số và / . -, tối đa 10 ký tự.")
                % {"value": self.series_symbol},
                code="INVALID_SERIES_SYMBOL",
            )
        if not 2000 <= self.year <= 2099:
            raise ValidationFailed(_("Năm của dãy biên lai không hợp lệ: %(year)s.") % {"year": self.year})
        written = series_symbol_year(self.series_symbol)
        if written is not None and written != self.year % 100:
            raise ValidationFailed(
                _("Ký hiệu biên lai «%(symbol)s» ghi năm %(written)02d nhưng dãy số dùng cho năm %(year)s.")
                % {"symbol": self.series_symbol, "written": written, "year": self.year},
                code="SERIES_YEAR_MISMATCH",
            )
        if not 1 <= self.width <= 10:
            raise ValueError("A receipt number has 1 to 10 digits")

    @property
    def last_number(self) -> int:
        return 10**self.width - 1

    def number(self, number: int) -> ReceiptNumber:
        return ReceiptNumber(self, number)


@dataclass(frozen=True)
class ReceiptNumber:
    series: ReceiptSeries
    number: int

    def __post_init__(self) -> None:
        if (
            isinstance(self.number, bool)
            or not isinstance(self.number, int)
            or not 1 <= self.number <= self.series.last_number
        ):
            raise ValidationFailed(
                _("Số biên lai phải từ 1 đến %(max)s; đang là %(value)s.")
                % {"max": self.series.last_number, "value": self.number},
                code="INVALID_RECEIPT_NUMBER",
            )

    @property
    def number_text(self) -> str:
        return f"{self.number:0{self.series.width}d}"

    def __str__(self) -> str:
        return _("Mẫu số %(form)s · Ký hiệu %(series)s · Số %(number)s") % {
            "form": self.series.form_symbol,
            "series": self.series.series_symbol,
            "number": self.number_text,
        }


def next_number(series: ReceiptSeries, last_issued: int | None) -> ReceiptNumber:
    """The number after ``last_issued`` (None: the series is new). The caller reads ``last_issued`` under a row lock
    on the series, so two collectors never get the same number."""
    following = 1 if last_issued is None else last_issued + 1
    if following > series.last_number:
        raise ValidationFailed(
            _("Dãy biên lai %(series)s đã dùng hết số (đến %(max)s): hãy đăng ký dãy mới.")
            % {"series": series.series_symbol, "max": series.last_number},
            code="SERIES_EXHAUSTED",
        )
    return ReceiptNumber(series, following)


@dataclass(frozen=True)
class NumberingReport:
    """``gaps``: missing numbers as inclusive ranges; ``duplicates``: numbers used more than once; ``out_of_range``:
    numbers the series cannot hold; ``out_of_order``: numbers dated before the number issued before them."""

    gaps: tuple[tuple[int, int], ...]
    duplicates: tuple[int, ...]
    out_of_range: tuple[int, ...]
    out_of_order: tuple[int, ...]

    @property
    def is_clean(self) -> bool:
        return not (self.gaps or self.duplicates or self.out_of_range or self.out_of_order)

    def messages(self) -> list[str]:
        lines = []
        for first, last in self.gaps:
            if first == last:
                lines.append(_("Thiếu biên lai số %(number)s.") % {"number": first})
            else:
                lines.append(_("Thiếu biên lai từ số %(first)s đến số %(last)s.") % {"first": first, "last": last})
        lines += [_("Số %(number)s được dùng nhiều lần.") % {"number": number} for number in self.duplicates]
        lines += [_("Số %(number)s nằm ngoài dãy số.") % {"number": number} for number in self.out_of_range]
        lines += [
            _("Biên lai số %(number)s ghi ngày sớm hơn biên lai số trước nó.") % {"number": number}
            for number in self.out_of_order
        ]
        return lines


def numbering_report(
    issued: Iterable[int | tuple[int, dt.date]], *, series: ReceiptSeries, through: int | None = None
) -> NumberingReport:
    """Check the numbers issued in ``series`` (cancelled receipts included: they keep their number).

    ``issued``: numbers, or ``(number, issue date)`` pairs to check the order in time as well. Numbers are
    expected from 1 to ``through`` (default: the highest number issued).
    """
    numbers: list[int] = []
    dates: dict[int, dt.date] = {}
    for item in issued:
        if isinstance(item, tuple):
            number, issued_on = item
            dates.setdefault(number, issued_on)
        else:
            number = item
        numbers.append(number)
    seen: set[int] = set()
    duplicates: set[int] = set()
    for number in numbers:
        if number in seen:
            duplicates.add(number)
        seen.add(number)
    out_of_range = sorted(number for number in seen if not 1 <= number <= series.last_number)
    valid = sorted(number for number in seen if 1 <= number <= series.last_number)
    end = through if through is not None else (valid[-1] if valid else 0)
    gaps: list[tuple[int, int]] = []
    expected = 1
    for number in [*valid, end + 1]:
        if number > end + 1:
            break
        if number > expected:
            gaps.append((expected, min(number - 1, end)))
        expected = max(expected, number + 1)
    out_of_order: list[int] = []
    latest: dt.date | None = None
    for number in valid:
        day = dates.get(number)
        if day is None:
            continue
        if latest is not None and day < latest:
            out_of_order.append(number)
        else:
            latest = day
    return NumberingReport(
        gaps=tuple(gaps),
        duplicates=tuple(sorted(duplicates)),
        out_of_range=tuple(out_of_range),
        out_of_order=tuple(out_of_order),
    )


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    amount: int


@dataclass(frozen=True)
class Receipt:
    """A receipt as printed. Build it with ``build_receipt``; cancel it with ``void_receipt``."""

    number: ReceiptNumber
    issued_at: dt.datetime
    issuer_name: str
    payer_name: str
    lines: tuple[ReceiptLine, ...]
    method: PaymentMethod
    collector_name: str
    payer_detail: str = ""
    issuer_tax_code: str = ""
    issuer_address: str = ""
    bank_transaction_id: str = ""
    reference: str = ""
    voided_reason: str = ""

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def total_in_words(self) -> str:
        return amount_in_words(self.total)

    @property
    def is_voided(self) -> bool:
        return bool(self.voided_reason)

    def context(self) -> dict[str, object]:
        """Strings for the PDF template (amounts formatted, date in Vietnamese order, words capitalised)."""
        local = self.issued_at.astimezone(VIETNAM_TIMEZONE)
        return {
            "form_symbol": self.number.series.form_symbol,
            "series_symbol": self.number.series.series_symbol,
            "number": self.number.number_text,
            "issued_on": local.strftime("%d/%m/%Y"),
            "issued_date_words": _("Ngày %(day)02d tháng %(month)02d năm %(year)s")
            % {"day": local.day, "month": local.month, "year": local.year},
            "issuer_name": self.issuer_name,
            "issuer_tax_code": self.issuer_tax_code,
            "issuer_address": self.issuer_address,
            "payer_name": self.payer_name,
            "payer_detail": self.payer_detail,
            "lines": [
                {"index": index, "description": line.description, "amount": format_vnd(line.amount, symbol=False)}
                for index, line in enumerate(self.lines, start=1)
            ],
            "total": format_vnd(self.total, symbol=False),
            "total_with_symbol": format_vnd(self.total),
            "total_in_words": self.total_in_words,
            "method": self.method.label,
            "bank_transaction_id": self.bank_transaction_id,
            "reference": self.reference,
            "collector_name": self.collector_name,
            "is_voided": self.is_voided,
            "voided_reason": self.voided_reason,
        }


def _required_text(value: str, what: str, *, max_length: int = 255) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise ValidationFailed(_("Biên lai phải có %(what)s.") % {"what": what}, code="RECEIPT_FIELD_REQUIRED")
    if len(value) > max_length:
        raise ValidationFailed(
            _("%(what)s dài quá %(max)s ký tự.") % {"what": what.capitalize(), "max": max_length},
            code="RECEIPT_FIELD_TOO_LONG",
        )
    return value


def build_receipt(
    *,
    number: ReceiptNumber,
    issued_at: dt.datetime,
    issuer_name: str,
    payer_name: str,
    lines: Sequence[ReceiptLine | tuple[str, int]],
    method: PaymentMethod,
    collector_name: str,
    payer_detail: str = "",
    issuer_tax_code: str = "",
    issuer_address: str = "",
    bank_transaction_id: str = "",
    reference: str = "",
) -> Receipt:
    """A checked receipt: names present, at least one line, every amount whole đồng above 0, the issue date in the
    series' year, a bank transaction id for a transfer (so the receipt can be traced to the statement)."""
    if issued_at.tzinfo is None or issued_at.utcoffset() is None:
        raise ValueError("A receipt's issue time must be timezone-aware")
    year = issued_at.astimezone(VIETNAM_TIMEZONE).year
    if year != number.series.year:
        raise ValidationFailed(
            _("Biên lai lập năm %(year)s không được dùng dãy %(series)s của năm %(series_year)s.")
            % {"year": year, "series": number.series.series_symbol, "series_year": number.series.year},
            code="SERIES_YEAR_MISMATCH",
        )
    checked_lines: list[ReceiptLine] = []
    for index, line in enumerate(lines, start=1):
        description, amount = (line.description, line.amount) if isinstance(line, ReceiptLine) else line
        what = _("nội dung khoản thu dòng %(index)s") % {"index": index}
        checked_lines.append(
            ReceiptLine(
                description=_required_text(description, what, max_length=MAX_DESCRIPTION_LENGTH),
                amount=check_vnd(amount, field=_("Số tiền dòng %(index)s") % {"index": index}),
            )
        )
    if not checked_lines:
        raise ValidationFailed(_("Biên lai phải có ít nhất một khoản thu."), code="RECEIPT_WITHOUT_LINES")
    if sum(line.amount for line in checked_lines) > MAX_VND:
        raise ValidationFailed(_("Tổng tiền biên lai quá lớn."), code="amount_too_large")
    method = PaymentMethod(method)
    bank_transaction_id = (bank_transaction_id or "").strip()
    if method == PaymentMethod.BANK_TRANSFER and not bank_transaction_id:
        raise ValidationFailed(
            _("Biên lai chuyển khoản phải ghi mã giao dịch ngân hàng."), code="BANK_TRANSACTION_REQUIRED"
        )
    return Receipt(
        number=number,
        issued_at=issued_at,
        issuer_name=_required_text(issuer_name, _("tên đơn vị thu")),
        payer_name=_required_text(payer_name, _("họ tên người nộp")),
        payer_detail=" ".join((payer_detail or "").split()),
        lines=tuple(checked_lines),
        method=method,
        collector_name=_required_text(collector_name, _("họ tên người thu")),
        issuer_tax_code=(issuer_tax_code or "").strip(),
        issuer_address=" ".join((issuer_address or "").split()),
        bank_transaction_id=bank_transaction_id,
        reference=(reference or "").strip(),
    )


def void_receipt(receipt: Receipt, *, reason: str) -> Receipt:
    """The same receipt marked cancelled: it keeps its number (never reused) and prints as cancelled."""
    if receipt.is_voided:
        raise ValidationFailed(
            _("Biên lai số %(number)s đã hủy trước đó.") % {"number": receipt.number.number_text},
            code="RECEIPT_ALREADY_VOIDED",
        )
    return dataclasses.replace(receipt, voided_reason=_required_text(reason, _("lý do hủy"), max_length=500))
