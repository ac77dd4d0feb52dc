"""Pure rules of the Excel imports: the columns of each template, how a cell is read, and how a
row is validated. No database access here: reference data (grades, subjects) comes in as arguments,
and the checks that need the database (unknown class, a learner code of another school) live in
services.py.

Row numbers are the spreadsheet's own (the header is row 1), so a message points at the cell the
user sees in Excel.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from edudx.core.rules import fold_vietnamese, normalise_name, personal_id_errors

from ..enums import GuardianRelation, ImportKind, Qualification, Sex, StaffPosition

SEX_LABELS = {"Nam": Sex.MALE, "Nữ": Sex.FEMALE}
RELATION_LABELS = {str(label): value for value, label in GuardianRelation.choices}
POSITION_LABELS = {str(label): value for value, label in StaffPosition.choices}
QUALIFICATION_LABELS = {str(label): value for value, label in Qualification.choices}

_HAS_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Col:
    """One column of a template: ``key`` is the cleaned field, ``header`` the Vietnamese title."""

    key: str
    header: str
    kind: str = (
        "text"  # text, code, name, date, sex, relation, position, qualification, grade, pid, phone, email, subjects
    )
    required: bool = False
    width: int = 18
    example: str = ""
    note: str = ""
    max_length: int = 150


STUDENT_COLUMNS = [
    Col("moet_code", "Mã học sinh", "code", True, 16, "7401234567", "Mã định danh học sinh trên CSDL ngành.", 20),
    Col("full_name", "Họ và tên", "name", True, 28, "Nguyễn Thị Lan Anh"),
    Col("date_of_birth", "Ngày sinh", "date", True, 14, "05/03/2014", "Dạng dd/mm/yyyy hoặc ô kiểu ngày."),
    Col("sex", "Giới tính", "sex", True, 10, "Nữ", "Chọn Nam hoặc Nữ."),
    Col("ethnicity", "Dân tộc", "text", False, 12, "Kinh", "Bỏ trống được hiểu là Kinh.", 50),
    Col("personal_id", "Số định danh cá nhân", "pid", False, 18, "079314001234", "12 chữ số, nhập dạng văn bản."),
    Col("class_name", "Lớp", "text", True, 10, "6A1", "Tên lớp đã có trong năm học.", 32),
    Col("address", "Địa chỉ", "text", False, 36, "12 Lê Lợi, phường Bến Thành", "", 255),
]
GUARDIAN_COLUMNS = [
    Col("moet_code", "Mã học sinh", "code", True, 16, "7401234567", "Mã học sinh của trường.", 20),
    Col("full_name", "Họ tên phụ huynh", "name", True, 28, "Nguyễn Văn Bình"),
    Col("relation", "Quan hệ", "relation", True, 14, "Cha", "Cha, Mẹ, Người giám hộ hoặc Khác."),
    Col("phone", "Điện thoại", "phone", False, 14, "0912345678", "", 20),
    Col("email", "Email", "email", False, 26, "binh@example.com", "", 254),
    Col("personal_id", "Số định danh", "pid", False, 18, "079080001234", "12 chữ số, nhập dạng văn bản."),
]
STAFF_COLUMNS = [
    Col("staff_code", "Mã cán bộ", "code", True, 14, "GV001", "Mã do trường đặt, không trùng.", 20),
    Col("full_name", "Họ tên", "name", True, 28, "Trần Thị Mai"),
    Col("date_of_birth", "Ngày sinh", "date", False, 14, "20/11/1985", "Dạng dd/mm/yyyy hoặc ô kiểu ngày."),
    Col("sex", "Giới tính", "sex", False, 10, "Nữ", "Chọn Nam hoặc Nữ."),
    Col("position", "Chức vụ", "position", True, 16, "Giáo viên", "Chọn trong danh sách."),
    Col("subjects", "Môn dạy", "subjects", False, 18, "TOAN,TIN", "Mã môn, cách nhau bởi dấu phẩy."),
    Col("qualification", "Trình độ", "qualification", False, 14, "Đại học", "Chọn trong danh sách."),
    Col("digital_skills_trained_on", "Ngày bồi dưỡng kỹ năng số", "date", False, 16, "15/08/2025", ""),
    Col("personal_id", "Số định danh", "pid", False, 18, "079185001234", "12 chữ số, nhập dạng văn bản."),
]
CLASS_COLUMNS = [
    Col("name", "Tên lớp", "text", True, 12, "6A1", "Không trùng trong năm học.", 32),
    Col("grade", "Khối", "grade", True, 10, "6", "Mã khối: 1–9, NT, MG3, MG4, MG5."),
    Col("homeroom_code", "GVCN (mã cán bộ)", "code", False, 18, "GV001", "Mã cán bộ đã có trong trường.", 20),
]

COLUMNS: dict[str, list[Col]] = {
    ImportKind.STUDENTS: STUDENT_COLUMNS,
    ImportKind.GUARDIANS: GUARDIAN_COLUMNS,
    ImportKind.STAFF: STAFF_COLUMNS,
    ImportKind.CLASSES: CLASS_COLUMNS,
}
SHEET_TITLES = {
    ImportKind.STUDENTS: "Học sinh",
    ImportKind.GUARDIANS: "Phụ huynh",
    ImportKind.STAFF: "Cán bộ",
    ImportKind.CLASSES: "Lớp",
}


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row; 0 for the whole file
    column: str  # header of the column; "" for the whole row or file
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        if self.row and self.column:
            return f"Dòng {self.row}, cột «{self.column}»: {self.message}"
        if self.row:
            return f"Dòng {self.row}: {self.message}"
        return self.message


@dataclass
class Reference:
    """Reference data a row is checked against (loaded by the service, passed in)."""

    today: dt.date
    grade_codes: frozenset[str] = frozenset()
    subject_codes: frozenset[str] = frozenset()


@dataclass
class CleanRow:
    row: int
    data: dict[str, Any] = field(default_factory=dict)


def header_map(kind: str, header: Sequence[Any]) -> tuple[dict[str, int], list[RowError]]:
    """Match the header row to the template's columns (case, accents and spaces ignored)."""
    wanted = {fold_vietnamese(normalise_name(c.header)): c for c in COLUMNS[kind]}
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        col = wanted.get(fold_vietnamese(normalise_name(str(title or ""))))
        if col is not None and col.key not in positions:
            positions[col.key] = index
    errors = [
        RowError(1, c.header, "Thiếu cột bắt buộc trong dòng tiêu đề; hãy dùng tệp mẫu.")
        for c in COLUMNS[kind]
        if c.required and c.key not in positions
    ]
    return positions, errors


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    return " ".join(str(value).split())


