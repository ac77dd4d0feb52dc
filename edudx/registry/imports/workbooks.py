"""The spreadsheets the imports hand out: blank templates and the workbook of errors."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from edudx.core.rules import fold_vietnamese, normalise_name

from ..enums import ImportKind
from ..models import ImportJob
from . import rules, services
from .rules import COLUMNS, SHEET_TITLES

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
ERROR_FILL = PatternFill("solid", fgColor="F8CBAD")
DATA_ROWS = 2000  # rows covered by the drop-down lists and text formats

GRADE_CODES = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "NT", "MG3", "MG4", "MG5"]

INSTRUCTIONS = [
    "Hướng dẫn nhập dữ liệu",
    "1. Nhập dữ liệu vào trang tính đầu tiên, bắt đầu từ dòng 2; giữ nguyên dòng tiêu đề.",
    "2. Các cột có tiêu đề tô màu cam là bắt buộc (đánh dấu * bên dưới). Dòng để trống hoàn toàn được bỏ qua.",
    "3. Ngày nhập dạng dd/mm/yyyy (ví dụ 05/03/2014) hoặc dùng ô kiểu ngày của Excel; không nhập ngày trong tương lai.",
    "4. Số định danh cá nhân gồm 12 chữ số; nhập dạng văn bản để giữ số 0 ở đầu.",
    "5. Các cột có danh sách chọn (giới tính, khối, quan hệ, chức vụ, trình độ) chỉ nhận giá trị trong danh sách.",
    "6. Nhập lại cùng tệp sẽ cập nhật, không tạo bản ghi trùng; ô tuỳ chọn để trống giữ nguyên giá trị đã có.",
    "7. Nếu có lỗi, không dữ liệu nào được ghi: tải tệp báo lỗi, sửa các ô tô màu và tải lên lại.",
]


def _choices(col: rules.Col) -> list[str] | None:
    return {
        "sex": list(rules.SEX_LABELS),
        "relation": list(rules.RELATION_LABELS),
        "position": list(rules.POSITION_LABELS),
        "qualification": list(rules.QUALIFICATION_LABELS),
        "grade": GRADE_CODES,
    }.get(col.kind)


def template_bytes(kind: str) -> bytes:
    """A blank template: Vietnamese headers with a note each, drop-downs, an instructions sheet."""
    columns = COLUMNS[kind]
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLES[kind]
    for index, col in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index, value=col.header)
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if col.required else HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        note = f"{'Bắt buộc. ' if col.required else ''}{col.note} Ví dụ: {col.example}".strip()
        cell.comment = Comment(note, "EduDX", width=260, height=90)
        ws.column_dimensions[letter].width = col.width
        if col.kind in ("pid", "code", "phone"):
            for row in range(2, DATA_ROWS + 2):
                ws.cell(row=row, column=index).number_format = "@"
        if col.kind == "date":
            for row in range(2, DATA_ROWS + 2):
                ws.cell(row=row, column=index).number_format = "DD/MM/YYYY"
        choices = _choices(col)
        if choices:
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(choices) + '"',
                allow_blank=not col.required,
                showErrorMessage=True,
                errorTitle="Giá trị không hợp lệ",
                error=f"Chọn một giá trị trong danh sách: {', '.join(choices)}.",
            )
            validation.add(f"{letter}2:{letter}{DATA_ROWS + 1}")
            ws.add_data_validation(validation)
    ws.freeze_panes = "A2"

    guide = wb.create_sheet("Hướng dẫn")
    guide.column_dimensions["A"].width = 28
    guide.column_dimensions["B"].width = 16
    guide.column_dimensions["C"].width = 60
    for line_no, line in enumerate(INSTRUCTIONS, start=1):
        guide.cell(row=line_no, column=1, value=line).font = Font(bold=line_no == 1)
    start = len(INSTRUCTIONS) + 2
    for index, title in enumerate(("Cột", "Bắt buộc", "Ghi chú", "Dòng ví dụ"), start=1):
        guide.cell(row=start, column=index, value=title).font = Font(bold=True)
    for offset, col in enumerate(columns, start=1):
        guide.cell(row=start + offset, column=1, value=col.header + (" *" if col.required else ""))
        guide.cell(row=start + offset, column=2, value="Có" if col.required else "Không")
        choices = _choices(col)
        note = col.note + (f" Giá trị: {', '.join(choices)}." if choices else "")
        guide.cell(row=start + offset, column=3, value=note.strip())
        guide.cell(row=start + offset, column=4, value=col.example)
    guide.column_dimensions["D"].width = 28
    if kind == ImportKind.STAFF:
        guide.cell(row=start + len(columns) + 2, column=1, value="Mã môn học: TV, TOAN, NV, NN1, DD, TNXH, KH, LSDL,")
        guide.cell(row=start + len(columns) + 3, column=1, value="GDCD, KHTN, CN, TIN, GDTC, AN, MT, HDTN, GDDP.")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _folded(title: Any) -> str:
    return fold_vietnamese(normalise_name(str(title or "")))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def error_workbook_bytes(job: ImportJob) -> bytes:
    """The uploaded rows as they were, plus a "Lỗi" column; the cells at fault are highlighted."""
    rows = services.read_original(job)
    errors = services.error_rows(job)
    header = list(rows[0]) if rows else []
    width = max((len(r) for r in rows), default=0)
    header += [None] * (width - len(header))
    position = {_folded(title): i for i, title in enumerate(header)}
    wb = Workbook()
    ws = wb.active
    ws.title = "Lỗi"
    error_col = width + 1
    ws.append([*header, "Lỗi"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    ws.column_dimensions[get_column_letter(error_col)].width = 70
    general = [e["message"] for e in errors.get(0, [])] + [
        f"Cột «{e['column']}»: {e['message']}" for e in errors.get(1, [])
    ]
    if general:
        ws.cell(row=1, column=error_col, value="Lỗi: " + " ".join(general)).fill = ERROR_FILL
    for number, values in enumerate(rows[1:], start=2):
        ws.append([_plain(v) for v in values] + [None] * (width - len(values)))
        row_errors = errors.get(number)
        if not row_errors:
            continue
        texts = []
        for error in row_errors:
            column = error.get("column") or ""
            texts.append(f"{column}: {error['message']}" if column else error["message"])
            index = position.get(_folded(column))
            if index is not None:
                ws.cell(row=number, column=index + 1).fill = ERROR_FILL
        cell = ws.cell(row=number, column=error_col, value="; ".join(texts))
        cell.fill = ERROR_FILL
        cell.alignment = Alignment(wrap_text=True)
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
