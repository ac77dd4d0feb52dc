"""Writes about people in the registry: persons, students, classes, guardians, staff, school years.

Every function is keyword-only and atomic: permission first, then validation (Vietnamese messages),
then the write and its audit event in the same transaction. The personal ID number (số định danh cá
nhân, Luật Căn cước 2023) is stored only encrypted, looked up by a keyed hash and shown masked; the
audit trail never carries it, and every read of the full value is logged (Nghị định 13/2023, now the
Personal Data Protection Law 2025).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from edudx.core.api import (
    Actor,
    Conflict,
    NotPermitted,
    OrgUnit,
    OrgUnitKind,
    SchoolLevel,
    SensitiveRead,
    ValidationFailed,
    audit,
    policy_for,
)
from edudx.core.crypto import decrypt, lookup_hash
from edudx.core.rules import fold_vietnamese, normalise_name, personal_id_errors

from ..enums import GuardianRelation, Qualification, Sex, StaffPosition, StudentStatus
from ..models import (
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

__all__ = [
    "RolloverClass",
    "RolloverPlan",
    "class_create",
    "class_membership_add",
    "class_membership_move",
    "class_update",
    "guardian_link_create",
    "guardian_link_remove",
    "next_class_name",
    "person_create",
    "person_find_by_personal_id",
    "person_snapshot",
    "person_update",
    "personal_id_reveal",
    "school_year_create",
    "staff_create",
    "staff_update",
    "student_create",
    "student_transfer",
    "student_update",
    "teaching_assignment_remove",
    "teaching_assignment_set",
    "year_rollover_execute",
    "year_rollover_preview",
]

PERSON_FIELDS = ("full_name", "date_of_birth", "sex", "ethnicity", "nationality", "phone", "email", "address")
STAFF_FIELDS = (
    "staff_code",
    "position",
    "qualification",
    "digital_skills_trained_on",
    "digital_skills_course",
    "signing_certificate_ref",
    "is_active",
)
# Last grade of each level: a pupil of that grade completes the level at roll-over (Điều lệ trường
# mầm non, tiểu học, THCS). Liên cấp schools use the level of the class's own grade.
LAST_GRADE = {SchoolLevel.MN: "MG5", SchoolLevel.TH: "5", SchoolLevel.THCS: "9"}

_UNSET: Any = object()


def _user(actor: Actor) -> Any:
    return actor.user


# ---------------------------------------------------------------------------------------------
# Persons and the personal ID number
# ---------------------------------------------------------------------------------------------


def person_snapshot(person: Person) -> dict[str, Any]:
    """What the audit trail may keep about a person: never the encrypted value or its hash."""
    data = audit.snapshot(person, exclude=("personal_id_encrypted", "personal_id_hash", "search_name"))
    data["personal_id"] = person.personal_id_masked
    return data


def _clean_person_fields(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "full_name" in out:
        out["full_name"] = normalise_name(out["full_name"] or "")
        if not out["full_name"]:
            raise ValidationFailed("Họ và tên không được để trống.")
    if out.get("sex") and out["sex"] not in Sex.values:
        raise ValidationFailed("Giới tính không hợp lệ.")
    born = out.get("date_of_birth")
    if born is not None and born > timezone.localdate():
        raise ValidationFailed("Ngày sinh không được sau ngày hôm nay.")
    for key in ("phone", "email", "address", "ethnicity", "nationality"):
        if key in out and out[key] is not None:
            out[key] = str(out[key]).strip()
    return out


def _set_personal_id(person: Person, value: str) -> None:
    """Validate the number against the person's birth date and sex, then store it encrypted."""
    value = (value or "").strip().replace(" ", "")
    errors = personal_id_errors(value, birth_date=person.date_of_birth, sex=person.sex or None)
    if errors:
        raise ValidationFailed(" ".join(errors), details={"personal_id": errors})
    digest = lookup_hash(value)
    if Person.objects.filter(personal_id_hash=digest).exclude(pk=person.pk).exists():
        raise ValidationFailed("Số định danh cá nhân này đã được gán cho một người khác trong hệ thống.")
    person.store_personal_id(value)


def _build_person(values: dict[str, Any], personal_id: str) -> Person:
    values = _clean_person_fields(values)
    if not values.get("full_name"):
        raise ValidationFailed("Họ và tên không được để trống.")
    person = Person(**{k: v for k, v in values.items() if k in PERSON_FIELDS and v is not None})
    if personal_id:
        _set_personal_id(person, personal_id)
    person.save()
    return person


def _may_create_person_in(actor: Actor, unit: OrgUnit | None) -> bool:
    return any(actor.can_in(cap, unit) for cap in ("student.change", "guardian.change", "staff.change"))


@transaction.atomic
def person_create(*, actor: Actor, unit: OrgUnit, personal_id: str = "", **values: Any) -> Person:
    """A person recorded by a unit that keeps students, guardians or staff."""
    if not _may_create_person_in(actor, unit):
        raise NotPermitted("Bạn không có quyền thêm cá nhân tại đơn vị này.")
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationFailed(f"Trường không hợp lệ: {', '.join(sorted(unknown))}.")
    person = _build_person(values, personal_id)
    audit.record(actor=_user(actor), action="person.create", obj=person, org_unit=unit, after=person_snapshot(person))
    return person


