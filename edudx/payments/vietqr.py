"""VietQR payloads: the EMVCo merchant-presented QR as NAPAS profiles it for bank transfers. Pure functions.

A payload is a string of TLV fields, each ``ID (2 digits) + LENGTH (2 decimal digits) + VALUE`` (EMV QRCPS-MPM;
NAPAS VietQR specification v1.5.2 as documented by public libraries). The fields VietQR uses:

====  ==========================================================================================================
00    payload format indicator, always ``01``
01    point of initiation: ``11`` static (reusable), ``12`` dynamic (one payment, amount set)
38    beneficiary: ``00`` GUID ``A000000727`` (NAPAS) · ``01`` {``00`` bank BIN (6 digits) · ``01`` account or
      card number (≤ 19)} · ``02`` service code (``QRIBFTTA`` to an account, ``QRIBFTTC`` to a card)
53    currency, ``704`` (VND)
54    amount: whole đồng, digits only
58    country, ``VN``
62    additional data: ``01`` bill number · ``05`` reference label · ``08`` purpose (nội dung chuyển khoản)
63    CRC-16/CCITT-FALSE over everything before it *including* the literal ``6304``
====  ==========================================================================================================

Reconciliation reads the transfer content that the bank reports, and that content comes from field 62/08. So the
payment reference (``new_reference``) is written first in 62/08, followed by the optional human-readable purpose:
a bank app that cuts the content short (some keep 19–25 characters) still keeps the reference. Every value is
plain ASCII — no Vietnamese diacritics (``transfer_text`` removes them) — because lengths count characters and
bank apps mangle anything else.

Invalid input raises ``ValidationFailed`` with a Vietnamese message naming the field that is wrong.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import TypedDict

from django.utils.translation import gettext as _

from edudx.core.errors import ValidationFailed

PAYLOAD_FORMAT_INDICATOR = "01"
POINT_OF_INITIATION_STATIC = "11"
POINT_OF_INITIATION_DYNAMIC = "12"
NAPAS_GUID = "A000000727"
CURRENCY_VND = "704"
COUNTRY_VIETNAM = "VN"
CRC_TAG_AND_LENGTH = "6304"

# EMV QRCPS: a value's length is written on two digits; the whole payload is at most 512 characters.
MAX_VALUE_LENGTH = 99
MAX_PAYLOAD_LENGTH = 512
MAX_AMOUNT_DIGITS = 13  # EMV field 54 is at most 13 characters
MAX_ACCOUNT_LENGTH = 19
# Bank apps keep 19 to 25 characters of the transfer content; a reference longer than this could be cut off.
MAX_REFERENCE_LENGTH = 25

# Upper-case letters and digits without the look-alikes 0/O and 1/I/L: a reference survives being read aloud,
# copied by hand from a paper notice, or upper-cased by a bank. 31 symbols (a prime) for the mod-31 check symbol.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_BODY_LENGTH = 8  # 31**8 ≈ 8.5e11 possible bodies; the table storing references keeps them unique
MAX_REFERENCE_PREFIX_LENGTH = 6


class ServiceCode(StrEnum):
    """Field 38/02: what kind of payment the QR asks for."""

    ACCOUNT_TRANSFER = "QRIBFTTA"  # interbank 24/7 transfer to an account number
    CARD_TRANSFER = "QRIBFTTC"  # interbank 24/7 transfer to a card number (9704…)
    MERCHANT_PAYMENT = "QRPUSH"
    CASH_WITHDRAWAL = "QRCASH"


# Only transfers are built here; QRPUSH needs a merchant category, name and city that a school does not have.
BUILDABLE_SERVICES = (ServiceCode.ACCOUNT_TRANSFER, ServiceCode.CARD_TRANSFER)

TAG_PAYLOAD_FORMAT = "00"
TAG_POINT_OF_INITIATION = "01"
TAG_VIETQR_ACCOUNT = "38"
TAG_CURRENCY = "53"
TAG_AMOUNT = "54"
TAG_COUNTRY = "58"
TAG_ADDITIONAL_DATA = "62"
TAG_CRC = "63"

# Sub-fields of 38 and 62.
TAG_GUID = "00"
TAG_BENEFICIARY = "01"
TAG_SERVICE = "02"
TAG_BANK_BIN = "00"
TAG_ACCOUNT = "01"
TAG_BILL_NUMBER = "01"
TAG_REFERENCE_LABEL = "05"
TAG_PURPOSE = "08"

_TAG = re.compile(r"\d{2}")
_DIGITS = re.compile(r"\d+")
_BANK_BIN = re.compile(r"\d{6}")
_ACCOUNT = re.compile(r"[A-Za-z0-9]+")
_CARD = re.compile(r"\d{16,19}")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_REFERENCE = re.compile(r"[A-Z0-9]+")
_REFERENCE_PREFIX = re.compile(r"[A-Z][A-Z0-9]*")
# Letters without diacritics, digits, space and a few separators every Vietnamese bank app accepts in the content.
_TRANSFER_TEXT = re.compile(r"[A-Za-z0-9 .,/_-]*")
_NOT_TRANSFER_CHARACTER = re.compile(r"[^A-Za-z0-9 .,/_-]")


def _field_label(path: str) -> str:
    labels = {
        "00": _("định dạng dữ liệu"),
        "01": _("phương thức khởi tạo"),
        "38": _("tài khoản thụ hưởng VietQR"),
        "38/00": _("mã định danh NAPAS"),
        "38/01": _("đơn vị thụ hưởng"),
        "38/01/00": _("mã BIN ngân hàng"),
        "38/01/01": _("số tài khoản hoặc số thẻ"),
        "38/02": _("mã dịch vụ"),
        "53": _("mã tiền tệ"),
        "54": _("số tiền"),
        "58": _("mã quốc gia"),
        "62": _("thông tin bổ sung"),
        "62/01": _("số hóa đơn"),
        "62/05": _("mã tham chiếu"),
        "62/08": _("nội dung chuyển khoản"),
        "63": _("mã kiểm tra CRC"),
    }
    return labels.get(path, _("trường %(path)s") % {"path": path})


def _field_name(path: str) -> str:
    """'Trường 54 (số tiền)' — how messages name a field, with its ID so a technician can find it."""
    return _("Trường %(path)s (%(label)s)") % {"path": path, "label": _field_label(path)}


# ---------------------------------------------------------------------------------------------------------------
# CRC and TLV
# ---------------------------------------------------------------------------------------------------------------


def crc16_ccitt_false(data: str | bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, no reflection, no final XOR ("123456789" → 0x29B1)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    crc = 0xFFFF
    for byte in raw:
        crc ^= byte << 8
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def payload_crc(payload_without_crc_value: str) -> str:
    """The four upper-case hex digits of field 63, computed over everything up to and including ``6304``."""
    return f"{crc16_ccitt_false(payload_without_crc_value):04X}"


def _check_value(path: str, value: str) -> None:
    if not value:
        raise ValidationFailed(_("%(field)s không được để trống.") % {"field": _field_name(path)}, code="empty_field")
    if len(value) > MAX_VALUE_LENGTH:
        raise ValidationFailed(
            _("%(field)s dài %(length)s ký tự; tối đa %(max)s ký tự.")
            % {"field": _field_name(path), "length": len(value), "max": MAX_VALUE_LENGTH},
            code="field_too_long",
        )
    for position, character in enumerate(value, start=1):
        if not " " <= character <= "~":
            raise ValidationFailed(
                _("%(field)s có ký tự không hợp lệ «%(character)s» ở vị trí %(position)s; chỉ dùng chữ không dấu.")
                % {"field": _field_name(path), "character": character, "position": position},
                code="invalid_character",
            )


def tlv(tag: str, value: str, *, path: str | None = None) -> str:
    """One field: ``tag + two-digit length + value``. ``path`` (e.g. ``"62/08"``) names the field in errors."""
    if not _TAG.fullmatch(tag):
        raise ValueError(f"A TLV tag is two digits, got {tag!r}")
    _check_value(path or tag, value)
    return f"{tag}{len(value):02d}{value}"


def encode_tlv(fields: Iterable[tuple[str, str]], *, parent: str | None = None) -> str:
    """Several fields in the given order (the caller keeps them in ascending tag order)."""
    return "".join(tlv(tag, value, path=f"{parent}/{tag}" if parent else tag) for tag, value in fields)


def parse_tlv(text: str, *, parent: str | None = None) -> dict[str, str]:
    """Split a TLV string into ``{tag: value}`` in order. Raises ``ValidationFailed`` on a broken structure."""
    fields: dict[str, str] = {}
    position = 0
    while position < len(text):
        header = text[position : position + 4]
        where = _("%(parent)s, vị trí %(position)s") % {
            "parent": _field_name(parent) if parent else _("Mã QR"),
            "position": position + 1,
        }
        if len(header) < 4 or not _DIGITS.fullmatch(header):
            raise ValidationFailed(
                _("%(where)s: cần mã trường 2 chữ số và độ dài 2 chữ số, nhưng gặp «%(found)s».")
                % {"where": where, "found": header},
                code="malformed_tlv",
            )
        tag, length = header[:2], int(header[2:])
        path = f"{parent}/{tag}" if parent else tag
        value = text[position + 4 : position + 4 + length]
        if len(value) < length:
            raise ValidationFailed(
                _("%(field)s khai báo dài %(length)s ký tự nhưng chỉ còn %(left)s ký tự.")
                % {"field": _field_name(path), "length": length, "left": len(value)},
                code="truncated_field",
            )
        if tag in fields:
            raise ValidationFailed(
                _("%(field)s xuất hiện hai lần.") % {"field": _field_name(path)}, code="duplicate_field"
            )
        fields[tag] = value
        position += 4 + length
    return fields


# ---------------------------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------------------------


def transfer_text(text: str) -> str:
    """Vietnamese text made safe for the transfer content: no diacritics (đ → d), only letters, digits, spaces and
    ``. , - / _``, single spaces. ``"Tiền ăn bán trú T9/2026"`` → ``"Tien an ban tru T9/2026"``."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    ascii_text = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(_NOT_TRANSFER_CHARACTER.sub(" ", ascii_text).split())


