"""Pages of the one-stop desk, the handlers and the leaders (Bộ phận Một cửa; administration notes §3.2).

Queues (desk, handler, approval) with filters and due badges; one dossier for staff with its form data (personal
ID numbers masked), files (download, preview of images and PDFs), the control sheet (Mẫu 06) and the actions the
viewer may take in the dossier's state; the forms 01–06 as PDFs (staff of the unit and the applicant, who gets the
forms addressed to them); the register (Mẫu 07) with print and XLSX/CSV export.

Views are thin: rows come from ``selectors.desk`` (policy-filtered; a dossier outside the viewer's units answers
404), every state change goes through ``services.desk.act`` → ``workflow.apply_action``, whose refusals are shown.
A stale form (someone else acted first) answers 409 with the page and a clear message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from edudx.core.api import Actor, Conflict, DomainError, NotPermitted, actor_for, policy_for
from edudx.core.exports import Column, export_response
from edudx.core.pagination import paginate

from .. import documents
from ..catalogue import SubmissionChannel
from ..models import Dossier, DossierFile, ProcedureVersion
from ..selectors import desk as selectors
from ..selectors.calendar import work_calendar
from ..services import desk as services
from ..services.workflow import NEEDS_NOTE, OWN_HANDLER_STEPS
from ..states import ActorKind, DossierAction, DossierState, allowed_actions

A = DossierAction
K = ActorKind

QUEUE_TITLES = {
    "desk": gettext_lazy("Bộ phận Một cửa: hồ sơ cần tiếp nhận, chuyển xử lý, trả kết quả"),
    "handler": gettext_lazy("Hồ sơ cần xử lý"),
    "approval": gettext_lazy("Hồ sơ chờ phê duyệt"),
}
QUEUE_STATES = {
    "desk": selectors.DESK_STATES,
    "handler": selectors.HANDLER_STATES,
    "approval": selectors.APPROVAL_STATES,
}
# Destructive or final steps: the form carries a confirmation box, checked again here.
CONFIRM_ACTIONS = frozenset(
    {
        A.REFUSE,
        A.STOP,
        A.APPROVE,
        A.RETURN_FOR_REWORK,
        A.REQUEST_COMPLETION,
        A.REQUEST_SUPPLEMENT,
        A.APOLOGISE_AND_EXTEND,
    }
)
# Issuing the result is its own page (signed PDF); the applicant's own steps are not shown to staff.
HIDDEN_ACTIONS = frozenset({A.ISSUE_RESULT, A.WITHDRAW})
PREVIEW_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _procedure_choices() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for key, name in ProcedureVersion.objects.order_by("key", "-version").values_list("key", "name"):
        seen.setdefault(key, name)
    return sorted(seen.items(), key=lambda item: item[1])


def _require_staff(actor: Actor, capability: str) -> None:
    if not actor.subtree_paths(capability):
        raise PermissionDenied


def _badges(rows: Any, now: dt.datetime) -> list[tuple[Any, str]]:
    calendar = work_calendar()
    return [(row, selectors.due_status(row, now, calendar)) for row in rows]


@login_required
def queue(request: HttpRequest, kind: str) -> HttpResponse:
    actor = actor_for(request)
    _require_staff(actor, selectors.QUEUE_CAPABILITY[kind])
    filters = selectors.QueueFilters(
        state=request.GET.get("state", ""),
        procedure=request.GET.get("procedure", ""),
        channel=request.GET.get("channel", ""),
        date_from=_date(request.GET.get("from")),
        date_to=_date(request.GET.get("to")),
        search=request.GET.get("q", ""),
    )
    rows = selectors.QUEUES[kind](actor, filters)
    page = paginate(request, rows)
    now = timezone.now()
    context = {
        "crumbs": [(QUEUE_TITLES[kind], None)],
        "kind": kind,
        "title": QUEUE_TITLES[kind],
        "filters": filters,
        "states": [(s.value, s.label) for s in QUEUE_STATES[kind]],
        "procedures": _procedure_choices(),
        "channels": SubmissionChannel.choices,
        "rows": _badges(page["object_list"], now),
        "counts": selectors.due_counts(actor, now),
        "now": now,
        **page,
    }
    return render(request, "procedures/desk/queue.html", context)


def desk_queue(request: HttpRequest) -> HttpResponse:
    return queue(request, "desk")


def handler_queue(request: HttpRequest) -> HttpResponse:
    return queue(request, "handler")


def approval_queue(request: HttpRequest) -> HttpResponse:
    return queue(request, "approval")


# ---------------------------------------------------------------------------------------------------------------
# One dossier


def _staff_dossier(actor: Actor, pk: int) -> Dossier:
    dossier = selectors.dossier_for_staff(actor, pk)
    if dossier is None:
        raise Http404
    return dossier


def viewer_actions(actor: Actor, dossier: Dossier) -> list[tuple[DossierAction, ActorKind]]:
    """The steps this viewer may take now, each with the capacity it is taken in (the service checks again)."""
    out: dict[DossierAction, ActorKind] = {}
    for kind in selectors.capacities(actor, dossier):
        for action in allowed_actions(dossier.state, actor_kind=kind):
            if action in HIDDEN_ACTIONS or action in out:
                continue
            if kind == K.HANDLER and (action in OWN_HANDLER_STEPS or action == A.START_PROCESSING):
                if dossier.handler_id not in (None, actor.user.pk):
                    continue
            out[action] = kind
    return list(out.items())


def _issue_result_url(dossier: Dossier) -> str | None:
    try:
        return reverse("procedures:issue_result", args=[dossier.pk])
    except NoReverseMatch:
        return None


def _detail_context(actor: Actor, dossier: Dossier) -> dict[str, Any]:
    events = list(dossier.events.all())
    files = list(dossier.files.all())
    now = timezone.now()
    calendar = work_calendar()
    actions = [
        {
            "action": action,
            "kind": kind,
            "label": action.label,
            "needs_note": action in NEEDS_NOTE,
            "needs_user": action in (A.ASSIGN, A.HAND_OVER),
            "needs_date": action == A.APOLOGISE_AND_EXTEND,
            "confirm": action in CONFIRM_ACTIONS,
            "danger": action in (A.REFUSE, A.STOP),
        }
        for action, kind in viewer_actions(actor, dossier)
    ]
    needs_handlers = any(a["needs_user"] for a in actions)
    return {
        "crumbs": [(QUEUE_TITLES["desk"], reverse("procedures:desk_queue")), (dossier.code, None)],
        "dossier": dossier,
        "state_label": DossierState(dossier.state).label,
        "form_rows": selectors.form_rows(dossier),
        "files": files,
        "preview_types": PREVIEW_TYPES,
        "control_lines": selectors.control_lines(dossier, events),
        "forms": documents.issued_forms(dossier, events),
        "actions": actions,
        "handlers": list(selectors.staff_with("dossier.handle", dossier)) if needs_handlers else [],
        "due_status": selectors.due_status(dossier, now, calendar),
        "assessment": selectors.assessment_of(dossier, as_of=now, calendar=calendar, events=events),
        "issue_result_url": _issue_result_url(dossier) if dossier.state == DossierState.APPROVED else None,
        "counts": selectors.due_counts(actor, now),
        "today": timezone.localdate(),
    }


@login_required
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    dossier = _staff_dossier(actor, pk)
    if request.method != "POST":
        return render(request, "procedures/desk/detail.html", _detail_context(actor, dossier))
    post = request.POST
    status = 400
    try:
        step = services.step_from_input(
            action=post.get("action", ""),
            as_kind=post.get("as_kind", ""),
            note=post.get("note", ""),
            to_user_id=post.get("to_user_id"),
            new_due_at=post.get("new_due_at"),
            expected_version=post.get("expected_version"),
        )
        if step.action in CONFIRM_ACTIONS and post.get("confirm") != "yes":
            raise DomainError(_("Vui lòng đánh dấu xác nhận trước khi thực hiện thao tác này."), code="confirm")
        services.act(actor=actor, dossier_id=dossier.pk, step=step)
    except NotPermitted as exc:
        if exc.code == "not_found":
            raise Http404 from exc
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        if isinstance(exc, Conflict):
            status = 409
        dossier = _staff_dossier(actor, pk)
        context = _detail_context(actor, dossier)
        context["error"] = exc.message
        return render(request, "procedures/desk/detail.html", context, status=status)
    messages.success(
        request, _("Đã thực hiện: %(action)s — hồ sơ %(code)s.") % {"action": step.action.label, "code": dossier.code}
    )
    return redirect("procedures:dossier_detail", pk=dossier.pk)


@login_required
def desk_file(request: HttpRequest, pk: int, file_id: int) -> HttpResponse:
    """A file of the dossier for its unit's staff: download, or ``?inline=1`` to preview an image or a PDF."""
    actor = actor_for(request)
    dossier = _staff_dossier(actor, pk)
    row = policy_for(DossierFile).visible(actor).filter(dossier=dossier, pk=file_id).first()
    if row is None:
        raise Http404
    inline = request.GET.get("inline") == "1" and row.content_type in PREVIEW_TYPES
    content_type = row.content_type if row.content_type in PREVIEW_TYPES else "application/octet-stream"
    response = HttpResponse(bytes(row.content), content_type=content_type)
    safe_name = "".join(ch for ch in row.filename if ch.isalnum() or ch in "._- ") or f"tep-{row.pk}"
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{safe_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    if content_type.startswith("image/"):
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
def form_pdf(request: HttpRequest, dossier_id: int, form_number: str) -> HttpResponse:
    """Form 01–06 of a dossier. Staff of the unit get every form; the applicant the forms addressed to them."""
    actor = actor_for(request)
    dossier = (
        policy_for(Dossier).visible(actor).select_related("procedure", "org_unit__parent").filter(pk=dossier_id).first()
    )
    if dossier is None:
        raise Http404
    if not selectors.is_staff_of(actor, dossier) and form_number not in documents.EVENT_FORMS:
        raise Http404
    event_id = request.GET.get("event")
    try:
        pdf = documents.render_form(dossier, form_number, int(event_id) if event_id and event_id.isdigit() else None)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{documents.form_filename(dossier, form_number)}"'
    response["Cache-Control"] = "no-store, private"
    return response


# ---------------------------------------------------------------------------------------------------------------
# The register (Mẫu 07)


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment) if moment else None