def _registrar_may_change(actor: Actor, person: Person) -> bool:
    """Whether the actor may change ``person`` through a student, guardian or staff record (not as oneself)."""
    return (
        policy_for(Student).visible(actor, "change").filter(person=person).exists()
        or policy_for(StaffMember).visible(actor, "change").filter(person=person).exists()
        or policy_for(GuardianLink).visible(actor, "change").filter(guardian=person).exists()
    )


@transaction.atomic
def person_update(*, actor: Actor, person: Person, personal_id: str | None = None, **changes: Any) -> Person:
    """Change a person's details. ``personal_id`` None leaves the number as it is."""
    policy_for(Person).check(actor, "change", person)
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationFailed(f"Trường không hợp lệ: {', '.join(sorted(unknown))}.")
    if personal_id and not _registrar_may_change(actor, person):
        # Oneself may correct contacts, but the number is changed only by the school or authority.
        raise NotPermitted("Chỉ nhà trường hoặc cơ quan quản lý được thay đổi số định danh cá nhân.")
    person = Person.objects.select_for_update().get(pk=person.pk)
    before = person_snapshot(person)
    for key, value in _clean_person_fields(changes).items():
        setattr(person, key, value)
    if personal_id:
        _set_personal_id(person, personal_id)
    elif person.personal_id_encrypted and ("date_of_birth" in changes or "sex" in changes):
        # A new birth date or sex must still agree with the number already on file.
        _set_personal_id(person, decrypt(person.personal_id_encrypted))
    person.save()
    after = person_snapshot(person)
    if after != before:
        audit.record(actor=_user(actor), action="person.update", obj=person, before=before, after=after)
    return person


def _reveal_unit(actor: Actor, person: Person) -> OrgUnit | None:
    """The unit whose rule lets ``actor`` see the full number, or None if no rule does."""
    student = Student.objects.filter(person=person).select_related("school").first()
    if student is not None and policy_for(Student).allows(actor, "reveal", student):
        return student.school
    staff = policy_for(StaffMember).visible(actor, "change").filter(person=person).select_related("org_unit").first()
    if staff is not None:
        return staff.org_unit
    ward = (
        Student.objects.filter(guardian_links__guardian=person)
        .filter(pk__in=policy_for(Student).visible(actor, "reveal").values("pk"))
        .select_related("school")
        .first()
    )
    if ward is not None:
        return ward.school
    return None


@transaction.atomic
def personal_id_reveal(*, actor: Actor, person: Person, reason: str) -> str:
    """Return the full personal ID number, after recording who asked and why."""
    reason = (reason or "").strip()
    unit = _reveal_unit(actor, person)
    if unit is None:
        raise NotPermitted("Bạn không có quyền xem số định danh đầy đủ của người này.")
    if not reason:
        raise ValidationFailed("Cần nêu lý do xem số định danh cá nhân đầy đủ.")
    if not person.personal_id_encrypted:
        raise ValidationFailed("Người này chưa có số định danh cá nhân trong hệ thống.")
    SensitiveRead.objects.create(
        actor=_user(actor),
        object_type=person._meta.label_lower,
        object_id=str(person.pk),
        field="personal_id",
        reason=reason[:500],
    )
    audit.record(
        actor=_user(actor),
        action="person.personal_id_reveal",
        obj=person,
        org_unit=unit,
        after={"field": "personal_id", "shown": person.personal_id_masked},
        reason=reason[:500],
    )
    return decrypt(person.personal_id_encrypted)


def person_find_by_personal_id(*, actor: Actor, value: str) -> Person | None:
    """Exact lookup by the keyed hash, among the persons the actor may see."""
    value = (value or "").strip().replace(" ", "")
    if not re.fullmatch(r"\d{12}", value):
        return None
    return policy_for(Person).visible(actor).filter(personal_id_hash=lookup_hash(value)).first()


# ---------------------------------------------------------------------------------------------
# Students
# ---------------------------------------------------------------------------------------------


def _student_snapshot(student: Student) -> dict[str, Any]:
    return {**audit.snapshot(student), "person": person_snapshot(student.person)}


def _require_school(unit: OrgUnit | None, label: str = "Trường") -> OrgUnit:
    if unit is None or unit.kind != OrgUnitKind.SCHOOL:
        raise ValidationFailed(f"{label} không hợp lệ.")
    if unit.valid_to is not None:
        raise ValidationFailed(f"Trường '{unit.name}' đã ngừng hoạt động.")
    return unit


@transaction.atomic
def student_create(
    *,
    actor: Actor,
    school: OrgUnit,
    moet_code: str,
    full_name: str,
    date_of_birth: dt.date | None = None,
    sex: str = "",
    personal_id: str = "",
    enrolled_on: dt.date | None = None,
    school_class: SchoolClass | None = None,
    **person_values: Any,
) -> Student:
    """Enrol a learner at a school, optionally into a class; opens the first school stint."""
    if not actor.can_in("student.change", school):
        raise NotPermitted("Bạn không có quyền thêm học sinh tại trường này.")
    _require_school(school)
    moet_code = (moet_code or "").strip()
    if not moet_code:
        raise ValidationFailed("Mã học sinh (CSDL ngành) không được để trống.")
    if len(moet_code) > 20:
        raise ValidationFailed("Mã học sinh (CSDL ngành) dài tối đa 20 ký tự.")
    if Student.objects.filter(moet_code=moet_code).exists():
        raise ValidationFailed(f"Mã học sinh '{moet_code}' đã tồn tại.")
    if school_class is not None and school_class.school_id != school.pk:
        raise ValidationFailed("Lớp được chọn không thuộc trường này.")
    person = _build_person(
        {"full_name": full_name, "date_of_birth": date_of_birth, "sex": sex, **person_values}, personal_id
    )
    enrolled_on = enrolled_on or timezone.localdate()
    student = Student.objects.create(person=person, moet_code=moet_code, school=school, enrolled_on=enrolled_on)
    StudentSchoolStint.objects.create(student=student, school=school, started_on=enrolled_on)
    if school_class is not None:
        ClassMembership.objects.create(student=student, school_class=school_class, joined_on=enrolled_on)
    audit.record(
        actor=_user(actor), action="student.create", obj=student, org_unit=school, after=_student_snapshot(student)
    )
    return student


