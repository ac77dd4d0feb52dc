"""Excel imports: upload, validate every row, preview, then commit all-or-nothing.

The flow, for each kind (students, guardians, staff, classes):

1. ``import_upload`` checks permission, size and content (an XLSX is a zip that openpyxl opens;
   a renamed text, PDF or HTML file is refused and nothing is stored), stores the file and
   validates it — at once for small files, in a background task for large ones.
2. ``import_validate`` reads every row (rules.py), checks what needs the database (unknown class,
   a learner code of another school…) and plans each row: create, update or unchanged. Any error
   makes the job ``invalid`` and nothing is written; otherwise the job is ``preview``.
3. ``import_commit`` re-checks permission, locks the school row, plans again under the lock (two
   commits of the same file then see each other's rows and never duplicate) and writes with
   bulk operations, with one audit event per created or updated record and one for the import.

The parsed rows of a valid file are kept (encrypted) next to the upload, so the commit does not
read the spreadsheet a second time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from edudx.core import audit
from edudx.core.api import Actor, NotPermitted, OrgUnit, OrgUnitKind, ValidationFailed
from edudx.core.crypto import decrypt, encrypt, lookup_hash
from edudx.core.errors import DomainError
from edudx.core.rules import fold_vietnamese
from edudx.core.xlsx import open_workbook

from ..enums import ImportKind, ImportStatus, StudentStatus
from ..models import (
    ClassMembership,
    Grade,
    GuardianLink,
    ImportJob,
    Person,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    StudentSchoolStint,
    Subject,
)
from . import bulk, rules
from .rules import COLUMNS, SHEET_TITLES, CleanRow, Reference, RowError

IMPORT_CAPABILITY = "student.import"
PREVIEW_ROWS = 20
PROGRESS_EVERY = 250
CHUNK = 2000

# ---------------------------------------------------------------------------------------------
# Reading the file
# ---------------------------------------------------------------------------------------------


def _open_workbook(data: bytes) -> Any:
    return open_workbook(data)


def _sheet(workbook: Any, kind: str) -> Any:
    title = SHEET_TITLES[kind]
    if title in workbook.sheetnames:
        return workbook[title]
    return workbook.worksheets[0]


def _raw_rows(data: bytes, kind: str) -> Iterator[tuple[Any, ...]]:
    workbook = _open_workbook(data)
    try:
        yield from _sheet(workbook, kind).iter_rows(values_only=True)
    finally:
        workbook.close()


def _sheet_rows(sheet: Any, data: bytes) -> int:
    """Data rows, from the sheet's dimension (Excel always writes it) or, failing that, by counting
    the row elements of the sheet's XML: a byte count, much cheaper than parsing the sheet."""
    max_row = sheet.max_row
    if max_row is None:
        path = getattr(sheet, "_worksheet_path", None)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read(path) if path in archive.namelist() else b""
        max_row = xml.count(b"<row ") + xml.count(b"<row>")
        if not max_row:
            max_row = sum(1 for _ in sheet.iter_rows(values_only=True))
    return max(0, int(max_row) - 1)


def reference_data(today: dt.date | None = None) -> Reference:
    return Reference(
        today=today or timezone.localdate(),
        grade_codes=frozenset(Grade.objects.values_list("code", flat=True)),
        subject_codes=frozenset(Subject.objects.values_list("code", flat=True)),
    )


def parse_rows(
    kind: str,
    data: bytes | Iterator[tuple[Any, ...]],
    ref: Reference,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[CleanRow], list[RowError]]:
    """Every non-empty row of the file, cleaned, with every error found without the database.
    ``data`` is the file's bytes, or the rows of a sheet already opened."""
    rows: list[CleanRow] = []
    errors: list[RowError] = []
    iterator = _raw_rows(data, kind) if isinstance(data, bytes) else data
    header = next(iterator, None)
    if header is None or rules.is_blank(header):
        return [], [RowError(1, "", "Tệp không có dòng tiêu đề; hãy dùng tệp mẫu.")]
    positions, header_errors = rules.header_map(kind, header)
    if header_errors:
        return [], header_errors
    items = list(positions.items())
    clean_row = rules.clean_row
    for number, values in enumerate(iterator, start=2):
        width = len(values)
        picked = {key: values[i] if i < width else None for key, i in items}
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number - 1)
        if rules.is_blank(picked.values()):
            continue
        clean, row_errors = clean_row(kind, number, picked, ref)
        rows.append(clean)
        errors.extend(row_errors)
    errors.extend(rules.duplicate_errors(kind, rows))
    if not rows and not errors:
        errors.append(RowError(0, "", "Tệp không có dòng dữ liệu nào."))
    return rows, errors


# ---------------------------------------------------------------------------------------------
# Planning: what each row will do, with the checks that need the database
# ---------------------------------------------------------------------------------------------

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
ACTION_LABELS = {CREATE: "Thêm mới", UPDATE: "Cập nhật", UNCHANGED: "Không đổi"}


@dataclass
class Plan:
    errors: list[RowError] = field(default_factory=list)
    actions: list[tuple[str, CleanRow, Any]] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out = {CREATE: 0, UPDATE: 0, UNCHANGED: 0}
        for action, _row, _obj in self.actions:
            out[action] += 1
        return out