def register_columns() -> list[Column]:
    return [
        Column(_("STT"), lambda r: r.number, 6),
        Column(_("Mã hồ sơ"), lambda r: r.dossier.code, 26),
        Column(_("Ngày nộp"), lambda r: _local(r.dossier.submitted_at)),
        Column(_("Ngày tiếp nhận"), lambda r: _local(r.dossier.received_at)),
        Column(_("Người nộp"), lambda r: r.dossier.applicant_name, 28),
        Column(_("Thủ tục"), lambda r: r.dossier.procedure.name, 40),
        Column(_("Hẹn trả kết quả"), lambda r: _local(r.dossier.due_at)),
        Column(_("Người xử lý"), lambda r: r.dossier.handler.get_full_name() if r.dossier.handler else "", 24),
        Column(_("Ngày kết thúc xử lý"), lambda r: _local(selectors.end_at(r.dossier))),
        Column(_("Ngày trả kết quả"), lambda r: _local(r.dossier.result_issued_at)),
        Column(_("Trạng thái, kết quả"), lambda r: selectors.terminal_or_state_label(r.dossier), 24),
        Column(_("Đúng hạn / quá hạn"), lambda r: r.outcome, 22),
    ]


def register_filters(params: Any) -> selectors.RegisterFilters:
    return selectors.RegisterFilters(
        date_from=_date(params.get("from")),
        date_to=_date(params.get("to")),
        procedure=params.get("procedure", ""),
        state=params.get("state", ""),
    )