@transaction.atomic
def student_update(
    *,
    actor: Actor,
    student: Student,
    personal_id: str | None = None,
    moet_code: str | None = None,
    status: str | None = None,
    enrolled_on: dt.date | None = None,
    **person_changes: Any,
) -> Student:
    """Change a student's details. The MOET learner code never changes once given."""
    policy_for(Student).check(actor, "change", student)
    student = Student.objects.select_for_update().select_related("person").get(pk=student.pk)
    if moet_code is not None and moet_code.strip() != student.moet_code:
        raise ValidationFailed("Mã học sinh (CSDL ngành) là cố định, không được thay đổi.")
    if status is not None and status not in StudentStatus.values:
        raise ValidationFailed("Tình trạng học sinh không hợp lệ.")
    before = _student_snapshot(student)
    if person_changes or personal_id:
        unknown = set(person_changes) - set(PERSON_FIELDS)
        if unknown:
            raise ValidationFailed(f"Trường không hợp lệ: {', '.join(sorted(unknown))}.")
        person = student.person
        for key, value in _clean_person_fields(person_changes).items():
            setattr(person, key, value)
        if personal_id:
            _set_personal_id(person, personal_id)
        elif person.personal_id_encrypted and ("date_of_birth" in person_changes or "sex" in person_changes):
            _set_personal_id(person, decrypt(person.personal_id_encrypted))
        person.save()
    if status is not None:
        student.status = status
    if enrolled_on is not None:
        student.enrolled_on = enrolled_on
    student.save()
    after = _student_snapshot(student)
    if after != before:
        audit.record(
            actor=_user(actor),
            action="student.update",
            obj=student,
            org_unit=student.school,
            before=before,
            after=after,
        )
    return student


@transaction.atomic
def student_transfer(*, actor: Actor, student: Student, to_school: OrgUnit, on: dt.date, reason: str) -> Student:
    """Move a learner to another school: close the stint and class membership here, open a stint there.

    The sending school decides here (Điều lệ trường THCS/TH, thủ tục chuyển trường); the history of
    stints keeps where the learner was and when.
    """
    student = Student.objects.select_for_update().select_related("school", "person").get(pk=student.pk)
    if not actor.can_in("student.change", student.school) or not policy_for(Student).allows(actor, "change", student):
        raise NotPermitted("Bạn không có quyền chuyển trường cho học sinh này.")
    _require_school(to_school, "Trường chuyển đến")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Cần nêu lý do chuyển trường.")
    if to_school.pk == student.school_id:
        raise ValidationFailed("Trường chuyển đến phải khác trường hiện tại.")
    if student.status != StudentStatus.STUDYING:
        raise ValidationFailed("Chỉ chuyển trường cho học sinh đang học.")
    current = StudentSchoolStint.objects.select_for_update().filter(student=student, ended_on__isnull=True).last()
    started = current.started_on if current else (student.enrolled_on or on)
    if on < started:
        raise ValidationFailed(f"Ngày chuyển trường phải từ {started:%d/%m/%Y} trở đi.")
    before = _student_snapshot(student)
    from_school = student.school
    if current is None:
        # Students loaded before stints were kept: write the stint they are leaving.
        current = StudentSchoolStint(student=student, school=from_school, started_on=started)
    current.ended_on = on
    current.reason = reason[:255]
    current.save()
    closed = ClassMembership.objects.filter(student=student, left_on__isnull=True).update(left_on=on)
    StudentSchoolStint.objects.create(student=student, school=to_school, started_on=on, reason=reason[:255])
    student.school = to_school
    student.status = StudentStatus.STUDYING
    student.save(update_fields=["school", "status", "updated_at"])
    after = {**_student_snapshot(student), "from_school": from_school.pk, "memberships_closed": closed}
    audit.record(
        actor=_user(actor),
        action="student.transfer",
        obj=student,
        org_unit=from_school,
        before=before,
        after=after,
        reason=reason[:500],
    )
    return student


# ---------------------------------------------------------------------------------------------
# Classes and memberships
# ---------------------------------------------------------------------------------------------


def _grade_fits(grade: Grade, school: OrgUnit) -> bool:
    if school.school_level == SchoolLevel.MULTI or not school.school_level:
        return True
    return grade.level == school.school_level