def _chunks(values: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _in_chunks(queryset_for: Callable[[list[Any]], Iterable[Any]], values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for chunk in _chunks(sorted(set(values))):
        out.extend(queryset_for(chunk))
    return out


def _pid_hashes(rows: list[CleanRow]) -> None:
    for row in rows:
        pid = row.data.get("personal_id")
        row.data["_pid_hash"] = lookup_hash(pid) if pid else ""


def _person_changes(person: Person, data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, tuple[Any, Any]]:
    """Fields whose file value differs from the stored one. An empty optional cell keeps the stored value."""
    changes: dict[str, tuple[Any, Any]] = {}
    for name in fields:
        new = data.get(name)
        if new in (None, "") and name != "full_name":
            continue
        old = getattr(person, name)
        if old != new:
            changes[name] = (old, new)
    if data.get("_pid_hash") and data["_pid_hash"] != person.personal_id_hash:
        changes["personal_id"] = (person.personal_id_last3, data["personal_id"][-3:])
    return changes


def _plan_students(job: ImportJob, rows: list[CleanRow]) -> Plan:
    plan = Plan()
    classes = {c.name.upper(): c for c in SchoolClass.objects.filter(school_id=job.school_id, year_id=job.year_id)}
    existing = {
        s.moet_code: s
        for s in _in_chunks(
            lambda chunk: Student.objects.filter(moet_code__in=chunk).select_related("person"),
            (r.data["moet_code"] for r in rows),
        )
    }
    _pid_hashes(rows)
    pid_owner = dict(
        _in_chunks(
            lambda chunk: Student.objects.filter(
                school_id=job.school_id, person__personal_id_hash__in=chunk
            ).values_list("person__personal_id_hash", "moet_code"),
            (r.data["_pid_hash"] for r in rows if r.data["_pid_hash"]),
        )
    )
    own_ids = [s.pk for s in existing.values() if s.school_id == job.school_id]
    current_class: dict[int, ClassMembership] = {
        m.student_id: m
        for m in _in_chunks(
            lambda chunk: ClassMembership.objects.filter(
                student_id__in=chunk, school_class__year_id=job.year_id, left_on__isnull=True
            ).select_related("school_class"),
            own_ids,
        )
    }
    plan.context.update(classes=classes, current_class=current_class)
    for row in rows:
        d = row.data
        klass = classes.get((d["class_name"] or "").upper())
        if klass is None and d["class_name"]:
            plan.errors.append(RowError(row.row, "Lớp", f"Lớp «{d['class_name']}» chưa có trong năm học của trường."))
        student = existing.get(d["moet_code"])
        if student is not None and student.school_id != job.school_id:
            plan.errors.append(
                RowError(row.row, "Mã học sinh", f"Mã học sinh {d['moet_code']} thuộc học sinh của trường khác.")
            )
            continue
        owner = pid_owner.get(d["_pid_hash"]) if d["_pid_hash"] else None
        if owner is not None and owner != d["moet_code"]:
            plan.errors.append(
                RowError(row.row, "Số định danh cá nhân", f"Số định danh đã thuộc học sinh mã {owner} của trường.")
            )
        if klass is None:
            continue
        d["_class"] = klass
        if student is None:
            plan.actions.append((CREATE, row, None))
            continue
        changes = _person_changes(student.person, d, ("full_name", "date_of_birth", "sex", "ethnicity", "address"))
        membership = current_class.get(student.pk)
        if membership is None or membership.school_class_id != klass.pk:
            changes["class"] = (membership.school_class.name if membership else "", klass.name)
        d["_changes"] = changes
        plan.actions.append((UPDATE if changes else UNCHANGED, row, student))
    return plan


def _plan_guardians(job: ImportJob, rows: list[CleanRow]) -> Plan:
    plan = Plan()
    students = {
        s.moet_code: s
        for s in _in_chunks(
            lambda chunk: Student.objects.filter(moet_code__in=chunk).only("id", "moet_code", "school_id"),
            (r.data["moet_code"] for r in rows),
        )
    }
    _pid_hashes(rows)
    own = [s.pk for s in students.values() if s.school_id == job.school_id]
    links_by_key: dict[tuple[int, str, str], GuardianLink] = {}
    for link in _in_chunks(
        lambda chunk: GuardianLink.objects.filter(student_id__in=chunk).select_related("guardian"), own
    ):
        g = link.guardian
        if g.personal_id_hash:
            links_by_key[(link.student_id, "id", g.personal_id_hash)] = link
        links_by_key.setdefault((link.student_id, "np", f"{g.search_name}|{g.phone}"), link)
    people_by_hash = {
        p.personal_id_hash: p
        for p in _in_chunks(
            lambda chunk: Person.objects.filter(personal_id_hash__in=chunk),
            (r.data["_pid_hash"] for r in rows if r.data["_pid_hash"]),
        )
    }
    plan.context.update(people_by_hash=people_by_hash)
    for row in rows:
        d = row.data
        if not d["moet_code"]:
            continue
        student = students.get(d["moet_code"])
        if student is None:
            plan.errors.append(RowError(row.row, "Mã học sinh", f"Không có học sinh mã {d['moet_code']}."))
            continue
        if student.school_id != job.school_id:
            plan.errors.append(
                RowError(row.row, "Mã học sinh", f"Mã học sinh {d['moet_code']} thuộc học sinh của trường khác.")
            )
            continue
        d["_student"] = student
        link = None
        if d["_pid_hash"]:
            link = links_by_key.get((student.pk, "id", d["_pid_hash"]))
        if link is None:
            link = links_by_key.get((student.pk, "np", f"{fold_vietnamese(d['full_name'])}|{d['phone']}"))
        if link is None:
            plan.actions.append((CREATE, row, None))
            continue
        changes = _person_changes(link.guardian, d, ("full_name", "phone", "email"))
        if link.relation != d["relation"]:
            changes["relation"] = (link.relation, d["relation"])
        d["_changes"] = changes
        plan.actions.append((UPDATE if changes else UNCHANGED, row, link))
    return plan


def _plan_staff(job: ImportJob, rows: list[CleanRow]) -> Plan:
    plan = Plan()
    existing = {
        s.staff_code: s
        for s in _in_chunks(
            lambda chunk: (
                StaffMember.objects.filter(org_unit_id=job.school_id, staff_code__in=chunk)
                .select_related("person")
                .prefetch_related("subjects")
            ),
            (r.data["staff_code"] for r in rows),
        )
    }
    _pid_hashes(rows)
    people_by_hash = {
        p.personal_id_hash: p
        for p in _in_chunks(
            lambda chunk: Person.objects.filter(personal_id_hash__in=chunk),
            (r.data["_pid_hash"] for r in rows if r.data["_pid_hash"]),
        )
    }
    staffed = dict(
        StaffMember.objects.filter(org_unit_id=job.school_id, person__in=list(people_by_hash.values())).values_list(
            "person_id", "staff_code"
        )
    )
    plan.context.update(people_by_hash=people_by_hash, subjects={s.code: s for s in Subject.objects.all()})
    for row in rows:
        d = row.data
        member = existing.get(d["staff_code"])
        person = people_by_hash.get(d["_pid_hash"]) if d["_pid_hash"] else None
        if person is not None and (member is None or member.person_id != person.pk) and person.pk in staffed:
            plan.errors.append(
                RowError(row.row, "Số định danh", f"Số định danh đã thuộc cán bộ mã {staffed[person.pk] or '?'}.")
            )
            continue
        if member is None:
            plan.actions.append((CREATE, row, None))
            continue
        changes = _person_changes(member.person, d, ("full_name", "date_of_birth", "sex"))
        for name in ("position", "qualification", "digital_skills_trained_on"):
            new = d.get(name)
            if new not in (None, "") and getattr(member, name) != new:
                changes[name] = (getattr(member, name), new)
        current_subjects = sorted(s.code for s in member.subjects.all())
        if d["subjects"] and current_subjects != d["subjects"]:
            changes["subjects"] = (current_subjects, d["subjects"])
        d["_changes"] = changes
        plan.actions.append((UPDATE if changes else UNCHANGED, row, member))
    return plan


def _plan_classes(job: ImportJob, rows: list[CleanRow]) -> Plan:
    plan = Plan()
    school = job.school
    existing = {c.name.upper(): c for c in SchoolClass.objects.filter(school_id=job.school_id, year_id=job.year_id)}
    grades = {g.code: g for g in Grade.objects.all()}
    teachers = {
        s.staff_code: s
        for s in StaffMember.objects.filter(
            org_unit_id=job.school_id,
            staff_code__in=[r.data["homeroom_code"] for r in rows if r.data["homeroom_code"]],
        )
    }
    plan.context.update(grades=grades)
    for row in rows:
        d = row.data
        grade = grades.get(d["grade"])
        if grade is None:
            continue
        if school.school_level and school.school_level not in ("LC", grade.level):
            plan.errors.append(RowError(row.row, "Khối", f"Khối {grade.code} không thuộc cấp học của trường."))
            continue
        teacher = None
        if d["homeroom_code"]:
            teacher = teachers.get(d["homeroom_code"])
            if teacher is None:
                plan.errors.append(
                    RowError(row.row, "GVCN (mã cán bộ)", f"Không có cán bộ mã {d['homeroom_code']} trong trường.")
                )
                continue
        d["_grade"], d["_teacher"] = grade, teacher
        klass = existing.get(d["name"].upper())
        if klass is None:
            plan.actions.append((CREATE, row, None))
            continue
        changes: dict[str, tuple[Any, Any]] = {}
        if klass.grade_id != grade.pk:
            changes["grade"] = (klass.grade_id, grade.code)
        if teacher is not None and klass.homeroom_teacher_id != teacher.pk:
            changes["homeroom_teacher"] = (klass.homeroom_teacher_id, teacher.staff_code)
        d["_changes"] = changes
        plan.actions.append((UPDATE if changes else UNCHANGED, row, klass))
    return plan


PLANNERS: dict[str, Callable[[ImportJob, list[CleanRow]], Plan]] = {
    ImportKind.STUDENTS: _plan_students,
    ImportKind.GUARDIANS: _plan_guardians,
    ImportKind.STAFF: _plan_staff,
    ImportKind.CLASSES: _plan_classes,
}


# ---------------------------------------------------------------------------------------------
# Writing (inside the commit transaction, after the plan found no error)
# ---------------------------------------------------------------------------------------------


def _new_person(d: dict[str, Any], **extra: Any) -> Person:
    person = Person(full_name=d["full_name"], search_name=fold_vietnamese(d["full_name"]), **extra)
    if d.get("personal_id"):
        person.store_personal_id(d["personal_id"])
    return person


def _jsonable(changes: dict[str, tuple[Any, Any]], index: int) -> dict[str, Any]:
    out = {}
    for name, pair in changes.items():
        value = pair[index]
        out[name] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def _apply_person_changes(person: Person, d: dict[str, Any], changes: dict[str, Any], now: dt.datetime) -> set[str]:
    fields: set[str] = set()
    for name in changes:
        if name == "personal_id":
            person.store_personal_id(d["personal_id"])
            fields |= {"personal_id_encrypted", "personal_id_hash", "personal_id_last3"}
        elif hasattr(Person, name) and name not in ("class", "relation", "subjects"):
            setattr(person, name, d[name])
            fields.add(name)
            if name == "full_name":
                person.search_name = fold_vietnamese(d[name])
                fields.add("search_name")
    if fields:
        person.updated_at = now
        fields.add("updated_at")
    return fields


@dataclass
class WriteContext:
    actor: Actor
    job: ImportJob
    today: dt.date
    now: dt.datetime
    events: list[dict[str, Any]] = field(default_factory=list)

    def event(self, action: str, object_type: str, object_id: Any, label: str, **payload: Any) -> None:
        self.events.append(
            {
                "actor": self.actor.user,
                "action": action,
                "object_type": object_type,
                "object_id": str(object_id),
                "object_label": label[:255],
                "org_unit": self.job.school,
                "reason": f"Nhập Excel #{self.job.pk}",
                **payload,
            }
        )


def _joined_on(year: SchoolYear, today: dt.date) -> dt.date:
    return min(max(today, year.starts_on), year.ends_on)


PERSON_COLUMNS = (
    "full_name",
    "search_name",
    "date_of_birth",
    "sex",
    "ethnicity",
    "nationality",
    "personal_id_encrypted",
    "personal_id_hash",
    "personal_id_last3",
    "phone",
    "email",
    "address",
)


def _write_students(ctx: WriteContext, plan: Plan) -> None:
    job, year = ctx.job, ctx.job.year
    assert year is not None
    joined = _joined_on(year, ctx.today)
    creates = [row for action, row, _obj in plan.actions if action == CREATE]
    updates = [(row, obj) for action, row, obj in plan.actions if action == UPDATE]

    # New learners: tuples straight to the lean INSERT (no model instances for 10,000 rows).
    person_rows = []
    for r in creates:
        d = r.data
        stored = Person.personal_id_columns(d["personal_id"])
        person_rows.append(
            (
                d["full_name"],
                fold_vietnamese(d["full_name"]),
                d["date_of_birth"],
                d["sex"],
                d["ethnicity"],
                "Việt Nam",
                stored["personal_id_encrypted"],
                stored["personal_id_hash"],
                stored["personal_id_last3"],
                "",
                "",
                d["address"],
            )
        )
    person_ids = bulk.insert(Person, PERSON_COLUMNS, person_rows)
    student_ids = bulk.insert(
        Student,
        ("person_id", "moet_code", "school_id", "status", "enrolled_on"),
        [
            (pk, r.data["moet_code"], job.school_id, StudentStatus.STUDYING, joined)
            for pk, r in zip(person_ids, creates, strict=True)
        ],
    )
    bulk.insert(
        StudentSchoolStint,
        ("student_id", "school_id", "started_on", "ended_on", "reason"),
        [(pk, job.school_id, joined, None, "") for pk in student_ids],
    )
    membership_rows = [(pk, r.data["_class"].pk, joined, None) for pk, r in zip(student_ids, creates, strict=True)]
    for pk, r, prow in zip(student_ids, creates, person_rows, strict=True):
        d = r.data
        ctx.event(
            "registry.student.import_create",
            "registry.student",
            pk,
            f"{d['full_name']} ({d['moet_code']})",
            after={
                "moet_code": d["moet_code"],
                "full_name": d["full_name"],
                "date_of_birth": d["date_of_birth"].isoformat() if d["date_of_birth"] else None,
                "sex": d["sex"],
                "ethnicity": d["ethnicity"],
                "address": d["address"],
                "personal_id_last3": prow[8],
                "class": d["_class"].name,
            },
        )

    person_fields: set[str] = set()
    changed_people: list[Person] = []
    close: list[ClassMembership] = []
    moves: list[tuple[Student, SchoolClass]] = []
    current = plan.context["current_class"]
    for row, student in updates:
        changes = row.data["_changes"]
        fields = _apply_person_changes(student.person, row.data, changes, ctx.now)
        if fields:
            person_fields |= fields
            changed_people.append(student.person)
        if "class" in changes:
            membership = current.get(student.pk)
            if membership is not None:
                membership.left_on = ctx.today
                close.append(membership)
            moves.append((student, row.data["_class"]))
        ctx.event(
            "registry.student.import_update",
            "registry.student",
            student.pk,
            f"{student.person.full_name} ({student.moet_code})",
            before=_jsonable(changes, 0),
            after=_jsonable(changes, 1),
        )
    if changed_people:
        Person.objects.bulk_update(changed_people, sorted(person_fields), batch_size=1000)
    if close:
        ClassMembership.objects.bulk_update(close, ["left_on"], batch_size=1000)
    if moves:
        # A pupil moved back to a class they left earlier this year reopens that membership.
        earlier = {
            (m.student_id, m.school_class_id): m
            for m in ClassMembership.objects.filter(
                student_id__in=[s.pk for s, _c in moves], school_class_id__in={c.pk for _s, c in moves}
            )
        }
        reopen = []
        for student, klass in moves:
            old = earlier.get((student.pk, klass.pk))
            if old is not None:
                old.left_on = None
                reopen.append(old)
            else:
                membership_rows.append((student.pk, klass.pk, ctx.today, None))
        if reopen:
            ClassMembership.objects.bulk_update(reopen, ["left_on"])
    bulk.insert(ClassMembership, ("student_id", "school_class_id", "joined_on", "left_on"), membership_rows)


def _write_guardians(ctx: WriteContext, plan: Plan) -> None:
    people_by_hash: dict[str, Person] = plan.context["people_by_hash"]
    new_people: dict[tuple[str, str], Person] = {}
    links: list[tuple[GuardianLink, CleanRow]] = []
    has_primary = set(
        GuardianLink.objects.filter(
            student_id__in=[row.data["_student"].pk for a, row, _o in plan.actions if a == CREATE], is_primary=True
        ).values_list("student_id", flat=True)
    )
    for action, row, _obj in plan.actions:
        if action != CREATE:
            continue
        d = row.data
        person = people_by_hash.get(d["_pid_hash"]) if d["_pid_hash"] else None
        if person is None:
            key = rules.guardian_key(d)
            person = new_people.get(key)
            if person is None:
                person = _new_person(d, phone=d["phone"], email=d["email"], sex="")
                new_people[key] = person
        student = d["_student"]
        primary = student.pk not in has_primary
        has_primary.add(student.pk)
        links.append((GuardianLink(guardian=person, student=student, relation=d["relation"], is_primary=primary), row))
    Person.objects.bulk_create(list(new_people.values()), batch_size=1000)
    for link, _row in links:
        link.guardian_id = link.guardian.pk
    GuardianLink.objects.bulk_create([link for link, _row in links], batch_size=1000)
    for link, row in links:
        ctx.event(
            "registry.guardian.import_create",
            "registry.guardianlink",
            link.pk,
            f"{link.guardian.full_name} – {row.data['moet_code']}",
            after={
                "student": row.data["moet_code"],
                "full_name": link.guardian.full_name,
                "relation": link.relation,
                "phone": link.guardian.phone,
                "email": link.guardian.email,
                "personal_id_last3": link.guardian.personal_id_last3,
            },
        )
    changed_people: list[Person] = []
    person_fields: set[str] = set()
    changed_links: list[GuardianLink] = []
    for action, row, link in plan.actions:
        if action != UPDATE:
            continue
        changes = row.data["_changes"]
        fields = _apply_person_changes(link.guardian, row.data, changes, ctx.now)
        if fields:
            person_fields |= fields
            changed_people.append(link.guardian)
        if "relation" in changes:
            link.relation = row.data["relation"]
            link.updated_at = ctx.now
            changed_links.append(link)
        ctx.event(
            "registry.guardian.import_update",
            "registry.guardianlink",
            link.pk,
            f"{link.guardian.full_name} – {row.data['moet_code']}",
            before=_jsonable(changes, 0),
            after=_jsonable(changes, 1),
        )
    if changed_people:
        Person.objects.bulk_update(changed_people, sorted(person_fields), batch_size=1000)
    if changed_links:
        GuardianLink.objects.bulk_update(changed_links, ["relation", "updated_at"], batch_size=1000)


def _write_staff(ctx: WriteContext, plan: Plan) -> None:
    job = ctx.job
    people_by_hash: dict[str, Person] = plan.context["people_by_hash"]
    subjects: dict[str, Subject] = plan.context["subjects"]
    creates = [row for action, row, _obj in plan.actions if action == CREATE]
    new_people = []
    members = []
    for row in creates:
        d = row.data
        person = people_by_hash.get(d["_pid_hash"]) if d["_pid_hash"] else None
        if person is None:
            person = _new_person(d, date_of_birth=d["date_of_birth"], sex=d["sex"])
            new_people.append(person)
        members.append(
            StaffMember(
                person=person,
                org_unit_id=job.school_id,
                staff_code=d["staff_code"],
                position=d["position"],
                qualification=d["qualification"],
                digital_skills_trained_on=d["digital_skills_trained_on"],
            )
        )
    Person.objects.bulk_create(new_people, batch_size=1000)
    for member in members:
        member.person_id = member.person.pk
    StaffMember.objects.bulk_create(members, batch_size=1000)
    through = StaffMember.subjects.through
    links = [
        through(staffmember_id=m.pk, subject_id=subjects[code].pk)
        for m, row in zip(members, creates, strict=True)
        for code in row.data["subjects"]
    ]
    for member, row in zip(members, creates, strict=True):
        d = row.data
        ctx.event(
            "registry.staff.import_create",
            "registry.staffmember",
            member.pk,
            f"{member.person.full_name} ({member.staff_code})",
            after={
                "staff_code": member.staff_code,
                "full_name": member.person.full_name,
                "position": member.position,
                "qualification": member.qualification,
                "subjects": d["subjects"],
                "digital_skills_trained_on": d["digital_skills_trained_on"].isoformat()
                if d["digital_skills_trained_on"]
                else None,
                "personal_id_last3": member.person.personal_id_last3,
            },
        )
    changed_people: list[Person] = []
    person_fields: set[str] = set()
    changed_members: list[StaffMember] = []
    resubject: list[StaffMember] = []
    for action, row, member in plan.actions:
        if action != UPDATE:
            continue
        d, changes = row.data, row.data["_changes"]
        fields = _apply_person_changes(member.person, d, changes, ctx.now)
        if fields:
            person_fields |= fields
            changed_people.append(member.person)
        if changes.keys() & {"position", "qualification", "digital_skills_trained_on"}:
            for name in ("position", "qualification", "digital_skills_trained_on"):
                if name in changes:
                    setattr(member, name, d[name])
            member.updated_at = ctx.now
            changed_members.append(member)
        if "subjects" in changes:
            resubject.append(member)
            links.extend(through(staffmember_id=member.pk, subject_id=subjects[c].pk) for c in d["subjects"])
        ctx.event(
            "registry.staff.import_update",
            "registry.staffmember",
            member.pk,
            f"{member.person.full_name} ({member.staff_code})",
            before=_jsonable(changes, 0),
            after=_jsonable(changes, 1),
        )
    if changed_people:
        Person.objects.bulk_update(changed_people, sorted(person_fields), batch_size=1000)
    if changed_members:
        StaffMember.objects.bulk_update(
            changed_members, ["position", "qualification", "digital_skills_trained_on", "updated_at"], batch_size=1000
        )
    if resubject:
        through.objects.filter(staffmember_id__in=[m.pk for m in resubject]).delete()
    through.objects.bulk_create(links, batch_size=1000)


def _write_classes(ctx: WriteContext, plan: Plan) -> None:
    job = ctx.job
    new = []
    for action, row, _obj in plan.actions:
        if action == CREATE:
            d = row.data
            new.append(
                SchoolClass(
                    school_id=job.school_id,
                    year_id=job.year_id,
                    grade=d["_grade"],
                    name=d["name"],
                    homeroom_teacher=d["_teacher"],
                )
            )
    SchoolClass.objects.bulk_create(new)
    for klass in new:
        ctx.event(
            "registry.class.import_create",
            "registry.schoolclass",
            klass.pk,
            klass.name,
            after={
                "name": klass.name,
                "grade": klass.grade.code,
                "homeroom_teacher": klass.homeroom_teacher.staff_code if klass.homeroom_teacher else None,
            },
        )
    changed = []
    for action, row, klass in plan.actions:
        if action != UPDATE:
            continue
        d, changes = row.data, row.data["_changes"]
        klass.grade = d["_grade"]
        if d["_teacher"] is not None:
            klass.homeroom_teacher = d["_teacher"]
        klass.updated_at = ctx.now
        changed.append(klass)
        ctx.event(
            "registry.class.import_update",
            "registry.schoolclass",
            klass.pk,
            klass.name,
            before=_jsonable(changes, 0),
            after=_jsonable(changes, 1),
        )
    if changed:
        SchoolClass.objects.bulk_update(changed, ["grade", "homeroom_teacher", "updated_at"])


WRITERS: dict[str, Callable[[WriteContext, Plan], None]] = {
    ImportKind.STUDENTS: _write_students,
    ImportKind.GUARDIANS: _write_guardians,
    ImportKind.STAFF: _write_staff,
    ImportKind.CLASSES: _write_classes,
}


# ---------------------------------------------------------------------------------------------
# Keeping the parsed rows between preview and commit
# ---------------------------------------------------------------------------------------------

_DATE_KEYS = {c.key for cols in COLUMNS.values() for c in cols if c.kind == "date"}


def _store_rows(job: ImportJob, rows: list[CleanRow]) -> str:
    # Keys starting with "_" are the planner's working values (model instances), not row data.
    payload = [[r.row, {k: v for k, v in r.data.items() if k[0] != "_"}] for r in rows]
    # The rows hold personal ID numbers: encrypted at rest like the Person fields.
    blob = encrypt(json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=dt.date.isoformat))
    return job.file.storage.save(f"{job.file.name}.rows", ContentFile(blob.encode()))


def _load_rows(job: ImportJob) -> list[CleanRow] | None:
    name = job.summary.get("rows_blob")
    storage = job.file.storage
    if not name or not storage.exists(name):
        return None
    with storage.open(name, "rb") as handle:
        payload = json.loads(decrypt(handle.read().decode()))
    rows = []
    for number, data in payload:
        for key in _DATE_KEYS & data.keys():
            if data[key]:
                data[key] = dt.date.fromisoformat(data[key])
        rows.append(CleanRow(number, data))
    return rows


def _read_file(job: ImportJob) -> bytes:
    with job.file.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != job.file_sha256:
        raise ValidationFailed("Tệp đã tải lên bị thay đổi sau khi kiểm tra; hãy tải lại.", code="FILE_CHANGED")
    return data


# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------


def _check_can_import(actor: Actor, school: OrgUnit) -> None:
    if school.kind != OrgUnitKind.SCHOOL or not actor.can_in(IMPORT_CAPABILITY, school):
        raise NotPermitted("Bạn không có quyền nhập dữ liệu cho trường này.")


def _masked(value: Any, col: rules.Col) -> str:
    if value in (None, "", []):
        return ""
    if col.kind == "pid":
        return "•" * 9 + str(value)[-3:]
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, list):
        return ", ".join(value)
    labels = {
        "sex": rules.SEX_LABELS,
        "relation": rules.RELATION_LABELS,
        "position": rules.POSITION_LABELS,
        "qualification": rules.QUALIFICATION_LABELS,
    }.get(col.kind)
    if labels:
        return next((label for label, code in labels.items() if code == value), str(value))
    return str(value)


