"""Pure Vietnamese rules used across the platform. No database access here."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

# Province / country codes of birth registration (first three digits of the personal ID number):
# the 63 provincial codes in force before the 2025 mergers. Numbers keep their code after a merger.
PERSONAL_ID_PROVINCE_CODES = frozenset(
    f"0{code:02d}"
    for code in (
        1,
        2,
        4,
        6,
        8,
        10,
        11,
        12,
        14,
        15,
        17,
        19,
        20,
        22,
        24,
        25,
        26,
        27,
        30,
        31,
        33,
        34,
        35,
        36,
        37,
        38,
        40,
        42,
        44,
        45,
        46,
        48,
        49,
        51,
        52,
        54,
        56,
        58,
        60,
        62,
        64,
        66,
        67,
        68,
        70,
        72,
        74,
        75,
        77,
        79,
        80,
        82,
        83,
        84,
        86,
        87,
        89,
        91,
        92,
        93,
        94,
        95,
        96,
    )
)

SEX_MALE = "M"
SEX_FEMALE = "F"


def personal_id_errors(value: str, *, birth_date: dt.date | None = None, sex: str | None = None) -> list[str]:
    """Check a 12-digit số định danh cá nhân; return Vietnamese messages, empty when valid.

    Digit 4 encodes century and sex (1900s: 0 male / 1 female, 2000s: 2 / 3, ...); digits 5–6 are the
    last two digits of the birth year. Both are checked only when birth date and sex are known.
    """
    value = (value or "").strip()
    if not re.fullmatch(r"\d{12}", value):
        return ["Số định danh cá nhân phải gồm đúng 12 chữ số."]
    errors: list[str] = []
    if value[:3] not in PERSONAL_ID_PROVINCE_CODES:
        errors.append(f"Mã tỉnh/thành nơi đăng ký khai sinh '{value[:3]}' không tồn tại.")
    if birth_date is not None:
        century_index = birth_date.year // 100 - 19
        if not 0 <= century_index <= 4:
            errors.append("Năm sinh nằm ngoài phạm vi mã hoá của số định danh.")
        else:
            if sex in (SEX_MALE, SEX_FEMALE):
                expected = 2 * century_index + (1 if sex == SEX_FEMALE else 0)
                if int(value[3]) != expected:
                    errors.append("Chữ số thứ 4 (thế kỷ và giới tính) không khớp với năm sinh và giới tính.")
            elif int(value[3]) // 2 != century_index:
                errors.append("Chữ số thứ 4 (thế kỷ) không khớp với năm sinh.")
            if value[4:6] != f"{birth_date.year % 100:02d}":
                errors.append("Chữ số thứ 5–6 không khớp với hai số cuối của năm sinh.")
    return errors


def mask_personal_id(value: str) -> str:
    """Show only the last three digits: enough for a person to recognise their own number."""
    if not value:
        return ""
    return "•" * (len(value) - 3) + value[-3:]


def fold_vietnamese(text: str) -> str:
    """Lower-case, strip diacritics (đ → d): the key for diacritic-insensitive search."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").lower().strip()


def normalise_name(text: str) -> str:
    """Collapse spaces and use NFC, so the same name typed twice compares equal."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())