def _check_homeroom(teacher: StaffMember | None, school: OrgUnit, year: SchoolYear, exclude_pk: int | None) -> None:
    if teacher is None:
        return
    if teacher.org_unit_id != school.pk or not teacher.is_active:
        raise ValidationFailed("Giáo viên chủ nhiệm phải là cán bộ đang công tác tại trường này.")
    others = SchoolClass.objects.filter(year=year, homeroom_teacher=teacher)
    taken = (others.exclude(pk=exclude_pk) if exclude_pk is not None else others).first()
    if taken is not None:
        raise ValidationFailed(
            f"Giáo viên {teacher.person.full_name} đã chủ nhiệm lớp {taken.name} trong năm học {year.code}."
        )


@transaction.atomic
def class_create(
    *,
    actor: Actor,
    school: OrgUnit,
    year: SchoolYear,
    grade: Grade,
    name: str,
    homeroom_teacher: StaffMember | None = None,
) -> SchoolClass:
    if not actor.can_in("class.change", school):
        raise NotPermitted("Bạn không có quyền tạo lớp tại trường này.")
    _require_school(school)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("Tên lớp không được để trống.")
    if not _grade_fits(grade, school):
        raise ValidationFailed(f"Khối '{grade.name}' không thuộc cấp học của trường.")
    if SchoolClass.objects.filter(school=school, year=year, name__iexact=name).exists():
        raise ValidationFailed(f"Lớp '{name}' đã có trong năm học {year.code}.")
    _check_homeroom(homeroom_teacher, school, year, None)
    klass = SchoolClass.objects.create(
        school=school, year=year, grade=grade, name=name, homeroom_teacher=homeroom_teacher
    )
    audit.record(actor=_user(actor), action="class.create", obj=klass, org_unit=school, after=audit.snapshot(klass))
    return klass


@transaction.atomic
def class_update(
    *,
    actor: Actor,
    school_class: SchoolClass,
    name: str | None = None,
    grade: Grade | None = None,
    homeroom_teacher: StaffMember | None = _UNSET,
) -> SchoolClass:
    klass = SchoolClass.objects.select_for_update().select_related("school", "year").get(pk=school_class.pk)
    if not actor.can_in("class.change", klass.school):
        raise NotPermitted("Bạn không có quyền sửa lớp này.")
    before = audit.snapshot(klass)
    if name is not None:
        name = " ".join(name.split())
        if not name:
            raise ValidationFailed("Tên lớp không được để trống.")
        if (
            SchoolClass.objects.filter(school=klass.school, year=klass.year, name__iexact=name)
            .exclude(pk=klass.pk)
            .exists()
        ):
            raise ValidationFailed(f"Lớp '{name}' đã có trong năm học {klass.year.code}.")
        klass.name = name
    if grade is not None:
        if not _grade_fits(grade, klass.school):
            raise ValidationFailed(f"Khối '{grade.name}' không thuộc cấp học của trường.")
        klass.grade = grade
    if homeroom_teacher is not _UNSET:
        _check_homeroom(homeroom_teacher, klass.school, klass.year, klass.pk)
        klass.homeroom_teacher = homeroom_teacher
    klass.save()
    after = audit.snapshot(klass)
    if after != before:
        audit.record(
            actor=_user(actor), action="class.update", obj=klass, org_unit=klass.school, before=before, after=after
        )
    return klass


def _check_membership_rights(actor: Actor, student: Student, klass: SchoolClass) -> None:
    if not actor.can_in("student.change", klass.school):
        raise NotPermitted("Bạn không có quyền xếp lớp tại trường này.")
    if student.school_id != klass.school_id:
        raise ValidationFailed("Học sinh không thuộc trường của lớp này.")
    if student.status != StudentStatus.STUDYING:
        raise ValidationFailed("Chỉ xếp lớp cho học sinh đang học.")


@transaction.atomic
def class_membership_add(
    *, actor: Actor, student: Student, school_class: SchoolClass, on: dt.date | None = None
) -> ClassMembership:
    """Put a student into a class; a student is in at most one class per school year."""
    _check_membership_rights(actor, student, school_class)
    on = on or timezone.localdate()
    open_same_year = ClassMembership.objects.filter(
        student=student, left_on__isnull=True, school_class__year_id=school_class.year_id
    ).select_related("school_class")
    current = open_same_year.first()
    if current is not None:
        raise ValidationFailed(
            f"Học sinh đang học lớp {current.school_class.name} năm học này; hãy dùng chức năng chuyển lớp."
        )
    if ClassMembership.objects.filter(student=student, school_class=school_class).exists():
        raise ValidationFailed("Học sinh đã từng ở lớp này; không thể thêm lại.")
    membership = ClassMembership.objects.create(student=student, school_class=school_class, joined_on=on)
    audit.record(
        actor=_user(actor),
        action="class.membership_add",
        obj=student,
        org_unit=school_class.school,
        after={"class": school_class.pk, "class_name": school_class.name, "joined_on": on.isoformat()},
    )
    return membership


