import datetime as dt
import json

import pytest
from django.db import connection

from edudx.core.audit import verify_chain
from edudx.core.errors import NotPermitted, ValidationFailed
from edudx.core.models import AuditEvent, SensitiveRead
from edudx.core.permissions import Actor
from edudx.registry import services
from edudx.registry.enums import GuardianRelation, Sex, StaffPosition, StudentStatus
from edudx.registry.models import (
    ClassMembership,
    Grade,
    GuardianLink,
    Person,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    StudentSchoolStint,
    Subject,
    TeachingAssignment,
)

BORN = dt.date(2015, 5, 5)
GOOD_ID_MALE_2015 = "079215000123"  # HCM code 079, digit 4 = 2 (2000s, male), year 15


def actor(user):
    return Actor(user=user)


def principal(world, n=1):
    return actor(getattr(world, f"school{n}").users["principal"])


def new_student(world, **extra):
    values = {
        "school": world.school1.school,
        "moet_code": "7400000999",
        "full_name": "Nguyễn Văn Ân",
        "date_of_birth": BORN,
        "sex": Sex.MALE,
        "personal_id": GOOD_ID_MALE_2015,
        "enrolled_on": dt.date(2025, 9, 5),
        "school_class": world.school1.class_a,
    }
    values.update(extra)
    return services.student_create(actor=principal(world), **values)


# --- personal ID: validation, encryption at rest, audit masking ------------------------------


@pytest.mark.parametrize(
    "value, born, sex, fragment",
    [
        ("12345", BORN, Sex.MALE, "12 chữ số"),
        ("07921500012a", BORN, Sex.MALE, "12 chữ số"),
        ("999215000123", BORN, Sex.MALE, "Mã tỉnh"),
        ("079315000123", BORN, Sex.MALE, "thế kỷ và giới tính"),  # female digit for a boy
        ("079014000123", BORN, Sex.MALE, "thế kỷ và giới tính"),  # 1900s digit
        ("079216000123", BORN, Sex.MALE, "5–6"),  # born 2016 per number, 2015 per record
    ],
)
def test_student_create_rejects_invalid_personal_id(world, value, born, sex, fragment):
    with pytest.raises(ValidationFailed) as exc:
        new_student(world, personal_id=value, date_of_birth=born, sex=sex)
    assert fragment in exc.value.message
    assert not Student.objects.filter(moet_code="7400000999").exists()
    assert not Person.objects.filter(full_name="Nguyễn Văn Ân").exists()


def test_personal_id_is_encrypted_at_rest_and_masked_in_audit(world):
    student = new_student(world)
    person = student.person
    assert person.personal_id_last3 == "123"
    assert person.personal_id_masked.endswith("123") and "079215" not in person.personal_id_masked
    with connection.cursor() as cursor:
        cursor.execute("SELECT personal_id_encrypted, personal_id_hash FROM registry_person WHERE id = %s", [person.pk])
        encrypted, digest = cursor.fetchone()
    assert GOOD_ID_MALE_2015 not in encrypted
    assert GOOD_ID_MALE_2015 not in digest
    assert encrypted and digest
    events = AuditEvent.objects.filter(object_id=str(student.pk), action="student.create")
    assert events.count() == 1
    dumped = json.dumps([e.after for e in AuditEvent.objects.all()], ensure_ascii=False)
    assert GOOD_ID_MALE_2015 not in dumped
    assert encrypted not in dumped
    assert "personal_id_encrypted" not in dumped
    assert events.get().after["person"]["personal_id"] == person.personal_id_masked
    assert verify_chain().ok


def test_duplicate_personal_id_is_refused(world):
    new_student(world)
    with pytest.raises(ValidationFailed, match="đã được gán"):
        new_student(world, moet_code="7400000998", full_name="Trần Văn Bình")


def test_update_of_birth_date_must_still_agree_with_number(world):
    student = new_student(world)
    with pytest.raises(ValidationFailed):
        services.student_update(actor=principal(world), student=student, date_of_birth=dt.date(2016, 1, 1))
    student.person.refresh_from_db()
    assert student.person.date_of_birth == BORN


