"""Pages: the public procedure catalogue, its administration, the working calendar and the service desks.

The catalogue and a procedure's page are public and phone first (no log-in). The administration is for holders of
``procedure.manage``: an edit shows the difference with the newest version and asks for a reason before the next
version is written; the calendar and the desks keep dated history.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.api import Actor, DomainError, OrgUnitKind, ValidationFailed, actor_for, policy_for
from edudx.core.pagination import paginate

from ..catalogue import AuthorityLevel, OnlineLevel, Procedure, procedure_errors
from ..forms_catalogue import (
    CalendarDayForm,
    ComponentFormSet,
    DeskForm,
    FieldFormSet,
    ProcedureForm,
    build_procedure,
    definition_problems,
    initial_of,
)
from ..models import CalendarDay, ProcedureVersion
from ..selectors import catalogue as selectors
from ..services import catalogue as services

__all__ = ["urlpatterns"]


def _crumbs(*pages: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("Dịch vụ công"), reverse("procedures:catalogue")), *pages]


def _admin_crumbs(*pages: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("Danh mục thủ tục"), reverse("procedures:catalogue_admin")), *pages]


def _manager(request: HttpRequest) -> Actor:
    actor = actor_for(request)
    if not actor.subtree_paths("procedure.manage"):
        raise PermissionDenied
    return actor


def _submit_url(key: str) -> str | None:
    # The submission page belongs to the citizen pages; a deployment without them shows no button.
    try:
        return reverse("procedures:submit", args=[key])
    except NoReverseMatch:
        return None


# ---------------------------------------------------------------------------------------------------------------
# Public catalogue
# ---------------------------------------------------------------------------------------------------------------


def catalogue(request: HttpRequest) -> HttpResponseBase:
    """The procedures offered today, with search and filters."""
    today = timezone.localdate()
    filters = {
        "q": request.GET.get("q", "").strip()[:100],
        "level": request.GET.get("level", ""),
        "online": request.GET.get("online", ""),
        "fee": request.GET.get("fee", ""),
    }
    rows = selectors.catalogue_list(
        day=today,
        query=filters["q"],
        authority_level=filters["level"],
        online_level=filters["online"],
        fee=filters["fee"],
    )
    page = paginate(request, rows, per_page=20)
    for row in page["object_list"]:
        row.fee_text = selectors.vnd_text(row.fee_vnd)  # type: ignore[attr-defined]
    context = {
        **page,
        "filters": filters,
        "levels": AuthorityLevel.choices,
        "online_levels": OnlineLevel.choices,
        "today": today,
        "crumbs": [(_("Dịch vụ công"), None)],
    }
    return render(request, "procedures/catalogue/list.html", context)


def _procedure_context(version: ProcedureVersion) -> dict[str, Any]:
    procedure = selectors.procedure_of(version)
    form = procedure.application_form
    return {
        "version": version,
        "procedure": procedure,
        "unconfirmed": procedure.unconfirmed_fields,
        "fee_text": selectors.vnd_text(procedure.fee.amount_vnd) if procedure.fee else "",
        "form_fields": [
            {"field": f, "type_label": selectors.FIELD_TYPE_LABELS.get(f.type, f.type)}
            for f in (form.fields if form else ())
        ],
    }


def procedure_detail(request: HttpRequest, key: str) -> HttpResponseBase:
    """A procedure as offered today: what to prepare, how long it takes, what it costs, and the way to submit."""
    try:
        version = selectors.version_in_force(key, timezone.localdate())
    except ValidationFailed:
        raise Http404 from None
    context = {
        **_procedure_context(version),
        "submit_url": _submit_url(key),
        "crumbs": _crumbs((version.name, None)),
    }
    return render(request, "procedures/catalogue/detail.html", context)


# ---------------------------------------------------------------------------------------------------------------
# Administration
# ---------------------------------------------------------------------------------------------------------------


@login_required
def catalogue_admin(request: HttpRequest) -> HttpResponseBase:
    actor = _manager(request)
    query = request.GET.get("q", "").strip()[:100]
    context = {
        "rows": selectors.catalogue_admin_rows(actor=actor, day=timezone.localdate(), query=query),
        "query": query,
        "crumbs": [(_("Danh mục thủ tục"), None)],
    }
    return render(request, "procedures/catalogue/admin_list.html", context)


@login_required
def catalogue_history(request: HttpRequest, key: str) -> HttpResponseBase:
    actor = _manager(request)
    versions = selectors.version_history(actor=actor, key=key)
    if not versions:
        raise Http404
    in_force = selectors.current_versions(timezone.localdate()).filter(key=key).values_list("pk", flat=True).first()
    entries = []
    for i, version in enumerate(versions):
        previous = versions[i + 1] if i + 1 < len(versions) else None
        entries.append(
            {
                "version": version,
                "in_force": version.pk == in_force,
                "diff": selectors.procedure_diff(
                    selectors.procedure_of(previous) if previous else None, selectors.procedure_of(version)
                )
                if previous
                else [],
            }
        )
    context = {
        "key": key,
        "newest": versions[0],
        "entries": entries,
        "crumbs": _admin_crumbs((versions[0].name, None)),
    }
    return render(request, "procedures/catalogue/history.html", context)


@login_required
def catalogue_version(request: HttpRequest, key: str, number: int) -> HttpResponseBase:
    actor = _manager(request)
    version = selectors.version_get(actor=actor, key=key, version=number, manage=True)
    if version is None:
        raise Http404
    context = {
        **_procedure_context(version),
        "crumbs": _admin_crumbs(
            (version.name, reverse("procedures:catalogue_history", args=[key])),
            (_("Phiên bản %(n)s") % {"n": version.version}, None),
        ),
    }
    return render(request, "procedures/catalogue/version.html", context)


def _with_extra_row(data: QueryDict, prefix: str) -> QueryDict:
    data = data.copy()
    total = f"{prefix}-TOTAL_FORMS"
    try:
        data[total] = str(int(data.get(total, "0")) + 1)
    except ValueError:
        pass
    return data


def _edit(request: HttpRequest, actor: Actor, newest: ProcedureVersion | None) -> HttpResponseBase:
    """The edit (or create) form, then the confirmation with the diff, then the new version."""
    creating = newest is None
    base = selectors.procedure_of(newest) if newest is not None else None
    if base is not None and newest is not None:
        main, component_rows, field_rows = initial_of(base)
        main["base_version"] = newest.version
    else:
        main, component_rows, field_rows = {"full_online_eligible": True}, [], []
    data: QueryDict | None = request.POST if request.method == "POST" else None
    add_row = request.POST.get("add_row", "") if data is not None else ""
    if data is not None and add_row in ("components", "fields"):
        data = _with_extra_row(data, add_row)
    form = ProcedureForm(data, initial=main, creating=creating)
    components = ComponentFormSet(data, initial=component_rows, prefix="components")
    fields = FieldFormSet(data, initial=field_rows, prefix="fields")
    crumbs = _admin_crumbs(
        (newest.name, reverse("procedures:catalogue_history", args=[newest.key]))
        if newest
        else (_("Thêm thủ tục"), None),
        *([(_("Sửa"), None)] if newest else []),
    )
    wants_save = data is not None and not add_row and not request.POST.get("back")
    if wants_save and form.is_valid() and components.is_valid() and fields.is_valid():
        procedure: Procedure | None = None
        try:
            procedure = build_procedure(form, components, fields, base=base)
        except ValidationFailed as exc:
            for message in definition_problems(exc):
                form.add_error(None, message)
        if procedure is not None:
            errors = procedure_errors(procedure)
            for message in errors:
                form.add_error(None, message)
            if not errors and request.POST.get("confirm") == "1":
                try:
                    version = services.save_procedure_version(
                        actor,
                        procedure,
                        form.cleaned_data["reason"],
                        base_version=form.cleaned_data.get("base_version"),
                        create=creating,
                    )
                except DomainError as exc:
                    details = exc.details if isinstance(exc.details, dict) else {}
                    for message in details.get("errors") or [exc.message]:
                        form.add_error(None, message)
                else:
                    messages.success(
                        request,
                        _("Đã lưu phiên bản %(version)s của thủ tục «%(name)s».")
                        % {"version": version.version, "name": version.name},
                    )
                    return redirect("procedures:catalogue_history", key=version.key)
            elif not errors:
                diff = selectors.procedure_diff(base, procedure)
                if not diff:
                    form.add_error(None, _("Không có thay đổi nào so với phiên bản hiện tại."))
                else:
                    context = {
                        "form": form,
                        "formsets": (components, fields),
                        "diff": diff,
                        "newest": newest,
                        "procedure": procedure,
                        "crumbs": [*crumbs[:-1], (_("Xác nhận thay đổi"), None)],
                    }
                    return render(request, "procedures/catalogue/confirm.html", context)
    context = {
        "form": form,
        "components": components,
        "fields": fields,
        "newest": newest,
        "creating": creating,
        "sections": {name: form.section(name) for name in ProcedureForm.SECTIONS},
        "crumbs": crumbs,
    }
    return render(request, "procedures/catalogue/edit.html", context)


@login_required
def catalogue_edit(request: HttpRequest, key: str) -> HttpResponseBase:
    actor = _manager(request)
    history = selectors.version_history(actor=actor, key=key)
    if not history:
        raise Http404
    return _edit(request, actor, history[0])


@login_required
def catalogue_create(request: HttpRequest) -> HttpResponseBase:
    return _edit(request, _manager(request), None)


# ---------------------------------------------------------------------------------------------------------------
# Working calendar
# ---------------------------------------------------------------------------------------------------------------


def _year(request: HttpRequest, default: int) -> int:
    try:
        year = int(request.GET.get("year") or default)
    except ValueError:
        return default
    return year if 2000 <= year <= 2099 else default


@login_required
def calendar(request: HttpRequest) -> HttpResponseBase:
    """Days off and make-up days of a year: the package's (read-only) beside the stored ones (editable)."""
    actor = _manager(request)
    year = _year(request, timezone.localdate().year)
    form = CalendarDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = services.calendar_day_add(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Đã thêm ngày %(day)s vào lịch làm việc.") % {"day": f"{row.day:%d/%m/%Y}"},
            )
            return redirect(f"{reverse('procedures:calendar')}?year={row.day.year}")
    context = {
        "form": form,
        "year": year,
        "years": range(year - 1, year + 2),
        "rows": selectors.calendar_rows(year=year),
        "crumbs": _admin_crumbs((_("Lịch làm việc"), None)),
    }
    return render(request, "procedures/catalogue/calendar.html", context)


