"""One way to export any list: XLSX or CSV (UTF-8 with BOM so Excel opens Vietnamese correctly).

Callers pass rows they have already filtered through the permission policy; this module only
formats. Large exports stream row by row (openpyxl write-only mode, CSV generator).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    width: int = 18


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (int, float, Decimal, dt.date, str)):
        return value
    return str(value)


def xlsx_bytes(rows: Iterable[Any], columns: list[Column], sheet_title: str = "Dữ liệu") -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title[:31])
    for index, column in enumerate(columns):
        ws.column_dimensions[chr(ord("A") + index) if index < 26 else "A"].width = column.width
    header = []
    for column in columns:
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=column.header)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append([_cell(column.value(row)) for column in columns])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_response(
    rows: Iterable[Any], columns: list[Column], filename: str, sheet_title: str = "Dữ liệu"
) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(rows, columns, sheet_title), content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(rows: Iterable[Any], columns: list[Column], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream() -> Iterable[str]:
        yield "\ufeff"
        yield writer.writerow([c.header for c in columns])
        for row in rows:
            yield writer.writerow([_cell(c.value(row)) for c in columns])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def export_response(
    request: Any, rows: Iterable[Any], columns: list[Column], filename: str
) -> HttpResponse | StreamingHttpResponse | None:
    """If the request asks for ``?export=xlsx`` or ``?export=csv``, the file; otherwise None."""
    fmt = request.GET.get("export")
    if fmt == "xlsx":
        return xlsx_response(rows, columns, filename)
    if fmt == "csv":
        return csv_response(rows, columns, filename)
    return None
