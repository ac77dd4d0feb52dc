"""Reads of the procedure catalogue, the working calendar and the service desks.

The catalogue, the calendar and the desks are public information (``permissions``): the citizen pages read them
without logging in. ``Policy.visible`` answers nothing to an anonymous visitor, which suits private rows only, so
the public reads here apply the policy's own ``procedure.view`` filter (``public_rows``); the administration reads
go through ``visible(actor, "manage")``.

A procedure version is offered on a day when its dates cover the day; among several versions of one key covering
the day, the newest (highest number) wins — a new version never edits or closes the one before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from edudx.core.api import Actor, OrgUnit, OrgUnitKind, ValidationFailed, policy_for
from edudx.core.rules import fold_vietnamese

from ..catalogue import (
    AuthorityLevel,
    Component,
    ComponentForm,
    FeeKind,
    OnlineLevel,
    Procedure,
    ResultType,
)
from ..catalogue_store import procedure_from_data
from ..forms_schema import PREFILL_SOURCES, FieldType, FormDefinition
from ..models import CalendarDay, CalendarDayKind, ProcedureVersion, ServiceDesk
from ..workdays import public_holidays

__all__ = [
    "FIELD_LABELS",
    "FIELD_TYPE_LABELS",
    "AdminRow",
    "CalendarRow",
    "DeskUnit",
    "FieldChange",
    "calendar_rows",
    "catalogue_admin_rows",
    "catalogue_list",
    "current_versions",
    "desk_units",
    "procedure_diff",
    "procedure_of",
    "public_rows",
    "search_versions",
    "version_get",
    "version_history",
    "version_in_force",
    "vnd_text",
]

M = TypeVar("M", bound=models.Model)
_l = gettext_lazy

# Labels of the fields of ``catalogue.Procedure`` (diff, "chờ xác nhận" check boxes, detail page).
FIELD_LABELS: dict[str, Any] = {
    "key": _l("Mã nội bộ"),
    "name": _l("Tên thủ tục"),
    "code": _l("Mã thủ tục hành chính"),
    "legal_basis": _l("Căn cứ pháp lý"),
    "authority_level": _l("Cấp có thẩm quyền"),
    "competent_authority": _l("Cơ quan có thẩm quyền quyết định"),
    "components": _l("Thành phần hồ sơ"),
    "processing_days": _l("Thời hạn giải quyết"),
    "fee": _l("Phí, lệ phí"),
    "online_level": _l("Mức độ trực tuyến"),
    "result_type": _l("Loại kết quả"),
    "result_name": _l("Kết quả giải quyết"),
    "valid_from": _l("Áp dụng từ ngày"),
    "valid_to": _l("Áp dụng đến ngày"),
    "sector": _l("Lĩnh vực"),
    "application_form": _l("Biểu mẫu trực tuyến"),
    "full_online_eligible": _l("Đủ điều kiện cung cấp trực tuyến toàn trình"),
    "unconfirmed_fields": _l("Thông tin chờ xác nhận"),
    "sources": _l("Nguồn thông tin"),
    "note": _l("Ghi chú"),
}

FIELD_TYPE_LABELS: dict[str, Any] = {
    FieldType.TEXT: _l("Văn bản ngắn"),
    FieldType.TEXTAREA: _l("Văn bản dài"),
    FieldType.DATE: _l("Ngày"),
    FieldType.NUMBER: _l("Số"),
    FieldType.CHOICE: _l("Lựa chọn"),
    FieldType.PERSONAL_ID: _l("Số định danh cá nhân"),
    FieldType.PHONE: _l("Điện thoại"),
    FieldType.EMAIL: _l("Thư điện tử"),
    FieldType.FILE: _l("Tệp đính kèm"),
    FieldType.STUDENT: _l("Học sinh (chọn trong danh sách con)"),
}


def public_rows(model: type[M], queryset: QuerySet[M] | None = None, actor: Actor | None = None) -> QuerySet[M]:
    """Rows of public reference data, for anyone (anonymous too): the model policy's ``procedure.view`` filter."""
    qs = queryset if queryset is not None else model._default_manager.all()
    return qs.filter(policy_for(model).filter_q(actor or Actor(user=None), "procedure.view"))


def vnd_text(amount: int | None) -> str:
    """``10000`` → ``"10.000"`` (Vietnamese grouping; the locale's number format does not group)."""
    return f"{amount or 0:,}".replace(",", ".")


def procedure_of(version: ProcedureVersion) -> Procedure:
    """The ``catalogue.Procedure`` a stored version holds (cached on the row)."""
    cached = getattr(version, "_procedure", None)
    if cached is None:
        cached = procedure_from_data(version.data)
        version._procedure = cached  # type: ignore[attr-defined]
    return cached


# ---------------------------------------------------------------------------------------------------------------
# Versions in force
# ---------------------------------------------------------------------------------------------------------------


def _covering(day: dt.date) -> QuerySet[ProcedureVersion]:
    return public_rows(ProcedureVersion).filter(Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gte=day))