def test_person_update_new_number_is_audited_masked(world):
    student = new_student(world)
    services.person_update(
        actor=principal(world), person=student.person, personal_id="001215000456", phone="0901234567"
    )
    event = AuditEvent.objects.filter(action="person.update").get()
    assert event.before["personal_id"].endswith("123")
    assert event.after["personal_id"].endswith("456")
    assert "001215000456" not in json.dumps(event.after)


def test_person_update_by_other_school_is_refused(world):
    student = new_student(world)
    with pytest.raises(NotPermitted):
        services.person_update(actor=principal(world, 2), person=student.person, phone="0900000000")


def test_oneself_may_update_contacts_but_not_the_number(world):
    me = world.school1.students_a[1].person  # linked to the student's own account
    who = actor(world.school1.users["student"])
    services.person_update(actor=who, person=me, phone="0987654321")
    with pytest.raises(NotPermitted):
        services.person_update(actor=who, person=me, personal_id="079314000999")
    me.refresh_from_db()
    assert me.phone == "0987654321" and me.personal_id_last3 != "999"


def test_reveal_requires_reason_and_capability_and_is_logged(world):
    student = new_student(world)
    with pytest.raises(ValidationFailed):
        services.personal_id_reveal(actor=principal(world), person=student.person, reason="  ")
    # A clerk may change students but may not reveal; another school's principal may not either.
    for user in (world.school1.users["clerk"], world.school2.users["principal"]):
        with pytest.raises(NotPermitted):
            services.personal_id_reveal(actor=actor(user), person=student.person, reason="Đối chiếu hồ sơ")
    assert SensitiveRead.objects.count() == 0
    number = services.personal_id_reveal(
        actor=principal(world), person=student.person, reason="Đối chiếu hồ sơ chuyển trường"
    )
    assert number == GOOD_ID_MALE_2015
    read = SensitiveRead.objects.get()
    assert read.actor == world.school1.users["principal"]
    assert read.object_id == str(student.person.pk) and read.field == "personal_id"
    assert read.reason == "Đối chiếu hồ sơ chuyển trường"
    event = AuditEvent.objects.get(action="person.personal_id_reveal")
    assert event.reason == "Đối chiếu hồ sơ chuyển trường"
    assert GOOD_ID_MALE_2015 not in json.dumps(event.after)
    # The authority leader holds student.reveal over the whole subtree.
    leader = actor(world.authority_users["authority_leader"])
    assert services.personal_id_reveal(actor=leader, person=student.person, reason="Thanh tra") == GOOD_ID_MALE_2015


def test_reveal_of_staff_number_needs_staff_change(world):
    staff = services.staff_create(
        actor=principal(world),
        unit=world.school1.school,
        position=StaffPosition.TEACHER,
        person_values={"full_name": "Lê Thị Hoa", "date_of_birth": dt.date(1990, 2, 2), "sex": Sex.FEMALE},
        personal_id="079190000777",
    )
    clerk = actor(world.school1.users["clerk"])  # clerk holds staff.change
    assert services.personal_id_reveal(actor=clerk, person=staff.person, reason="Lập hồ sơ lương") == "079190000777"
    with pytest.raises(NotPermitted):
        services.personal_id_reveal(
            actor=actor(world.school1.users["vice_principal"]), person=staff.person, reason="Xem"
        )


def test_find_by_personal_id_is_exact_and_filtered_by_policy(world):
    student = new_student(world)
    assert services.person_find_by_personal_id(actor=principal(world), value=GOOD_ID_MALE_2015) == student.person
    assert services.person_find_by_personal_id(actor=principal(world), value="079215000124") is None
    assert services.person_find_by_personal_id(actor=principal(world), value="07921500012") is None
    assert services.person_find_by_personal_id(actor=principal(world, 2), value=GOOD_ID_MALE_2015) is None


# --- students -------------------------------------------------------------------------------


def test_student_create_permissions(world):
    for user in (world.school2.users["principal"], world.school1.users["homeroom_teacher"], world.nobody):
        with pytest.raises(NotPermitted):
            services.student_create(actor=actor(user), school=world.school1.school, moet_code="X1", full_name="Ai Đó")
    assert not Student.objects.filter(moet_code="X1").exists()


