"""Pages of the organisation tree (as of two dates, unit history, dated changes) and the audit log."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from vietnam_provinces import Province, Ward

from . import services
from .enums import OrgEventKind, OrgUnitKind, Ownership, SchoolLevel
from .errors import NotPermitted, ValidationFailed
from .exports import Column, export_response
from .forms import (
    REFORM_BASELINE,
    AsOfForm,
    AuditFilterForm,
    OrgUnitCloseForm,
    OrgUnitCreateForm,
    OrgUnitMergeForm,
    OrgUnitMoveForm,
    OrgUnitRenameForm,
    ward_choices,
)
from .models import AuditEvent, OrgUnit, OrgUnitVersion
from .pagination import paginate
from .permissions import Actor, actor_for, policy_for
from .selectors import TreeNode, org_events, tree_as_of
from .services import ALLOWED_PARENT_KINDS

__all__ = [
    "audit_log",
    "audit_visible",
    "org_tree",
    "unit_change",
    "unit_create",
    "unit_detail",
    "ward_options",
]

KIND_LABELS = dict(OrgUnitKind.choices)
LEVEL_LABELS = dict(SchoolLevel.choices)
OWNERSHIP_LABELS = dict(Ownership.choices)


def _require(actor: Actor, capability: str) -> None:
    if not actor.grants_for(capability):
        raise PermissionDenied


def _node_dict(node: TreeNode) -> dict[str, Any]:
    return {
        "id": node.unit_id,
        "name": node.name,
        "kind": node.kind,
        "kind_label": KIND_LABELS.get(node.kind, node.kind),
        "level_label": LEVEL_LABELS.get(node.school_level, ""),
        "ownership_label": OWNERSHIP_LABELS.get(node.ownership, ""),
        "school_count": node.school_count,
        "is_school": node.kind == OrgUnitKind.SCHOOL,
        "children": [_node_dict(child) for child in node.children],
    }


def _count_nodes(nodes: list[TreeNode]) -> int:
    return sum(1 + _count_nodes(node.children) for node in nodes)


@login_required
def org_tree(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    _require(actor, "org.view")
    form = AsOfForm(request.GET or None, initial={"a": REFORM_BASELINE, "b": timezone.localdate()})
    day_a, day_b = form.days()
    sides = []
    for day in (day_a, day_b):
        roots = tree_as_of(actor=actor, day=day)
        sides.append(
            {
                "day": day,
                "roots": [_node_dict(root) for root in roots],
                "unit_count": _count_nodes(roots),
                "school_count": sum(root.school_count for root in roots),
            }
        )
    events = org_events(actor=actor)
    page = paginate(request, events, per_page=30)  # type: ignore[arg-type]
    return render(
        request,
        "core/org_tree.html",
        {
            "form": form,
            "sides": sides,
            "can_manage": bool(actor.grants_for("org.manage")),
            "event_kinds": OrgEventKind,
            **page,
        },
    )


def _visible_unit(actor: Actor, pk: int) -> OrgUnit:
    """The unit if the actor may see it; "not found" both when it is missing and when it is hidden."""
    unit = policy_for(OrgUnit).visible(actor).filter(pk=pk).first()
    if unit is None:
        raise Http404
    return unit


def _crumbs(unit: OrgUnit, last: str | None = None) -> list[tuple[str, str | None]]:
    crumbs: list[tuple[str, str | None]] = [(_("Cơ cấu tổ chức"), reverse("core:org_tree"))]
    for ancestor in unit.ancestors():
        if ancestor.pk != unit.pk:
            crumbs.append((ancestor.name, reverse("core:unit_detail", args=[ancestor.pk])))
    crumbs.append((unit.name, reverse("core:unit_detail", args=[unit.pk]) if last else None))
    if last:
        crumbs.append((last, None))
    return crumbs


def _place_label(unit: OrgUnit) -> str:
    parts = [unit.address]
    try:
        if unit.ward_code:
            parts.append(Ward.from_code(int(unit.ward_code)).name)  # type: ignore[arg-type]
        if unit.province_code:
            parts.append(Province.from_code(int(unit.province_code)).name)  # type: ignore[arg-type]
    except ValueError:
        pass
    return ", ".join(p for p in parts if p)


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_for(request)
    unit = _visible_unit(actor, pk)
    versions = OrgUnitVersion.objects.filter(unit=unit).select_related("parent", "event").order_by("-valid_from")
    children = policy_for(OrgUnit).visible(actor).filter(parent=unit).order_by("kind", "name")
    can_manage = policy_for(OrgUnit).allows(actor, "manage", unit)
    return render(
        request,
        "core/unit_detail.html",
        {
            "unit": unit,
            "crumbs": _crumbs(unit),
            "versions": versions,
            "events": org_events(actor=actor, unit=unit),
            "children": children,
            "place": _place_label(unit),
            "can_manage": can_manage and unit.is_open,
            "can_create_under": can_manage and unit.is_open and unit.kind != OrgUnitKind.SCHOOL,
        },
    )


def _managed(actor: Actor) -> QuerySet[OrgUnit]:
    return policy_for(OrgUnit).visible(actor, "manage").filter(valid_to__isnull=True)


ACTIONS = {
    "rename": (_("Đổi tên đơn vị"), OrgUnitRenameForm),
    "move": (_("Chuyển đơn vị quản lý"), OrgUnitMoveForm),
    "merge": (_("Sáp nhập vào đơn vị khác"), OrgUnitMergeForm),
    "close": (_("Giải thể / ngừng hoạt động"), OrgUnitCloseForm),
}


def _targets(actor: Actor, unit: OrgUnit, action: str) -> QuerySet[OrgUnit]:
    managed = _managed(actor).exclude(pk=unit.pk)
    if action == "move":
        kinds = [k for k in ALLOWED_PARENT_KINDS[OrgUnitKind(unit.kind)] if k is not None]
        managed = managed.filter(kind__in=kinds).exclude(path__startswith=unit.path)
        return managed.exclude(pk=unit.parent_id) if unit.parent_id is not None else managed
    return managed.filter(kind=unit.kind)


def _run_action(actor: Actor, unit: OrgUnit, action: str, data: dict[str, Any]) -> None:
    common = {"actor": actor, "unit": unit, "effective_on": data["effective_on"], "legal_basis": data["legal_basis"]}
    if action == "rename":
        services.orgunit_rename(new_name=data["new_name"], **common)
    elif action == "move":
        services.orgunit_move(new_parent=data["target"], **common)
    elif action == "merge":
        services.orgunit_merge(into=data["target"], **common)
    else:
        services.orgunit_close(**common)


@login_required
def unit_change(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Rename, move, merge or close a unit: form, then a confirmation step, then the service."""
    if action not in ACTIONS:
        raise Http404
    actor = actor_for(request)
    unit = _visible_unit(actor, pk)
    if not policy_for(OrgUnit).allows(actor, "manage", unit):
        raise PermissionDenied
    title, form_class = ACTIONS[action]
    kwargs: dict[str, Any] = {}
    if action in ("move", "merge"):
        kwargs["targets"] = _targets(actor, unit, action)
    form = form_class(request.POST or None, initial={"effective_on": timezone.localdate()}, **kwargs)
    confirming = False
    if request.method == "POST" and form.is_valid():
        if request.POST.get("confirmed") == "1":
            try:
                _run_action(actor, unit, action, form.cleaned_data)
            except NotPermitted as exc:
                raise PermissionDenied(exc.message) from exc
            except ValidationFailed as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Đã ghi nhận thay đổi: %(action)s – %(unit)s.") % {"action": title.lower(), "unit": unit.name},
                )
                return redirect("core:unit_detail", pk=unit.pk)
        else:
            confirming = True
    return render(
        request,
        "core/unit_change.html",
        {
            "unit": unit,
            "action": action,
            "title": title,
            "form": form,
            "confirming": confirming,
            "crumbs": _crumbs(unit, title),
            "summary": _summary(unit, action, form) if confirming else [],
        },
    )