def current_versions(day: dt.date) -> QuerySet[ProcedureVersion]:
    """The version of every procedure offered on ``day``: the newest version per key whose dates cover the day."""
    newest = _covering(day).filter(key=OuterRef("key")).order_by("-version").values("version")[:1]
    return _covering(day).filter(version=Subquery(newest)).order_by("name", "key")


def version_in_force(key: str, day: dt.date) -> ProcedureVersion:
    """The version of procedure ``key`` offered on ``day``, or ``ValidationFailed`` (code ``unknown_procedure``)."""
    version = _covering(day).filter(key=key).order_by("-version").first()
    if version is None:
        raise ValidationFailed(
            _("Không có thủ tục «%(key)s» có hiệu lực ngày %(day)s.") % {"key": key, "day": f"{day:%d/%m/%Y}"},
            code="unknown_procedure",
        )
    return version


def search_versions(queryset: QuerySet[ProcedureVersion], text: str) -> QuerySet[ProcedureVersion]:
    """Versions whose name or mã TTHC contains ``text``, ignoring case, spacing and diacritics.

    The catalogue holds a few dozen procedures: folding them in Python works on every database (SQLite has no
    unaccent) and keeps the result a queryset the caller can paginate.
    """
    phrase = " ".join(fold_vietnamese(text).split())
    if not phrase:
        return queryset
    matching = [
        pk
        for pk, name, code, key in queryset.values_list("pk", "name", "code", "key")
        if phrase in " ".join(fold_vietnamese(name).split()) or phrase in code.lower() or phrase == key
    ]
    return queryset.filter(pk__in=matching)


def catalogue_list(
    *,
    day: dt.date,
    query: str = "",
    authority_level: str = "",
    online_level: str = "",
    fee: str = "",
) -> QuerySet[ProcedureVersion]:
    """The public catalogue on ``day`` with its filters; ``fee`` is ``"yes"`` (fee-bearing), ``"no"`` or empty."""
    rows = current_versions(day)
    if authority_level in AuthorityLevel.values:
        rows = rows.filter(authority_level=authority_level)
    if online_level in OnlineLevel.values:
        rows = rows.filter(online_level=online_level)
    if fee == "yes":
        rows = rows.filter(fee_vnd__gt=0)
    elif fee == "no":
        rows = rows.filter(Q(fee_vnd__isnull=True) | Q(fee_vnd=0))
    return search_versions(rows, query)


# ---------------------------------------------------------------------------------------------------------------
# Administration
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class AdminRow:
    """One procedure key in the administration list."""

    key: str
    newest: ProcedureVersion
    in_force: ProcedureVersion | None
    versions: int


def _managed(actor: Actor) -> QuerySet[ProcedureVersion]:
    return policy_for(ProcedureVersion).visible(actor, "manage")


def catalogue_admin_rows(*, actor: Actor, day: dt.date, query: str = "") -> list[AdminRow]:
    """Every procedure key the actor manages: its newest version, the version in force on ``day``, how many."""
    rows = _managed(actor)
    stats = {r["key"]: r for r in rows.values("key").annotate(newest=Max("version"), count=Count("id"))}
    newest = {
        v.key: v
        for v in search_versions(
            rows.filter(version=Subquery(rows.filter(key=OuterRef("key")).order_by("-version").values("version")[:1])),
            query,
        ).select_related("created_by")
    }
    in_force = {v.key: v for v in current_versions(day).filter(key__in=list(newest))}
    out = [AdminRow(key, version, in_force.get(key), stats[key]["count"]) for key, version in newest.items()]
    return sorted(out, key=lambda row: (fold_vietnamese(row.newest.name), row.key))


def version_history(*, actor: Actor, key: str) -> list[ProcedureVersion]:
    """Every version of ``key``, newest first (empty when there is none or the actor may not manage it)."""
    return list(_managed(actor).filter(key=key).select_related("created_by").order_by("-version"))


def version_get(*, actor: Actor | None, key: str, version: int, manage: bool = False) -> ProcedureVersion | None:
    """One version; ``manage`` asks for the administration's view (else the public one)."""
    if manage and actor is not None:
        rows = _managed(actor)
    else:
        rows = public_rows(ProcedureVersion)
    return rows.filter(key=key, version=version).select_related("created_by").first()