@transaction.atomic
def class_membership_move(
    *, actor: Actor, student: Student, to_class: SchoolClass, on: dt.date | None = None
) -> ClassMembership:
    """Move a student from their class to another class of the same school year."""
    _check_membership_rights(actor, student, to_class)
    on = on or timezone.localdate()
    current = (
        ClassMembership.objects.select_for_update()
        .select_related("school_class")
        .filter(student=student, left_on__isnull=True, school_class__year_id=to_class.year_id)
        .first()
    )
    if current is None:
        raise ValidationFailed("Học sinh chưa thuộc lớp nào trong năm học này.")
    if current.school_class_id == to_class.pk:
        raise ValidationFailed("Học sinh đã ở lớp này.")
    if on < current.joined_on:
        raise ValidationFailed(f"Ngày chuyển lớp phải từ {current.joined_on:%d/%m/%Y} trở đi.")
    if ClassMembership.objects.filter(student=student, school_class=to_class).exists():
        raise ValidationFailed("Học sinh đã từng ở lớp này; không thể chuyển lại.")
    current.left_on = on
    current.save(update_fields=["left_on"])
    membership = ClassMembership.objects.create(student=student, school_class=to_class, joined_on=on)
    audit.record(
        actor=_user(actor),
        action="class.membership_move",
        obj=student,
        org_unit=to_class.school,
        before={"class": current.school_class_id, "class_name": current.school_class.name},
        after={"class": to_class.pk, "class_name": to_class.name, "on": on.isoformat()},
    )
    return membership


# ---------------------------------------------------------------------------------------------
# Guardians
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def guardian_link_create(
    *,
    actor: Actor,
    student: Student,
    relation: str,
    guardian: Person | None = None,
    is_primary: bool = False,
    personal_id: str = "",
    **guardian_values: Any,
) -> GuardianLink:
    """Link a guardian to a student: an existing person, or a new one from ``guardian_values``."""
    if not actor.can_in("guardian.change", student.school):
        raise NotPermitted("Bạn không có quyền cập nhật phụ huynh của học sinh này.")
    if relation not in GuardianRelation.values:
        raise ValidationFailed("Quan hệ với học sinh không hợp lệ.")
    if guardian is None:
        guardian = _build_person(guardian_values, personal_id)
        audit.record(
            actor=_user(actor),
            action="person.create",
            obj=guardian,
            org_unit=student.school,
            after=person_snapshot(guardian),
        )
    if guardian.pk == student.person_id:
        raise ValidationFailed("Học sinh không thể là phụ huynh của chính mình.")
    if GuardianLink.objects.filter(guardian=guardian, student=student).exists():
        raise ValidationFailed("Phụ huynh này đã được liên kết với học sinh.")
    if is_primary:
        GuardianLink.objects.filter(student=student, is_primary=True).update(is_primary=False)
    link = GuardianLink.objects.create(guardian=guardian, student=student, relation=relation, is_primary=is_primary)
    audit.record(
        actor=_user(actor),
        action="guardian.link_create",
        obj=link,
        object_label=f"{guardian.full_name} – {student.person.full_name}",
        org_unit=student.school,
        after=audit.snapshot(link),
    )
    return link


@transaction.atomic
def guardian_link_remove(*, actor: Actor, link: GuardianLink) -> None:
    link = GuardianLink.objects.select_related("student__school", "guardian", "student__person").get(pk=link.pk)
    if not actor.can_in("guardian.change", link.student.school):
        raise NotPermitted("Bạn không có quyền cập nhật phụ huynh của học sinh này.")
    before = audit.snapshot(link)
    label = f"{link.guardian.full_name} – {link.student.person.full_name}"
    pk = link.pk
    link.delete()
    audit.record(
        actor=_user(actor),
        action="guardian.link_remove",
        object_type="registry.guardianlink",
        object_id=str(pk),
        object_label=label,
        org_unit=link.student.school,
        before=before,
    )


# ---------------------------------------------------------------------------------------------
# Staff and teaching assignments
# ---------------------------------------------------------------------------------------------


def _staff_snapshot(staff: StaffMember) -> dict[str, Any]:
    data = audit.snapshot(staff)
    data["subjects"] = sorted(staff.subjects.values_list("code", flat=True)) if staff.pk else []
    data["person"] = person_snapshot(staff.person)
    return data


def _clean_staff_fields(values: dict[str, Any], unit: OrgUnit) -> dict[str, Any]:
    out = dict(values)
    if "position" in out and out["position"] not in StaffPosition.values:
        raise ValidationFailed("Chức vụ không hợp lệ.")
    if out.get("qualification") and out["qualification"] not in Qualification.values:
        raise ValidationFailed("Trình độ không hợp lệ.")
    trained = out.get("digital_skills_trained_on")
    if trained is not None and trained > timezone.localdate():
        raise ValidationFailed("Ngày hoàn thành bồi dưỡng kỹ năng số không được sau ngày hôm nay.")
    if trained is not None and not (out.get("digital_skills_course") or "").strip():
        raise ValidationFailed("Cần ghi tên khoá bồi dưỡng kỹ năng số đã hoàn thành.")
    for key in ("staff_code", "digital_skills_course", "signing_certificate_ref"):
        if key in out and out[key] is not None:
            out[key] = str(out[key]).strip()
    return out


def _check_subjects(subjects: list[Subject], unit: OrgUnit) -> None:
    level = unit.school_level
    if level in (SchoolLevel.TH, SchoolLevel.THCS):
        wrong = [s.name for s in subjects if level not in s.levels.split(",")]
        if wrong:
            raise ValidationFailed(f"Môn không dạy ở cấp học của đơn vị: {', '.join(wrong)}.")


