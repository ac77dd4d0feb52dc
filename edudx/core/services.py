"""Writes to the organisation tree and role assignments. Every function: permission, validate, write, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from . import audit
from .enums import AUTHORITY_ROLES, OrgEventKind, OrgUnitKind, Role
from .errors import ValidationFailed
from .models import OrgUnit, OrgUnitEvent, OrgUnitVersion, RoleAssignment
from .permissions import Actor, policy_for

# Which kinds of unit may sit under which: the tree never gets a school above an authority.
ALLOWED_PARENT_KINDS: dict[str, set[str | None]] = {
    OrgUnitKind.MINISTRY: {None},
    OrgUnitKind.DEPARTMENT: {OrgUnitKind.MINISTRY, None},
    OrgUnitKind.AUTHORITY: {OrgUnitKind.DEPARTMENT},
    OrgUnitKind.SCHOOL: {OrgUnitKind.AUTHORITY, OrgUnitKind.DEPARTMENT},
}


def _check_parent(kind: str, parent: OrgUnit | None) -> None:
    allowed = ALLOWED_PARENT_KINDS[OrgUnitKind(kind)]
    if (parent.kind if parent else None) not in allowed:
        raise ValidationFailed("Đơn vị cấp trên không phù hợp với loại đơn vị này.")
    if parent is not None and parent.valid_to is not None:
        raise ValidationFailed(f"Đơn vị cấp trên '{parent.name}' đã ngừng hoạt động.")


def _require_manage(actor: Actor | None, where: OrgUnit | None) -> None:
    # ``actor`` None means the platform itself (migrations, the demo loader), never a request.
    if actor is not None and not actor.can_in("org.manage", where):
        from .errors import NotPermitted

        raise NotPermitted("Bạn không có quyền thay đổi cơ cấu tổ chức tại đơn vị này.")


def _user(actor: Actor | None) -> Any:
    return actor.user if actor is not None else None


@transaction.atomic
def orgunit_create(
    *,
    actor: Actor | None,
    kind: str,
    name: str,
    parent: OrgUnit | None,
    valid_from: dt.date,
    legal_basis: str = "",
    **attrs: Any,
) -> OrgUnit:
    _require_manage(actor, parent)
    _check_parent(kind, parent)
    if not name.strip():
        raise ValidationFailed("Tên đơn vị không được để trống.")
    unit = OrgUnit(kind=kind, name=name.strip(), parent=parent, valid_from=valid_from, **attrs)
    unit.save()
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.depth = parent.depth + 1 if parent else 0
    unit.save(update_fields=["path", "depth"])
    event = OrgUnitEvent.objects.create(
        kind=OrgEventKind.CREATE,
        unit=unit,
        effective_on=valid_from,
        new_name=unit.name,
        new_parent=parent,
        legal_basis=legal_basis,
        recorded_by=_user(actor),
    )
    OrgUnitVersion.objects.create(unit=unit, name=unit.name, parent=parent, valid_from=valid_from, event=event)
    audit.record(actor=_user(actor), action="org.create", obj=unit, org_unit=unit, after=audit.snapshot(unit))
    return unit


def _current_version(unit: OrgUnit, on: dt.date, *, strictly_after: bool = False) -> OrgUnitVersion:
    """The unit's open version, locked; ``on`` may not precede it (history is never rewritten)."""
    current = OrgUnitVersion.objects.select_for_update().filter(unit=unit, valid_to__isnull=True).get()
    if on < current.valid_from or (strictly_after and on == current.valid_from):
        raise ValidationFailed(
            f"Ngày hiệu lực phải sau {current.valid_from:%d/%m/%Y} (lần thay đổi gần nhất của '{unit.name}')."
        )
    return current


def _advance_version(
    current: OrgUnitVersion, on: dt.date, *, event: OrgUnitEvent, name: str, parent: OrgUnit | None
) -> None:
    """Close ``current`` on ``on`` and open the next version; a second change on the same day (the 2025
    reform renamed and re-parented schools on one date) amends the version opened that day instead."""
    if on == current.valid_from:
        current.name, current.parent, current.event = name, parent, event
        current.save(update_fields=["name", "parent", "event"])
        return
    current.valid_to = on
    current.save(update_fields=["valid_to"])
    OrgUnitVersion.objects.create(unit=current.unit, name=name, parent=parent, valid_from=on, event=event)