_DATE_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?$")


def parse_date(value: Any) -> dt.date | None:
    """A real Excel date, or text dd/mm/yyyy (also d/m/yyyy and yyyy-mm-dd). Raises ValueError."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A date typed into a cell without a date format arrives as Excel's day number.
        if 1 <= value < 2958466:
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        raise ValueError
    text = _text(value)
    match = _DATE_RE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    match = _ISO_RE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    raise ValueError


def _digits_id(value: Any) -> str:
    """A personal ID typed as a number loses its leading zero: put it back (IDs are 12 digits)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value)
        return f"{number:012d}" if 0 <= number < 10**12 else str(number)
    return _text(value).replace(" ", "")


def _phone(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = str(int(value))
        return "0" + text if len(text) == 9 else text
    return re.sub(r"[\s.\-()]", "", _text(value))


_FOLDED: dict[int, dict[str, str]] = {}


def _choice(value: str, labels: dict[str, str]) -> str | None:
    """The code for a label typed with or without accents (or the code itself)."""
    table = _FOLDED.get(id(labels))
    if table is None:
        table = {fold_vietnamese(code): code for code in labels.values()}
        table.update({fold_vietnamese(label): code for label, code in labels.items()})
        _FOLDED[id(labels)] = table
    code = labels.get(value)
    return code if code is not None else table.get(fold_vietnamese(value))


def clean_row(kind: str, row_number: int, values: dict[str, Any], ref: Reference) -> tuple[CleanRow, list[RowError]]:
    """Read and check one row. ``values`` maps column keys to raw cell values."""
    out = CleanRow(row_number)
    errors: list[RowError] = []

    def fail(col: Col, message: str) -> None:
        errors.append(RowError(row_number, col.header, message))

    for col in COLUMNS[kind]:
        raw = values.get(col.key)
        if col.kind == "date" and isinstance(raw, dt.date):
            value = raw.date() if isinstance(raw, dt.datetime) else raw
            if value > ref.today:
                fail(col, f"Ngày {value:%d/%m/%Y} ở tương lai.")
            elif value.year < 1900:
                fail(col, f"Năm {value.year} không hợp lệ.")
            out.data[col.key] = value
            continue
        text = raw if isinstance(raw, str) and raw and not raw[0].isspace() and "  " not in raw else _text(raw)
        if isinstance(raw, str) and text is raw and (raw[-1:].isspace() or "\n" in raw or "\t" in raw):
            text = _text(raw)
        if col.kind == "pid":
            text = _digits_id(raw) if text else ""
        if not text:
            if col.required:
                fail(col, "Không được để trống.")
            out.data[col.key] = None if col.kind == "date" else ([] if col.kind == "subjects" else "")
            continue
        value: Any = text
        if col.kind == "date":
            try:
                value = parse_date(raw)
            except (ValueError, OverflowError):
                fail(col, f"Ngày «{text}» không hợp lệ; dùng dạng dd/mm/yyyy.")
                value = None
            else:
                if value is not None and value > ref.today:
                    fail(col, f"Ngày {value:%d/%m/%Y} ở tương lai.")
                elif value is not None and value.year < 1900:
                    fail(col, f"Năm {value.year} không hợp lệ.")
        elif col.kind == "sex":
            value = _choice(text, SEX_LABELS)
            if value is None:
                fail(col, f"«{text}» không hợp lệ; chọn Nam hoặc Nữ.")
        elif col.kind == "relation":
            value = _choice(text, RELATION_LABELS)
            if value is None:
                fail(col, f"«{text}» không hợp lệ; chọn {', '.join(RELATION_LABELS)}.")
        elif col.kind == "position":
            value = _choice(text, POSITION_LABELS)
            if value is None:
                fail(col, f"«{text}» không hợp lệ; chọn trong danh sách chức vụ.")
        elif col.kind == "qualification":
            value = _choice(text, QUALIFICATION_LABELS)
            if value is None:
                fail(col, f"«{text}» không hợp lệ; chọn trong danh sách trình độ.")
        elif col.kind == "grade":
            value = text.upper()
            if value not in ref.grade_codes:
                fail(col, f"Khối «{text}» không tồn tại.")
        elif col.kind == "subjects":
            codes = [c.strip().upper() for c in re.split(r"[,;]", text) if c.strip()]
            unknown = [c for c in codes if c not in ref.subject_codes]
            if unknown:
                fail(col, f"Mã môn không tồn tại: {', '.join(unknown)}.")
            value = sorted(set(codes))
        elif col.kind == "phone":
            value = _phone(raw)
            if not re.fullmatch(r"\+?\d{9,12}", value):
                fail(col, f"Số điện thoại «{text}» không hợp lệ.")
        elif col.kind == "email":
            try:
                validate_email(text)
            except ValidationError:
                fail(col, f"Địa chỉ email «{text}» không hợp lệ.")
        elif col.kind == "name":
            value = normalise_name(text)
            if _HAS_DIGIT.search(value):
                fail(col, "Họ tên không được chứa chữ số.")
        elif col.kind == "code":
            value = text.replace(" ", "")
        if isinstance(value, str) and len(value) > col.max_length:
            fail(col, f"Dài quá {col.max_length} ký tự.")
        out.data[col.key] = value

    pid_col = next((c for c in COLUMNS[kind] if c.kind == "pid"), None)
    pid = out.data.get("personal_id")
    if pid_col is not None and pid:
        # The structural rule (province, century/sex digit, birth year) needs DOB and sex when known.
        birth = out.data.get("date_of_birth") if isinstance(out.data.get("date_of_birth"), dt.date) else None
        sex = out.data.get("sex") or None
        for message in personal_id_errors(pid, birth_date=birth, sex=sex):
            fail(pid_col, message)
    if kind == ImportKind.STUDENTS and not out.data.get("ethnicity"):
        out.data["ethnicity"] = "Kinh"
    if kind == ImportKind.GUARDIANS and not pid and not out.data.get("phone"):
        errors.append(
            RowError(row_number, "Điện thoại", "Cần số định danh hoặc số điện thoại để nhận ra phụ huynh khi nhập lại.")
        )
    return out, errors


def guardian_key(data: dict[str, Any]) -> tuple[str, str]:
    """How a guardian row is recognised again: by personal ID, else by name and phone."""
    if data.get("personal_id"):
        return ("id", data["personal_id"])
    return ("name_phone", f"{fold_vietnamese(data.get('full_name', ''))}|{data.get('phone', '')}")


def duplicate_errors(kind: str, rows: Iterable[CleanRow]) -> list[RowError]:
    """Keys that appear twice inside one file."""
    errors: list[RowError] = []
    seen: dict[tuple[str, Any], int] = {}

    def check(key: tuple[str, Any], header: str, row: int, label: str) -> None:
        first = seen.setdefault(key, row)
        if first != row:
            errors.append(RowError(row, header, f"{label} trùng với dòng {first}."))

    for r in rows:
        d = r.data
        if kind == ImportKind.STUDENTS:
            if d.get("moet_code"):
                check(("moet", d["moet_code"]), "Mã học sinh", r.row, f"Mã học sinh {d['moet_code']}")
            if d.get("personal_id"):
                check(("pid", d["personal_id"]), "Số định danh cá nhân", r.row, "Số định danh")
        elif kind == ImportKind.STAFF:
            if d.get("staff_code"):
                check(("code", d["staff_code"]), "Mã cán bộ", r.row, f"Mã cán bộ {d['staff_code']}")
            if d.get("personal_id"):
                check(("pid", d["personal_id"]), "Số định danh", r.row, "Số định danh")
        elif kind == ImportKind.CLASSES:
            if d.get("name"):
                check(("name", d["name"].upper()), "Tên lớp", r.row, f"Lớp {d['name']}")
        elif kind == ImportKind.GUARDIANS and d.get("moet_code"):
            key = guardian_key(d)
            header = "Số định danh" if key[0] == "id" else "Họ tên phụ huynh"
            check(("guardian", d["moet_code"], *key), header, r.row, "Phụ huynh của cùng học sinh")
    return errors


def is_blank(values: Iterable[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)
