"""The dossier code (mã số hồ sơ) of Thông tư 03/2025/TT-VPCP. Pure functions.

Format: ``{receiving unit's electronic identifier}-{yymmdd}-{sequence within the day}``, e.g.
``H15.50.05.13-261008-0975`` — unit ``H15.50.05.13``, received on 8 October 2026, the 975th dossier of that day.

* The unit identifier is the electronic identifier of the receiving agency (Quyết định 20/2020/QĐ-TTg): a level-1
  code of one letter and two digits (``H15`` a province, ``G..`` a ministry) and up to three numeric levels below
  it, written either from the top (``H15.50.05.13``) or from the bottom (``000.00.00.H15``, the order used on
  documents). Identifiers changed with the 2025 mergers: the code keeps the identifier valid on the receipt date.
* The date is the calendar date the dossier was received (local time), two-digit year in the 2000s.
* The sequence has 4 digits on provincial systems and 6 or 7 on ministry systems; it starts at 1 each day.

Source: administration notes §3.3 — a public repository's parsing rules, not the circular's text [secondary].
The same code follows the dossier across channels (online, post, counter).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from edudx.core.errors import ValidationFailed

PROVINCE_SEQUENCE_WIDTH = 4
MINISTRY_SEQUENCE_WIDTHS = (6, 7)
SEQUENCE_WIDTHS = (PROVINCE_SEQUENCE_WIDTH, *MINISTRY_SEQUENCE_WIDTHS)
EXAMPLE_CODE = "H15.50.05.13-261008-0975"
_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")

_LEVEL_ONE = re.compile(r"[A-Z]\d{2}")
_LOWER_LEVEL = re.compile(r"\d{2,3}")
_DATE = re.compile(r"\d{6}")
_SEQUENCE = re.compile(r"\d+")


@dataclass(frozen=True)
class DossierCode:
    """A parsed dossier code. ``str(code)`` gives the code back."""

    unit_code: str
    received_on: dt.date
    sequence: int
    sequence_width: int = PROVINCE_SEQUENCE_WIDTH

    @property
    def is_from_ministry_system(self) -> bool:
        """Ministry systems number with 6–7 digits, provincial ones with 4."""
        return self.sequence_width in MINISTRY_SEQUENCE_WIDTHS

    def __str__(self) -> str:
        return f"{self.unit_code}-{self.received_on:%y%m%d}-{self.sequence:0{self.sequence_width}d}"


def validate_unit_code(unit_code: str) -> str:
    """The unit identifier, upper-cased, or ``ValidationFailed``: dot-separated levels, exactly one ``A99`` level-1
    code at the top or the bottom, the others of 2–3 digits, at most four levels."""
    normalised = (unit_code or "").strip().upper()
    parts = normalised.split(".")
    level_one_positions = [i for i, part in enumerate(parts) if _LEVEL_ONE.fullmatch(part)]
    valid = (
        1 <= len(parts) <= 4
        and len(level_one_positions) == 1
        and level_one_positions[0] in (0, len(parts) - 1)
        and all(_LOWER_LEVEL.fullmatch(part) for i, part in enumerate(parts) if i != level_one_positions[0])
    )
    if not valid:
        raise ValidationFailed(
            _(
                "Mã định danh đơn vị «%(value)s» không hợp lệ: cần mã cấp 1 gồm một chữ cái và hai chữ số "
                "(ví dụ H15) và tối đa ba cấp số, cách nhau bằng dấu chấm, ví dụ H15.50.05.13."
            )
            % {"value": unit_code},
            code="invalid_unit_code",
        )
    return normalised


def _local_date(received_on: dt.date) -> dt.date:
    if isinstance(received_on, dt.datetime):
        if received_on.tzinfo is None or received_on.utcoffset() is None:
            raise ValueError("A naive datetime has no receipt date; pass an aware datetime or a date")
        return received_on.astimezone(_TIMEZONE).date()
    return received_on


def _check_sequence(sequence: int, width: int) -> None:
    if width not in SEQUENCE_WIDTHS:
        raise ValueError(f"The sequence has {SEQUENCE_WIDTHS} digits, not {width}")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 1 <= sequence < 10**width:
        raise ValidationFailed(
            _("Số thứ tự trong ngày phải từ 1 đến %(max)s; đã có %(value)s.")
            % {"max": 10**width - 1, "value": sequence},
            code="invalid_sequence",
        )


def format_code(
    *, unit_code: str, received_on: dt.date, sequence: int, sequence_width: int = PROVINCE_SEQUENCE_WIDTH
) -> str:
    """``H15.50.05.13-261008-0975`` from its parts. ``received_on`` is a date or an aware datetime (read in
    Vietnamese time); ``sequence_width`` is 4 on provincial systems, 6 or 7 on ministry systems."""
    _check_sequence(sequence, sequence_width)
    code = DossierCode(
        unit_code=validate_unit_code(unit_code),
        received_on=_local_date(received_on),
        sequence=sequence,
        sequence_width=sequence_width,
    )
    if not dt.date(2000, 1, 1) <= code.received_on <= dt.date(2099, 12, 31):
        raise ValidationFailed(_("Ngày tiếp nhận phải trong khoảng 2000–2099."), code="invalid_date")
    return str(code)


def parse_code(text: str) -> DossierCode:
    """Read a dossier code typed or scanned by a person; ``ValidationFailed`` names the part that is wrong."""
    normalised = (text or "").strip().upper()
    parts = normalised.split("-")
    if len(parts) != 3:
        raise ValidationFailed(
            _("Mã số hồ sơ «%(value)s» phải có dạng mã đơn vị-yymmdd-số thứ tự, ví dụ %(example)s.")
            % {"value": text, "example": EXAMPLE_CODE},
            code="invalid_dossier_code",
        )
    unit_part, date_part, sequence_part = parts
    unit_code = validate_unit_code(unit_part)
    received_on = None
    if _DATE.fullmatch(date_part):
        try:
            received_on = dt.date(2000 + int(date_part[:2]), int(date_part[2:4]), int(date_part[4:]))
        except ValueError:
            received_on = None
    if received_on is None:
        raise ValidationFailed(
            _(
                "Ngày tiếp nhận «%(value)s» trong mã số hồ sơ phải là một ngày có thật, dạng yymmdd (261008 là 08/10/2026)."
            )
            % {"value": date_part},
            code="invalid_date",
        )
    if not _SEQUENCE.fullmatch(sequence_part) or len(sequence_part) not in SEQUENCE_WIDTHS:
        raise ValidationFailed(
            _("Số thứ tự «%(value)s» trong mã số hồ sơ phải gồm 4, 6 hoặc 7 chữ số.") % {"value": sequence_part},
            code="invalid_sequence",
        )
    sequence = int(sequence_part)
    _check_sequence(sequence, len(sequence_part))
    return DossierCode(
        unit_code=unit_code, received_on=received_on, sequence=sequence, sequence_width=len(sequence_part)
    )


def is_valid_code(text: str) -> bool:
    """Whether ``parse_code`` accepts ``text``."""
    try:
        parse_code(text)
    except ValidationFailed:
        return False
    return True