def test_student_create_opens_stint_and_membership(world):
    student = new_student(world)
    stint = StudentSchoolStint.objects.get(student=student)
    assert stint.school == world.school1.school and stint.ended_on is None
    assert ClassMembership.objects.get(student=student).school_class == world.school1.class_a


def test_moet_code_unique_and_immutable(world):
    student = new_student(world)
    with pytest.raises(ValidationFailed, match="đã tồn tại"):
        new_student(world, full_name="Khác", personal_id="")
    with pytest.raises(ValidationFailed, match="không được thay đổi"):
        services.student_update(actor=principal(world), student=student, moet_code="7400000111")
    student.refresh_from_db()
    assert student.moet_code == "7400000999"
    # The same code passed again is not a change.
    services.student_update(actor=principal(world), student=student, moet_code="7400000999", phone="0909")
    assert Person.objects.get(pk=student.person_id).phone == "0909"


def test_transfer_closes_and_opens_and_keeps_history(world):
    student = world.school1.students_a[2]
    on = dt.date(2026, 2, 1)
    clerk = actor(world.school1.users["clerk"])
    services.student_transfer(
        actor=clerk, student=student, to_school=world.school2.school, on=on, reason="Gia đình chuyển nơi ở"
    )
    student.refresh_from_db()
    assert student.school == world.school2.school
    assert student.status == StudentStatus.STUDYING
    stints = list(StudentSchoolStint.objects.filter(student=student).order_by("started_on", "id"))
    assert [(s.school_id, s.started_on, s.ended_on) for s in stints] == [
        (world.school1.school.pk, dt.date(2025, 9, 5), on),
        (world.school2.school.pk, on, None),
    ]
    membership = ClassMembership.objects.get(student=student)
    assert membership.left_on == on
    # The destination sees the student; the source no longer does.
    from edudx.core.permissions import policy_for

    assert policy_for(Student).visible(principal(world, 2)).filter(pk=student.pk).exists()
    assert not policy_for(Student).visible(principal(world, 1)).filter(pk=student.pk).exists()
    event = AuditEvent.objects.get(action="student.transfer")
    assert event.reason == "Gia đình chuyển nơi ở" and event.org_unit == world.school1.school


def test_transfer_refusals(world):
    student = world.school1.students_a[2]
    cases = [
        (actor(world.school2.users["principal"]), world.school2.school, "Lý do", NotPermitted),
        (actor(world.school1.users["homeroom_teacher"]), world.school2.school, "Lý do", NotPermitted),
        (principal(world), world.school2.school, "", ValidationFailed),
        (principal(world), world.school1.school, "Lý do", ValidationFailed),
        (principal(world), world.authority, "Lý do", ValidationFailed),
    ]
    for who, to_school, reason, error in cases:
        with pytest.raises(error):
            services.student_transfer(
                actor=who, student=student, to_school=to_school, on=dt.date(2026, 2, 1), reason=reason
            )
    with pytest.raises(ValidationFailed, match="Ngày chuyển"):
        services.student_transfer(
            actor=principal(world), student=student, to_school=world.school2.school, on=dt.date(2020, 1, 1), reason="x"
        )
    student.refresh_from_db()
    assert student.school == world.school1.school
    assert not StudentSchoolStint.objects.filter(student=student).exists()


# --- classes, memberships, teaching ---------------------------------------------------------


