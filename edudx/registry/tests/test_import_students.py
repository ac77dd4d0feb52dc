"""Student imports end to end through the pages: template, upload, preview, commit, re-import."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from edudx.core.audit import verify_chain
from edudx.core.crypto import decrypt, lookup_hash
from edudx.core.models import AuditEvent
from edudx.registry.enums import ImportStatus
from edudx.registry.imports.rules import COLUMNS
from edudx.registry.models import ClassMembership, ImportJob, Person, Student, StudentSchoolStint
from edudx.testing import login_verified

STUDENT_HEADERS = [c.header for c in COLUMNS["students"]]


def xlsx(headers, rows, title="Học sinh"):
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload_file(data, name="hoc-sinh.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def post_upload(client, school, kind, data, name="tep.xlsx", year=None):
    from edudx.registry.models import SchoolYear

    year = year or SchoolYear.objects.get(is_current=True)
    return client.post(
        reverse("registry:import_list"),
        {"school": school.pk, "kind": kind, "year": year.pk, "file": upload_file(data, name)},
    )


def student_rows(n=3, start=0, klass="6A1"):
    rows = []
    for i in range(start, start + n):
        rows.append(
            [
                f"79{i:08d}",
                f"Lê Thị Hồng {chr(65 + i % 26)}",
                dt.date(2014, 5, 1 + i % 28),
                "Nữ",
                "Kinh",
                f"079314{900000 + i:06d}",
                klass,
                f"{i} Nguyễn Huệ, phường Sài Gòn",
            ]
        )
    return rows


@pytest.fixture
def clerk_client(client, world):
    login_verified(client, world.school1.users["clerk"])
    return client


def only_job():
    return ImportJob.objects.get()


def test_template_has_headers_instructions_and_dropdowns(clerk_client):
    for kind in ("students", "guardians", "staff", "classes"):
        response = clerk_client.get(reverse("registry:import_template", kwargs={"kind": kind}))
        assert response.status_code == 200
        wb = load_workbook(io.BytesIO(response.content))
        ws = wb.worksheets[0]
        assert [c.value for c in ws[1]] == [c.header for c in COLUMNS[kind]]
        assert "Hướng dẫn" in wb.sheetnames
        assert all(cell.comment is not None and "Ví dụ" in cell.comment.text for cell in ws[1])
        lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
        expected = {"students": "Nam,Nữ", "guardians": "Cha,Mẹ", "staff": "Giáo viên", "classes": '"1,2,3'}[kind]
        assert any(expected in f for f in lists), lists
    assert clerk_client.get(reverse("registry:import_template", kwargs={"kind": "x"})).status_code == 404


def test_happy_path_then_reimport_is_idempotent(clerk_client, world):
    school = world.school1.school
    before_people = Person.objects.count()
    data = xlsx(STUDENT_HEADERS, student_rows(3) + [[None] * 8] + student_rows(1, start=3, klass="6a2"))
    response = post_upload(clerk_client, school, "students", data)
    job = only_job()
    assert response.status_code == 302 and response["Location"] == reverse("registry:import_detail", args=[job.pk])
    assert job.status == ImportStatus.PREVIEW, job.errors
    assert (job.summary["create"], job.summary["update"], job.summary["unchanged"]) == (4, 0, 0)
    page = clerk_client.get(response["Location"]).content.decode()
    assert "Ghi dữ liệu" in page and "•••••••••000" in page and "079314900000" not in page
    assert Person.objects.count() == before_people  # nothing written before the confirmation

    response = clerk_client.post(reverse("registry:import_commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    student = Student.objects.select_related("person").get(moet_code="7900000000")
    person = student.person
    assert student.school == school and person.full_name == "Lê Thị Hồng A" and person.sex == "F"
    assert decrypt(person.personal_id_encrypted) == "079314900000"
    assert person.personal_id_hash == lookup_hash("079314900000") and person.personal_id_last3 == "000"
    assert person.search_name == "le thi hong a"
    assert ClassMembership.objects.get(student=student, left_on__isnull=True).school_class == world.school1.class_a
    assert ClassMembership.objects.get(student__moet_code="7900000003").school_class == world.school1.class_b
    assert StudentSchoolStint.objects.filter(student=student, school=school, ended_on__isnull=True).count() == 1
    assert AuditEvent.objects.filter(action="registry.student.import_create").count() == 4
    assert AuditEvent.objects.filter(action="registry.import.commit", object_id=str(job.pk)).count() == 1
    assert verify_chain().ok

    # The same file again: nothing new, nothing changed.
    post_upload(clerk_client, school, "students", data)
    again = ImportJob.objects.exclude(pk=job.pk).get()
    assert (again.summary["create"], again.summary["update"], again.summary["unchanged"]) == (0, 0, 4)
    clerk_client.post(reverse("registry:import_commit", args=[again.pk]))
    assert Student.objects.filter(moet_code__startswith="79").count() == 4
    assert ClassMembership.objects.filter(student__moet_code__startswith="79").count() == 4

    # A changed row updates the record (name, class), never the learner code.
    changed = student_rows(1)
    changed[0][1] = "Lê Thị Hồng Ánh"
    changed[0][6] = "6A2"
    post_upload(clerk_client, school, "students", xlsx(STUDENT_HEADERS, changed))
    third = ImportJob.objects.order_by("-pk").first()
    assert (third.summary["create"], third.summary["update"]) == (0, 1)
    clerk_client.post(reverse("registry:import_commit", args=[third.pk]))
    student.refresh_from_db()
    person.refresh_from_db()
    assert person.full_name == "Lê Thị Hồng Ánh" and student.moet_code == "7900000000"
    open_classes = list(ClassMembership.objects.filter(student=student, left_on__isnull=True))
    assert [m.school_class for m in open_classes] == [world.school1.class_b]
    event = AuditEvent.objects.get(action="registry.student.import_update")
    assert event.before["full_name"] == "Lê Thị Hồng A" and event.after["class"] == "6A2"
    assert Student.objects.filter(moet_code__startswith="79").count() == 4
    assert verify_chain().ok


def test_commit_twice_is_refused(clerk_client, world):
    post_upload(clerk_client, world.school1.school, "students", xlsx(STUDENT_HEADERS, student_rows(2)))
    job = only_job()
    clerk_client.post(reverse("registry:import_commit", args=[job.pk]))
    response = clerk_client.post(reverse("registry:import_commit", args=[job.pk]), follow=True)
    assert "đã được ghi" in response.content.decode()
    assert Student.objects.filter(moet_code__startswith="79").count() == 2


def test_import_list_search_filter_export(clerk_client, world):
    post_upload(clerk_client, world.school1.school, "students", xlsx(STUDENT_HEADERS, student_rows(1)), "lop-6.xlsx")
    page = clerk_client.get(reverse("registry:import_list"), {"q": "lop-6"}).content.decode()
    assert "lop-6.xlsx" in page
    page = clerk_client.get(reverse("registry:import_list"), {"kind": "staff"}).content.decode()
    assert "lop-6.xlsx" not in page
    exported = clerk_client.get(reverse("registry:import_list"), {"export": "xlsx"})
    ws = load_workbook(io.BytesIO(exported.content)).active
    assert ws.cell(row=2, column=1).value == "lop-6.xlsx"


def test_uploaded_file_and_validated_rows_are_deleted_once_committed(world, django_capture_on_commit_callbacks):
    from edudx.core.permissions import Actor
    from edudx.registry.imports import services as import_services

    clerk = Actor(user=world.school1.users["clerk"])
    data = xlsx([c.header for c in COLUMNS["students"]], student_rows(2))
    job = import_services.import_upload(
        actor=clerk, school=world.school1.school, kind="students", uploaded=upload_file(data)
    )
    assert job.status == ImportStatus.PREVIEW
    blob, upload = job.summary["rows_blob"], job.file.name
    assert job.file.storage.exists(blob) and job.file.storage.exists(upload)
    with django_capture_on_commit_callbacks(execute=True):
        job = import_services.import_commit_run(actor=clerk, job_id=job.pk)
    assert job.status == ImportStatus.DONE
    assert not job.file.storage.exists(blob)
    assert not job.file.storage.exists(upload)