@login_required
def calendar_delete(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = _manager(request)
    row = policy_for(CalendarDay).visible(actor, "manage").filter(pk=pk).first()
    if row is None:
        raise Http404
    if request.method == "POST":
        try:
            services.calendar_day_delete(actor=actor, calendar_day=row, reason=request.POST.get("reason", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã xoá ngày %(day)s khỏi lịch làm việc.") % {"day": f"{row.day:%d/%m/%Y}"})
        return redirect(f"{reverse('procedures:calendar')}?year={row.day.year}")
    context = {
        "row": row,
        "crumbs": _admin_crumbs(
            (_("Lịch làm việc"), f"{reverse('procedures:calendar')}?year={row.day.year}"), (_("Xoá ngày"), None)
        ),
    }
    return render(request, "procedures/catalogue/calendar_delete.html", context)


# ---------------------------------------------------------------------------------------------------------------
# Service desks
# ---------------------------------------------------------------------------------------------------------------

_DESK_KINDS = {"authority": OrgUnitKind.AUTHORITY, "school": OrgUnitKind.SCHOOL}


@login_required
def desks(request: HttpRequest) -> HttpResponseBase:
    """Each receiving unit's electronic identifier with its history; a new identifier closes the old one."""
    actor = _manager(request)
    kind_key = request.GET.get("kind", "authority")
    kind = _DESK_KINDS.get(kind_key, OrgUnitKind.AUTHORITY)
    form = DeskForm(request.POST or None)
    failed_unit: int | None = None
    if request.method == "POST" and form.is_valid():
        unit = actor.units_with("procedure.manage").filter(pk=form.cleaned_data["org_unit"]).first()
        if unit is None:
            raise Http404
        try:
            desk = services.desk_identifier_set(
                actor=actor,
                org_unit=unit,
                unit_code=form.cleaned_data["unit_code"],
                valid_from=form.cleaned_data["valid_from"],
                address=form.cleaned_data["address"],
                phone=form.cleaned_data["phone"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            failed_unit = unit.pk
        else:
            messages.success(
                request,
                _("%(unit)s dùng mã %(code)s từ ngày %(day)s.")
                % {"unit": unit.name, "code": desk.unit_code, "day": f"{desk.valid_from:%d/%m/%Y}"},
            )
            return redirect(f"{reverse('procedures:desks')}?kind={kind_key}#unit-{unit.pk}")
    elif request.method == "POST":
        raw = str(form.data.get("org_unit", ""))
        failed_unit = int(raw) if raw.isdigit() else None
    context = {
        "units": selectors.desk_units(actor=actor, kind=kind),
        "form": form,
        "failed_unit": failed_unit,
        "kind": kind_key,
        "today": timezone.localdate(),
        "crumbs": _admin_crumbs((_("Bộ phận Một cửa"), None)),
    }
    return render(request, "procedures/catalogue/desks.html", context)


urlpatterns: list[URLPattern] = [
    path("thu-tuc/", catalogue, name="catalogue"),
    path("thu-tuc/<slug:key>/", procedure_detail, name="procedure_detail"),
    path("quan-tri/thu-tuc/", catalogue_admin, name="catalogue_admin"),
    # "them-moi" has a hyphen, which a procedure key never has: it cannot be taken for a key.
    path("quan-tri/thu-tuc/them-moi/", catalogue_create, name="catalogue_create"),
    path("quan-tri/thu-tuc/<slug:key>/", catalogue_history, name="catalogue_history"),
    path("quan-tri/thu-tuc/<slug:key>/sua/", catalogue_edit, name="catalogue_edit"),
    path("quan-tri/thu-tuc/<slug:key>/phien-ban/<int:number>/", catalogue_version, name="catalogue_version"),
    path("quan-tri/lich-lam-viec/", calendar, name="calendar"),
    path("quan-tri/lich-lam-viec/<int:pk>/xoa/", calendar_delete, name="calendar_delete"),
    path("quan-tri/mot-cua/", desks, name="desks"),
]