@transaction.atomic
def staff_create(
    *,
    actor: Actor,
    unit: OrgUnit,
    position: str,
    person: Person | None = None,
    subjects: list[Subject] | None = None,
    personal_id: str = "",
    person_values: dict[str, Any] | None = None,
    **values: Any,
) -> StaffMember:
    """Record a person working at ``unit``: an existing person, or a new one from ``person_values``."""
    if not actor.can_in("staff.change", unit):
        raise NotPermitted("Bạn không có quyền thêm cán bộ tại đơn vị này.")
    unknown = set(values) - set(STAFF_FIELDS)
    if unknown:
        raise ValidationFailed(f"Trường không hợp lệ: {', '.join(sorted(unknown))}.")
    cleaned = _clean_staff_fields({"position": position, **values}, unit)
    subjects = list(subjects or [])
    _check_subjects(subjects, unit)
    if person is None:
        person = _build_person(person_values or {}, personal_id)
    elif StaffMember.objects.filter(person=person, org_unit=unit).exists():
        raise ValidationFailed("Người này đã có trong danh sách cán bộ của đơn vị.")
    staff = StaffMember.objects.create(person=person, org_unit=unit, **cleaned)
    staff.subjects.set(subjects)
    audit.record(actor=_user(actor), action="staff.create", obj=staff, org_unit=unit, after=_staff_snapshot(staff))
    return staff


@transaction.atomic
def staff_update(
    *,
    actor: Actor,
    staff: StaffMember,
    subjects: list[Subject] | None = None,
    personal_id: str | None = None,
    person_values: dict[str, Any] | None = None,
    **changes: Any,
) -> StaffMember:
    """Change a staff record: position, subjects, qualification, digital-skills training, signing certificate."""
    staff = StaffMember.objects.select_for_update().select_related("org_unit", "person").get(pk=staff.pk)
    policy_for(StaffMember).check(actor, "change", staff)
    unknown = set(changes) - set(STAFF_FIELDS)
    if unknown:
        raise ValidationFailed(f"Trường không hợp lệ: {', '.join(sorted(unknown))}.")
    before = _staff_snapshot(staff)
    merged = {
        "digital_skills_trained_on": staff.digital_skills_trained_on,
        "digital_skills_course": staff.digital_skills_course,
        **changes,
    }
    cleaned = _clean_staff_fields(merged, staff.org_unit)
    for key in changes:
        setattr(staff, key, cleaned[key])
    if person_values or personal_id:
        person = staff.person
        bad = set(person_values or {}) - set(PERSON_FIELDS)
        if bad:
            raise ValidationFailed(f"Trường không hợp lệ: {', '.join(sorted(bad))}.")
        for key, value in _clean_person_fields(person_values or {}).items():
            setattr(person, key, value)
        if personal_id:
            _set_personal_id(person, personal_id)
        elif person.personal_id_encrypted and {"date_of_birth", "sex"} & set(person_values or {}):
            _set_personal_id(person, decrypt(person.personal_id_encrypted))
        person.save()
    staff.save()
    if subjects is not None:
        _check_subjects(list(subjects), staff.org_unit)
        staff.subjects.set(subjects)
    after = _staff_snapshot(staff)
    if after != before:
        audit.record(
            actor=_user(actor),
            action="staff.update",
            obj=staff,
            org_unit=staff.org_unit,
            before=before,
            after=after,
        )
    return staff


@transaction.atomic
def teaching_assignment_set(
    *, actor: Actor, school_class: SchoolClass, subject: Subject, staff: StaffMember, semester: int = 0
) -> TeachingAssignment:
    """Who teaches ``subject`` to ``school_class`` for the whole year (``semester`` 0) or for semester 1 or 2.

    A class and subject has either one whole-year row or per-semester rows, never both: a whole-year assignment
    replaces any per-semester rows; a semester assignment while a whole-year row exists splits it, the previous
    teacher keeping the other semester. When both semesters end up with the same teacher they become one
    whole-year row again. One audit event: ``before`` is the row that covered the semester, ``after`` the new one.
    """
    if not actor.can_in("class.change", school_class.school):
        raise NotPermitted("Bạn không có quyền phân công giảng dạy tại trường này.")
    if semester not in (TeachingAssignment.WHOLE_YEAR, 1, 2):
        raise ValidationFailed("Học kì phân công phải là cả năm, học kì I hoặc học kì II.")
    if staff.org_unit_id != school_class.school_id or not staff.is_active:
        raise ValidationFailed("Giáo viên được phân công phải đang công tác tại trường của lớp.")
    _check_subjects([subject], school_class.school)
    rows = {
        row.semester: row
        for row in TeachingAssignment.objects.select_for_update().filter(school_class=school_class, subject=subject)
    }
    whole = rows.get(TeachingAssignment.WHOLE_YEAR)
    covering = whole or rows.get(semester) or (rows.get(1) or rows.get(2) if semester == 0 else None)
    before = audit.snapshot(covering) if covering else None
    after_extra: dict[str, Any] = {}
    if semester == TeachingAssignment.WHOLE_YEAR:
        replaced = [row for key, row in rows.items() if key != TeachingAssignment.WHOLE_YEAR]
        if replaced:
            after_extra["replaced"] = [audit.snapshot(row) for row in replaced]
            TeachingAssignment.objects.filter(pk__in=[row.pk for row in replaced]).delete()
        assignment = _teaching_row(whole, school_class, subject, staff, TeachingAssignment.WHOLE_YEAR)
    else:
        other = 2 if semester == 1 else 1
        if whole is not None and whole.staff_id != staff.pk:
            # Split: the teacher of the whole year keeps the other semester.
            whole.semester = other
            whole.save(update_fields=["semester"])
            rows = {other: whole}
            after_extra["kept"] = audit.snapshot(whole)
        if whole is not None and whole.staff_id == staff.pk:
            assignment = whole
        elif rows.get(other) is not None and rows[other].staff_id == staff.pk:
            # The same teacher for both semesters is a whole-year assignment.
            merged = rows[other]
            if rows.get(semester) is not None:
                rows[semester].delete()
            merged.semester = TeachingAssignment.WHOLE_YEAR
            merged.save(update_fields=["semester"])
            assignment = merged
        else:
            assignment = _teaching_row(rows.get(semester), school_class, subject, staff, semester)
    audit.record(
        actor=_user(actor),
        action="class.teaching_assignment_set",
        obj=assignment,
        object_label=f"{school_class.name} – {subject.name}",
        org_unit=school_class.school,
        before=before,
        after={**audit.snapshot(assignment), **after_extra},
    )
    return assignment


