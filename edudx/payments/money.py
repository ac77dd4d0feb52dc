"""Money in Vietnamese đồng: whole numbers only, read from what people and banks write, shown as people read it.

The đồng has had no subunit in use for decades (hào and xu are gone), so an amount is an ``int`` of whole đồng,
never a ``float`` and never a fraction: a bill line, a transfer, a refund are all integers, and the sums that
"money never appears or disappears" rests on stay exact.

* ``check_vnd`` accepts a value that is already a number (an ``int``, or an integral ``Decimal`` read from JSON or
  a database) and refuses ``float``, ``bool``, fractions and negatives.
* ``parse_vnd`` reads text the way Vietnamese people and bank exports write it: ``"1.250.000"``,
  ``"1,250,000 đ"``, ``"1 250 000 VND"``, ``"1.250.000 ₫"``. Dot, comma and space are thousands separators and
  must group digits by three; a decimal part is refused (``"1,5"``), except a zero one that bank exports add
  (``"1,250,000.00"``) when the caller allows it.
* ``format_vnd`` writes ``"1.250.000 ₫"`` (dot for thousands, as Vietnamese typography does).
* ``amount_in_words`` writes the amount as a receipt states it: ``"Một triệu hai trăm năm mươi nghìn đồng"``.

Reading numbers aloud (the rules a receipt must follow):

* digits are read in groups of three with the scales *nghìn* (10³), *triệu* (10⁶), *tỷ* (10⁹); beyond that the
  scales repeat on *tỷ*: *nghìn tỷ* (10¹²), *triệu tỷ* (10¹⁵);
* a group after the first is read in full: an empty hundreds place is *không trăm* (1.050 → *một nghìn không
  trăm năm mươi*), and a whole group of zeros is skipped (1.000.005 → *một triệu không trăm linh năm*);
* an empty tens place before a unit is *linh* (or *lẻ* in the South): 105 → *một trăm linh năm*;
* tens: 10 is *mười*, 20–90 are *… mươi*;
* units after *mươi*: 1 is *mốt* (21 → *hai mươi mốt*), 4 is *tư* (24 → *hai mươi tư*), 5 is *lăm*
  (25 → *hai mươi lăm*); after *mười*: 1 stays *một* (11 → *mười một*), 4 stays *bốn*, 5 is *lăm*
  (15 → *mười lăm*); after *linh* every digit keeps its name (101 → *một trăm linh một*, 105 → *… linh năm*).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Literal

from django.utils.translation import gettext as _

from edudx.core.errors import ValidationFailed

__all__ = [
    "MAX_VND",
    "amount_in_words",
    "check_vnd",
    "format_vnd",
    "parse_vnd",
]

# Thirteen digits, as VietQR field 54 allows: far above anything a school collects, small enough to stay exact
# anywhere (a float, a JavaScript number, a spreadsheet cell) the amount might be copied to by someone else.
MAX_VND = 9_999_999_999_999

_CURRENCY_WORDS = re.compile(r"(?i)(?:vnđ|vnd|đồng|dong|đ|₫)\.?")
# Spaces people and spreadsheets put between groups: ordinary, no-break, narrow no-break, thin.
_GROUP_SPACES = re.compile(r"(?<=\d)[ \u00a0\u202f\u2009](?=\d)")
_NUMBER = re.compile(r"[0-9.,]+")
_MINUS_SIGNS = ("-", "−", "–")


def _label(field: str | None) -> str:
    return field or _("Số tiền")


def check_vnd(value: object, *, field: str | None = None, allow_zero: bool = False) -> int:
    """``value`` as whole đồng, or ``ValidationFailed`` naming ``field``.

    Accepts an ``int`` or an integral ``Decimal``; refuses ``bool``, ``float`` (binary floating point cannot hold
    money exactly), a fraction, a negative amount, zero unless ``allow_zero``, and anything above ``MAX_VND``.
    """
    label = _label(field)
    if isinstance(value, bool) or isinstance(value, float):
        raise ValidationFailed(
            _("%(field)s phải là số nguyên đồng, không dùng số thực (float); đã nhận %(value)r.")
            % {"field": label, "value": value},
            code="amount_not_integer",
        )
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise ValidationFailed(
                _("%(field)s phải là số nguyên đồng, không có phần lẻ; đã nhận %(value)s.")
                % {"field": label, "value": value},
                code="amount_not_integer",
            )
        value = int(value)
    if not isinstance(value, int):
        raise ValidationFailed(
            _("%(field)s phải là số nguyên đồng; đã nhận «%(value)s».") % {"field": label, "value": value},
            code="amount_not_integer",
        )
    if value < 0:
        raise ValidationFailed(
            _("%(field)s không được âm; đã nhận %(value)s.") % {"field": label, "value": value},
            code="amount_negative",
        )
    if value == 0 and not allow_zero:
        raise ValidationFailed(_("%(field)s phải lớn hơn 0 đồng.") % {"field": label}, code="amount_not_positive")
    if value > MAX_VND:
        raise ValidationFailed(
            _("%(field)s quá lớn: tối đa %(max)s.") % {"field": label, "max": format_vnd(MAX_VND)},
            code="amount_too_large",
        )
    return value


def _grouped(text: str, separator: str) -> str | None:
    """The digits of ``text`` if it is digits grouped by three with ``separator`` (``1.250.000``), else None."""
    groups = text.split(separator)
    if not 1 <= len(groups[0]) <= 3 or not all(len(group) == 3 for group in groups[1:]):
        return None
    if not all(group.isdigit() for group in groups):
        return None
    return "".join(groups)


def parse_vnd(
    text: object, *, field: str | None = None, allow_zero: bool = False, allow_zero_fraction: bool = False
) -> int:
    """Whole đồng from what a person or a bank export wrote, or ``ValidationFailed`` explaining what is wrong.

    ``text`` may also be an ``int``/``Decimal`` (checked with ``check_vnd``). With ``allow_zero_fraction`` a
    decimal part made only of zeros (``"1,250,000.00"``, ``"1.250.000,00"``) is dropped; any other decimal part
    is refused, because a đồng amount has none and guessing would move money.
    """
    if not isinstance(text, str):
        return check_vnd(text, field=field, allow_zero=allow_zero)
    label = _label(field)
    original = text
    cleaned = unicodedata.normalize("NFC", text).strip()
    cleaned = _CURRENCY_WORDS.sub(" ", cleaned).strip()
    if not cleaned:
        raise ValidationFailed(_("%(field)s đang để trống.") % {"field": label}, code="amount_empty")
    if cleaned.startswith(_MINUS_SIGNS) or (cleaned.startswith("(") and cleaned.endswith(")")):
        raise ValidationFailed(
            _("%(field)s không được âm; đã nhập «%(value)s».") % {"field": label, "value": original.strip()},
            code="amount_negative",
        )
    cleaned = cleaned.removeprefix("+").strip()
    cleaned = _GROUP_SPACES.sub("", cleaned)
    invalid = ValidationFailed(
        _("%(field)s «%(value)s» không phải số tiền hợp lệ; hãy viết như 1.250.000 hoặc 1250000.")
        % {"field": label, "value": original.strip()},
        code="amount_invalid",
    )
    if not _NUMBER.fullmatch(cleaned) or not cleaned[0].isdigit() or not cleaned[-1].isdigit():
        raise invalid
    fraction_refused = ValidationFailed(
        _("%(field)s «%(value)s» có phần lẻ thập phân; số tiền đồng phải là số nguyên.")
        % {"field": label, "value": original.strip()},
        code="amount_not_integer",
    )

    separators = {character for character in cleaned if character in ".,"}
    digits: str | None
    if not separators:
        digits = cleaned
    elif len(separators) == 1:
        (separator,) = separators
        digits = _grouped(cleaned, separator)
        if digits is None:
            whole, _sep, fraction = cleaned.rpartition(separator)
            if cleaned.count(separator) == 1 and len(fraction) != 3:
                if not (allow_zero_fraction and set(fraction) == {"0"}):
                    raise fraction_refused
                digits = whole
            else:
                raise invalid
    else:
        # Both marks: the last one is the decimal mark (it appears once), the other groups thousands.
        decimal_mark = cleaned[max(cleaned.rfind("."), cleaned.rfind(","))]
        group_mark = "," if decimal_mark == "." else "."
        whole, _sep, fraction = cleaned.rpartition(decimal_mark)
        digits = _grouped(whole, group_mark)
        if digits is None or decimal_mark in whole or len(fraction) == 3:
            raise invalid  # "1,250.000" may be a mistyped 1.250.000: refuse rather than read 1.250
        if not (allow_zero_fraction and set(fraction) == {"0"}):
            raise fraction_refused
    try:
        amount = int(digits)
    except (ValueError, InvalidOperation) as exc:  # pragma: no cover - digits are checked above
        raise invalid from exc
    return check_vnd(amount, field=field, allow_zero=allow_zero)


def format_vnd(amount: int, *, symbol: bool = True) -> str:
    """``1250000`` → ``"1.250.000 ₫"`` (``symbol=False``: ``"1.250.000"``). Negative amounts (a balance that went
    the wrong way, shown in a report) get a leading minus sign."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"format_vnd takes whole đồng as int, got {amount!r}")
    text = f"{abs(amount):,}".replace(",", ".")
    if amount < 0:
        text = "-" + text
    return f"{text} ₫" if symbol else text