def _summary(unit: OrgUnit, action: str, form: Any) -> list[tuple[str, str]]:
    data = form.cleaned_data
    rows = [(_("Đơn vị"), unit.name)]
    if action == "rename":
        rows.append((_("Tên mới"), data["new_name"]))
    if action in ("move", "merge"):
        rows.append((str(form.fields["target"].label), data["target"].name))
    if action == "merge":
        children = OrgUnit.objects.filter(parent=unit, valid_to__isnull=True).count()
        if children:
            rows.append((_("Đơn vị trực thuộc sẽ chuyển theo"), str(children)))
    rows.append((_("Ngày hiệu lực"), data["effective_on"].strftime("%d/%m/%Y")))
    rows.append((_("Căn cứ pháp lý"), data["legal_basis"]))
    return rows


@login_required
def unit_create(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    _require(actor, "org.manage")
    parents = _managed(actor).exclude(kind=OrgUnitKind.SCHOOL).order_by("path")
    initial: dict[str, Any] = {"valid_from": timezone.localdate()}
    parent_id = request.GET.get("parent")
    if parent_id and parent_id.isdigit():
        initial["parent"] = parents.filter(pk=int(parent_id)).first()
    form = OrgUnitCreateForm(request.POST or None, parents=parents, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = services.orgunit_create(
                actor=actor,
                kind=data["kind"],
                name=data["name"],
                parent=data["parent"],
                valid_from=data["valid_from"],
                legal_basis=data["legal_basis"],
                **form.unit_attrs(),
            )
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Đã thành lập đơn vị %(unit)s.") % {"unit": unit.name})
            return redirect("core:unit_detail", pk=unit.pk)
    return render(
        request,
        "core/unit_create.html",
        {"form": form, "crumbs": [(_("Cơ cấu tổ chức"), reverse("core:org_tree")), (_("Thành lập đơn vị"), None)]},
    )


@login_required
@require_GET
def ward_options(request: HttpRequest) -> HttpResponse:
    """The <option>s of the ward select for a province (htmx swaps them in when the province changes)."""
    return render(request, "core/_ward_options.html", {"choices": ward_choices(request.GET.get("province_code"))})


# --- Audit log -------------------------------------------------------------------------------------


def audit_visible(actor: Actor) -> QuerySet[AuditEvent]:
    return policy_for(AuditEvent).visible(actor)


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _diff(before: Any, after: Any) -> list[tuple[str, Any, Any]]:
    before = before if isinstance(before, dict) else ({} if before is None else {"giá trị": before})
    after = after if isinstance(after, dict) else ({} if after is None else {"giá trị": after})
    keys = sorted(set(before) | set(after))
    return [(k, before.get(k, ""), after.get(k, "")) for k in keys]


AUDIT_COLUMNS = [
    Column("Số thứ tự", lambda e: e.seq, 10),
    Column("Thời điểm", lambda e: e.at, 20),
    Column("Người thực hiện", lambda e: e.actor_label, 20),
    Column("Thao tác", lambda e: e.action, 16),
    Column("Loại đối tượng", lambda e: e.object_type, 20),
    Column("Mã đối tượng", lambda e: e.object_id, 12),
    Column("Đối tượng", lambda e: e.object_label, 30),
    Column("Trước", lambda e: _json(e.before), 40),
    Column("Sau", lambda e: _json(e.after), 40),
    Column("Lý do", lambda e: e.reason, 30),
]


@login_required
def audit_log(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    _require(actor, "audit.view")
    visible = audit_visible(actor)
    actions = sorted(set(visible.order_by().values_list("action", flat=True).distinct()))
    object_types = sorted(set(visible.order_by().values_list("object_type", flat=True).distinct()))
    form = AuditFilterForm(request.GET or None, actions=actions, object_types=object_types)
    events = visible.order_by("-seq")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            events = events.filter(Q(object_label__icontains=data["q"]) | Q(actor_label__icontains=data["q"]))
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["object_type"]:
            events = events.filter(object_type=data["object_type"])
        if data["date_from"]:
            events = events.filter(at__gte=_start_of(data["date_from"]))
        if data["date_to"]:
            events = events.filter(at__lt=_start_of(data["date_to"] + dt.timedelta(days=1)))
    exported = export_response(request, events.iterator(), AUDIT_COLUMNS, "nhat-ky-thay-doi")
    if exported is not None:
        return exported
    page = paginate(request, events, per_page=25)
    rows = [{"event": e, "diff": _diff(e.before, e.after)} for e in page["object_list"]]
    return render(request, "core/audit_log.html", {"form": form, "rows": rows, **page})


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
