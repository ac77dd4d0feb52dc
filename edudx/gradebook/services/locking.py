"""Locking a class's semester: the principal closes the sheets so that results can be computed from them.

A semester is locked only when every sheet of the class for that semester — one per curriculum subject and the
homeroom sheet — has been submitted by its teacher; locking sets them all to "locked", so no cell changes until
an unlock, which needs a written reason. While a semester is unlocked the principal may send one submitted sheet
back to its teacher (``reopen_sheet``). Results computed from a semester that is unlocked again are marked stale;
they are recomputed once the semester is locked again.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.api import Actor, Conflict, NotPermitted, Role, ValidationFailed, audit
from edudx.registry.api import SchoolClass, TeachingAssignment

from ..curriculum import grade_subjects
from ..models import ClassSemesterLock, LockEvent, ScoreSheet, SheetKind, SheetStatus, YearResult

__all__ = [
    "MIN_REASON_LENGTH",
    "MissingSheet",
    "is_principal_of",
    "lock_semester",
    "may_lock",
    "missing_sheets",
    "reopen_sheet",
    "unlock_semester",
]

MIN_REASON_LENGTH = 10


def may_lock(actor: Actor, school_class: SchoolClass) -> bool:
    """Locking, unlocking and sending sheets back belong to the school's leaders (``grade.lock``)."""
    return actor.can_in("grade.lock", school_class.school)


def _require_lock_right(actor: Actor, school_class: SchoolClass) -> None:
    if not may_lock(actor, school_class):
        raise NotPermitted(_("Chỉ Ban giám hiệu nhà trường được khoá, mở khoá sổ điểm của lớp."))


def _check_semester(semester: int) -> None:
    if semester not in (1, 2):
        raise ValidationFailed(_("Học kì phải là 1 hoặc 2."), code="semester_invalid")


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationFailed(
            _("Hãy ghi lý do (ít nhất %(n)s ký tự).") % {"n": MIN_REASON_LENGTH},
            code="reason_required",
            details={"reason": [_("Cần ghi lý do.")]},
        )
    return reason[:500]


class MissingSheet(dict[str, Any]):
    """One sheet that stops a lock: ``what`` (subject name or homeroom), ``teacher`` and ``status``."""


def _teachers(school_class: SchoolClass, semester: int) -> dict[int, str]:
    rows = TeachingAssignment.objects.filter(school_class=school_class, semester__in=[0, semester]).select_related(
        "staff__person"
    )
    return {row.subject_id: row.staff.person.full_name for row in rows}


def missing_sheets(
    school_class: SchoolClass, semester: int, sheets: list[ScoreSheet] | None = None
) -> list[MissingSheet]:
    """The sheets of the semester not yet submitted (or not even opened), with their teacher, in curriculum order."""
    if sheets is None:
        sheets = list(ScoreSheet.objects.filter(school_class=school_class, semester=semester))
    by_subject = {s.subject_id: s for s in sheets if s.kind == SheetKind.SUBJECT}
    homeroom = next((s for s in sheets if s.kind == SheetKind.HOMEROOM), None)
    teachers = _teachers(school_class, semester)
    done = (SheetStatus.SUBMITTED, SheetStatus.LOCKED)
    missing: list[MissingSheet] = []
    for entry in grade_subjects(school_class):
        sheet = by_subject.get(entry.subject_id)
        if sheet is None or sheet.status not in done:
            missing.append(
                MissingSheet(
                    what=entry.subject.name,
                    teacher=teachers.get(entry.subject_id, ""),
                    status=str(SheetStatus(sheet.status).label) if sheet else _("Chưa mở sổ"),
                )
            )
    if homeroom is None or homeroom.status not in done:
        hr = school_class.homeroom_teacher
        missing.append(
            MissingSheet(
                what=_("Sổ chủ nhiệm"),
                teacher=hr.person.full_name if hr else "",
                status=str(SheetStatus(homeroom.status).label) if homeroom else _("Chưa mở sổ"),
            )
        )
    return missing


def _lock_row(school_class: SchoolClass, semester: int) -> ClassSemesterLock:
    ClassSemesterLock.objects.get_or_create(school_class=school_class, semester=semester)
    return ClassSemesterLock.objects.select_for_update().get(school_class=school_class, semester=semester)


def _mark_results_stale(school_class: SchoolClass, semester: int) -> int:
    rows = list(YearResult.objects.filter(school_class=school_class))
    for row in rows:
        row.details = {**(row.details or {}), "stale": True, "stale_semester": semester}
    YearResult.objects.bulk_update(rows, ["details"])
    return len(rows)


