"""Broken rows and broken files: nothing is written, and every error names its row and column."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from edudx.core.models import AuditEvent
from edudx.registry.enums import ImportStatus
from edudx.registry.models import ClassMembership, ImportJob, Person, Student
from edudx.testing import login_verified

from .test_import_students import STUDENT_HEADERS, post_upload, student_rows, xlsx


@pytest.fixture
def clerk_client(client, world):
    login_verified(client, world.school1.users["clerk"])
    return client


def counts():
    return (
        Person.objects.count(),
        Student.objects.count(),
        ClassMembership.objects.count(),
        AuditEvent.objects.count(),
    )


def errors_of(job):
    return {(e["row"], e["column"]) for e in job.errors}


def test_every_broken_row_is_reported_and_nothing_written(clerk_client, world):
    other_school_code = world.school2.students_a[0].moet_code
    future = dt.date.today() + dt.timedelta(days=30)
    good = student_rows(1)[0]
    rows = [
        good,  # row 2: fine
        ["7911111111", "Phạm Văn Bé", "31/02/2014", "Nam", "Kinh", "", "6A1", ""],  # 3: impossible date
        ["7911111112", "Phạm Văn Bé", future, "Nam", "Kinh", "", "6A1", ""],  # 4: future date
        ["7911111113", "Phạm Văn Bé", "01/06/2014", "Nam", "Kinh", "079314000123", "6A1", ""],  # 5: ID sex digit
        ["7911111114", "", "01/06/2014", "", "Kinh", "", "", ""],  # 6: name, sex, class missing
        [good[0], "Trùng Mã", "01/06/2014", "Nam", "Kinh", "", "6A1", ""],  # 7: duplicate code in file
        ["7911111115", "Phạm Văn Bé", "01/06/2014", "Nam", "Kinh", "", "9Z9", ""],  # 8: unknown class
        [other_school_code, "Phạm Văn Bé", "01/06/2014", "Nam", "Kinh", "", "6A1", ""],  # 9: other school
        [None, None, None, None, None, None, None, None],  # 10: empty, ignored
        ["7911111116", "Phạm Văn Bé", "01/06/2014", "X", "Kinh", "12345", "6A1", ""],  # 11: bad sex, short ID
        ["7911111117", "Phạm Văn Bé", "01/06/2014", "Nam", "Kinh", good[5], "6A1", ""],  # 12: duplicate ID
    ]
    before = counts()
    post_upload(clerk_client, world.school1.school, "students", xlsx(STUDENT_HEADERS, rows))
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.INVALID
    assert counts() == before
    found = errors_of(job)
    expected = {
        (3, "Ngày sinh"),
        (4, "Ngày sinh"),
        (5, "Số định danh cá nhân"),
        (6, "Họ và tên"),
        (6, "Giới tính"),
        (6, "Lớp"),
        (7, "Mã học sinh"),
        (8, "Lớp"),
        (9, "Mã học sinh"),
        (11, "Giới tính"),
        (11, "Số định danh cá nhân"),
        (12, "Số định danh cá nhân"),
    }
    assert expected <= found, found - expected
    assert not any(row in (2, 10) for row, _col in found)
    messages = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert "thuộc học sinh của trường khác" in messages[(9, "Mã học sinh")]
    assert "trùng với dòng 2" in messages[(7, "Mã học sinh")]
    assert "tương lai" in messages[(4, "Ngày sinh")]

    page = clerk_client.get(reverse("registry:import_detail", args=[job.pk])).content.decode()
    assert "Không có dữ liệu nào được ghi" in page and "Ghi dữ liệu" not in page
    for row, column in expected:
        assert f"<td>{row}</td><td>{column}</td>" in page
    # Committing an invalid job is refused.
    clerk_client.post(reverse("registry:import_commit", args=[job.pk]))
    assert counts() == before

    # The error workbook: the original rows, a "Lỗi" column, the faulty cells highlighted.
    response = clerk_client.get(reverse("registry:import_error_file", args=[job.pk]))
    ws = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in ws[1]]
    assert header[-1] == "Lỗi" and header[:-1] == STUDENT_HEADERS
    assert ws.cell(row=2, column=9).value is None
    assert "Ngày sinh" in ws.cell(row=3, column=9).value
    assert ws.cell(row=3, column=3).fill.fgColor.rgb.endswith("F8CBAD")
    assert ws.cell(row=3, column=2).fill.fgColor.rgb in (None, "00000000")
    assert ws.cell(row=9, column=1).value == other_school_code


def test_missing_header_column(clerk_client, world):
    headers = [h for h in STUDENT_HEADERS if h != "Lớp"]
    post_upload(clerk_client, world.school1.school, "students", xlsx(headers, [["7900000001", "A", "", "", "", ""]]))
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.INVALID
    assert errors_of(job) == {(1, "Lớp")}


def test_no_data_rows(clerk_client, world):
    post_upload(clerk_client, world.school1.school, "students", xlsx(STUDENT_HEADERS, [[None] * 8]))
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.INVALID and "không có dòng dữ liệu" in job.errors[0]["message"]


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!doctype html><html><body><table><tr><td>1</td></tr></table></body></html>"
TEXT = "Mã học sinh,Họ và tên\n7900000001,An\n".encode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (TEXT, "không phải bảng tính Excel"),
        (PDF, "không phải bảng tính Excel"),
        (HTML, "không phải bảng tính Excel"),
        (b"PK\x03\x04" + b"\x00" * 40, "không phải bảng tính Excel"),  # a zip signature, broken body
        (b"", "rỗng"),
    ],
)
def test_broken_files_are_refused_and_nothing_stored(clerk_client, world, content, message):
    before = counts()
    response = post_upload(clerk_client, world.school1.school, "students", content, name="hoc-sinh.xlsx")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ImportJob.objects.count() == 0
    assert counts() == before


def test_zip_that_is_not_a_workbook(clerk_client, world):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "xin chào")
    response = post_upload(clerk_client, world.school1.school, "students", buffer.getvalue())
    assert response.status_code == 400 and "không phải bảng tính Excel" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_oversized_file(clerk_client, world):
    data = xlsx(STUDENT_HEADERS, student_rows(2))
    with override_settings(IMPORT_MAX_BYTES=len(data) - 1):
        response = post_upload(clerk_client, world.school1.school, "students", data)
    assert response.status_code == 400 and "Tệp quá lớn" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_excel_number_cells_are_read_back(clerk_client, world):
    """IDs typed as numbers lose the leading zero; dates typed as text or day numbers still parse."""
    rows = [["7900000001", "Vũ Minh Khôi", "05/03/2014", "nam", "", 79214000001, "6A1", ""]]
    rows.append(["7900000002", "Vũ Minh Khang", 41703, "Nam", "", "079214000002", "6A1", ""])  # 2014-03-05
    post_upload(clerk_client, world.school1.school, "students", xlsx(STUDENT_HEADERS, rows))
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PREVIEW, job.errors
    clerk_client.post(reverse("registry:import_commit", args=[job.pk]))
    person = Student.objects.get(moet_code="7900000002").person
    assert person.date_of_birth == dt.date(2014, 3, 5) and person.ethnicity == "Kinh"
    assert Student.objects.get(moet_code="7900000001").person.personal_id_last3 == "001"
