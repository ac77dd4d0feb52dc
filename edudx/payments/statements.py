"""Bank statement exports (sao kê) read into bank credits: the daily fallback when a notification was missed.

A school downloads its account statement from internet banking as XLSX or CSV and uploads it; every credit in it
becomes a ``BankCredit`` with the same ``idempotency_key`` a notification of the same transaction would have, so a
credit seen twice (pushed, then in the statement) is recorded once.

The exports differ from bank to bank only in their column titles and the rows around the table (the bank's
name, the account, the period above; totals and balances below). A ``StatementLayout`` names, for each field we
need (date, transaction id, credit amount, content; debit optionally), the column titles it may have. The header
row is found among the first rows by those titles, compared without case, diacritics, spacing or a unit in
brackets ("Số tiền ghi có (VND)" = "so tien ghi co"). The built-in layouts follow the column titles commonly seen
in Vietcombank, VietinBank and BIDV exports (to be checked against a real export of the school's bank, which is
why a school can configure its own) plus the EduDX template (Ngày, Mã giao dịch, Số tiền, Nội dung).

Rows: empty rows are skipped, so are total/balance rows ("Tổng cộng", "Số dư cuối kỳ") and debits (no credit
amount). Every other row must be a valid credit. The import is all or nothing: any error and nothing is
imported; the ``ValidationFailed`` lists each error as "Dòng N, cột X (tiêu đề): …" with N the row number the
spreadsheet shows, so the accountant can open the file and fix it.

Formats: XLSX through ``edudx.core.xlsx.open_workbook`` (checked by content), CSV in UTF-8 (with or without the
BOM Excel writes) separated by commas, semicolons or tabs. A legacy .xls is refused with a hint to save as .xlsx.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from edudx.core.errors import ValidationFailed

from .money import MAX_VND, check_vnd, parse_vnd
from .webhook import BankCredit

__all__ = [
    "LAYOUTS",
    "Statement",
    "StatementEntry",
    "StatementLayout",
    "StatementRowError",
    "parse_statement",
    "read_rows",
]

VIETNAM_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
HEADER_SEARCH_ROWS = 30
MAX_ROWS = 20_000
MAX_ERRORS_IN_MESSAGE = 5
MAX_ERRORS_KEPT = 200

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
_TRANSACTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")
_DATE_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
)
_SUMMARY_WORDS = ("tong", "cong", "so du", "total", "closing", "opening", "balance")

Cell = object
Row = Sequence[Cell]


def normalize_header(text: object) -> str:
    """``" Số tiền ghi có (VND) "`` → ``"so tien ghi co"``: how column titles are compared."""
    value = str(text or "").replace("đ", "d").replace("Đ", "D")
    value = re.sub(r"\([^)]*\)", " ", value)
    value = "".join(ch for ch in unicodedata.normalize("NFD", value) if unicodedata.category(ch) != "Mn")
    value = re.sub(r"[^a-z0-9]+", " ", value.casefold())
    return " ".join(value.split())


@dataclass(frozen=True)
class StatementLayout:
    """The column titles of one bank's export. Each field lists the titles it may have (any case, diacritics)."""

    code: str
    name: str
    date: tuple[str, ...]
    transaction_id: tuple[str, ...]
    credit: tuple[str, ...]
    content: tuple[str, ...]
    debit: tuple[str, ...] = ()

    def required(self) -> dict[str, tuple[str, ...]]:
        return {
            "date": self.date,
            "transaction_id": self.transaction_id,
            "credit": self.credit,
            "content": self.content,
        }

    def columns(self, header: Row) -> dict[str, int] | None:
        """Field → column index if ``header`` is this layout's header row (every required field found)."""
        titles = [normalize_header(cell) for cell in header]
        found: dict[str, int] = {}
        for name, aliases in (*self.required().items(), ("debit", self.debit)):
            wanted = {normalize_header(alias) for alias in aliases}
            index = next((i for i, title in enumerate(titles) if title and title in wanted), None)
            if index is not None:
                found[name] = index
            elif name != "debit":
                return None
        return found