def _teaching_row(
    row: TeachingAssignment | None, school_class: SchoolClass, subject: Subject, staff: StaffMember, semester: int
) -> TeachingAssignment:
    if row is None:
        return TeachingAssignment.objects.create(
            staff=staff, school_class=school_class, subject=subject, semester=semester
        )
    row.staff = staff
    row.save(update_fields=["staff"])
    return row


@transaction.atomic
def teaching_assignment_remove(*, actor: Actor, assignment: TeachingAssignment) -> None:
    assignment = TeachingAssignment.objects.select_related("school_class__school", "subject").get(pk=assignment.pk)
    school = assignment.school_class.school
    if not actor.can_in("class.change", school):
        raise NotPermitted("Bạn không có quyền phân công giảng dạy tại trường này.")
    before = audit.snapshot(assignment)
    label = f"{assignment.school_class.name} – {assignment.subject.name}"
    pk = assignment.pk
    assignment.delete()
    audit.record(
        actor=_user(actor),
        action="class.teaching_assignment_remove",
        object_type="registry.teachingassignment",
        object_id=str(pk),
        object_label=label,
        org_unit=school,
        before=before,
    )


# ---------------------------------------------------------------------------------------------
# School years and the roll-over
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def school_year_create(
    *,
    actor: Actor,
    code: str,
    starts_on: dt.date,
    semester1_ends_on: dt.date,
    semester2_starts_on: dt.date,
    ends_on: dt.date,
    is_current: bool = False,
) -> SchoolYear:
    """A sector-wide school year with its two semesters, dates in order."""
    if not actor.subtree_paths("year.manage"):
        raise NotPermitted("Bạn không có quyền tạo năm học.")
    code = (code or "").strip()
    match = re.fullmatch(r"(\d{4})-(\d{4})", code)
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise ValidationFailed("Mã năm học phải có dạng 2025-2026 (hai năm liên tiếp).")
    if starts_on.year != int(match.group(1)):
        raise ValidationFailed("Ngày bắt đầu phải thuộc năm đầu của năm học.")
    if not starts_on < semester1_ends_on < semester2_starts_on < ends_on:
        raise ValidationFailed(
            "Các mốc thời gian phải theo thứ tự: bắt đầu năm học < kết thúc học kỳ I "
            "< bắt đầu học kỳ II < kết thúc năm học."
        )
    if SchoolYear.objects.filter(code=code).exists():
        raise ValidationFailed(f"Năm học {code} đã tồn tại.")
    if is_current:
        SchoolYear.objects.filter(is_current=True).update(is_current=False)
    year = SchoolYear.objects.create(
        code=code,
        starts_on=starts_on,
        semester1_ends_on=semester1_ends_on,
        semester2_starts_on=semester2_starts_on,
        ends_on=ends_on,
        is_current=is_current,
    )
    audit.record(actor=_user(actor), action="year.create", obj=year, after=audit.snapshot(year))
    return year


def next_class_name(name: str, grade: Grade, new_grade: Grade) -> str:
    """6A1 → 7A1, MG3B → MG4B: the grade code leading the name moves up; other names stay."""
    # Only numbered grades (6, MG3) carry their number in class names; "NT" groups keep their names.
    if not grade.code[-1:].isdigit() or not name.upper().startswith(grade.code.upper()):
        return name
    rest = name[len(grade.code) :]
    # "1" must not match the start of "12A": the grade code ends where the digits end.
    if rest[:1].isdigit():
        return name
    return new_grade.code + rest


@dataclass
class RolloverClass:
    source: SchoolClass
    students: list[Student]
    completing: bool
    new_name: str = ""
    new_grade: Grade | None = None


@dataclass
class RolloverPlan:
    school: OrgUnit
    from_year: SchoolYear
    to_year: SchoolYear
    classes: list[RolloverClass] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @property
    def promoted_count(self) -> int:
        return sum(len(c.students) for c in self.classes if not c.completing)

    @property
    def completing_count(self) -> int:
        return sum(len(c.students) for c in self.classes if c.completing)

    @property
    def is_possible(self) -> bool:
        return not self.conflicts and bool(self.classes)


def _rollover_check(actor: Actor, school: OrgUnit) -> None:
    if not (actor.can_in("class.change", school) and actor.can_in("student.change", school)):
        raise NotPermitted("Bạn không có quyền chuyển năm học cho trường này.")