def test_class_create_validates_grade_and_homeroom(world):
    s1 = world.school1
    with pytest.raises(ValidationFailed, match="cấp học"):
        services.class_create(
            actor=principal(world), school=s1.school, year=world.year, grade=Grade.objects.get(code="3"), name="3A"
        )
    with pytest.raises(ValidationFailed, match="Giáo viên chủ nhiệm"):
        services.class_create(
            actor=principal(world),
            school=s1.school,
            year=world.year,
            grade=Grade.objects.get(code="7"),
            name="7A1",
            homeroom_teacher=world.school2.homeroom_a,
        )
    with pytest.raises(ValidationFailed, match="đã chủ nhiệm"):
        services.class_create(
            actor=principal(world),
            school=s1.school,
            year=world.year,
            grade=Grade.objects.get(code="7"),
            name="7A1",
            homeroom_teacher=s1.homeroom_a,
        )
    with pytest.raises(ValidationFailed, match="đã có"):
        services.class_create(
            actor=principal(world), school=s1.school, year=world.year, grade=Grade.objects.get(code="6"), name="6a1"
        )
    with pytest.raises(NotPermitted):
        services.class_create(
            actor=principal(world, 2), school=s1.school, year=world.year, grade=Grade.objects.get(code="7"), name="7A1"
        )
    klass = services.class_create(
        actor=principal(world),
        school=s1.school,
        year=world.year,
        grade=Grade.objects.get(code="7"),
        name=" 7A1 ",
        homeroom_teacher=s1.subject_teacher,
    )
    assert klass.name == "7A1" and klass.homeroom_teacher == s1.subject_teacher
    assert AuditEvent.objects.filter(action="class.create", object_id=str(klass.pk)).exists()
    updated = services.class_update(actor=principal(world), school_class=klass, homeroom_teacher=None, name="7A2")
    assert updated.homeroom_teacher is None and updated.name == "7A2"


def test_membership_add_and_move(world):
    s1 = world.school1
    student = new_student(world, school_class=None)
    with pytest.raises(ValidationFailed, match="chưa thuộc lớp"):
        services.class_membership_move(actor=principal(world), student=student, to_class=s1.class_b)
    services.class_membership_add(
        actor=principal(world), student=student, school_class=s1.class_a, on=dt.date(2025, 9, 6)
    )
    with pytest.raises(ValidationFailed, match="chuyển lớp"):
        services.class_membership_add(actor=principal(world), student=student, school_class=s1.class_b)
    services.class_membership_move(
        actor=principal(world), student=student, to_class=s1.class_b, on=dt.date(2025, 10, 1)
    )
    rows = list(ClassMembership.objects.filter(student=student).order_by("joined_on"))
    assert [(r.school_class_id, r.left_on) for r in rows] == [
        (s1.class_a.pk, dt.date(2025, 10, 1)),
        (s1.class_b.pk, None),
    ]
    with pytest.raises(ValidationFailed, match="không thuộc trường"):
        services.class_membership_move(actor=principal(world, 2), student=student, to_class=world.school2.class_a)


def test_teaching_assignment_set_and_remove(world):
    s1 = world.school1
    toan = Subject.objects.get(code="TOAN")
    with pytest.raises(ValidationFailed, match="công tác tại trường"):
        services.teaching_assignment_set(
            actor=principal(world), school_class=s1.class_b, subject=toan, staff=world.school2.subject_teacher
        )
    with pytest.raises(ValidationFailed, match="cấp học"):
        services.teaching_assignment_set(
            actor=principal(world), school_class=s1.class_b, subject=Subject.objects.get(code="TV"), staff=s1.homeroom_a
        )
    assignment = services.teaching_assignment_set(
        actor=principal(world), school_class=s1.class_b, subject=toan, staff=s1.homeroom_a
    )
    assert TeachingAssignment.objects.filter(school_class=s1.class_b, subject=toan).get().staff == s1.homeroom_a
    event = AuditEvent.objects.get(action="class.teaching_assignment_set")
    assert event.before["staff"] == s1.subject_teacher.pk and event.after["staff"] == s1.homeroom_a.pk
    services.teaching_assignment_remove(actor=principal(world), assignment=assignment)
    assert not TeachingAssignment.objects.filter(school_class=s1.class_b, subject=toan).exists()


# --- guardians and staff --------------------------------------------------------------------