def _close_version(unit: OrgUnit, on: dt.date) -> OrgUnitVersion:
    current = _current_version(unit, on, strictly_after=True)
    current.valid_to = on
    current.save(update_fields=["valid_to"])
    return current


@transaction.atomic
def orgunit_rename(
    *, actor: Actor | None, unit: OrgUnit, new_name: str, effective_on: dt.date, legal_basis: str = ""
) -> OrgUnitEvent:
    _require_manage(actor, unit)
    new_name = new_name.strip()
    if not new_name or new_name == unit.name:
        raise ValidationFailed("Tên mới phải khác tên hiện tại và không được để trống.")
    if unit.valid_to is not None:
        raise ValidationFailed("Không thể đổi tên đơn vị đã ngừng hoạt động.")
    current = _current_version(unit, effective_on)
    event = OrgUnitEvent.objects.create(
        kind=OrgEventKind.RENAME,
        unit=unit,
        effective_on=effective_on,
        old_name=unit.name,
        new_name=new_name,
        legal_basis=legal_basis,
        recorded_by=_user(actor),
    )
    _advance_version(current, effective_on, event=event, name=new_name, parent=current.parent)
    before = {"name": unit.name}
    unit.name = new_name
    unit.save(update_fields=["name", "updated_at"])
    audit.record(
        actor=_user(actor),
        action="org.rename",
        obj=unit,
        org_unit=unit,
        before=before,
        after={"name": new_name, "effective_on": effective_on.isoformat()},
    )
    return event


def _repath_subtree(unit: OrgUnit, new_parent: OrgUnit) -> None:
    old_path = unit.path
    new_path = f"{new_parent.path}{unit.pk}/"
    depth_delta = new_parent.depth + 1 - unit.depth
    # One UPDATE for the whole subtree: replace the old prefix with the new one.
    OrgUnit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_delta,
    )
    unit.refresh_from_db(fields=["path", "depth"])


@transaction.atomic
def orgunit_move(
    *, actor: Actor | None, unit: OrgUnit, new_parent: OrgUnit, effective_on: dt.date, legal_basis: str = ""
) -> OrgUnitEvent:
    _require_manage(actor, unit)
    _require_manage(actor, new_parent)
    _check_parent(unit.kind, new_parent)
    if new_parent.path.startswith(unit.path):
        raise ValidationFailed("Không thể chuyển một đơn vị vào chính đơn vị trực thuộc của nó.")
    if unit.parent_id == new_parent.pk:
        raise ValidationFailed("Đơn vị đã trực thuộc đơn vị này.")
    current = _current_version(unit, effective_on)
    event = OrgUnitEvent.objects.create(
        kind=OrgEventKind.MOVE,
        unit=unit,
        effective_on=effective_on,
        old_parent=unit.parent,
        new_parent=new_parent,
        legal_basis=legal_basis,
        recorded_by=_user(actor),
    )
    _advance_version(current, effective_on, event=event, name=current.name, parent=new_parent)
    before = {"parent": unit.parent_id}
    unit.parent = new_parent
    unit.save(update_fields=["parent", "updated_at"])
    _repath_subtree(unit, new_parent)
    audit.record(
        actor=_user(actor),
        action="org.move",
        obj=unit,
        org_unit=unit,
        before=before,
        after={"parent": new_parent.pk, "effective_on": effective_on.isoformat()},
    )
    return event


@transaction.atomic
def orgunit_close(
    *,
    actor: Actor | None,
    unit: OrgUnit,
    effective_on: dt.date,
    legal_basis: str = "",
    merged_into: OrgUnit | None = None,
) -> OrgUnitEvent:
    _require_manage(actor, unit)
    if unit.valid_to is not None:
        raise ValidationFailed("Đơn vị đã ngừng hoạt động.")
    open_children = OrgUnit.objects.filter(parent=unit, valid_to__isnull=True)
    if open_children.exists():
        raise ValidationFailed(
            f"Còn {open_children.count()} đơn vị trực thuộc đang hoạt động; hãy chuyển hoặc giải thể chúng trước."
        )
    if merged_into is not None and (merged_into.pk == unit.pk or merged_into.valid_to is not None):
        raise ValidationFailed("Đơn vị nhận sáp nhập phải là một đơn vị khác đang hoạt động.")
    _close_version(unit, effective_on)
    event = OrgUnitEvent.objects.create(
        kind=OrgEventKind.MERGE if merged_into else OrgEventKind.CLOSE,
        unit=unit,
        effective_on=effective_on,
        merged_into=merged_into,
        legal_basis=legal_basis,
        recorded_by=_user(actor),
    )
    unit.valid_to = effective_on
    unit.merged_into = merged_into
    unit.save(update_fields=["valid_to", "merged_into", "updated_at"])
    # Role assignments on a closed unit end with it.
    RoleAssignment.objects.filter(org_unit=unit, valid_to__isnull=True).update(valid_to=effective_on)
    audit.record(
        actor=_user(actor),
        action="org.merge" if merged_into else "org.close",
        obj=unit,
        org_unit=unit,
        after={"effective_on": effective_on.isoformat(), "merged_into": merged_into.pk if merged_into else None},
    )
    return event