def _amount_digits(amount: object) -> str:
    """Whole đồng as digits. int or an integral Decimal; never float, bool, zero or negative."""
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise ValidationFailed(
            _("Số tiền phải là số nguyên đồng (VND), không phải «%(value)s».") % {"value": amount},
            code="amount_not_integer",
        )
    if isinstance(amount, Decimal):
        if not amount.is_finite() or amount != amount.to_integral_value():
            raise ValidationFailed(
                _("Số tiền phải là số nguyên đồng (VND), không có phần lẻ; đã nhập %(value)s.") % {"value": amount},
                code="amount_not_integer",
            )
        amount = int(amount)
    if amount <= 0:
        raise ValidationFailed(
            _("Số tiền phải lớn hơn 0 đồng; đã nhập %(value)s.") % {"value": amount}, code="amount_not_positive"
        )
    digits = str(amount)
    if len(digits) > MAX_AMOUNT_DIGITS:
        raise ValidationFailed(
            _("Số tiền quá lớn: tối đa %(max)s chữ số.") % {"max": MAX_AMOUNT_DIGITS}, code="amount_too_large"
        )
    return digits


def _check_reference(reference: str) -> None:
    if not _REFERENCE.fullmatch(reference) or len(reference) > MAX_REFERENCE_LENGTH:
        raise ValidationFailed(
            _("Mã tham chiếu «%(reference)s» chỉ được gồm chữ in hoa không dấu và chữ số, tối đa %(max)s ký tự.")
            % {"reference": reference, "max": MAX_REFERENCE_LENGTH},
            code="invalid_reference",
        )


