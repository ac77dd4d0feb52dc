"""Writes of score entry: one cell, a pasted block, submitting a sheet, opening a class's sheets.

Every write checks ``grade.enter`` on the sheet through the policy, refuses a locked sheet, accepts only current
members of the sheet's class and known columns, and passes the typed text through ``columns.parse_cell`` (the one
place that validates and normalises a value). Cells carry an optimistic ``version``: a save names the version it
was typed over (0 or None for a cell that does not exist yet) and is refused with ``Conflict`` when somebody else
saved the cell in between. The sheet row is locked for the length of the write, so the lock state read at the
start cannot change before the commit and two savers of one cell are serialised (the second sees the first's
version). Every changed cell is one audit event ``grade.cell_set`` with the values before and after.

A submitted sheet stays editable by its teacher until the principal locks the class's semester: submitting says
"my part is complete", it is not a lock, and corrections before the lock are normal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core import audit
from edudx.core.api import Actor, Conflict, NotPermitted, ValidationFailed, policy_for
from edudx.registry.api import ClassMembership, SchoolClass, Student

from .. import columns as cols
from ..curriculum import ensure_sheets, rules_of, sheet_columns
from ..models import ScoreCell, ScoreSheet, SheetStatus
from ..selectors.entry import REQUIRED_TYPES

__all__ = [
    "REQUIRED_TYPES",
    "BlockResult",
    "CellError",
    "may_open_sheets",
    "save_cell",
    "save_cells",
    "semester_on",
    "sheets_open",
    "submit_sheet",
]

CELL_SET = "grade.cell_set"


@dataclass(frozen=True)
class CellError:
    """Why one cell of a block was refused; ``current`` is the stored cell for a conflict."""

    student: int
    column: str
    message: str
    code: str
    index: int = -1  # position of the change in the request
    current: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "student": self.student,
            "column": self.column,
            "message": self.message,
            "code": self.code,
            "index": self.index,
        }
        if self.current is not None:
            data["current"] = self.current
        return data


@dataclass
class BlockResult:
    """Outcome of ``save_cells``: either every changed cell saved, or errors and nothing written."""

    cells: list[ScoreCell] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    changed: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_conflict(self) -> bool:
        return any(e.code == "conflict" for e in self.errors)


# ---------------------------------------------------------------------------------------------------------------
# Shared checks
# ---------------------------------------------------------------------------------------------------------------


def _locked_sheet(actor: Actor, sheet: ScoreSheet) -> ScoreSheet:
    """The sheet row, locked until commit, if the actor may enter scores in it and it is not locked."""
    policy_for(ScoreSheet).check(actor, "enter", sheet)
    # ``of=("self",)``: lock the sheet row only, never the class or the school joined for the audit event.
    locked = ScoreSheet.objects.select_for_update(of=("self",)).select_related("school_class__school").get(pk=sheet.pk)
    if locked.status == SheetStatus.LOCKED:
        raise NotPermitted(
            _("Sổ điểm %(sheet)s đã được khoá; không thể sửa điểm. Hãy đề nghị hiệu trưởng mở khoá nếu cần sửa.")
            % {"sheet": str(locked)},
            code="sheet_locked",
        )
    return locked


def _current_member_ids(school_class: SchoolClass) -> set[int]:
    return set(
        ClassMembership.objects.filter(school_class=school_class, left_on__isnull=True).values_list(
            "student_id", flat=True
        )
    )


def _column(sheet: ScoreSheet, code: str) -> cols.Column:
    for column in sheet_columns(sheet):
        if column.code == code:
            return column
    raise ValidationFailed(_("Sổ điểm không có cột “%(column)s”.") % {"column": code}, code="column_unknown")


def _not_member(student_label: str, sheet: ScoreSheet) -> ValidationFailed:
    return ValidationFailed(
        _("Học sinh %(student)s không (còn) học lớp %(class)s.")
        % {"student": student_label, "class": sheet.school_class.name},
        code="student_not_in_class",
    )


def _stored(cell: ScoreCell | None, column_type: str) -> dict[str, Any]:
    if cell is None:
        return {"value": "", "display": "", "version": 0}
    return {"value": cell.value, "display": cols.display(column_type, cell.value), "version": cell.version}


def _conflict_message(cell: ScoreCell, column: cols.Column, student_name: str) -> str:
    who = cell.updated_by.get_full_name() if cell.updated_by_id and cell.updated_by else _("người khác")
    when = timezone.localtime(cell.updated_at).strftime("%H:%M %d/%m/%Y")
    shown = cols.display(column.type, cell.value) or _("(trống)")
    return _(
        "Ô %(column)s của %(student)s vừa được %(who)s sửa lúc %(when)s; giá trị hiện tại: %(value)s. "
        "Hãy tải lại ô rồi nhập lại nếu vẫn cần sửa."
    ) % {"column": column.label, "student": student_name, "who": who, "when": when, "value": shown}


def _expected(version: int | None) -> int:
    return int(version or 0)


def _event(
    actor: Actor, sheet: ScoreSheet, cell: ScoreCell, student_code: str, before: dict[str, Any]
) -> dict[str, Any]:
    return {
        "actor": actor.user,
        "action": CELL_SET,
        "object_type": "gradebook.scorecell",
        "object_id": str(cell.pk),
        "object_label": f"{sheet} – {student_code} – {cell.column}"[:255],
        "org_unit": sheet.school_class.school,
        "before": before,
        "after": {"value": cell.value, "version": cell.version},
    }


# ---------------------------------------------------------------------------------------------------------------
# One cell
# ---------------------------------------------------------------------------------------------------------------


@transaction.atomic
def save_cell(
    *, actor: Actor, sheet: ScoreSheet, student: Student, column: str, raw: str, expected_version: int | None
) -> ScoreCell:
    """Save what was typed into one cell; the returned cell carries the new version.

    Clearing a cell keeps its row with an empty value (and a new version), so a later save over the old version
    is still detected. Typing the stored value again writes nothing. A cell that never existed and is left
    empty is returned unsaved with version 0.
    """
    sheet = _locked_sheet(actor, sheet)
    if student.pk not in _current_member_ids(sheet.school_class):
        raise _not_member(student.person.full_name, sheet)
    col = _column(sheet, column)
    value, number = cols.parse_cell(col, raw, rules_of(sheet.rule_set))
    cell = (
        ScoreCell.objects.select_for_update(of=("self",))
        .select_related("updated_by")
        .filter(sheet=sheet, student=student, column=col.code)
        .first()
    )
    stored_version = cell.version if cell is not None else 0
    if _expected(expected_version) != stored_version:
        if cell is None:
            raise Conflict(
                _("Ô %(column)s của %(student)s đã bị xoá hoặc chưa từng được lưu; hãy tải lại trang.")
                % {"column": col.label, "student": student.person.full_name},
                code="conflict",
                details=[_conflict_detail(student.pk, col, None)],
            )
        raise Conflict(
            _conflict_message(cell, col, student.person.full_name),
            code="conflict",
            details=[_conflict_detail(student.pk, col, cell)],
        )
    if cell is None:
        if value == "":
            return ScoreCell(sheet=sheet, student=student, column=col.code, value="", version=0)
        before = {"value": "", "version": 0}
        cell = ScoreCell.objects.create(
            sheet=sheet, student=student, column=col.code, value=value, number=number, version=1, updated_by=actor.user
        )
    else:
        if cell.value == value:
            return cell
        before = {"value": cell.value, "version": cell.version}
        cell.value, cell.number, cell.version, cell.updated_by = value, number, cell.version + 1, actor.user
        cell.save(update_fields=["value", "number", "version", "updated_by", "updated_at"])
    audit.record(**_event(actor, sheet, cell, student.moet_code, before))
    return cell


def _conflict_detail(student_id: int, column: cols.Column, cell: ScoreCell | None) -> dict[str, Any]:
    return {"student": student_id, "column": column.code, "code": "conflict", "current": _stored(cell, column.type)}


# ---------------------------------------------------------------------------------------------------------------
# A block (paste from Excel, an import)
# ---------------------------------------------------------------------------------------------------------------


def _as_int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return None


@transaction.atomic
def save_cells(*, actor: Actor, sheet: ScoreSheet, changes: list[dict[str, Any]]) -> BlockResult:
    """Save a block of cells all-or-nothing.

    Each change is ``{"student": id, "column": code, "value": raw, "version": expected}``. Every change is
    checked first; if any is invalid or conflicts, the result lists every error (student, column, message, code)
    and nothing is written. Otherwise every changed cell is written with one audit event each.
    """
    sheet = _locked_sheet(actor, sheet)
    rules = rules_of(sheet.rule_set)
    columns = {c.code: c for c in sheet_columns(sheet)}
    members = _current_member_ids(sheet.school_class)
    student_ids = {sid for sid in (_as_int(c.get("student")) for c in changes) if sid is not None}
    students = {s.pk: s for s in Student.objects.filter(pk__in=student_ids).select_related("person")}
    existing = {
        (cell.student_id, cell.column): cell
        for cell in ScoreCell.objects.select_for_update(of=("self",))
        .select_related("updated_by")
        .filter(sheet=sheet, student_id__in=student_ids)
    }
    result = BlockResult()
    planned: dict[tuple[int, str], tuple[str, Decimal | None, ScoreCell | None]] = {}
    for index, change in enumerate(changes):
        sid = _as_int(change.get("student"))
        code = str(change.get("column") or "")
        student = students.get(sid) if sid is not None else None
        if student is None or sid not in members:
            # The id only: naming a student of another class would let a caller probe names by id.
            message = _not_member(str(change.get("student")), sheet).message
            result.errors.append(CellError(sid or 0, code, message, "student_not_in_class", index))
            continue
        col = columns.get(code)
        if col is None:
            message = _("Sổ điểm không có cột “%(column)s”.") % {"column": code}
            result.errors.append(CellError(student.pk, code, message, "column_unknown", index))
            continue
        if (student.pk, code) in planned:
            message = _("Ô %(column)s của %(student)s xuất hiện hai lần.") % {
                "column": col.label,
                "student": student.person.full_name,
            }
            result.errors.append(CellError(student.pk, code, message, "cell_duplicate", index))
            continue
        try:
            value, number = cols.parse_cell(col, change.get("value"), rules)
        except ValidationFailed as exc:
            result.errors.append(CellError(student.pk, code, exc.message, exc.code, index))
            continue
        cell = existing.get((student.pk, code))
        stored_version = cell.version if cell is not None else 0
        if _expected(_as_int(change.get("version"))) != stored_version:
            message = (
                _conflict_message(cell, col, student.person.full_name)
                if cell is not None
                else _("Ô %(column)s của %(student)s đã thay đổi; hãy tải lại trang.")
                % {"column": col.label, "student": student.person.full_name}
            )
            result.errors.append(
                CellError(student.pk, code, message, "conflict", index, current=_stored(cell, col.type))
            )
            continue
        planned[(student.pk, code)] = (value, number, cell)
    if result.errors:
        return result
    now = timezone.now()
    events: list[dict[str, Any]] = []
    to_create: list[ScoreCell] = []
    to_update: list[tuple[ScoreCell, dict[str, Any]]] = []
    for (sid, code), (value, number, cell) in planned.items():
        if cell is None:
            if value != "":
                to_create.append(
                    ScoreCell(
                        sheet=sheet,
                        student_id=sid,
                        column=code,
                        value=value,
                        number=number,
                        version=1,
                        updated_by=actor.user,
                        updated_at=now,
                    )
                )
            continue
        if cell.value == value:
            result.cells.append(cell)
            continue
        before = {"value": cell.value, "version": cell.version}
        cell.value, cell.number, cell.version, cell.updated_by, cell.updated_at = (
            value, number, cell.version + 1, actor.user, now,
        )  # fmt: skip
        to_update.append((cell, before))
    created = ScoreCell.objects.bulk_create(to_create)
    if to_update:
        ScoreCell.objects.bulk_update(
            [cell for cell, _before in to_update], ["value", "number", "version", "updated_by", "updated_at"]
        )
    if created and created[0].pk is None:  # databases that do not return ids from a bulk insert
        keys = [(c.student_id, c.column) for c in created]
        by_key = {
            (c.student_id, c.column): c for c in ScoreCell.objects.filter(sheet=sheet, student_id__in=student_ids)
        }
        created = [by_key[k] for k in keys]
    codes = {s.pk: s.moet_code for s in students.values()}
    for cell in created:
        events.append(_event(actor, sheet, cell, codes[cell.student_id], {"value": "", "version": 0}))
    for cell, before in to_update:
        events.append(_event(actor, sheet, cell, codes[cell.student_id], before))
    audit.record_many(events)
    result.cells.extend(created)
    result.cells.extend(cell for cell, _before in to_update)
    result.changed = len(events)
    return result


# ---------------------------------------------------------------------------------------------------------------
# Submitting a sheet
# ---------------------------------------------------------------------------------------------------------------

MAX_LISTED = 10


@transaction.atomic
def submit_sheet(*, actor: Actor, sheet: ScoreSheet) -> ScoreSheet:
    """The teacher says the sheet is complete for the semester (open → submitted).

    Refused while a required column is empty for a current member of the class; the message names the students
    and the columns. The sheet stays editable until the principal locks the class's semester.
    """
    sheet = _locked_sheet(actor, sheet)
    if sheet.status != SheetStatus.OPEN:
        raise ValidationFailed(_("Sổ điểm %(sheet)s đã được nộp.") % {"sheet": str(sheet)}, code="sheet_submitted")
    required = [c for c in sheet_columns(sheet) if c.type in REQUIRED_TYPES]
    members = (
        ClassMembership.objects.filter(school_class=sheet.school_class, left_on__isnull=True)
        .select_related("student__person")
        .order_by("student__person__search_name", "student_id")
    )
    filled = set(ScoreCell.objects.filter(sheet=sheet).exclude(value="").values_list("student_id", "column"))
    missing: list[str] = []
    for membership in members:
        student = membership.student
        absent = [c.label for c in required if (student.pk, c.code) not in filled]
        if absent:
            missing.append(
                _("%(student)s (%(columns)s)") % {"student": student.person.full_name, "columns": ", ".join(absent)}
            )
    if missing:
        listed = "; ".join(missing[:MAX_LISTED])
        if len(missing) > MAX_LISTED:
            listed += " " + _("và %(n)s học sinh khác") % {"n": len(missing) - MAX_LISTED}
        raise ValidationFailed(
            _("Chưa thể nộp sổ: còn %(n)s học sinh thiếu điểm bắt buộc: %(list)s.")
            % {"n": len(missing), "list": listed},
            code="sheet_incomplete",
            details={"missing": len(missing)},
        )
    before = {"status": sheet.status}
    sheet.status = SheetStatus.SUBMITTED
    sheet.submitted_by = actor.user
    sheet.submitted_at = timezone.now()
    sheet.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
    audit.record(
        actor=actor.user,
        action="grade.sheet_submit",
        obj=sheet,
        org_unit=sheet.school_class.school,
        before=before,
        after={"status": sheet.status, "submitted_at": sheet.submitted_at.isoformat()},
    )
    return sheet


# ---------------------------------------------------------------------------------------------------------------
# Opening a class's sheets
# ---------------------------------------------------------------------------------------------------------------


def may_open_sheets(actor: Actor, school_class: SchoolClass) -> bool:
    """Leaders holding ``grade.view`` over the school, its homeroom teacher and the teachers assigned to it."""
    if actor.can_in("grade.view", school_class.school):
        return True
    person = actor.person_id
    if person is None or not actor.related_grants("grade.enter"):
        return False
    if not any(school_class.school.path.startswith(g.unit_path) for g in actor.related_grants("grade.enter")):
        return False
    homeroom = school_class.homeroom_teacher
    if homeroom is not None and homeroom.person_id == person:
        return True
    return school_class.teaching_assignments.filter(staff__person_id=person).exists()


@transaction.atomic
def sheets_open(*, actor: Actor, school_class: SchoolClass, semester: int) -> list[ScoreSheet]:
    """Create the class's sheets for ``semester`` (idempotent); one audit event when sheets were created."""
    if not may_open_sheets(actor, school_class):
        raise NotPermitted()
    before = ScoreSheet.objects.filter(school_class=school_class, semester=semester).count()
    sheets = ensure_sheets(school_class, semester)
    if len(sheets) > before:
        audit.record(
            actor=actor.user,
            action="grade.sheets_open",
            obj=school_class,
            org_unit=school_class.school,
            after={"semester": semester, "sheets": len(sheets), "created": len(sheets) - before},
        )
    return sheets


def semester_on(day: dt.date, semester2_starts_on: dt.date) -> int:
    """The semester a day falls in (before the start of semester II: semester I)."""
    return 2 if day >= semester2_starts_on else 1