@login_required
def register(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    _require_staff(actor, "dossier.view")
    params = request.GET.copy()
    if "from" not in params and "to" not in params:
        today = timezone.localdate()
        params["from"] = today.replace(day=1).isoformat()
        params["to"] = today.isoformat()
    filters = register_filters(params)
    rows = selectors.register_rows(actor, filters)
    exported = export_response(request, rows, register_columns(), f"so-theo-doi-ho-so-{params['from']}-{params['to']}")
    if exported is not None:
        return exported
    export_params = params.copy()
    export_params.pop("export", None)
    context = {
        "crumbs": [(_("Sổ theo dõi hồ sơ"), None)],
        "rows": rows,
        "filters": filters,
        "params": params,
        "procedures": _procedure_choices(),
        "states": DossierState.choices,
        "query_without_page": export_params.urlencode(),
        "on_time": sum(1 for r in rows if r.assessment is not None and r.assessment.on_time),
        "assessed": sum(1 for r in rows if r.assessment is not None),
    }
    return render(request, "procedures/desk/register.html", context)


urlpatterns: list[URLPattern] = [
    path("can-bo/mot-cua/", desk_queue, name="desk_queue"),
    path("can-bo/xu-ly/", handler_queue, name="handler_queue"),
    path("can-bo/phe-duyet/", approval_queue, name="approval_queue"),
    path("can-bo/so-theo-doi/", register, name="register"),
    path("can-bo/ho-so/<int:pk>/", dossier_detail, name="dossier_detail"),
    path("can-bo/ho-so/<int:pk>/tep/<int:file_id>/", desk_file, name="desk_file"),
    path("bieu-mau/<int:dossier_id>/<str:form_number>/", form_pdf, name="form_pdf"),
]
