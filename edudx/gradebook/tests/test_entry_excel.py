"""A sheet to Excel and back: the export's layout, a round trip changing exactly the edited cells, refusals."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from edudx.core.api import AuditEvent, NotPermitted, ValidationFailed, actor_for
from edudx.gradebook import sheet_excel
from edudx.gradebook.models import ScoreCell, ScoreSheet, SheetStatus
from edudx.gradebook.services.entry import save_cells
from edudx.testing import build_primary_school, login_verified

from .test_entry_services import homeroom_sheet, subject_sheet

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def toan(world):
    sheet = subject_sheet(world.school1.class_b, "TOAN")
    teacher = actor_for(world.school1.users["subject_teacher"])
    a, b, _c = world.school1.students_b
    changes = [
        {"student": a.pk, "column": "tx1", "value": "8", "version": 0},
        {"student": a.pk, "column": "tx2", "value": "7,5", "version": 0},
        {"student": b.pk, "column": "gk", "value": "6", "version": 0},
        {"student": b.pk, "column": "nx", "value": "Cần cố gắng hơn", "version": 0},
    ]
    assert save_cells(actor=teacher, sheet=sheet, changes=changes).ok
    return sheet


def open_export(sheet):
    return load_workbook(io.BytesIO(sheet_excel.export_sheet(sheet)))


def row_of(ws, moet_code):
    for row in range(sheet_excel.FIRST_DATA_ROW, ws.max_row + 1):
        if ws.cell(row=row, column=1).value == moet_code:
            return row
    raise AssertionError(moet_code)


def column_of(ws, code):
    for col in range(1, ws.max_column + 1):
        if ws.cell(row=sheet_excel.CODES_ROW, column=col).value == code:
            return col
    raise AssertionError(code)


def as_bytes(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_export_layout(world, toan):
    ws = open_export(toan).active
    assert "Trường THCS Một" in ws["A1"].value
    assert "6A2" in ws["A2"].value and "2025-2026" in ws["A2"].value
    assert "Toán" in ws["A3"].value and "Học kì I" in ws["A3"].value
    assert "Giáo viên bộ môn a" in ws["A4"].value
    header = [c.value for c in ws[sheet_excel.HEADER_ROW]]
    assert header == ["Mã học sinh", "Họ và tên", "TX1", "TX2", "TX3", "TX4", "GK", "CK", "Nhận xét"]
    codes = [c.value for c in ws[sheet_excel.CODES_ROW]]
    assert codes == ["ma_hs", "ho_ten", "tx1", "tx2", "tx3", "tx4", "gk", "ck", "nx"]
    assert ws.row_dimensions[sheet_excel.CODES_ROW].hidden
    a = world.school1.students_b[0]
    row = row_of(ws, a.moet_code)
    assert ws.cell(row=row, column=2).value == a.person.full_name
    assert ws.cell(row=row, column=3).value == 8
    assert float(ws.cell(row=row, column=4).value) == 7.5
    assert ws.max_row == sheet_excel.FIRST_DATA_ROW + 2


def test_export_has_drop_down_lists_for_level_columns(world):
    th = build_primary_school(world)
    ws = open_export(subject_sheet(th.class_b, "NN1")).active
    formulas = sorted(dv.formula1 for dv in ws.data_validations.dataValidation)
    assert formulas == ['"T,H,C"', '"T,H,C"']
    ws = open_export(homeroom_sheet(world.school1.class_a)).active
    assert [dv.formula1 for dv in ws.data_validations.dataValidation] == ['"T,K,Đ,CĐ"']


def test_round_trip_changes_exactly_the_edited_cells(world, toan):
    teacher = actor_for(world.school1.users["subject_teacher"])
    a, b, c = world.school1.students_b
    wb = open_export(toan)
    ws = wb.active
    ws.cell(row=row_of(ws, a.moet_code), column=column_of(ws, "tx1")).value = 9  # 8 → 9
    ws.cell(row=row_of(ws, b.moet_code), column=column_of(ws, "gk")).value = None  # 6 → cleared
    ws.cell(row=row_of(ws, c.moet_code), column=column_of(ws, "ck")).value = "8,5"  # new, typed as text
    before = {(x.student_id, x.column): (x.value, x.version) for x in ScoreCell.objects.all()}
    plan = sheet_excel.plan_import(actor=teacher, sheet=toan, data=as_bytes(wb))
    assert plan.ok, plan.errors
    assert sorted((ch["student"], ch["column"], ch["value"]) for ch in plan.changes) == sorted(
        [(a.pk, "tx1", "9"), (b.pk, "gk", ""), (c.pk, "ck", "8.5")]
    )
    assert {p["row"] for p in plan.preview} >= {sheet_excel.FIRST_DATA_ROW}
    events = AuditEvent.objects.filter(action="grade.cell_set").count()
    assert save_cells(actor=teacher, sheet=toan, changes=plan.changes).ok
    after = {(x.student_id, x.column): (x.value, x.version) for x in ScoreCell.objects.all()}
    changed = {key for key in after if after[key] != before.get(key)}
    assert changed == {(a.pk, "tx1"), (b.pk, "gk"), (c.pk, "ck")}
    assert after[(a.pk, "tx2")] == before[(a.pk, "tx2")]
    assert after[(b.pk, "gk")] == ("", 2)
    assert AuditEvent.objects.filter(action="grade.cell_set").count() == events + 3
    # Importing the same file again changes nothing.
    wb2 = open_export(toan)
    assert sheet_excel.plan_import(actor=teacher, sheet=toan, data=as_bytes(wb2)).changes == []


def test_bad_values_and_unknown_students_are_named_by_row_and_column(world, toan):
    teacher = actor_for(world.school1.users["subject_teacher"])
    a, b, _c = world.school1.students_b
    wb = open_export(toan)
    ws = wb.active
    row_a = row_of(ws, a.moet_code)
    ws.cell(row=row_a, column=column_of(ws, "tx3")).value = 11
    ws.cell(row=row_of(ws, b.moet_code), column=column_of(ws, "tx1")).value = 9  # valid, but not written
    stranger = ws.max_row + 1
    ws.cell(row=stranger, column=1).value = world.school1.students_a[0].moet_code  # another class
    ws.cell(row=stranger, column=3).value = 5
    plan = sheet_excel.plan_import(actor=teacher, sheet=toan, data=as_bytes(wb))
    messages = [e.message for e in plan.errors]
    assert messages[0].startswith(f"Dòng {row_a}, cột TX3:") and "từ 0 đến 10" in messages[0]
    assert messages[1].startswith(f"Dòng {stranger}, cột Mã học sinh:") and "không có trong lớp 6A2" in messages[1]
    assert not plan.ok


def test_import_page_previews_then_writes_all_or_nothing(client, world, toan):
    a = world.school1.students_b[0]
    login_verified(client, world.school1.users["subject_teacher"])
    url = reverse("gradebook:sheet_import", args=[toan.pk])
    assert client.get(url).status_code == 200
    wb = open_export(toan)
    ws = wb.active
    ws.cell(row=row_of(ws, a.moet_code), column=column_of(ws, "tx3")).value = "abc"
    ws.cell(row=row_of(ws, a.moet_code), column=column_of(ws, "tx4")).value = 10
    page = client.post(url, {"file": SimpleUploadedFile("so.xlsx", as_bytes(wb), XLSX)})
    row = row_of(ws, a.moet_code)
    assert f"Dòng {row}, cột TX3: TX3: “abc” không phải là một số." in page.content.decode()
    assert page.context.get("payload") is None
    assert not ScoreCell.objects.filter(column__in=["tx3", "tx4"]).exists()
    ws.cell(row=row_of(ws, a.moet_code), column=column_of(ws, "tx3")).value = 6
    page = client.post(url, {"file": SimpleUploadedFile("so.xlsx", as_bytes(wb), XLSX)})
    assert page.status_code == 200 and page.context["payload"]
    assert not ScoreCell.objects.filter(column__in=["tx3", "tx4"]).exists()  # a preview writes nothing
    done = client.post(url, {"payload": page.context["payload"]})
    assert done.status_code == 302
    assert dict(ScoreCell.objects.filter(student=a, column__in=["tx3", "tx4"]).values_list("column", "value")) == {
        "tx3": "6",
        "tx4": "10",
    }
    # The same preview confirmed twice: its versions are stale now, so nothing more is written.
    again = client.post(url, {"payload": page.context["payload"]})
    assert again.status_code == 409
    assert client.post(url, {"payload": "forged"}).status_code == 400


def test_refusals_wrong_file_locked_sheet_too_large(client, world, toan):
    teacher = actor_for(world.school1.users["subject_teacher"])
    with pytest.raises(ValidationFailed, match="không phải bảng tính Excel"):
        sheet_excel.plan_import(actor=teacher, sheet=toan, data=b"Ma HS,Ho ten\n123,An\n")
    login_verified(client, world.school1.users["subject_teacher"])
    url = reverse("gradebook:sheet_import", args=[toan.pk])
    fake = SimpleUploadedFile("diem.xlsx", b"%PDF-1.4 not a workbook", XLSX)
    page = client.post(url, {"file": fake})
    assert "không phải bảng tính Excel" in page.content.decode()
    data = sheet_excel.export_sheet(toan)
    with override_settings(IMPORT_MAX_BYTES=len(data) - 1):
        page = client.post(url, {"file": SimpleUploadedFile("so.xlsx", data, XLSX)})
    assert "Tệp quá lớn" in page.content.decode()
    ScoreSheet.objects.filter(pk=toan.pk).update(status=SheetStatus.LOCKED)
    toan.refresh_from_db()
    with pytest.raises(NotPermitted, match="đã được khoá"):
        sheet_excel.plan_import(actor=teacher, sheet=toan, data=data)
    principal = actor_for(world.school1.users["principal"])
    with pytest.raises(NotPermitted):
        sheet_excel.plan_import(actor=principal, sheet=toan, data=data)
    export = client.get(reverse("gradebook:sheet_export", args=[toan.pk]))
    assert export.status_code == 200 and export["Content-Type"] == XLSX