VIETCOMBANK = StatementLayout(
    code="VCB",
    name="Vietcombank",
    date=("Ngày giao dịch", "Ngày GD", "Transaction Date"),
    transaction_id=("Số tham chiếu", "Số CT", "Reference No", "Reference Number"),
    credit=("Số tiền ghi có", "Credit Amount", "Credit"),
    debit=("Số tiền ghi nợ", "Debit Amount", "Debit"),
    content=("Mô tả", "Nội dung chi tiết", "Description"),
)
VIETINBANK = StatementLayout(
    code="CTG",
    name="VietinBank",
    date=("Ngày giao dịch", "Ngày hạch toán"),
    transaction_id=("Số giao dịch", "Mã giao dịch", "Số bút toán"),
    credit=("Có", "Phát sinh có"),
    debit=("Nợ", "Phát sinh nợ"),
    content=("Nội dung giao dịch", "Diễn giải", "Nội dung"),
)
BIDV = StatementLayout(
    code="BIDV",
    name="BIDV",
    date=("Ngày hiệu lực", "Ngày giao dịch"),
    transaction_id=("Số bút toán", "Số tham chiếu", "Mã giao dịch"),
    credit=("Ghi có", "Số tiền ghi có"),
    debit=("Ghi nợ", "Số tiền ghi nợ"),
    content=("Mô tả", "Diễn giải", "Nội dung giao dịch"),
)
EDUDX_TEMPLATE = StatementLayout(
    code="EDUDX",
    name="Mẫu EduDX",
    date=("Ngày",),
    transaction_id=("Mã giao dịch",),
    credit=("Số tiền",),
    content=("Nội dung",),
)
LAYOUTS: tuple[StatementLayout, ...] = (VIETCOMBANK, VIETINBANK, BIDV, EDUDX_TEMPLATE)