_DIGIT_NAMES = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_BILLION = 10**9


def _read_group(group: int, *, full: bool, odd: str) -> list[str]:
    """Words of a number 0–999. ``full``: a group after the first, read with *không trăm* and *linh*."""
    hundreds, tens, units = group // 100, group // 10 % 10, group % 10
    words: list[str] = []
    if full or hundreds:
        words += [_DIGIT_NAMES[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append(odd)
            words.append(_DIGIT_NAMES[units])
    elif tens == 1:
        words.append("mười")
        if units == 5:
            words.append("lăm")
        elif units:
            words.append(_DIGIT_NAMES[units])
    else:
        words += [_DIGIT_NAMES[tens], "mươi"]
        words += {0: [], 1: ["mốt"], 4: ["tư"], 5: ["lăm"]}.get(units, [_DIGIT_NAMES[units]])
    return words


def _read_below_billion(number: int, *, full: bool, odd: str, thousand: str) -> list[str]:
    words: list[str] = []
    for group, scale in ((number // 10**6, "triệu"), (number // 1000 % 1000, thousand), (number % 1000, "")):
        if group == 0:
            continue
        words += _read_group(group, full=full, odd=odd)
        if scale:
            words.append(scale)
        full = True
    return words


def _read(number: int, *, full: bool, odd: str, thousand: str) -> list[str]:
    if number >= _BILLION:
        high, low = divmod(number, _BILLION)
        words = [*_read(high, full=full, odd=odd, thousand=thousand), "tỷ"]
        if low:
            words += _read_below_billion(low, full=True, odd=odd, thousand=thousand)
        return words
    return _read_below_billion(number, full=full, odd=odd, thousand=thousand)


def amount_in_words(
    amount: int,
    *,
    currency: str = "đồng",
    odd: Literal["linh", "lẻ"] = "linh",
    thousand: Literal["nghìn", "ngàn"] = "nghìn",
) -> str:
    """The amount in Vietnamese words, capitalised, as a receipt writes it.

    ``1250000`` → ``"Một triệu hai trăm năm mươi nghìn đồng"``; ``0`` → ``"Không đồng"``. ``odd="lẻ"`` and
    ``thousand="ngàn"`` give the Southern reading (``"Một trăm lẻ năm ngàn đồng"``).
    """
    amount = check_vnd(amount, allow_zero=True)
    words = _read(amount, full=False, odd=odd, thousand=thousand) if amount else ["không"]
    if currency:
        words.append(currency)
    text = " ".join(words)
    return text[0].upper() + text[1:]