def _check_transfer_text(path: str, value: str) -> None:
    if not _TRANSFER_TEXT.fullmatch(value):
        bad = _NOT_TRANSFER_CHARACTER.search(value)
        raise ValidationFailed(
            _(
                "%(field)s có ký tự «%(character)s» mà ứng dụng ngân hàng không nhận; chỉ dùng chữ không dấu, chữ số, "
                "dấu cách và . , - / _"
            )
            % {"field": _field_name(path), "character": bad.group() if bad else ""},
            code="invalid_character",
        )


def build_payload(
    *,
    bank_bin: str,
    account: str,
    amount: int | Decimal | None,
    reference: str | None,
    purpose: str | None = None,
    static: bool = False,
    bill_number: str | None = None,
    service: ServiceCode | str = ServiceCode.ACCOUNT_TRANSFER,
) -> str:
    """A complete VietQR payload, CRC included.

    ``amount`` is whole VND (required for a dynamic QR, optional for ``static=True``). The transfer content
    (62/08) is ``reference`` then ``purpose``, separated by a space; either may be ``None``. ``bill_number`` goes
    to 62/01. ``service`` is ``QRIBFTTA`` (``account`` is an account number, letters allowed for virtual
    accounts) or ``QRIBFTTC`` (``account`` is a card number).
    """
    if service not in BUILDABLE_SERVICES:
        raise ValidationFailed(
            _("Chỉ tạo được mã QR chuyển khoản (QRIBFTTA hoặc QRIBFTTC), không phải «%(service)s».")
            % {"service": service},
            code="unsupported_service",
        )
    if not _BANK_BIN.fullmatch(bank_bin or ""):
        raise ValidationFailed(
            _("%(field)s phải gồm đúng 6 chữ số, ví dụ 970415; đã nhập «%(value)s».")
            % {"field": _field_name("38/01/00"), "value": bank_bin},
            code="invalid_bank_bin",
        )
    if service == ServiceCode.CARD_TRANSFER:
        if not _CARD.fullmatch(account or ""):
            raise ValidationFailed(
                _("%(field)s: số thẻ phải gồm 16 đến 19 chữ số.") % {"field": _field_name("38/01/01")},
                code="invalid_account",
            )
    elif not _ACCOUNT.fullmatch(account or "") or len(account) > MAX_ACCOUNT_LENGTH:
        raise ValidationFailed(
            _("%(field)s chỉ gồm chữ không dấu và chữ số, tối đa %(max)s ký tự; đã nhập «%(value)s».")
            % {"field": _field_name("38/01/01"), "max": MAX_ACCOUNT_LENGTH, "value": account},
            code="invalid_account",
        )
    if amount is None:
        if not static:
            raise ValidationFailed(
                _("Mã QR dùng một lần (động) phải có số tiền; mã QR tĩnh mới được để trống số tiền."),
                code="amount_required",
            )
        amount_digits = None
    else:
        amount_digits = _amount_digits(amount)
    if reference is not None:
        _check_reference(reference)
    if purpose is not None:
        _check_transfer_text("62/08", purpose)
    content = " ".join(part for part in (reference, purpose) if part)

    beneficiary = encode_tlv([(TAG_BANK_BIN, bank_bin), (TAG_ACCOUNT, account)], parent="38/01")
    merchant = encode_tlv(
        [(TAG_GUID, NAPAS_GUID), (TAG_BENEFICIARY, beneficiary), (TAG_SERVICE, str(service))], parent="38"
    )
    fields: list[tuple[str, str]] = [
        (TAG_PAYLOAD_FORMAT, PAYLOAD_FORMAT_INDICATOR),
        (TAG_POINT_OF_INITIATION, POINT_OF_INITIATION_STATIC if static else POINT_OF_INITIATION_DYNAMIC),
        (TAG_VIETQR_ACCOUNT, merchant),
        (TAG_CURRENCY, CURRENCY_VND),
    ]
    if amount_digits is not None:
        fields.append((TAG_AMOUNT, amount_digits))
    fields.append((TAG_COUNTRY, COUNTRY_VIETNAM))
    additional: list[tuple[str, str]] = []
    if bill_number is not None:
        additional.append((TAG_BILL_NUMBER, bill_number))
    if content:
        additional.append((TAG_PURPOSE, content))
    if additional:
        fields.append((TAG_ADDITIONAL_DATA, encode_tlv(additional, parent="62")))
    body = encode_tlv(fields) + CRC_TAG_AND_LENGTH
    payload = body + payload_crc(body)
    if len(payload) > MAX_PAYLOAD_LENGTH:  # pragma: no cover - each field is capped well below this
        raise ValidationFailed(_("Mã QR quá dài."), code="payload_too_long")
    return payload


