"""Statement uploads: the header row found below a bank's preamble for each built-in layout, CSV (BOM, comma,
semicolon) and XLSX cells (dates, floats), debits and totals skipped, and every bad row reported as
"Dòng N, cột X" with nothing imported."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from edudx.core.errors import ValidationFailed
from edudx.payments.statements import LAYOUTS, StatementLayout, normalize_header, parse_statement

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ACCOUNT = "0011001932418"

VCB_ROWS = [
    ["NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM"],
    ["SAO KÊ TÀI KHOẢN"],
    ["Số tài khoản:", ACCOUNT],
    [],
    ["STT", "Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có (VND)", "Số dư", "Mô tả"],
    ["1", "05/09/2026 10:15:00", "5243.65937", "", "1,250,000", "3,250,000", "MBVCB.123.HP7KQ4XM9AB Tien an T9"],
    ["2", "05/09/2026", "5243.65938", "22,000", "", "3,228,000", "Phi dich vu"],
    ["3", "06/09/2026", "5243.65990", "", "800.000,00", "4,028,000", "NGUYEN VAN AN\nnop tien"],
    [],
    ["", "", "", "Tổng cộng", "2,050,000", "", ""],
]


def csv_bytes(rows, delimiter=",", bom=True):
    lines = []
    for row in rows:
        cells = []
        for cell in row:
            text = str(cell)
            if delimiter in text or "\n" in text or '"' in text:
                text = '"' + text.replace('"', '""') + '"'
            cells.append(text)
        lines.append(delimiter.join(cells))
    data = "\r\n".join(lines).encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def errors_of(data, **kwargs):
    with pytest.raises(ValidationFailed) as caught:
        parse_statement(data, account=ACCOUNT, bank_code="VCB", **kwargs)
    return caught.value


@pytest.mark.parametrize(("delimiter", "bom"), [(",", True), (";", True), ("\t", False)])
def test_vietcombank_csv(delimiter, bom):
    statement = parse_statement(csv_bytes(VCB_ROWS, delimiter, bom), account=ACCOUNT, bank_code="vcb")
    assert statement.layout.code == "VCB"
    assert statement.header_row == 5
    assert [entry.row for entry in statement.entries] == [6, 8]
    first, second = statement.credits
    assert (first.transaction_id, first.amount, first.bank_code, first.account) == (
        "5243.65937",
        1_250_000,
        "VCB",
        ACCOUNT,
    )
    assert first.occurred_at == dt.datetime(2026, 9, 5, 10, 15, tzinfo=VN)
    assert first.content == "MBVCB.123.HP7KQ4XM9AB Tien an T9"
    assert first.idempotency_key == "VCB:5243.65937"
    assert (second.amount, second.content) == (800_000, "NGUYEN VAN AN nop tien")
    assert second.occurred_at == dt.datetime(2026, 9, 6, tzinfo=VN)
    assert statement.skipped_debits == 1 and statement.skipped_summaries == 1
    assert statement.total == 2_050_000


def test_xlsx_with_native_cells():
    rows = [
        ["Sao kê tài khoản VietinBank"],
        ["Ngày giao dịch", "Số giao dịch", "Nội dung giao dịch", "Nợ", "Có", "Số dư"],
        [dt.datetime(2026, 9, 5, 8, 30), 987654321, "HP7KQ4XM9AB", None, 1250000.0, 5000000],
        [dt.date(2026, 9, 6), "TX-2", "Tran Thi Binh", None, 500000, 5500000],
        [dt.date(2026, 9, 6), "TX-3", "Rut tien", 200000, 0, 5300000],
    ]
    statement = parse_statement(xlsx_bytes(rows), account=ACCOUNT, bank_code="CTG")
    assert statement.layout.code == "CTG"
    assert [(c.transaction_id, c.amount) for c in statement.credits] == [("987654321", 1_250_000), ("TX-2", 500_000)]
    assert statement.credits[0].occurred_at == dt.datetime(2026, 9, 5, 8, 30, tzinfo=VN)
    assert statement.skipped_debits == 1


def test_bidv_and_the_edudx_template():
    bidv = [["Ngày hiệu lực", "Số bút toán", "Ghi nợ", "Ghi có", "Mô tả"], ["2026-09-05", "BT1", "", "300000", "x"]]
    assert parse_statement(csv_bytes(bidv), account=ACCOUNT, bank_code="BIDV").layout.code == "BIDV"
    template = [["Ngày", "Mã giao dịch", "Số tiền", "Nội dung"], ["05/09/2026", "A1", "1.250.000", "HP7KQ4XM9AB"]]
    statement = parse_statement(csv_bytes(template), account=ACCOUNT, bank_code="MB")
    assert statement.layout.code == "EDUDX" and statement.credits[0].amount == 1_250_000


def test_a_school_configured_layout():
    layout = StatementLayout(
        code="ACB",
        name="ACB",
        date=("Ngày GD",),
        transaction_id=("Mã GD",),
        credit=("Tiền vào",),
        content=("Diễn giải",),
        debit=("Tiền ra",),
    )
    rows = [["Ngày GD", "Mã GD", "Tiền ra", "Tiền vào", "Diễn giải"], ["05/09/2026", "X1", "", "450,000", "HP"]]
    statement = parse_statement(csv_bytes(rows), account=ACCOUNT, bank_code="ACB", layouts=[layout])
    assert statement.credits[0].amount == 450_000
    with pytest.raises(ValidationFailed):
        parse_statement(csv_bytes(rows), account=ACCOUNT, bank_code="ACB")  # not a built-in layout


def test_every_bad_row_is_reported_and_nothing_is_imported():
    rows = [
        ["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có", "Mô tả"],
        ["05/09/2026", "R1", "", "1,250,000", "ok"],
        ["31/02/2026", "R2", "", "100,000", "bad date"],
        ["05/09/2026", "", "", "100,000", "no id"],
        ["05/09/2026", "R4", "", "1,5", "fraction"],
        ["05/09/2026", "R5", "", "-100,000", "negative"],
        ["05/09/2026", "R1", "", "200,000", "same id as row 2"],
        ["05/09/2026", "R7", "", "", "no amount at all"],
        ["05/09/2026", "R8", "5,000", "7,000", "both sides"],
    ]
    error = errors_of(csv_bytes(rows))
    assert error.code == "STATEMENT_INVALID"
    texts = [item["text"] for item in error.details]
    assert texts[0].startswith("Dòng 3, cột A (Ngày giao dịch): ")
    assert texts[1].startswith("Dòng 4, cột B (Số tham chiếu): ")
    assert texts[2].startswith("Dòng 5, cột D (Số tiền ghi có): ") and "phần lẻ" in texts[2]
    assert texts[3].startswith("Dòng 6, cột D (Số tiền ghi có): ") and "âm" in texts[3]
    assert texts[4] == "Dòng 7, cột B (Số tham chiếu): mã giao dịch «R1» trùng với dòng 2."
    assert texts[5].startswith("Dòng 8, cột D (Số tiền ghi có): ")
    assert texts[6].startswith("Dòng 9, cột C (Số tiền ghi nợ): ")
    assert len(texts) == 7
    assert "7 lỗi" in error.message and "Dòng 3, cột A" in error.message and "Và 2 lỗi khác" in error.message


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "EMPTY_FILE"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "LEGACY_XLS"),
        (b"Ng\xe0y,M\xe3 giao dich\n", "NOT_UTF8"),
        (b"PK\x03\x04 not really a zip", "NOT_XLSX"),
        (b"a,b,c\n1,2,3\n", "STATEMENT_HEADER_NOT_FOUND"),
        (csv_bytes([["Ngày", "Mã giao dịch", "Số tiền", "Nội dung"]]), "STATEMENT_EMPTY"),
    ],
)
def test_files_that_are_not_statements(data, code):
    assert errors_of(data).code == code


def test_header_normalisation():
    assert normalize_header("  Số tiền ghi có (VND) ") == "so tien ghi co"
    assert normalize_header("ĐÃ GHI CÓ:") == "da ghi co"
    assert all(layout.required() for layout in LAYOUTS)