# ---------------------------------------------------------------------------------------------------------------
# Diff between two versions
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One changed field: the text before and after, or for lists, the rows that differ."""

    name: str
    label: str
    before: str = ""
    after: str = ""
    rows: tuple[tuple[str, str], ...] = ()


def _enum_label(enum: Any, value: Any) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return str(value)


def _component_text(c: Component) -> str:
    required = _("bắt buộc") if c.required else _("không bắt buộc")
    text = f"{c.name} — {_enum_label(ComponentForm, c.form)} × {c.count} ({required})"
    return f"{text}; {c.note}" if c.note else text


def _form_rows(definition: FormDefinition | None) -> list[str]:
    if definition is None:
        return []
    rows = [_("Biểu mẫu %(code)s: %(title)s (phiên bản %(version)s)") % definition.__dict__]
    for f in definition.fields:
        parts = [str(FIELD_TYPE_LABELS.get(f.type, f.type)), _("bắt buộc") if f.required else _("không bắt buộc")]
        if f.choices:
            parts.append(", ".join(f"{c.value}={c.label}" for c in f.choices))
        if f.prefill:
            parts.append(_("điền sẵn: %(source)s") % {"source": _(PREFILL_SOURCES.get(f.prefill, f.prefill))})
        if f.max_length:
            parts.append(_("tối đa %(n)s ký tự") % {"n": f.max_length})
        if f.help:
            parts.append(f.help)
        rows.append(f"{f.key}: {f.label} ({'; '.join(parts)})")
    return rows


def _text(name: str, p: Procedure) -> str | list[str]:
    """A readable text of one field (a list of lines for list-valued fields)."""
    value = getattr(p, name)
    if name == "components":
        return [_component_text(c) for c in value]
    if name == "application_form":
        return _form_rows(value)
    if name in ("legal_basis", "sources"):
        return list(value)
    if name == "unconfirmed_fields":
        return ", ".join(str(FIELD_LABELS.get(n, n)) for n in sorted(value)) or "—"
    if name == "fee":
        if value is None:
            return _("Không thu")
        text = _("%(amount)s đồng (%(kind)s), theo %(basis)s") % {
            "amount": vnd_text(value.amount_vnd),
            "kind": _enum_label(FeeKind, value.kind),
            "basis": value.legal_basis,
        }
        return f"{text}; {value.note}" if value.note else text
    if name == "processing_days":
        return "—" if value is None else _("%(n)s ngày làm việc") % {"n": value}
    if name == "authority_level":
        return _enum_label(AuthorityLevel, value)
    if name == "online_level":
        return _enum_label(OnlineLevel, value)
    if name == "result_type":
        return _enum_label(ResultType, value)
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return "—" if value in (None, "") else str(value)


def _line_rows(before: list[str], after: list[str]) -> tuple[tuple[str, str], ...]:
    rows = []
    for i in range(max(len(before), len(after))):
        left = before[i] if i < len(before) else "—"
        right = after[i] if i < len(after) else "—"
        if left != right:
            rows.append((left, right))
    return tuple(rows)


def procedure_diff(before: Procedure | None, after: Procedure) -> list[FieldChange]:
    """Field-by-field differences of ``after`` against ``before`` (every filled field when ``before`` is None)."""
    changes: list[FieldChange] = []
    for name, label in FIELD_LABELS.items():
        new = _text(name, after)
        old = _text(name, before) if before is not None else ([] if isinstance(new, list) else "—")
        if old == new:
            continue
        if isinstance(new, list) or isinstance(old, list):
            old_lines = old if isinstance(old, list) else [old]
            new_lines = new if isinstance(new, list) else [new]
            changes.append(FieldChange(name, str(label), rows=_line_rows(old_lines, new_lines)))
        else:
            changes.append(FieldChange(name, str(label), before=old, after=new))
    return changes


# ---------------------------------------------------------------------------------------------------------------
# Working calendar
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class CalendarRow:
    """A day of the year that is not an ordinary day: from the package (read-only) or stored (editable)."""

    day: dt.date
    name: str
    source: str  # "package" or "stored"
    is_day_off: bool
    stored: CalendarDay | None = None


def calendar_rows(*, year: int) -> list[CalendarRow]:
    """The ``holidays`` package's days off of ``year`` beside the stored days off and make-up days, by date."""
    rows = [CalendarRow(day, name, "package", True) for day, name in public_holidays(year).items()]
    stored = public_rows(CalendarDay).filter(day__year=year).select_related("created_by")
    rows += [CalendarRow(d.day, d.name, "stored", d.kind == CalendarDayKind.DAY_OFF, d) for d in stored]
    return sorted(rows, key=lambda row: (row.day, row.source))


# ---------------------------------------------------------------------------------------------------------------
# Service desks
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class DeskUnit:
    """A receiving unit and its identifiers, newest first (the first one without an end date is current)."""

    unit: OrgUnit
    desks: list[ServiceDesk] = field(default_factory=list)

    @property
    def current(self) -> ServiceDesk | None:
        return next((d for d in self.desks if d.valid_to is None), None)


def desk_units(*, actor: Actor, kind: str = OrgUnitKind.AUTHORITY) -> list[DeskUnit]:
    """Open units of ``kind`` the actor manages desks for, each with its identifier history."""
    units: Iterable[OrgUnit] = (
        actor.units_with("procedure.manage").filter(kind=kind, valid_to__isnull=True).order_by("name")
    )
    by_unit = {unit.pk: DeskUnit(unit) for unit in units}
    desks = policy_for(ServiceDesk).visible(actor, "manage").filter(org_unit_id__in=list(by_unit))
    for desk in desks.order_by("org_unit_id", "-valid_from"):
        by_unit[desk.org_unit_id].desks.append(desk)
    return list(by_unit.values())
