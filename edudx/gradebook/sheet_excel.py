"""A score sheet as an Excel workbook and back: teachers keep and fill their sổ điểm in Excel.

Layout (one worksheet):

- rows 1–4: school, class and year, subject (or "Chủ nhiệm") and semester, teacher;
- row 6: the headers (Mã học sinh, Họ và tên, then each column's label);
- row 7 (hidden): the codes of the same columns (``ma_hs``, ``ho_ten``, ``tx1``…), which the import reads;
- from row 8: one row per current member of the class, in class-list order, with the stored values as shown.

Level columns carry a drop-down list (data validation) of the accepted symbols. The import finds the codes row
(so added title rows do not matter), matches students by mã học sinh, parses every cell through
``columns.parse_cell`` and compares with the stored value: the plan lists exactly the cells whose value changes,
with the version read, and ``services.entry.save_cells`` writes them all-or-nothing (a cell changed by somebody
else since the preview is then a conflict). Any error ("Dòng N, cột X: …") means nothing is written.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from edudx.core.api import Actor, NotPermitted, ValidationFailed, policy_for
from edudx.core.xlsx import open_workbook

from . import columns as cols
from .curriculum import rules_of, sheet_columns
from .models import ScoreCell, ScoreSheet, SheetKind, SheetStatus
from .selectors.entry import class_students, sheet_grid, sheet_teacher_name

__all__ = ["CODES_ROW", "FIRST_DATA_ROW", "HEADER_ROW", "ImportPlan", "export_sheet", "plan_import", "read_upload"]

HEADER_ROW = 6
CODES_ROW = 7
FIRST_DATA_ROW = 8
CODE_COLUMN = "ma_hs"
NAME_COLUMN = "ho_ten"

# The symbols offered in the drop-down of each level column (what ``parse_cell`` accepts and ``display`` shows).
CHOICES = {
    cols.COMMENT_RESULT: ["Đ", "CĐ"],
    cols.LEVEL27: ["T", "H", "C"],
    cols.QUALITY27: ["T", "Đ", "C"],
    cols.CONDUCT: ["T", "K", "Đ", "CĐ"],
}
NUMERIC = {cols.SCORE, cols.TEST27, cols.SESSIONS}


def _semester_label(semester: int) -> str:
    return _("Học kì I") if semester == 1 else _("Học kì II")


def _subject_label(sheet: ScoreSheet) -> str:
    return sheet.subject.name if sheet.subject_id and sheet.subject else _("Chủ nhiệm")


def filename(sheet: ScoreSheet) -> str:
    subject = sheet.subject.code if sheet.kind == SheetKind.SUBJECT and sheet.subject else "CN"
    return f"so-diem-{sheet.school_class.name}-{subject}-HK{sheet.semester}".replace(" ", "_")


def _stored_cell(value: str, column_type: str) -> Any:
    """A stored value as the Excel cell holds it: numbers as numbers, levels by their symbol."""
    if value == "":
        return None
    if column_type in NUMERIC:
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else number
    return cols.display(column_type, value)


def export_sheet(sheet: ScoreSheet) -> bytes:
    """The workbook of a sheet the caller already found among the visible ones."""
    grid = sheet_grid(sheet=sheet)
    klass = sheet.school_class
    wb = Workbook()
    ws = wb.active
    ws.title = (_("Sổ điểm") + f" {klass.name}")[:31]
    bold = Font(bold=True)
    ws["A1"] = _("Trường: %(school)s") % {"school": klass.school.name}
    ws["A2"] = _("Lớp: %(class)s – Năm học %(year)s") % {"class": klass.name, "year": klass.year.code}
    ws["A3"] = _("Môn: %(subject)s – %(semester)s") % {
        "subject": _subject_label(sheet),
        "semester": _semester_label(sheet.semester),
    }
    ws["A4"] = _("Giáo viên: %(teacher)s") % {"teacher": sheet_teacher_name(sheet) or "—"}
    ws["A1"].font = Font(bold=True, size=13)
    headers = [_("Mã học sinh"), _("Họ và tên"), *[c.label for c in grid.columns]]
    codes = [CODE_COLUMN, NAME_COLUMN, *[c.code for c in grid.columns]]
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, (header, code) in enumerate(zip(headers, codes, strict=True), start=1):
        cell = ws.cell(row=HEADER_ROW, column=index, value=header)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.cell(row=CODES_ROW, column=index, value=code)
        width = 14 if index == 1 else 30 if index == 2 else 40 if codes[index - 1].startswith("nx") else 9
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.row_dimensions[CODES_ROW].hidden = True
    for offset, row in enumerate(grid.rows):
        r = FIRST_DATA_ROW + offset
        code_cell = ws.cell(row=r, column=1, value=row.student.moet_code)
        code_cell.number_format = "@"
        ws.cell(row=r, column=2, value=row.student.person.full_name)
        for index, (column, cell) in enumerate(zip(grid.columns, row.cells, strict=True), start=3):
            ws.cell(row=r, column=index, value=_stored_cell(cell["value"], column.type))
    last = FIRST_DATA_ROW + max(len(grid.rows), 1) - 1
    for index, column in enumerate(grid.columns, start=3):
        choices = CHOICES.get(column.type)
        if not choices:
            continue
        letter = get_column_letter(index)
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(choices) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=column.label,
            error=_("Chọn một trong: %(choices)s") % {"choices": ", ".join(choices)},
        )
        validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last}")
        ws.add_data_validation(validation)
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=3)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------------------------


def read_upload(uploaded: Any) -> bytes:
    """The bytes of an uploaded workbook, refused if larger than ``IMPORT_MAX_BYTES`` (the registry imports' limit)."""
    limit = settings.IMPORT_MAX_BYTES
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise ValidationFailed(
            _("Tệp quá lớn: %(size).1f MB, tối đa %(limit).1f MB.")
            % {"size": size / 1048576, "limit": limit / 1048576},
            code="FILE_TOO_LARGE",
        )
    data: bytes = uploaded.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed(
            _("Tệp quá lớn: tối đa %(limit).1f MB.") % {"limit": limit / 1048576}, code="FILE_TOO_LARGE"
        )
    return data


@dataclass(frozen=True)
class ImportProblem:
    row: int
    column: str
    message: str


@dataclass
class ImportPlan:
    """The cells an import would change (as ``save_cells`` changes) and the errors; rows for the preview."""

    changes: list[dict[str, Any]] = field(default_factory=list)
    errors: list[ImportProblem] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)  # row, student, column label, before, after
    rows_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _raw(value: Any) -> str:
    """An Excel cell as the text a teacher would have typed (8.0 → "8", 7.5 → "7.5")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def plan_import(*, actor: Actor, sheet: ScoreSheet, data: bytes) -> ImportPlan:
    """Read a workbook back into the changes of ``sheet``; nothing is written here."""
    policy_for(ScoreSheet).check(actor, "enter", sheet)
    if sheet.status == SheetStatus.LOCKED:
        raise NotPermitted(
            _("Sổ điểm %(sheet)s đã được khoá; không thể nhập điểm.") % {"sheet": str(sheet)}, code="sheet_locked"
        )
    workbook = open_workbook(data)  # by content: a renamed non-xlsx file is refused
    try:
        rows = [tuple(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()
    codes_at = next(
        (i for i, r in enumerate(rows[:20]) if r and _raw(r[0]) == CODE_COLUMN),
        None,
    )
    if codes_at is None:
        raise ValidationFailed(
            _("Không tìm thấy dòng mã cột (ô đầu tiên “%(code)s”). Hãy dùng tệp xuất từ sổ điểm này.")
            % {"code": CODE_COLUMN},
            code="LAYOUT_UNKNOWN",
        )
    header = rows[codes_at - 1] if codes_at > 0 else rows[codes_at]
    sheet_cols = {c.code: c for c in sheet_columns(sheet)}
    plan = ImportPlan()
    positions: list[tuple[int, cols.Column]] = []
    for index, code in enumerate(rows[codes_at]):
        text = _raw(code)
        if index < 2 or text == "":
            continue
        column = sheet_cols.get(text)
        if column is None:
            plan.errors.append(
                ImportProblem(codes_at + 1, _raw(header[index]) if index < len(header) else text,
                             _("Dòng %(row)s, cột %(col)s: sổ điểm không có cột mã “%(code)s”.")
                             % {"row": codes_at + 1, "col": get_column_letter(index + 1), "code": text})
            )  # fmt: skip
            continue
        positions.append((index, column))
    students = {s.moet_code: s for s in class_students(sheet.school_class)}
    cells = {(c.student_id, c.column): c for c in ScoreCell.objects.filter(sheet=sheet)}
    rules = rules_of(sheet.rule_set)
    seen: set[str] = set()
    for offset, values in enumerate(rows[codes_at + 1 :]):
        number = codes_at + 2 + offset
        if not values or all(_raw(v) == "" for v in values):
            continue
        plan.rows_read += 1
        code = _raw(values[0])
        where = {"row": number, "col": _("Mã học sinh")}
        if code == "":
            plan.errors.append(ImportProblem(number, "A", _("Dòng %(row)s, cột %(col)s: thiếu mã học sinh.") % where))
            continue
        student = students.get(code)
        if student is None:
            plan.errors.append(
                ImportProblem(
                    number,
                    "A",
                    _("Dòng %(row)s, cột %(col)s: học sinh mã %(code)s không có trong lớp %(class)s.")
                    % {**where, "code": code, "class": sheet.school_class.name},
                )
            )
            continue
        if code in seen:
            plan.errors.append(
                ImportProblem(
                    number, "A", _("Dòng %(row)s, cột %(col)s: mã %(code)s lặp lại.") % {**where, "code": code}
                )
            )
            continue
        seen.add(code)
        for index, column in positions:
            raw = _raw(values[index]) if index < len(values) else ""
            try:
                value, _number = cols.parse_cell(column, raw, rules)
            except ValidationFailed as exc:
                plan.errors.append(
                    ImportProblem(
                        number,
                        column.label,
                        _("Dòng %(row)s, cột %(col)s: %(message)s")
                        % {"row": number, "col": column.label, "message": exc.message},
                    )
                )
                continue
            stored = cells.get((student.pk, column.code))
            before = stored.value if stored is not None else ""
            if value == before:
                continue
            plan.changes.append(
                {
                    "student": student.pk,
                    "column": column.code,
                    "value": value,
                    "version": stored.version if stored is not None else 0,
                }
            )
            plan.preview.append(
                {
                    "row": number,
                    "student": student.person.full_name,
                    "code": student.moet_code,
                    "column": column.label,
                    "before": cols.display(column.type, before),
                    "after": cols.display(column.type, value),
                }
            )
    return plan