def _finish_invalid(job: ImportJob, errors: list[RowError], total: int) -> ImportJob:
    errors = sorted(set(errors), key=lambda e: (e.row, e.column, e.message))
    job.status = ImportStatus.INVALID
    job.errors = [e.as_dict() for e in errors]
    job.total_rows = total
    job.processed_rows = total
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "total_rows", "processed_rows", "finished_at", "updated_at"])
    return job


@transaction.atomic
def import_upload(
    *, actor: Actor, school: OrgUnit, kind: str, uploaded: Any, year: SchoolYear | None = None
) -> ImportJob:
    """Check and store an uploaded workbook, then validate it (now, or in the background if large)."""
    _check_can_import(actor, school)
    if kind not in ImportKind.values:
        raise ValidationFailed("Loại dữ liệu nhập không hợp lệ.")
    if year is None:
        year = SchoolYear.objects.filter(is_current=True).first()
    if year is None:
        raise ValidationFailed("Chưa có năm học hiện tại; hãy chọn năm học.")
    size = getattr(uploaded, "size", None)
    limit = settings.IMPORT_MAX_BYTES
    if size is not None and size > limit:
        raise ValidationFailed(
            f"Tệp quá lớn: {size / 1048576:.1f} MB, tối đa {limit / 1048576:.1f} MB.", code="FILE_TOO_LARGE"
        )
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed(f"Tệp quá lớn: tối đa {limit / 1048576:.1f} MB.", code="FILE_TOO_LARGE")
    workbook = _open_workbook(data)  # by content: refuses anything openpyxl cannot open
    sheet = _sheet(workbook, kind)
    total = _sheet_rows(sheet, data)
    job = ImportJob(
        school=school,
        year=year,
        kind=kind,
        status=ImportStatus.PENDING,
        original_name=(getattr(uploaded, "name", "") or "tep.xlsx")[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
        total_rows=total,
        created_by=actor.user,
    )
    job.file.save(f"{uuid.uuid4().hex}.xlsx", ContentFile(data), save=False)
    job.save()
    if total > settings.IMPORT_BACKGROUND_ROWS:
        from .tasks import validate_import_task

        job_id = job.pk
        transaction.on_commit(lambda: validate_import_task.enqueue(job_id))
        workbook.close()
        return job
    try:
        return import_validate(job_id=job.pk, data=sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def import_validate(
    *, job_id: int, data: bytes | Iterator[tuple[Any, ...]] | None = None, report_progress: bool = False
) -> ImportJob:
    """Validate every row and plan the import; the job ends ``invalid`` or ``preview``."""
    job = ImportJob.objects.select_related("school", "year").get(pk=job_id)
    if job.status not in (ImportStatus.PENDING, ImportStatus.RUNNING):
        return job  # already validated: tasks may run twice
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, processed_rows=0)
    job.status = ImportStatus.RUNNING
    if data is None:
        data = _read_file(job)

    def progress(n: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=min(n, job.total_rows))

    rows, errors = parse_rows(job.kind, data, reference_data(), progress if report_progress else None)
    total = len(rows)
    # The database checks run even when rows already failed, so that every error is listed at once.
    plan = PLANNERS[job.kind](job, rows) if rows else Plan()
    errors = errors + plan.errors
    if errors:
        return _finish_invalid(job, errors, total)
    columns = COLUMNS[job.kind]
    job.status = ImportStatus.PREVIEW
    job.errors = []
    job.total_rows = total
    job.processed_rows = total
    job.summary = {
        **plan.counts(),
        "headers": [c.header for c in columns],
        "preview": [
            {
                "row": row.row,
                "action": ACTION_LABELS[action],
                "cells": [_masked(row.data.get(c.key), c) for c in columns],
            }
            for action, row, _obj in plan.actions[:PREVIEW_ROWS]
        ],
        "rows_blob": _store_rows(job, rows),
    }
    job.save(update_fields=["status", "errors", "total_rows", "processed_rows", "summary", "updated_at"])
    return job


def import_commit(*, actor: Actor, job: ImportJob) -> ImportJob:
    """Write a previewed import; large ones are handed to a background task."""
    from edudx.core.api import policy_for

    policy_for(ImportJob).check(actor, "import", job)
    _check_can_import(actor, job.school)
    if job.total_rows > settings.IMPORT_BACKGROUND_ROWS:
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().get(pk=job.pk)
            if locked.status != ImportStatus.PREVIEW:
                raise ValidationFailed("Lần nhập này không ở trạng thái chờ ghi.", code="NOT_PREVIEW")
            locked.status = ImportStatus.COMMITTING
            locked.processed_rows = 0
            locked.save(update_fields=["status", "processed_rows", "updated_at"])
            from .tasks import commit_import_task

            user_id = actor.user.pk
            transaction.on_commit(lambda: commit_import_task.enqueue(locked.pk, user_id))
        return locked
    return import_commit_run(actor=actor, job_id=job.pk)


def import_commit_run(*, actor: Actor, job_id: int) -> ImportJob:
    """The commit itself: all rows or none. Used directly for small files and by the task."""
    try:
        return _commit(actor, job_id)
    except IntegrityError:
        # The database refused a duplicate the plan did not see (a write outside any import):
        # nothing was written; say so rather than fail with a stack trace.
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            errors=[{"row": 0, "column": "", "message": "Dữ liệu đã bị thay đổi trong lúc ghi; hãy nhập lại tệp."}],
            finished_at=timezone.now(),
        )
        return ImportJob.objects.get(pk=job_id)


