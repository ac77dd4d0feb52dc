"""Guardian, staff and class imports: happy path, re-import, and the errors that need the database."""

from __future__ import annotations

import pytest
from django.urls import reverse

from edudx.core.audit import verify_chain
from edudx.core.crypto import decrypt
from edudx.registry.enums import ImportStatus
from edudx.registry.imports.rules import COLUMNS
from edudx.registry.models import GuardianLink, ImportJob, Person, SchoolClass, StaffMember
from edudx.testing import login_verified

from .test_import_students import post_upload, xlsx

G = [c.header for c in COLUMNS["guardians"]]
S = [c.header for c in COLUMNS["staff"]]
C = [c.header for c in COLUMNS["classes"]]


@pytest.fixture
def clerk_client(client, world):
    login_verified(client, world.school1.users["clerk"])
    return client


def last_job():
    return ImportJob.objects.order_by("-pk").first()


def commit(client, job):
    client.post(reverse("registry:import_commit", args=[job.pk]))
    job.refresh_from_db()
    return job


def test_guardians(clerk_client, world):
    s1, s2 = world.school1.students_a[1], world.school1.students_a[2]
    rows = [
        [s1.moet_code, "Đỗ Văn Hùng", "Cha", "0912345678", "hung@example.com", "079080001234"],
        [s2.moet_code, "Đỗ Văn Hùng", "Cha", "0912345678", "hung@example.com", "079080001234"],  # same father
        [s1.moet_code, "Trần Thị Thu", "Mẹ", "0987654321", "", ""],
    ]
    data = xlsx(G, rows, "Phụ huynh")
    post_upload(clerk_client, world.school1.school, "guardians", data)
    job = last_job()
    assert job.status == ImportStatus.PREVIEW, job.errors
    assert job.summary["create"] == 3
    job = commit(clerk_client, job)
    assert job.status == ImportStatus.DONE
    father = Person.objects.get(full_name="Đỗ Văn Hùng")  # one person for both children
    assert decrypt(father.personal_id_encrypted) == "079080001234"
    assert set(GuardianLink.objects.filter(guardian=father).values_list("student_id", flat=True)) == {s1.pk, s2.pk}
    assert GuardianLink.objects.get(guardian=father, student=s1).is_primary

    post_upload(clerk_client, world.school1.school, "guardians", data)
    job = last_job()
    assert (job.summary["create"], job.summary["update"], job.summary["unchanged"]) == (0, 0, 3)
    rows[2][2] = "Người giám hộ"
    rows[2][4] = "thu@example.com"
    post_upload(clerk_client, world.school1.school, "guardians", xlsx(G, rows, "Phụ huynh"))
    job = commit(clerk_client, last_job())
    assert (job.summary["create"], job.summary["update"]) == (0, 1)
    link = GuardianLink.objects.get(guardian__full_name="Trần Thị Thu")
    assert link.relation == "guardian" and link.guardian.email == "thu@example.com"
    assert GuardianLink.objects.filter(student__in=[s1, s2]).count() == 3
    assert verify_chain().ok


def test_guardian_errors(clerk_client, world):
    other = world.school2.students_a[0].moet_code
    rows = [
        ["7999999999", "Đỗ Văn Hùng", "Cha", "0912345678", "", ""],  # unknown learner
        [other, "Đỗ Văn Hùng", "Cha", "0912345678", "", ""],  # learner of another school
        [world.school1.students_a[1].moet_code, "Đỗ Văn Hùng", "Chú", "12", "không-phải-email", ""],
        [world.school1.students_a[1].moet_code, "Đỗ Văn Hải", "Cha", "", "", ""],  # neither ID nor phone
    ]
    before = GuardianLink.objects.count()
    post_upload(clerk_client, world.school1.school, "guardians", xlsx(G, rows, "Phụ huynh"))
    job = last_job()
    assert job.status == ImportStatus.INVALID
    found = {(e["row"], e["column"]) for e in job.errors}
    assert {
        (2, "Mã học sinh"),
        (3, "Mã học sinh"),
        (4, "Quan hệ"),
        (4, "Điện thoại"),
        (4, "Email"),
        (5, "Điện thoại"),
    } <= found
    assert GuardianLink.objects.count() == before


def test_staff_then_classes(clerk_client, world):
    rows = [
        ["GV101", "Ngô Thị Mai", "20/11/1985", "Nữ", "Giáo viên", "TOAN, TIN", "Đại học", "15/08/2025", "079185001234"],
        ["GV102", "Lý Văn Nam", "", "", "Nhân viên", "", "", "", ""],
    ]
    data = xlsx(S, rows, "Cán bộ")
    post_upload(clerk_client, world.school1.school, "staff", data)
    job = commit(clerk_client, last_job())
    assert job.status == ImportStatus.DONE, job.errors
    mai = StaffMember.objects.get(org_unit=world.school1.school, staff_code="GV101")
    assert sorted(mai.subjects.values_list("code", flat=True)) == ["TIN", "TOAN"]
    assert mai.qualification == "bachelor" and mai.position == "teacher"
    post_upload(clerk_client, world.school1.school, "staff", data)
    assert last_job().summary["unchanged"] == 2
    rows[0][5] = "TOAN"
    post_upload(clerk_client, world.school1.school, "staff", xlsx(S, rows, "Cán bộ"))
    job = commit(clerk_client, last_job())
    assert job.summary["update"] == 1
    assert list(mai.subjects.values_list("code", flat=True)) == ["TOAN"]
    assert StaffMember.objects.filter(org_unit=world.school1.school, staff_code__startswith="GV1").count() == 2

    classes = [["7A1", "7", "GV101"], ["6A1", "6", "GV101"], ["8A1", "8", ""]]
    post_upload(clerk_client, world.school1.school, "classes", xlsx(C, classes, "Lớp"))
    job = last_job()
    assert (job.summary["create"], job.summary["update"]) == (2, 1), job.errors
    commit(clerk_client, job)
    assert SchoolClass.objects.get(school=world.school1.school, name="7A1").homeroom_teacher == mai
    world.school1.class_a.refresh_from_db()
    assert world.school1.class_a.homeroom_teacher == mai
    assert verify_chain().ok


def test_class_and_staff_errors(clerk_client, world):
    post_upload(
        clerk_client,
        world.school1.school,
        "classes",
        xlsx(C, [["7A1", "7", "KHONGCO"], ["1A", "1", ""], ["9B", "X", ""]], "Lớp"),
    )
    job = last_job()
    assert job.status == ImportStatus.INVALID
    assert {(2, "GVCN (mã cán bộ)"), (3, "Khối"), (4, "Khối")} <= {(e["row"], e["column"]) for e in job.errors}
    rows = [
        ["GV1", "Ngô Thị Mai", "20/11/2090", "Nữ", "Bảo vệ", "TOAN,XYZ", "", "", ""],
        ["GV1", "B", "", "", "Giáo viên", "", "", "", ""],
    ]
    post_upload(clerk_client, world.school1.school, "staff", xlsx(S, rows, "Cán bộ"))
    job = last_job()
    found = {(e["row"], e["column"]) for e in job.errors}
    assert {(2, "Ngày sinh"), (2, "Chức vụ"), (2, "Môn dạy"), (3, "Mã cán bộ")} <= found
    assert not StaffMember.objects.filter(staff_code="GV1").exists()