@transaction.atomic
def lock_semester(*, actor: Actor, school_class: SchoolClass, semester: int) -> ClassSemesterLock:
    """Lock every sheet of ``school_class`` for ``semester``; refused, naming each sheet and its teacher, while
    any sheet is not submitted."""
    _require_lock_right(actor, school_class)
    _check_semester(semester)
    lock = _lock_row(school_class, semester)
    if lock.locked:
        raise Conflict(_("Học kì này của lớp đã được khoá."), code="already_locked")
    sheets = list(ScoreSheet.objects.select_for_update().filter(school_class=school_class, semester=semester))
    missing = missing_sheets(school_class, semester, sheets)
    if missing:
        listed = "; ".join(f"{m['what']} ({m['teacher'] or _('chưa phân công')}: {m['status']})" for m in missing)
        raise ValidationFailed(
            _("Chưa thể khoá: các sổ sau chưa nộp — %(list)s.") % {"list": listed},
            code="sheets_not_submitted",
            details={"missing": missing},
        )
    ScoreSheet.objects.filter(pk__in=[s.pk for s in sheets]).update(status=SheetStatus.LOCKED)
    lock.locked = True
    lock.changed_by = actor.user
    lock.save()
    LockEvent.objects.create(lock=lock, action="lock", by=actor.user)
    audit.record(
        actor=actor.user,
        action="grade.semester_lock",
        obj=lock,
        object_label=f"{school_class.name} ({school_class.year.code}) – HK{semester}",
        org_unit=school_class.school,
        before={"locked": False},
        after={"locked": True, "sheets": len(sheets)},
    )
    return lock


@transaction.atomic
def unlock_semester(*, actor: Actor, school_class: SchoolClass, semester: int, reason: str) -> ClassSemesterLock:
    """Open a locked semester again (sheets back to "submitted"); the reason is kept in the lock history and the
    audit trail, and results computed so far are marked stale until the next lock and computation."""
    _require_lock_right(actor, school_class)
    _check_semester(semester)
    reason = _check_reason(reason)
    lock = _lock_row(school_class, semester)
    if not lock.locked:
        raise Conflict(_("Học kì này của lớp đang mở, không cần mở khoá."), code="not_locked")
    ScoreSheet.objects.filter(school_class=school_class, semester=semester).update(status=SheetStatus.SUBMITTED)
    lock.locked = False
    lock.changed_by = actor.user
    lock.save()
    LockEvent.objects.create(lock=lock, action="unlock", reason=reason, by=actor.user)
    stale = _mark_results_stale(school_class, semester)
    audit.record(
        actor=actor.user,
        action="grade.semester_unlock",
        obj=lock,
        object_label=f"{school_class.name} ({school_class.year.code}) – HK{semester}",
        org_unit=school_class.school,
        before={"locked": True},
        after={"locked": False, "stale_results": stale},
        reason=reason,
    )
    return lock


@transaction.atomic
def reopen_sheet(*, actor: Actor, sheet: ScoreSheet, reason: str) -> ScoreSheet:
    """Send one submitted sheet back to its teacher ("open" again) while its semester is not locked."""
    school_class = sheet.school_class
    _require_lock_right(actor, school_class)
    reason = _check_reason(reason)
    sheet = ScoreSheet.objects.select_for_update().get(pk=sheet.pk)
    if ClassSemesterLock.objects.filter(school_class=school_class, semester=sheet.semester, locked=True).exists():
        raise Conflict(_("Học kì đang khoá: hãy mở khoá trước khi trả sổ cho giáo viên."), code="semester_locked")
    if sheet.status != SheetStatus.SUBMITTED:
        raise Conflict(_("Chỉ trả lại được sổ đã nộp."), code="sheet_not_submitted")
    sheet.status = SheetStatus.OPEN
    sheet.submitted_at = None
    sheet.submitted_by = None
    sheet.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
    audit.record(
        actor=actor.user,
        action="grade.sheet_reopen",
        obj=sheet,
        org_unit=school_class.school,
        before={"status": SheetStatus.SUBMITTED},
        after={"status": SheetStatus.OPEN, "at": timezone.now().isoformat()},
        reason=reason,
    )
    return sheet


def is_principal_of(actor: Actor, school_class: SchoolClass) -> bool:
    """The actor holds the principal's role over the class's school (titles are the principal's decision)."""
    path = school_class.school.path
    return any(g.role == Role.PRINCIPAL and path.startswith(g.unit_path) for g in actor.grants)