@transaction.atomic
def _commit(actor: Actor, job_id: int) -> ImportJob:
    job = ImportJob.objects.select_related("year").get(pk=job_id)
    # Lock the school first: every import into one school waits for the one before it, then plans
    # against what that one wrote. The learner code's unique constraint is the last line of defence.
    school = OrgUnit.objects.select_for_update().get(pk=job.school_id)
    job = ImportJob.objects.select_for_update(of=("self",)).select_related("year").get(pk=job_id)
    job.school = school
    _check_can_import(actor, school)
    if job.status not in (ImportStatus.PREVIEW, ImportStatus.COMMITTING):
        raise ValidationFailed("Lần nhập này đã được ghi hoặc không hợp lệ.", code="NOT_PREVIEW")
    rows = _load_rows(job)
    if rows is None:
        rows, errors = parse_rows(job.kind, _read_file(job), reference_data())
        if errors:
            return _finish_invalid(job, errors, len(rows))
    plan = PLANNERS[job.kind](job, rows)
    if plan.errors:
        return _finish_invalid(job, plan.errors, len(rows))
    now = timezone.now()
    ctx = WriteContext(actor=actor, job=job, today=timezone.localdate(), now=now)
    WRITERS[job.kind](ctx, plan)
    counts = plan.counts()
    ctx.event(
        "registry.import.commit",
        "registry.importjob",
        job.pk,
        job.original_name,
        after={"kind": job.kind, "file_sha256": job.file_sha256, "rows": len(rows), **counts},
    )
    audit.record_many(ctx.events)
    job.status = ImportStatus.DONE
    job.processed_rows = job.total_rows = len(rows)
    job.summary = {**job.summary, **counts, "committed": counts}
    job.finished_at = now
    job.save(update_fields=["status", "processed_rows", "total_rows", "summary", "finished_at", "updated_at"])
    # The uploaded workbook and its validated rows hold children's personal data and have no further
    # use once written (the audit trail keeps the file's hash): data minimisation says delete them,
    # once the commit holds.
    storage = job.file.storage
    leftovers = [name for name in (job.summary.get("rows_blob"), job.file.name) if name]
    transaction.on_commit(lambda: [storage.delete(name) for name in leftovers if storage.exists(name)])
    return job


def import_fail(*, job_id: int, message: str) -> None:
    """Mark a job that a task could not finish; the page shows the reason."""
    ImportJob.objects.filter(pk=job_id).exclude(status=ImportStatus.DONE).update(
        status=ImportStatus.FAILED,
        errors=[{"row": 0, "column": "", "message": message}],
        finished_at=timezone.now(),
    )


def error_rows(job: ImportJob) -> dict[int, list[dict[str, Any]]]:
    by_row: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for error in job.errors:
        by_row[int(error.get("row", 0))].append(error)
    return by_row


def read_original(job: ImportJob) -> list[tuple[Any, ...]]:
    """The uploaded sheet's rows as they were (for the error workbook)."""
    return list(_raw_rows(_read_file(job), job.kind))


__all__ = [
    "DomainError",
    "import_commit",
    "import_commit_run",
    "import_fail",
    "import_upload",
    "import_validate",
    "parse_rows",
]