def _build_plan(school: OrgUnit, from_year: SchoolYear, to_year: SchoolYear) -> RolloverPlan:
    plan = RolloverPlan(school=school, from_year=from_year, to_year=to_year)
    if to_year.starts_on <= from_year.starts_on:
        plan.conflicts.append(f"Năm học mới {to_year.code} phải sau năm học {from_year.code}.")
    grades = list(Grade.objects.all())
    next_by_level: dict[int, Grade] = {}
    for level in {g.level for g in grades}:
        ordered = sorted((g for g in grades if g.level == level), key=lambda g: g.order)
        for current, following in itertools.pairwise(ordered):
            next_by_level[current.pk] = following
    last_codes = set(LAST_GRADE.values())
    memberships = (
        ClassMembership.objects.filter(
            school_class__school=school,
            school_class__year=from_year,
            left_on__isnull=True,
            student__school=school,
            student__status=StudentStatus.STUDYING,
        )
        .select_related("student__person")
        .order_by("student__person__search_name", "pk")
    )
    by_class: dict[int, list[Student]] = {}
    for membership in memberships:
        by_class.setdefault(membership.school_class_id, []).append(membership.student)
    classes = SchoolClass.objects.filter(school=school, year=from_year).select_related("grade")
    for klass in classes:
        students = by_class.get(klass.pk, [])
        completing = klass.grade.code in last_codes
        item = RolloverClass(source=klass, students=students, completing=completing)
        if not completing:
            new_grade = next_by_level.get(klass.grade_id)
            if new_grade is None:
                plan.conflicts.append(f"Không xác định được khối tiếp theo của lớp {klass.name}.")
            else:
                item.new_grade = new_grade
                item.new_name = next_class_name(klass.name, klass.grade, new_grade)
        plan.classes.append(item)
    if not plan.classes:
        plan.conflicts.append(f"Trường không có lớp nào trong năm học {from_year.code}.")
    new_names = [c.new_name for c in plan.classes if c.new_name]
    seen: set[str] = set()
    for name in new_names:
        if fold_vietnamese(name) in seen:
            plan.conflicts.append(f"Hai lớp cùng được đặt tên mới là {name}.")
        seen.add(fold_vietnamese(name))
    existing = set(
        SchoolClass.objects.filter(school=school, year=to_year, name__in=new_names).values_list("name", flat=True)
    )
    for name in sorted(existing):
        plan.conflicts.append(f"Năm học {to_year.code} đã có lớp {name}.")
    already = (
        ClassMembership.objects.filter(
            school_class__year=to_year, left_on__isnull=True, student__in=[s for c in plan.classes for s in c.students]
        )
        .select_related("student__person", "school_class")
        .order_by("pk")
    )
    for membership in already:
        plan.conflicts.append(
            f"Học sinh {membership.student.person.full_name} đã được xếp lớp {membership.school_class.name} "
            f"năm học {to_year.code}."
        )
    return plan


def year_rollover_preview(*, actor: Actor, school: OrgUnit, from_year: SchoolYear, to_year: SchoolYear) -> RolloverPlan:
    """What the roll-over would do, without writing: new class names, students, completions, conflicts."""
    _rollover_check(actor, school)
    return _build_plan(school, from_year, to_year)


@transaction.atomic
def year_rollover_execute(*, actor: Actor, school: OrgUnit, from_year: SchoolYear, to_year: SchoolYear) -> RolloverPlan:
    """Carry a school's classes into the next year in one transaction; refuse on any conflict.

    Students of the last grade of the level complete it (status graduated); others follow their
    class into the next grade. Decisions to keep a pupil back (ở lại lớp) are taken afterwards by
    moving that pupil between classes.
    """
    _rollover_check(actor, school)
    # Lock the school row so two roll-overs of the same school cannot interleave.
    OrgUnit.objects.select_for_update().filter(pk=school.pk).first()
    plan = _build_plan(school, from_year, to_year)
    if plan.conflicts:
        raise Conflict("Không thể chuyển năm học: " + " ".join(plan.conflicts), details=plan.conflicts)
    if not plan.classes:
        raise ValidationFailed("Không có lớp nào để chuyển năm học.")
    left_on = from_year.ends_on
    joined_on = to_year.starts_on
    summary: list[dict[str, Any]] = []
    graduated: list[int] = []
    for item in plan.classes:
        student_ids = [s.pk for s in item.students]
        ClassMembership.objects.filter(
            school_class=item.source, student_id__in=student_ids, left_on__isnull=True
        ).update(left_on=left_on)
        if item.completing:
            Student.objects.filter(pk__in=student_ids).update(status=StudentStatus.GRADUATED, updated_at=timezone.now())
            StudentSchoolStint.objects.filter(student_id__in=student_ids, ended_on__isnull=True).update(
                ended_on=left_on, reason="Hoàn thành cấp học"
            )
            graduated.extend(student_ids)
            summary.append({"class": item.source.name, "completing": len(student_ids)})
            continue
        assert item.new_grade is not None
        new_class = SchoolClass.objects.create(
            school=school, year=to_year, grade=item.new_grade, name=item.new_name, promoted_from=item.source
        )
        ClassMembership.objects.bulk_create(
            [ClassMembership(student_id=pk, school_class=new_class, joined_on=joined_on) for pk in student_ids]
        )
        summary.append({"class": item.source.name, "new_class": new_class.name, "students": len(student_ids)})
    audit.record(
        actor=_user(actor),
        action="year.rollover",
        obj=school,
        org_unit=school,
        before={"year": from_year.code},
        after={"year": to_year.code, "classes": summary, "graduated": graduated},
    )
    return plan