def orgunit_merge(
    *, actor: Actor | None, unit: OrgUnit, into: OrgUnit, effective_on: dt.date, legal_basis: str = ""
) -> OrgUnitEvent:
    """Merge ``unit`` into ``into``: its open children move under ``into`` on the same day, then it closes."""
    with transaction.atomic():
        for child in OrgUnit.objects.filter(parent=unit, valid_to__isnull=True):
            orgunit_move(actor=actor, unit=child, new_parent=into, effective_on=effective_on, legal_basis=legal_basis)
        return orgunit_close(
            actor=actor, unit=unit, effective_on=effective_on, legal_basis=legal_basis, merged_into=into
        )


@transaction.atomic
def role_assign(
    *,
    actor: Actor | None,
    user: Any,
    role: str,
    org_unit: OrgUnit,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
) -> RoleAssignment:
    """Give ``user`` a role on ``org_unit``. Assigners act only inside their own scope, and only
    authority staff may hand out authority roles."""
    if role not in Role.values:
        raise ValidationFailed("Vai trò không hợp lệ.")
    if actor is not None:
        if not actor.can_in("role.assign", org_unit):
            from .errors import NotPermitted

            raise NotPermitted("Bạn chỉ được phân quyền trong phạm vi đơn vị mình quản lý.")
        if role in AUTHORITY_ROLES and not actor.is_authority:
            from .errors import NotPermitted

            raise NotPermitted("Chỉ cơ quan quản lý mới được giao vai trò cấp cơ quan quản lý.")
    if role in AUTHORITY_ROLES and org_unit.kind == OrgUnitKind.SCHOOL:
        raise ValidationFailed("Vai trò cấp cơ quan quản lý không thể giao tại một trường.")
    if valid_to is not None and valid_to <= valid_from:
        raise ValidationFailed("Ngày kết thúc phải sau ngày bắt đầu.")
    if org_unit.valid_to is not None:
        raise ValidationFailed("Không thể phân quyền tại đơn vị đã ngừng hoạt động.")
    if RoleAssignment.objects.active_on(valid_from).filter(user=user, role=role, org_unit=org_unit).exists():
        raise ValidationFailed("Người dùng đã có vai trò này tại đơn vị này.")
    assignment = RoleAssignment.objects.create(
        user=user, role=role, org_unit=org_unit, valid_from=valid_from, valid_to=valid_to, granted_by=_user(actor)
    )
    audit.record(
        actor=_user(actor),
        action="role.assign",
        obj=assignment,
        org_unit=org_unit,
        after=audit.snapshot(assignment, exclude=("created_at", "updated_at")),
    )
    return assignment


@transaction.atomic
def role_revoke(*, actor: Actor | None, assignment: RoleAssignment, on: dt.date) -> RoleAssignment:
    if actor is not None:
        policy_for(RoleAssignment).check(actor, "assign", assignment)
    if assignment.valid_to is not None and assignment.valid_to <= on:
        raise ValidationFailed("Vai trò này đã hết hiệu lực.")
    before = {"valid_to": assignment.valid_to.isoformat() if assignment.valid_to else None}
    assignment.valid_to = max(on, assignment.valid_from + dt.timedelta(days=1)) if on <= assignment.valid_from else on
    assignment.save(update_fields=["valid_to", "updated_at"])
    audit.record(
        actor=_user(actor),
        action="role.revoke",
        obj=assignment,
        org_unit=assignment.org_unit,
        before=before,
        after={"valid_to": assignment.valid_to.isoformat()},
    )
    return assignment