# ---------------------------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------------------------


class VietQrPayload(TypedDict):
    """What ``parse_payload`` found. ``purpose`` is the whole transfer content (62/08), reference included."""

    is_static: bool
    point_of_initiation: str | None
    bank_bin: str
    account: str
    service: str
    currency: str
    amount: int | None
    country: str
    bill_number: str | None
    reference_label: str | None
    purpose: str | None
    crc: str
    fields: dict[str, str]


def _require(fields: dict[str, str], tag: str, path: str) -> str:
    if tag not in fields:
        raise ValidationFailed(_("Thiếu %(field)s.") % {"field": _field_name(path)}, code="missing_field")
    return fields[tag]


def _require_equal(fields: dict[str, str], tag: str, path: str, expected: str) -> str:
    value = _require(fields, tag, path)
    if value != expected:
        raise ValidationFailed(
            _("%(field)s phải là «%(expected)s», không phải «%(value)s».")
            % {"field": _field_name(path), "expected": expected, "value": value},
            code="unexpected_value",
        )
    return value


def parse_payload(text: str) -> VietQrPayload:
    """Read a VietQR payload: check the CRC first, then the structure and each field VietQR requires.

    Accepts ``11`` with an amount (some generators emit it). Raises ``ValidationFailed`` naming the field.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed(_("Mã QR trống."), code="empty_payload")
    text = text.strip()
    for position, character in enumerate(text, start=1):
        if not " " <= character <= "~":
            raise ValidationFailed(
                _("Mã QR có ký tự không hợp lệ «%(character)s» ở vị trí %(position)s.")
                % {"character": character, "position": position},
                code="invalid_character",
            )
    if len(text) > MAX_PAYLOAD_LENGTH:
        raise ValidationFailed(
            _("Mã QR dài %(length)s ký tự; tối đa %(max)s.") % {"length": len(text), "max": MAX_PAYLOAD_LENGTH},
            code="payload_too_long",
        )
    if len(text) < 8 or text[-8:-4] != CRC_TAG_AND_LENGTH:
        raise ValidationFailed(
            _("Thiếu %(field)s ở cuối mã QR (phải kết thúc bằng 6304 và 4 ký tự hex).") % {"field": _field_name("63")},
            code="missing_crc",
        )
    written = text[-4:]
    if not _HEX4.fullmatch(written):
        raise ValidationFailed(
            _("%(field)s «%(value)s» không phải 4 ký tự hex.") % {"field": _field_name("63"), "value": written},
            code="malformed_crc",
        )
    computed = payload_crc(text[:-4])
    if written.upper() != computed:
        raise ValidationFailed(
            _("%(field)s không khớp: mã ghi %(written)s, tính được %(computed)s. Mã QR đã bị sửa hoặc đọc sai.")
            % {"field": _field_name("63"), "written": written, "computed": computed},
            code="crc_mismatch",
        )

    fields = parse_tlv(text)
    if next(iter(fields)) != TAG_PAYLOAD_FORMAT:
        raise ValidationFailed(
            _("%(field)s phải đứng đầu mã QR.") % {"field": _field_name("00")}, code="payload_format_not_first"
        )
    _require_equal(fields, TAG_PAYLOAD_FORMAT, "00", PAYLOAD_FORMAT_INDICATOR)
    initiation = fields.get(TAG_POINT_OF_INITIATION)
    if initiation is not None and initiation not in (POINT_OF_INITIATION_STATIC, POINT_OF_INITIATION_DYNAMIC):
        raise ValidationFailed(
            _("%(field)s phải là 11 (tĩnh) hoặc 12 (động), không phải «%(value)s».")
            % {"field": _field_name("01"), "value": initiation},
            code="unexpected_value",
        )

    merchant = parse_tlv(_require(fields, TAG_VIETQR_ACCOUNT, "38"), parent="38")
    _require_equal(merchant, TAG_GUID, "38/00", NAPAS_GUID)
    beneficiary = parse_tlv(_require(merchant, TAG_BENEFICIARY, "38/01"), parent="38/01")
    bank_bin = _require(beneficiary, TAG_BANK_BIN, "38/01/00")
    if not _BANK_BIN.fullmatch(bank_bin):
        raise ValidationFailed(
            _("%(field)s phải gồm đúng 6 chữ số, không phải «%(value)s».")
            % {"field": _field_name("38/01/00"), "value": bank_bin},
            code="invalid_bank_bin",
        )
    account = _require(beneficiary, TAG_ACCOUNT, "38/01/01")
    if len(account) > MAX_ACCOUNT_LENGTH:
        raise ValidationFailed(
            _("%(field)s dài hơn %(max)s ký tự.") % {"field": _field_name("38/01/01"), "max": MAX_ACCOUNT_LENGTH},
            code="invalid_account",
        )
    service = _require(merchant, TAG_SERVICE, "38/02")
    if service not in set(ServiceCode):
        raise ValidationFailed(
            _("%(field)s «%(value)s» không phải mã dịch vụ VietQR.")
            % {"field": _field_name("38/02"), "value": service},
            code="unexpected_value",
        )

    currency = _require_equal(fields, TAG_CURRENCY, "53", CURRENCY_VND)
    amount: int | None = None
    if TAG_AMOUNT in fields:
        raw_amount = fields[TAG_AMOUNT]
        if not _DIGITS.fullmatch(raw_amount) or int(raw_amount) <= 0:
            raise ValidationFailed(
                _("%(field)s phải là số nguyên đồng lớn hơn 0, không dấu phân cách; đang là «%(value)s».")
                % {"field": _field_name("54"), "value": raw_amount},
                code="invalid_amount",
            )
        amount = int(raw_amount)
    if initiation == POINT_OF_INITIATION_DYNAMIC and amount is None:
        raise ValidationFailed(
            _("Mã QR động (01 = 12) phải có %(field)s.") % {"field": _field_name("54")}, code="amount_required"
        )
    country = _require_equal(fields, TAG_COUNTRY, "58", COUNTRY_VIETNAM)

    additional = parse_tlv(fields[TAG_ADDITIONAL_DATA], parent="62") if TAG_ADDITIONAL_DATA in fields else {}
    if next(reversed(fields)) != TAG_CRC:  # pragma: no cover - guaranteed by the 6304 suffix check above
        raise ValidationFailed(_("%(field)s phải đứng cuối.") % {"field": _field_name("63")}, code="crc_not_last")

    return VietQrPayload(
        is_static=initiation != POINT_OF_INITIATION_DYNAMIC,
        point_of_initiation=initiation,
        bank_bin=bank_bin,
        account=account,
        service=service,
        currency=currency,
        amount=amount,
        country=country,
        bill_number=additional.get(TAG_BILL_NUMBER),
        reference_label=additional.get(TAG_REFERENCE_LABEL),
        purpose=additional.get(TAG_PURPOSE),
        crc=written.upper(),
        fields=fields,
    )


# ---------------------------------------------------------------------------------------------------------------
# Payment references
# ---------------------------------------------------------------------------------------------------------------


def _check_character(body: str) -> str:
    """Weighted sum mod 31 (weights 1, 2, 3, …): 31 is prime and every weight and every difference of neighbouring
    weights is non-zero mod 31, so any single mistyped symbol and any swap of two neighbours is caught."""
    total = sum(weight * REFERENCE_ALPHABET.index(character) for weight, character in enumerate(body, start=1))
    return REFERENCE_ALPHABET[total % len(REFERENCE_ALPHABET)]


def _check_prefix(prefix: str) -> None:
    if not _REFERENCE_PREFIX.fullmatch(prefix or "") or len(prefix) > MAX_REFERENCE_PREFIX_LENGTH:
        raise ValueError(
            f"A reference prefix is 1-{MAX_REFERENCE_PREFIX_LENGTH} upper-case letters or digits, "
            f"starting with a letter; got {prefix!r}"
        )


def new_reference(prefix: str, *, length: int = REFERENCE_BODY_LENGTH) -> str:
    """A fresh payment reference: ``prefix`` + ``length`` random symbols + one check symbol, e.g. ``HP7KQ4XM9AB``.

    Random from ``secrets`` over 31 unambiguous symbols (no 0/O, 1/I/L); the caller stores it under a unique
    constraint and draws again on the (≈ 1 in 10¹¹ per pair) collision.
    """
    _check_prefix(prefix)
    if not 6 <= length <= MAX_REFERENCE_LENGTH - len(prefix) - 1:
        raise ValueError(f"Reference body length must be between 6 and {MAX_REFERENCE_LENGTH - len(prefix) - 1}")
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _position in range(length))
    return prefix + body + _check_character(body)


def is_valid_reference(text: str, *, prefix: str, length: int = REFERENCE_BODY_LENGTH) -> bool:
    """Whether ``text`` is exactly a reference ``new_reference(prefix, length=length)`` could have made."""
    if not text.startswith(prefix) or len(text) != len(prefix) + length + 1:
        return False
    body, check = text[len(prefix) : -1], text[-1]
    if any(character not in REFERENCE_ALPHABET for character in body + check):
        return False
    return _check_character(body) == check


def find_references(text: str, *, prefix: str, length: int = REFERENCE_BODY_LENGTH) -> list[str]:
    """The valid references hidden in a bank's transfer content, in order of appearance, without repeats.

    Banks upper-case the content, add their own codes and drop or add separators
    (``"MBVCB.123.HP7KQ4XM9AB.Tien an"``), so the search ignores case, diacritics and every non-alphanumeric
    character, and keeps only candidates whose check symbol is right.
    """
    _check_prefix(prefix)
    squeezed = re.sub(r"[^A-Z0-9]", "", transfer_text(text).upper())
    pattern = re.compile(rf"(?=({re.escape(prefix)}[{REFERENCE_ALPHABET}]{{{length + 1}}}))")
    found: list[str] = []
    for match in pattern.finditer(squeezed):
        candidate = match.group(1)
        if candidate not in found and is_valid_reference(candidate, prefix=prefix, length=length):
            found.append(candidate)
    return found
