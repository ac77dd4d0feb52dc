"""Application forms of administrative procedures (tờ khai, đơn đề nghị) as data. Pure functions.

A procedure's application form is a small definition stored with the catalogue entry (a JSON column later): an
ordered list of fields, each with a key, a Vietnamese label, a type, whether it is required, choices, a maximum
length, a help text and optionally a *prefill source* — a dotted key such as ``guardian.full_name`` or
``student.current_school`` that the page fills from the registry so that a parent never types what the school
already knows (NĐ 45/2020/NĐ-CP: data already held by the administration is not asked for again).

* ``definition_from_data`` / ``definition_to_data`` convert between stored JSON and ``FormDefinition``;
* ``definition_errors`` / ``validate_definition`` check a definition before it is saved;
* ``validate_submission`` checks what an applicant sent and returns the cleaned values, with Vietnamese messages
  per field in ``ValidationFailed.details`` (``{field key: [messages]}``).

Values are cleaned to plain Python: ``str`` for text, personal ID, phone, e-mail, file and student references,
``datetime.date`` for dates, ``Decimal`` for numbers (never ``float``), the choice's stored value for choices, and
``None`` for an optional field left empty.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from edudx.core.errors import ValidationFailed
from edudx.core.rules import personal_id_errors


class FieldType(StrEnum):
    """What a form field holds. The values are stored in form definitions: never rename one."""

    TEXT = "text"
    TEXTAREA = "textarea"
    DATE = "date"
    NUMBER = "number"
    CHOICE = "choice"
    PERSONAL_ID = "personal_id"  # số định danh cá nhân, 12 digits
    PHONE = "phone"
    EMAIL = "email"
    FILE = "file"  # a reference to a file already uploaded (the upload itself is not part of the form data)
    STUDENT = "student"  # a pupil of the registry, by mã học sinh, chosen among the applicant's children


# Where a field may be pre-filled from. The page resolves these keys against the signed-in guardian and the pupil
# chosen in the form; a definition naming any other key is refused, so a typo cannot silently leave a field empty.
# Descriptions are marked for translation and translated where they are shown.
PREFILL_SOURCES: Mapping[str, str] = {
    "guardian.full_name": gettext_noop("Họ và tên người đề nghị (cha, mẹ hoặc người giám hộ)"),
    "guardian.date_of_birth": gettext_noop("Ngày sinh người đề nghị"),
    "guardian.personal_id_number": gettext_noop("Số định danh cá nhân người đề nghị"),
    "guardian.phone": gettext_noop("Điện thoại người đề nghị"),
    "guardian.email": gettext_noop("Thư điện tử người đề nghị"),
    "guardian.address": gettext_noop("Địa chỉ thường trú người đề nghị"),
    "guardian.relation": gettext_noop("Quan hệ với học sinh"),
    "student.moet_code": gettext_noop("Mã học sinh (CSDL ngành)"),
    "student.full_name": gettext_noop("Họ và tên học sinh"),
    "student.date_of_birth": gettext_noop("Ngày sinh học sinh"),
    "student.sex": gettext_noop("Giới tính học sinh"),
    "student.personal_id_number": gettext_noop("Số định danh cá nhân học sinh"),
    "student.current_school": gettext_noop("Trường đang học"),
    "student.current_grade": gettext_noop("Khối lớp đang học"),
    "student.current_class": gettext_noop("Lớp đang học"),
}

# Defaults when a text field gives no maximum length (the column sizes of the registry's text fields).
DEFAULT_MAX_LENGTH = {FieldType.TEXT: 255, FieldType.TEXTAREA: 4000}
MAX_FIELDS = 60
_KEY = re.compile(r"[a-z][a-z0-9_]{0,49}")
# Vietnamese numbers: mobile 03x/05x/07x/08x/09x + 8 digits (10 digits); landline 02xx… (11 digits since 2017).
_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_NUMBER = re.compile(r"-?\d+([.,]\d+)?")


@dataclass(frozen=True)
class Choice:
    """One option of a choice field: the stored ``value`` and the Vietnamese ``label`` shown."""

    value: str
    label: str


@dataclass(frozen=True)
class FormField:
    """One field of an application form."""

    key: str
    label: str
    type: FieldType
    required: bool = True
    choices: tuple[Choice, ...] = ()
    max_length: int | None = None
    help: str = ""
    prefill: str = ""  # a key of PREFILL_SOURCES, or "" when the applicant types the value

    @property
    def effective_max_length(self) -> int | None:
        return self.max_length if self.max_length is not None else DEFAULT_MAX_LENGTH.get(self.type)


@dataclass(frozen=True)
class FormDefinition:
    """An application form: a code (unique within the catalogue), a title and its fields in display order."""

    code: str
    title: str
    fields: tuple[FormField, ...]
    version: int = 1

    def field(self, key: str) -> FormField:
        for form_field in self.fields:
            if form_field.key == key:
                return form_field
        raise KeyError(key)

    @property
    def prefill_map(self) -> dict[str, str]:
        """``{field key: prefill source}`` for the fields the page fills in."""
        return {f.key: f.prefill for f in self.fields if f.prefill}


# ---------------------------------------------------------------------------------------------------------------
# Stored data ↔ definition
# ---------------------------------------------------------------------------------------------------------------


def definition_to_data(definition: FormDefinition) -> dict[str, object]:
    """The definition as JSON-ready data (what a JSON column stores)."""
    return {
        "code": definition.code,
        "title": definition.title,
        "version": definition.version,
        "fields": [
            {
                "key": f.key,
                "label": f.label,
                "type": str(f.type),
                "required": f.required,
                "choices": [{"value": c.value, "label": c.label} for c in f.choices],
                "max_length": f.max_length,
                "help": f.help,
                "prefill": f.prefill,
            }
            for f in definition.fields
        ],
    }


def _invalid_definition(errors: list[str]) -> ValidationFailed:
    return ValidationFailed(" ".join(errors), code="invalid_form_definition", details={"definition": errors})


def definition_from_data(data: Mapping[str, object]) -> FormDefinition:
    """Read a stored definition; ``ValidationFailed`` when its shape is wrong (the content is checked by
    ``definition_errors``)."""
    try:
        raw_fields = data.get("fields", [])
        if not isinstance(raw_fields, list | tuple):
            raise TypeError
        fields: list[FormField] = []
        for raw in raw_fields:
            if not isinstance(raw, Mapping):
                raise TypeError
            raw_choices = raw.get("choices") or []
            if not isinstance(raw_choices, list | tuple):
                raise TypeError
            max_length = raw.get("max_length")
            if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int)):
                raise TypeError
            fields.append(
                FormField(
                    key=str(raw["key"]),
                    label=str(raw["label"]),
                    type=FieldType(raw["type"]),
                    required=bool(raw.get("required", True)),
                    choices=tuple(Choice(value=str(c["value"]), label=str(c["label"])) for c in raw_choices),
                    max_length=max_length,
                    help=str(raw.get("help") or ""),
                    prefill=str(raw.get("prefill") or ""),
                )
            )
        version = data.get("version", 1)
        if isinstance(version, bool) or not isinstance(version, int):
            raise TypeError
        return FormDefinition(code=str(data["code"]), title=str(data["title"]), fields=tuple(fields), version=version)
    except (KeyError, TypeError, ValueError) as exc:
        raise _invalid_definition(
            [_("Định nghĩa biểu mẫu không đúng cấu trúc (%(problem)s).") % {"problem": exc or type(exc).__name__}]
        ) from exc


def definition_errors(definition: FormDefinition) -> list[str]:
    """Vietnamese messages for everything wrong in a definition; empty when it can be used."""
    errors: list[str] = []
    if not _KEY.fullmatch(definition.code):
        errors.append(
            _("Mã biểu mẫu «%(code)s» chỉ gồm chữ thường không dấu, chữ số và dấu gạch dưới.")
            % {"code": definition.code}
        )
    if not definition.title.strip():
        errors.append(_("Biểu mẫu cần có tên."))
    if definition.version < 1:
        errors.append(_("Phiên bản biểu mẫu phải từ 1 trở lên."))
    if not definition.fields:
        errors.append(_("Biểu mẫu cần có ít nhất một trường."))
    if len(definition.fields) > MAX_FIELDS:
        errors.append(_("Biểu mẫu có tối đa %(max)s trường.") % {"max": MAX_FIELDS})
    seen: set[str] = set()
    for f in definition.fields:
        name = {"key": f.key, "label": f.label}
        if not _KEY.fullmatch(f.key):
            errors.append(
                _("Mã trường «%(key)s» chỉ gồm chữ thường không dấu, chữ số và dấu gạch dưới, bắt đầu bằng chữ.") % name
            )
        if f.key in seen:
            errors.append(_("Mã trường «%(key)s» bị trùng.") % name)
        seen.add(f.key)
        if not f.label.strip():
            errors.append(_("Trường «%(key)s» cần có nhãn.") % name)
        if f.type == FieldType.CHOICE:
            values = [c.value for c in f.choices]
            if not values:
                errors.append(_("Trường lựa chọn «%(label)s» cần có ít nhất một lựa chọn.") % name)
            if len(set(values)) != len(values):
                errors.append(_("Trường lựa chọn «%(label)s» có giá trị lựa chọn bị trùng.") % name)
            if any(not c.value.strip() or not c.label.strip() for c in f.choices):
                errors.append(_("Mỗi lựa chọn của trường «%(label)s» cần có giá trị và nhãn.") % name)
        elif f.choices:
            errors.append(_("Chỉ trường lựa chọn mới có danh sách lựa chọn (trường «%(label)s»).") % name)
        if f.max_length is not None:
            if f.type not in DEFAULT_MAX_LENGTH:
                errors.append(_("Chỉ trường văn bản mới có độ dài tối đa (trường «%(label)s»).") % name)
            elif f.max_length < 1:
                errors.append(_("Độ dài tối đa của trường «%(label)s» phải từ 1 ký tự trở lên.") % name)
        if f.prefill and f.prefill not in PREFILL_SOURCES:
            errors.append(
                _("Nguồn điền sẵn «%(source)s» của trường «%(label)s» không có trong danh sách được phép.")
                % {**name, "source": f.prefill}
            )
        if f.type == FieldType.STUDENT and f.prefill not in ("", "student.moet_code"):
            errors.append(_("Trường học sinh «%(label)s» chỉ điền sẵn từ mã học sinh.") % name)
    return errors


def validate_definition(definition: FormDefinition | Mapping[str, object]) -> FormDefinition:
    """The definition (read from stored data if needed), or ``ValidationFailed`` listing every problem in
    ``details["definition"]``."""
    if not isinstance(definition, FormDefinition):
        definition = definition_from_data(definition)
    errors = definition_errors(definition)
    if errors:
        raise _invalid_definition(errors)
    return definition


# ---------------------------------------------------------------------------------------------------------------
# Submissions
# ---------------------------------------------------------------------------------------------------------------


def normalise_phone(value: str) -> str:
    """A Vietnamese phone number in its 10/11-digit national form: separators removed, ``+84``/``84`` → ``0``."""
    text = _PHONE_SEPARATORS.sub("", value or "")
    if text.startswith("+84"):
        text = "0" + text[3:]
    elif text.startswith("84") and len(text) in (11, 12):
        text = "0" + text[2:]
    return text


def phone_errors(value: str) -> list[str]:
    """Vietnamese messages when ``value`` is not a Vietnamese mobile (10 digits) or landline (11 digits) number."""
    text = normalise_phone(value)
    if _MOBILE.fullmatch(text) or _LANDLINE.fullmatch(text):
        return []
    return [
        _(
            "Số điện thoại «%(value)s» không hợp lệ: di động gồm 10 chữ số bắt đầu bằng 03, 05, 07, 08 hoặc 09; "
            "cố định gồm 11 chữ số bắt đầu bằng 02."
        )
        % {"value": value}
    ]


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_text(f: FormField, value: object, errors: list[str]) -> str | None:
    if not isinstance(value, str):
        errors.append(_("Giá trị phải là văn bản."))
        return None
    text = value.strip() if f.type == FieldType.TEXTAREA else " ".join(value.split())
    limit = f.effective_max_length
    if limit is not None and len(text) > limit:
        errors.append(_("Tối đa %(max)s ký tự; đã nhập %(count)s ký tự.") % {"max": limit, "count": len(text)})
    return text


def _clean_date(value: object, errors: list[str]) -> dt.date | None:
    if isinstance(value, dt.datetime):
        errors.append(_("Cần nhập một ngày, không kèm giờ."))
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        match = _DMY.fullmatch(text)
        parts = (match.group(3), match.group(2), match.group(1)) if match else None
        if parts is None:
            iso = _ISO.fullmatch(text)
            parts = (iso.group(1), iso.group(2), iso.group(3)) if iso else None
        if parts is not None:
            try:
                return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                pass
    errors.append(
        _("Ngày «%(value)s» không hợp lệ; nhập theo dạng ngày/tháng/năm, ví dụ 05/09/2026.") % {"value": value}
    )
    return None


def _clean_number(value: object, errors: list[str]) -> Decimal | None:
    if isinstance(value, bool) or isinstance(value, float):
        # A float has already lost the exact value the person typed.
        errors.append(_("Số phải được gửi dưới dạng số nguyên hoặc chuỗi chữ số."))
        return None
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        try:
            number = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            number = Decimal("NaN")
    else:
        errors.append(_("«%(value)s» không phải là một số.") % {"value": value})
        return None
    if not number.is_finite():
        errors.append(_("«%(value)s» không phải là một số.") % {"value": value})
        return None
    return number


def _clean_reference(f: FormField, value: object, known: Collection[str] | None, errors: list[str]) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        errors.append(_("Giá trị không hợp lệ."))
        return None
    reference = value.strip()
    if known is not None and reference not in known:
        if f.type == FieldType.STUDENT:
            errors.append(_("Học sinh đã chọn không nằm trong danh sách học sinh của người đề nghị."))
        else:
            errors.append(_("Tệp đính kèm không tồn tại hoặc không thuộc hồ sơ này."))
        return None
    return reference


def _clean_value(
    f: FormField,
    value: object,
    errors: list[str],
    *,
    known_students: Collection[str] | None,
    known_files: Collection[str] | None,
) -> object:
    if f.type in (FieldType.TEXT, FieldType.TEXTAREA):
        return _clean_text(f, value, errors)
    if f.type == FieldType.DATE:
        return _clean_date(value, errors)
    if f.type == FieldType.NUMBER:
        return _clean_number(value, errors)
    if f.type in (FieldType.STUDENT, FieldType.FILE):
        known = known_students if f.type == FieldType.STUDENT else known_files
        return _clean_reference(f, value, known, errors)
    if not isinstance(value, str):
        errors.append(_("Giá trị phải là văn bản."))
        return None
    text = value.strip()
    if f.type == FieldType.CHOICE:
        if text not in {c.value for c in f.choices}:
            errors.append(_("Lựa chọn «%(value)s» không có trong danh sách.") % {"value": text})
            return None
        return text
    if f.type == FieldType.PERSONAL_ID:
        text = text.replace(" ", "")
        errors.extend(personal_id_errors(text))
        return text
    if f.type == FieldType.PHONE:
        problems = phone_errors(text)
        errors.extend(problems)
        return normalise_phone(text)
    # FieldType.EMAIL
    try:
        validate_email(text)
    except DjangoValidationError:
        errors.append(_("Địa chỉ thư điện tử «%(value)s» không hợp lệ.") % {"value": text})
    local_part, _at, domain = text.rpartition("@")
    return f"{local_part}@{domain.lower()}"


def validate_submission(
    definition: FormDefinition,
    data: Mapping[str, object],
    *,
    known_students: Collection[str] | None = None,
    known_files: Collection[str] | None = None,
) -> dict[str, object]:
    """Check an applicant's answers against ``definition``; return ``{field key: cleaned value}`` for every field.

    ``known_students`` are the mã học sinh the applicant may name (the guardian's children) and ``known_files`` the
    references of files uploaded to this dossier; when given, a value outside them is refused. Keys that are not
    fields of the form are refused too. On any problem, ``ValidationFailed`` with ``details = {key: [messages]}``
    (key ``"__all__"`` for unknown keys) and every problem reported at once.
    """
    problems: dict[str, list[str]] = {}
    unknown = sorted(set(data) - {f.key for f in definition.fields})
    if unknown:
        problems["__all__"] = [_("Biểu mẫu không có trường «%(key)s».") % {"key": key} for key in unknown]
    cleaned: dict[str, object] = {}
    for f in definition.fields:
        value = data.get(f.key)
        if _is_empty(value):
            if f.required:
                problems[f.key] = [_("«%(label)s» là thông tin bắt buộc.") % {"label": f.label}]
            cleaned[f.key] = None
            continue
        errors: list[str] = []
        cleaned[f.key] = _clean_value(f, value, errors, known_students=known_students, known_files=known_files)
        if errors:
            problems[f.key] = [_("«%(label)s»: %(message)s") % {"label": f.label, "message": e} for e in errors]
    if problems:
        messages = [message for field_messages in problems.values() for message in field_messages]
        raise ValidationFailed(" ".join(messages), code="invalid_submission", details=problems)
    return cleaned
