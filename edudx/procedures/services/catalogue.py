"""Writes of the catalogue administration: new procedure versions, the working calendar, the service desks.

Only holders of ``procedure.manage`` write here (``permissions``). A procedure is never edited: a change writes
version n+1 of its key with a reason, and the newest version whose dates cover a day is the one offered that day
(``selectors.catalogue.current_versions``); a dossier keeps the version it was received under by its foreign key.
Every write is atomic and audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from edudx.core.api import Actor, Conflict, NotPermitted, OrgUnit, ValidationFailed, audit, policy_for

from ..catalogue import Procedure, procedure_errors
from ..catalogue_store import procedure_to_data
from ..dossier_codes import validate_unit_code
from ..models import CalendarDay, CalendarDayKind, ProcedureVersion, ServiceDesk
from ..selectors.catalogue import current_versions, version_in_force
from ..workdays import DEFAULT_CALENDAR, is_working_day

__all__ = [
    "MAX_REASON",
    "calendar_day_add",
    "calendar_day_delete",
    "current_versions",
    "desk_identifier_set",
    "save_procedure_version",
    "version_in_force",
]

MAX_REASON = 500


def _user(actor: Actor) -> Any:
    return actor.user if actor.is_authenticated else None


def _require_manage(actor: Actor) -> None:
    """The catalogue and the calendar belong to no unit: ``procedure.manage`` held anywhere lets one change them
    (the same test as the policies' ``filter_q``). Used when there is no row yet to check against."""
    if not actor.is_authenticated or not actor.subtree_paths("procedure.manage"):
        raise NotPermitted(_("Chỉ cán bộ quản lý danh mục thủ tục hành chính mới được thay đổi nội dung này."))


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Cần ghi lý do thay đổi."), code="reason_required", details={"reason": []})
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            _("Lý do thay đổi dài tối đa %(max)s ký tự.") % {"max": MAX_REASON}, code="reason_too_long"
        )
    return reason


# ---------------------------------------------------------------------------------------------------------------
# Procedure versions
# ---------------------------------------------------------------------------------------------------------------


def _columns(p: Procedure) -> dict[str, Any]:
    """The columns repeated beside ``data`` for lists and statistics (as the seed migration fills them)."""
    return {
        "code": p.code or "",
        "name": p.name,
        "authority_level": str(p.authority_level),
        "online_level": str(p.online_level),
        "processing_days": p.processing_days,
        "fee_vnd": p.fee.amount_vnd if p.fee else None,
        "valid_from": p.valid_from,
        "valid_to": p.valid_to,
    }


def _code_taken(p: Procedure) -> bool:
    """Whether another procedure's newest version already carries the same mã TTHC."""
    if not p.code:
        return False
    others = ProcedureVersion.objects.exclude(key=p.key)
    newest = others.filter(key=OuterRef("key")).order_by("-version").values("version")[:1]
    return others.filter(version=Subquery(newest), code=p.code).exists()