@dataclass(frozen=True)
class StatementRowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.column:
            return _("Dòng %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        return _("Dòng %(row)s, cột %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass(frozen=True)
class StatementEntry:
    row: int
    credit: BankCredit


@dataclass(frozen=True)
class Statement:
    layout: StatementLayout
    header_row: int
    entries: tuple[StatementEntry, ...]
    skipped_debits: int
    skipped_summaries: int

    @property
    def credits(self) -> tuple[BankCredit, ...]:
        return tuple(entry.credit for entry in self.entries)

    @property
    def total(self) -> int:
        return sum(entry.credit.amount for entry in self.entries)


class _RowProblem(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _is_empty(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _amount(cell: Cell, field: str) -> int:
    """Whole đồng from a cell: an int, an integral float (spreadsheets store every number as a float), a Decimal
    or text such as ``"1,250,000"`` or ``"1.250.000,00"``. Empty → 0."""
    if _is_empty(cell):
        return 0
    if isinstance(cell, float):
        if not cell.is_integer():
            raise _RowProblem(
                field, _("số tiền %(value)s có phần lẻ; số tiền đồng phải là số nguyên.") % {"value": cell}
            )
        if abs(cell) > MAX_VND:
            raise _RowProblem(field, _("số tiền quá lớn."))
        cell = int(cell)
    try:
        if isinstance(cell, int | Decimal) and not isinstance(cell, bool):
            return check_vnd(cell, allow_zero=True)
        return parse_vnd(str(cell), allow_zero=True, allow_zero_fraction=True)
    except ValidationFailed as exc:
        raise _RowProblem(field, exc.message) from exc


def _moment(cell: Cell, field: str) -> dt.datetime:
    if isinstance(cell, dt.datetime):
        moment = cell
    elif isinstance(cell, dt.date):
        moment = dt.datetime.combine(cell, dt.time())
    elif isinstance(cell, str) and cell.strip():
        # Some exports put the date and a reference in one cell, on two lines: the date is the first line.
        text = cell.strip().splitlines()[0].strip()
        for pattern in _DATE_FORMATS:
            try:
                moment = dt.datetime.strptime(text, pattern)  # naive: a statement's times are Vietnam time
                break
            except ValueError:
                continue
        else:
            raise _RowProblem(field, _("«%(value)s» không phải ngày (dd/mm/yyyy).") % {"value": text[:40]})
    elif _is_empty(cell):
        raise _RowProblem(field, _("thiếu ngày giao dịch."))
    else:
        raise _RowProblem(field, _("«%(value)s» không phải ngày (dd/mm/yyyy).") % {"value": cell})
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=VIETNAM_TIMEZONE)
    return moment


def _transaction_id(cell: Cell, field: str) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = "" if cell is None else str(cell).strip()
    if not text:
        raise _RowProblem(field, _("thiếu mã giao dịch của ngân hàng."))
    if not _TRANSACTION_ID.fullmatch(text):
        raise _RowProblem(
            field,
            _("mã giao dịch «%(value)s» chỉ được gồm chữ, số và . _ : / -, tối đa 64 ký tự.") % {"value": text[:70]},
        )
    return text


def _content(cell: Cell) -> str:
    return " ".join(str(cell).split()) if not _is_empty(cell) else ""


def read_rows(data: bytes) -> list[list[Cell]]:
    """The rows of an uploaded statement (first sheet of an XLSX, or a UTF-8 CSV), as lists of cell values."""
    if not data:
        raise ValidationFailed(_("Tệp sao kê rỗng."), code="EMPTY_FILE")
    if data.startswith(_XLS_MAGIC):
        raise ValidationFailed(
            _("Tệp Excel 97-2003 (.xls) không được hỗ trợ: hãy mở tệp và lưu lại dạng .xlsx hoặc CSV UTF-8."),
            code="LEGACY_XLS",
        )
    if data.startswith(_XLSX_MAGIC):
        from edudx.core.xlsx import open_workbook

        workbook = open_workbook(data)
        try:
            sheet = workbook.worksheets[0]
            rows: list[list[Cell]] = []
            for row in sheet.iter_rows(values_only=True):
                rows.append(list(row))
                if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
                    break
        finally:
            workbook.close()
        return rows
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            _("Tệp CSV phải được lưu với bảng mã UTF-8 (trong Excel: «CSV UTF-8»)."), code="NOT_UTF8"
        ) from exc
    return [list(row) for row in _csv_rows(text)]


def _csv_rows(text: str) -> list[list[str]]:
    """Rows with the delimiter that splits the header best (the most columns among the first lines)."""
    best: list[list[str]] = []
    best_width = -1
    for delimiter in (",", ";", "\t"):
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        except csv.Error as exc:
            raise ValidationFailed(_("Tệp CSV hỏng: %(error)s") % {"error": exc}, code="BAD_CSV") from exc
        width = max((len(row) for row in rows[:HEADER_SEARCH_ROWS]), default=0)
        if width > best_width:
            best, best_width = rows, width
    return best


def _find_header(
    rows: Sequence[Row], layouts: Iterable[StatementLayout]
) -> tuple[int, StatementLayout, dict[str, int]]:
    layouts = tuple(layouts)
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        for layout in layouts:
            columns = layout.columns(row)
            if columns is not None:
                return index, layout, columns
    expected = "; ".join(
        _("%(bank)s: %(titles)s")
        % {"bank": layout.name, "titles": ", ".join(aliases[0] for aliases in layout.required().values())}
        for layout in layouts
    )
    raise ValidationFailed(
        _("Không tìm thấy dòng tiêu đề của bảng sao kê trong %(rows)s dòng đầu. Các cột cần có — %(expected)s.")
        % {"rows": HEADER_SEARCH_ROWS, "expected": expected},
        code="STATEMENT_HEADER_NOT_FOUND",
    )


def _is_summary(row: Row, columns: dict[str, int]) -> bool:
    """A totals or balance row: no date and no transaction id, and some cell starting with 'Tổng', 'Số dư'…"""
    for field in ("date", "transaction_id"):
        index = columns[field]
        if index < len(row) and not _is_empty(row[index]):
            return False
    return any(
        isinstance(cell, str) and normalize_header(cell).startswith(_SUMMARY_WORDS) for cell in row if cell is not None
    )


def parse_statement(
    data: bytes,
    *,
    account: str,
    bank_code: str,
    layouts: Sequence[StatementLayout] = LAYOUTS,
) -> Statement:
    """Every credit of an uploaded statement of ``account`` at ``bank_code`` (the code used for that bank's
    notifications, so idempotency keys agree), or ``ValidationFailed`` listing every bad row. All or nothing.

    ``layouts``: the layouts to try, in order (a school that configured its bank's layout passes just that one).
    """
    rows = read_rows(data)
    header_index, layout, columns = _find_header(rows, layouts)
    header = rows[header_index]
    labels = {
        field: _("%(letter)s (%(title)s)") % {"letter": _column_letter(index), "title": str(header[index]).strip()}
        for field, index in columns.items()
    }
    bank_code = bank_code.strip().upper()

    entries: list[StatementEntry] = []
    errors: list[StatementRowError] = []
    seen: dict[str, int] = {}
    skipped_debits = skipped_summaries = 0
    data_rows = rows[header_index + 1 :]
    if len(data_rows) > MAX_ROWS:
        raise ValidationFailed(
            _("Bảng sao kê có hơn %(max)s dòng; hãy tách theo tháng.") % {"max": MAX_ROWS}, code="TOO_MANY_ROWS"
        )

    def cell(row: Row, field: str) -> Cell:
        index = columns.get(field)
        return row[index] if index is not None and index < len(row) else None

    for offset, row in enumerate(data_rows):
        number = header_index + 2 + offset  # the row number the spreadsheet shows
        if all(_is_empty(value) for value in row):
            continue
        if _is_summary(row, columns):
            skipped_summaries += 1
            continue
        try:
            credit_amount = _amount(cell(row, "credit"), "credit")
            debit_amount = _amount(cell(row, "debit"), "debit") if "debit" in columns else 0
            if credit_amount == 0:
                credit_written = not _is_empty(cell(row, "credit"))
                if debit_amount or (credit_written and "debit" in columns):
                    skipped_debits += 1  # money going out, or a "0" credit next to a debit column
                    continue
                raise _RowProblem(
                    "credit", _("số tiền ghi có phải lớn hơn 0.") if credit_written else _("thiếu số tiền ghi có.")
                )
            if debit_amount:
                raise _RowProblem("debit", _("một dòng không thể vừa ghi nợ vừa ghi có."))
            occurred_at = _moment(cell(row, "date"), "date")
            transaction_id = _transaction_id(cell(row, "transaction_id"), "transaction_id")
        except _RowProblem as problem:
            errors.append(StatementRowError(number, labels.get(problem.field, ""), problem.message))
            continue
        key = transaction_id.upper()
        if key in seen:
            errors.append(
                StatementRowError(
                    number,
                    labels["transaction_id"],
                    _("mã giao dịch «%(id)s» trùng với dòng %(row)s.") % {"id": transaction_id, "row": seen[key]},
                )
            )
            continue
        seen[key] = number
        entries.append(
            StatementEntry(
                row=number,
                credit=BankCredit(
                    transaction_id=transaction_id,
                    account=account,
                    amount=credit_amount,
                    content=_content(cell(row, "content")),
                    occurred_at=occurred_at,
                    bank_code=bank_code,
                ),
            )
        )

    if errors:
        shown = "; ".join(str(error) for error in errors[:MAX_ERRORS_IN_MESSAGE])
        more = len(errors) - MAX_ERRORS_IN_MESSAGE
        message = _("Bảng sao kê có %(count)s lỗi, chưa nhập giao dịch nào. %(errors)s.") % {
            "count": len(errors),
            "errors": shown,
        }
        if more > 0:
            message += " " + _("Và %(more)s lỗi khác.") % {"more": more}
        raise ValidationFailed(
            message,
            code="STATEMENT_INVALID",
            details=[
                {"row": error.row, "column": error.column, "message": error.message, "text": str(error)}
                for error in errors[:MAX_ERRORS_KEPT]
            ],
        )
    if not entries:
        raise ValidationFailed(
            _("Bảng sao kê không có giao dịch tiền vào nào (đã bỏ qua %(debits)s giao dịch tiền ra).")
            % {"debits": skipped_debits},
            code="STATEMENT_EMPTY",
        )
    return Statement(
        layout=layout,
        header_row=header_index + 1,
        entries=tuple(entries),
        skipped_debits=skipped_debits,
        skipped_summaries=skipped_summaries,
    )