def test_guardian_link_create_and_remove(world):
    student = world.school1.students_a[1]
    clerk = actor(world.school1.users["clerk"])
    with pytest.raises(NotPermitted):
        services.guardian_link_create(
            actor=actor(world.school1.users["accountant"]),
            student=student,
            relation=GuardianRelation.MOTHER,
            full_name="Phạm Thị Lan",
        )
    link = services.guardian_link_create(
        actor=clerk,
        student=student,
        relation=GuardianRelation.MOTHER,
        full_name="Phạm Thị Lan",
        phone="0912345678",
        is_primary=True,
    )
    assert link.guardian.full_name == "Phạm Thị Lan" and link.is_primary
    with pytest.raises(ValidationFailed, match="đã được liên kết"):
        services.guardian_link_create(
            actor=clerk, student=student, relation=GuardianRelation.MOTHER, guardian=link.guardian
        )
    services.guardian_link_remove(actor=clerk, link=link)
    assert not GuardianLink.objects.filter(pk=link.pk).exists()
    assert AuditEvent.objects.filter(action="guardian.link_remove", object_id=str(link.pk)).exists()


def test_staff_create_and_update(world):
    clerk = actor(world.school1.users["clerk"])
    toan, tin = Subject.objects.get(code="TOAN"), Subject.objects.get(code="TIN")
    with pytest.raises(ValidationFailed, match="khoá bồi dưỡng"):
        services.staff_create(
            actor=clerk,
            unit=world.school1.school,
            position=StaffPosition.TEACHER,
            person_values={"full_name": "Võ Minh Tuấn"},
            digital_skills_trained_on=dt.date(2025, 6, 1),
        )
    staff = services.staff_create(
        actor=clerk,
        unit=world.school1.school,
        position=StaffPosition.TEACHER,
        subjects=[toan],
        person_values={"full_name": "Võ Minh Tuấn"},
        qualification="bachelor",
        digital_skills_trained_on=dt.date(2025, 6, 1),
        digital_skills_course="Bồi dưỡng năng lực số cho giáo viên 2025",
        signing_certificate_ref="VNPT-CA 5403A1",
    )
    assert list(staff.subjects.all()) == [toan]
    services.staff_update(actor=clerk, staff=staff, subjects=[toan, tin], position=StaffPosition.VICE_PRINCIPAL)
    staff.refresh_from_db()
    assert staff.position == StaffPosition.VICE_PRINCIPAL
    event = AuditEvent.objects.get(action="staff.update")
    assert event.before["subjects"] == ["TOAN"] and event.after["subjects"] == ["TIN", "TOAN"]
    with pytest.raises(NotPermitted):
        services.staff_update(actor=actor(world.school2.users["clerk"]), staff=staff, position=StaffPosition.STAFF)
    with pytest.raises(ValidationFailed):
        services.staff_update(actor=clerk, staff=staff, digital_skills_trained_on=dt.date(2099, 1, 1))
    assert StaffMember.objects.get(pk=staff.pk).position == StaffPosition.VICE_PRINCIPAL


# --- school years ---------------------------------------------------------------------------


def test_school_year_create_validates_order_and_permission(world):
    leader = actor(world.authority_users["authority_leader"])
    dates = {
        "starts_on": dt.date(2026, 9, 5),
        "semester1_ends_on": dt.date(2027, 1, 15),
        "semester2_starts_on": dt.date(2027, 1, 18),
        "ends_on": dt.date(2027, 5, 31),
    }
    with pytest.raises(NotPermitted):
        services.school_year_create(actor=principal(world), code="2026-2027", **dates)
    with pytest.raises(ValidationFailed, match="dạng"):
        services.school_year_create(actor=leader, code="2026-2028", **dates)
    with pytest.raises(ValidationFailed, match="thứ tự"):
        services.school_year_create(
            actor=leader, code="2026-2027", **{**dates, "semester2_starts_on": dt.date(2027, 1, 10)}
        )
    with pytest.raises(ValidationFailed, match="đã tồn tại"):
        services.school_year_create(
            actor=leader, code="2025-2026", **{k: v.replace(year=v.year - 1) for k, v in dates.items()}
        )
    year = services.school_year_create(actor=leader, code="2026-2027", is_current=True, **dates)
    assert year.is_current
    assert list(SchoolYear.objects.filter(is_current=True)) == [year]
    assert SchoolClass.objects.filter(year=year).count() == 0