@transaction.atomic
def save_procedure_version(
    actor: Actor,
    procedure: Procedure,
    reason: str,
    *,
    base_version: int | None = None,
    create: bool = False,
) -> ProcedureVersion:
    """Write ``procedure`` as the next version of its key (version 1 of a new key when ``create``).

    ``base_version`` is the version the author started from: when someone saved a newer one meanwhile, the
    write is refused (``Conflict``) rather than silently undoing their change. The procedure must pass
    ``catalogue.procedure_errors`` (which also checks the application form) and differ from the newest version.
    """
    policy = policy_for(ProcedureVersion)
    # The key's rows stay locked to the end of the transaction: two authors cannot both write version n+1.
    rows = list(ProcedureVersion.objects.select_for_update().filter(key=procedure.key).order_by("-version"))
    newest = rows[0] if rows else None
    if newest is None:
        _require_manage(actor)
    else:
        policy.check(actor, "manage", newest)
    reason = _reason(reason)
    if create and newest is not None:
        raise Conflict(
            _("Đã có thủ tục mã nội bộ «%(key)s»; hãy sửa thủ tục đó hoặc chọn mã khác.") % {"key": procedure.key},
            code="procedure_exists",
        )
    if not create and newest is None:
        raise ValidationFailed(_("Không có thủ tục «%(key)s».") % {"key": procedure.key}, code="unknown_procedure")
    if newest is not None and base_version is not None and base_version != newest.version:
        raise Conflict(
            _(
                "Thủ tục «%(name)s» vừa có phiên bản %(version)s mới hơn phiên bản anh/chị đang sửa; "
                "hãy mở lại và sửa từ phiên bản mới nhất."
            )
            % {"name": newest.name, "version": newest.version},
            code="procedure_not_newest",
        )
    errors = procedure_errors(procedure)
    if _code_taken(procedure):
        errors.append(_("Mã thủ tục hành chính %(code)s đã dùng cho một thủ tục khác.") % {"code": procedure.code})
    if errors:
        raise ValidationFailed(" ".join(errors), code="invalid_procedure", details={"errors": errors})
    data = procedure_to_data(procedure)
    if newest is not None and data == newest.data:
        raise ValidationFailed(_("Không có thay đổi nào so với phiên bản hiện tại."), code="procedure_unchanged")
    number = newest.version + 1 if newest is not None else 1
    try:
        with transaction.atomic():
            version = ProcedureVersion.objects.create(
                key=procedure.key,
                version=number,
                data=data,
                reason=reason,
                created_by=_user(actor),
                **_columns(procedure),
            )
    except IntegrityError as exc:  # a writer on another connection took the number (SQLite has no row lock)
        raise Conflict(_("Một người khác vừa lưu phiên bản mới; hãy tải lại trang."), code="procedure_race") from exc
    before = newest.data if newest is not None else {}
    changed = sorted(name for name, value in data.items() if before.get(name) != value)
    audit.record(
        actor=_user(actor),
        action="procedure.new_version" if newest is not None else "procedure.create",
        obj=version,
        before={"version": newest.version, **{n: before.get(n) for n in changed}} if newest is not None else None,
        after={"version": number, **{n: data[n] for n in changed}},
        reason=reason,
    )
    return version


# ---------------------------------------------------------------------------------------------------------------
# Working calendar
# ---------------------------------------------------------------------------------------------------------------


@transaction.atomic
def calendar_day_add(*, actor: Actor, day: dt.date, kind: str, name: str) -> CalendarDay:
    """Store an official day off or a make-up working day that the ``holidays`` package does not know.

    A day off on a day that is already off (weekend, public holiday) or a working day on a day that is already
    worked changes nothing, so it is refused: the calendar keeps only decisions that matter.
    """
    _require_manage(actor)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(
            _("Cần ghi lý do, căn cứ (ví dụ số văn bản cho nghỉ bù)."), code="name_required", details={"name": []}
        )
    if len(name) > 255:
        raise ValidationFailed(_("Lý do, căn cứ dài tối đa 255 ký tự."), code="name_too_long", details={"name": []})
    if kind not in CalendarDayKind.values:
        raise ValidationFailed(_("Loại ngày không hợp lệ."), code="kind_invalid", details={"kind": []})
    existing = CalendarDay.objects.select_for_update().filter(day=day).first()
    if existing is not None:
        raise Conflict(
            _("Ngày %(day)s đã có trong lịch làm việc (%(kind)s).")
            % {"day": f"{day:%d/%m/%Y}", "kind": existing.get_kind_display()},
            code="calendar_day_exists",
        )
    worked_by_default = is_working_day(day, DEFAULT_CALENDAR)
    if kind == CalendarDayKind.DAY_OFF and not worked_by_default:
        raise ValidationFailed(
            _("Ngày %(day)s vốn đã là ngày nghỉ (cuối tuần hoặc ngày lễ); không cần thêm.")
            % {"day": f"{day:%d/%m/%Y}"},
            code="already_day_off",
            details={"day": []},
        )
    if kind == CalendarDayKind.WORKING_DAY and worked_by_default:
        raise ValidationFailed(
            _("Ngày %(day)s vốn đã là ngày làm việc; chỉ thêm ngày làm bù vào thứ Bảy, Chủ nhật hoặc ngày nghỉ.")
            % {"day": f"{day:%d/%m/%Y}"},
            code="already_working_day",
            details={"day": []},
        )
    row = CalendarDay.objects.create(day=day, kind=kind, name=name, created_by=_user(actor))
    audit.record(
        actor=_user(actor),
        action="calendar.add",
        obj=row,
        after=audit.snapshot(row, fields=["day", "kind", "name"]),
        reason=name,
    )
    return row


@transaction.atomic
def calendar_day_delete(*, actor: Actor, calendar_day: CalendarDay, reason: str = "") -> None:
    """Remove a stored day off or make-up day (deadlines computed afterwards no longer see it)."""
    row = CalendarDay.objects.select_for_update().filter(pk=calendar_day.pk).first()
    if row is None:
        raise ValidationFailed(_("Ngày này không còn trong lịch làm việc."), code="calendar_day_missing")
    policy_for(CalendarDay).check(actor, "manage", row)
    before = audit.snapshot(row, fields=["day", "kind", "name"])
    label = str(row)
    pk = row.pk
    row.delete()
    audit.record(
        actor=_user(actor),
        action="calendar.delete",
        object_type=CalendarDay._meta.label_lower,
        object_id=str(pk),
        object_label=label,
        before=before,
        reason=(reason or "").strip()[:MAX_REASON],
    )


# ---------------------------------------------------------------------------------------------------------------
# Service desks
# ---------------------------------------------------------------------------------------------------------------


@transaction.atomic
def desk_identifier_set(
    *,
    actor: Actor,
    org_unit: OrgUnit,
    unit_code: str,
    valid_from: dt.date,
    address: str = "",
    phone: str = "",
) -> ServiceDesk:
    """Give ``org_unit`` the electronic identifier ``unit_code`` (QĐ 20/2020/QĐ-TTg) from ``valid_from``.

    The identifier in use is closed at the day before (its dossier codes stay as they were); identifiers are
    never edited. One identifier belongs to one unit at a time, since dossier numbers are counted per identifier.
    """
    policy_for(ServiceDesk).check_in(actor, "manage", org_unit)
    if not org_unit.is_open:
        raise ValidationFailed(
            _("%(unit)s đã ngừng hoạt động.") % {"unit": org_unit.name}, code="unit_closed", details={"org_unit": []}
        )
    try:
        code = validate_unit_code(unit_code)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, code=exc.code, details={"unit_code": [exc.message]}) from exc
    desks = list(ServiceDesk.objects.select_for_update().filter(org_unit=org_unit).order_by("-valid_from"))
    current = next((d for d in desks if d.valid_to is None), None)
    if current is not None:
        if current.unit_code == code:
            raise ValidationFailed(
                _("%(unit)s đang dùng mã %(code)s.") % {"unit": org_unit.name, "code": code},
                code="desk_unchanged",
                details={"unit_code": []},
            )
        if valid_from <= current.valid_from:
            raise ValidationFailed(
                _("Ngày áp dụng phải sau ngày %(day)s, ngày mã hiện tại bắt đầu áp dụng.")
                % {"day": f"{current.valid_from:%d/%m/%Y}"},
                code="desk_date_too_early",
                details={"valid_from": []},
            )
    elif any(d.valid_to is not None and d.valid_to >= valid_from for d in desks):
        raise ValidationFailed(
            _("Ngày áp dụng trùng với thời gian của một mã đã dùng trước đây."),
            code="desk_date_overlap",
            details={"valid_from": []},
        )
    taken = (
        ServiceDesk.objects.filter(unit_code=code)
        .exclude(org_unit=org_unit)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
        .select_related("org_unit")
        .first()
    )
    if taken is not None:
        raise ValidationFailed(
            _("Mã %(code)s đang là mã của %(unit)s.") % {"code": code, "unit": taken.org_unit.name},
            code="desk_code_taken",
            details={"unit_code": []},
        )
    before = None
    if current is not None:
        before = audit.snapshot(current, fields=["unit_code", "valid_from", "valid_to"])
        current.valid_to = valid_from - dt.timedelta(days=1)
        current.save(update_fields=["valid_to"])
    try:
        with transaction.atomic():
            desk = ServiceDesk.objects.create(
                org_unit=org_unit,
                unit_code=code,
                valid_from=valid_from,
                address=(address or (current.address if current else "")).strip()[:255],
                phone=(phone or (current.phone if current else "")).strip()[:32],
            )
    except IntegrityError as exc:
        raise Conflict(_("Mã %(code)s đã được khai báo từ ngày này.") % {"code": code}, code="desk_race") from exc
    audit.record(
        actor=_user(actor),
        action="desk.set_identifier",
        obj=desk,
        org_unit=org_unit,
        before=before,
        after=audit.snapshot(desk, fields=["unit_code", "valid_from", "address", "phone"]),
    )
    return desk
