"""Citizen pages (phone first): submit a dossier with the form pre-filled from the registry, one's dossiers, the
tracking page (timeline, what is asked, forms, notifications, payment, result, rating), supplement, withdraw, and
the public look-up by code and phone number for counter applicants without an account.

Views are thin: rows come from ``selectors.citizen`` (one's own dossiers only — anyone else's code answers 404),
writes go through ``services.submission`` / ``services.citizen``, whose Vietnamese refusals are shown on the page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from edudx.core.api import Actor, DomainError, NotPermitted, OrgUnit, ValidationFailed, actor_for
from edudx.core.pagination import paginate

from .. import prefill
from ..catalogue import ComponentForm, Procedure
from ..catalogue_store import procedure_from_data
from ..forms_citizen import ApplicationForm, LookupForm, RatingForm, SupplementForm, WithdrawForm, initial_values
from ..models import Dossier, DossierFile, FileRole
from ..selectors import citizen as selectors
from ..services import citizen as services
from ..services.submission import components_to_upload, is_application_component, submit_dossier
from ..states import ActorKind, DossierAction, DossierState, allowed_actions

LOOKUP_LIMIT = 20  # look-ups per address per 10 minutes: enough for a person, not for guessing phone numbers
STATE_BADGES = {
    DossierState.SUBMITTED: "secondary",
    DossierState.NEEDS_COMPLETION: "warning",
    DossierState.SUPPLEMENT_REQUESTED: "warning",
    DossierState.RESULT_ISSUED: "success",
    DossierState.APPROVED: "success",
    DossierState.REFUSED: "danger",
    DossierState.STOPPED: "danger",
    DossierState.WITHDRAWN: "dark",
}


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("Hồ sơ của tôi"), reverse("procedures:my_dossiers")), *rest]


def _reverse_or_none(name: str, *args: Any) -> str | None:
    """Pages built by other parts of the app: linked only when they exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _own(actor: Actor, code: str) -> Dossier:
    dossier = selectors.my_dossier_get(actor=actor, code=code)
    if dossier is None:
        raise Http404
    return dossier


# ---------------------------------------------------------------------------------------------------------------
# Submit


def _component_rows(procedure: Procedure, student: Any, request: HttpRequest | None) -> list[dict[str, Any]]:
    reusable = set(prefill.reusable_components(procedure, student))
    rows = []
    for index, component in enumerate(components_to_upload(procedure)):
        reuse = component.name in reusable
        if request is not None and request.method == "POST":
            reuse = reuse and request.POST.get(f"reuse_{index}") == "1"
        rows.append(
            {
                "index": index,
                "component": component,
                "form_label": ComponentForm(component.form).label,
                "reusable": component.name in reusable,
                "reuse": reuse,
                "errors": [],
            }
        )
    return rows


@login_required
def submit(request: HttpRequest, key: str) -> HttpResponseBase:
    actor = actor_for(request)
    version = selectors.procedure_in_force(key)
    if version is None:
        raise Http404
    procedure = procedure_from_data(version.data)
    definition = procedure.application_form
    pupil_key = prefill.student_field(definition)
    children = prefill.children_of(actor) if pupil_key else []
    student = None
    raw_student = request.POST.get("student") or request.GET.get("student")
    if pupil_key:
        if not raw_student or not raw_student.isdigit():
            context = {"procedure": procedure, "version": version, "children": children,
                       "crumbs": [(_("Dịch vụ công"), _reverse_or_none("procedures:catalogue")), (procedure.name, None)]}  # fmt: skip
            return render(request, "procedures/citizen/choose_child.html", context)
        try:
            student = prefill.child_of(actor, student_id=int(raw_student))
        except NotPermitted:
            raise Http404 from None
    known = prefill.resolve(actor, student=student)
    values = known.for_form(definition) if definition else {}
    display = known.display_for_form(definition) if definition else {}
    masked = frozenset(k for k in values if definition and definition.field(k).prefill in prefill.PERSONAL_ID_SOURCES)
    units = list(selectors.receiving_units()) if student is None else []
    unit_for_pupil = selectors.receiving_unit_for_school(student.school) if student is not None else None
    rows = _component_rows(procedure, student, request)
    errors: list[str] = []
    chosen_unit = request.POST.get("unit", "")
    if request.method == "POST":
        form = ApplicationForm(definition, request.POST, masked_keys=masked) if definition else None
        if form is not None:
            form.is_valid()  # binds cleaned data; the rules are the service's
        files: dict[str, list[Any]] = {}
        for row in rows:
            uploads = request.FILES.getlist(f"component_{row['index']}")
            if uploads:
                files[row["component"].name] = uploads
        if definition:
            for f in definition.fields:
                if f.type == "file" and request.FILES.getlist(f"field_{f.key}"):
                    files[f.key] = request.FILES.getlist(f"field_{f.key}")
        unit: OrgUnit | None = None
        if student is None and chosen_unit.isdigit():
            unit = next((u for u in units if u.pk == int(chosen_unit)), None)
        answers = form.answers() if form is not None else {}
        if pupil_key and student is not None:
            answers[pupil_key] = student.moet_code
        try:
            dossier = submit_dossier(
                actor,
                key,
                form_data=answers,
                files=files,
                unit=unit,
                student_id=student.pk if student else None,
                reused_components=[r["component"].name for r in rows if r["reuse"]],
            )
        except ValidationFailed as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            by_component = {r["component"].name: r for r in rows}
            for field_key, field_messages in details.items():
                if form is not None and field_key in form.fields:
                    for message in field_messages:
                        form.add_error(field_key, message)
                elif field_key in by_component:
                    by_component[field_key]["errors"].extend(field_messages)
                else:
                    errors.extend(field_messages)
            if not details:
                errors.append(exc.message)
        except NotPermitted as exc:
            errors.append(exc.message)
        else:
            messages.success(
                request,
                _("Đã nộp hồ sơ. Mã hồ sơ của ông/bà là %(code)s; thông báo đã được gửi qua thư điện tử/SMS.")
                % {"code": dossier.code},
            )
            return redirect("procedures:dossier_track", code=dossier.code)
    else:
        form = ApplicationForm(definition, initial=initial_values(definition, values, display), masked_keys=masked) if definition else None  # fmt: skip
    application_components = [c for c in procedure.components if is_application_component(procedure, c.name)]
    context = {
        "crumbs": [(_("Dịch vụ công"), _reverse_or_none("procedures:catalogue")), (procedure.name, None)],
        "procedure": procedure,
        "version": version,
        "form": form,
        "student": student,
        "children": children,
        "rows": rows,
        "shown_components": [c for c in procedure.components if c.form == ComponentForm.SHOWN],
        "application_components": application_components,
        "units": units,
        "chosen_unit": chosen_unit,
        "unit_for_pupil": unit_for_pupil,
        "prefilled_keys": set(values),
        "errors": errors,
    }
    return render(request, "procedures/citizen/submit.html", context, status=400 if errors or (form is not None and form.errors) or any(r["errors"] for r in rows) else 200)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# My dossiers, tracking


@login_required
def my_dossiers(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    q = request.GET.get("q", "").strip()
    state = request.GET.get("state", "")
    rows = selectors.my_dossier_list(actor=actor, q=q, state=state if state in DossierState.values else "")
    page = paginate(request, rows)
    for row in page["object_list"]:
        row.badge = STATE_BADGES.get(row.state, "primary")
    context = {
        "crumbs": [(_("Hồ sơ của tôi"), None)],
        "q": q,
        "state": state,
        "states": DossierState.choices,
        "badges": STATE_BADGES,
        "catalogue_url": _reverse_or_none("procedures:catalogue"),
        **page,
    }
    return render(request, "procedures/citizen/my_dossiers.html", context)


def _bill(dossier: Dossier) -> Any:
    if not dossier.bill_reference:
        return None
    try:
        from edudx.payments.api import bill_for_reference
    except ImportError:  # pragma: no cover - the payments app is always installed with this one
        return None
    return bill_for_reference(dossier.bill_reference)


@login_required
def dossier_track(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_for(request)
    dossier = _own(actor, code)
    procedure = procedure_from_data(dossier.procedure.data)
    events = list(selectors.dossier_events(actor=actor, dossier=dossier))
    files = list(selectors.dossier_files(actor=actor, dossier=dossier))
    forms_issued = []
    for event in events:
        if event.form_number:
            forms_issued.append(
                {
                    "event": event,
                    "label": event.get_form_number_display(),
                    "url": _reverse_or_none("procedures:form_pdf", dossier.pk, event.form_number),
                }
            )
    bill = _bill(dossier)
    actions = allowed_actions(dossier.state, actor_kind=ActorKind.CITIZEN)
    context = {
        "crumbs": _crumbs((dossier.code, None)),
        "dossier": dossier,
        "procedure": procedure,
        "badge": STATE_BADGES.get(DossierState(dossier.state), "primary"),
        "events": events,
        "answers": selectors.form_answers(procedure.application_form, dossier.form_data),
        "component_files": [f for f in files if f.role in (FileRole.COMPONENT, FileRole.SUPPLEMENT)],
        "result_files": [f for f in files if f.role == FileRole.RESULT and not f.superseded],
        "forms_issued": forms_issued,
        "notifications": list(selectors.dossier_notifications(actor=actor, dossier=dossier)),
        "request_event": selectors.open_request(dossier),
        "bill": bill,
        "pay_url": bill.get_pay_url() if bill is not None and not dossier.paid_at else None,
        "result_url": _reverse_or_none("procedures:result_download", dossier.code)
        if dossier.state == DossierState.RESULT_ISSUED
        else None,
        "may_supplement": DossierAction.SUBMIT_SUPPLEMENT in actions,
        "may_withdraw": DossierAction.WITHDRAW in actions,
        "may_rate": dossier.state == DossierState.RESULT_ISSUED and dossier.rated_at is None,
        "rating_form": RatingForm(),
    }
    return render(request, "procedures/citizen/track.html", context)


@login_required
def dossier_file(request: HttpRequest, code: str, file_id: int) -> HttpResponse:
    actor = actor_for(request)
    dossier = _own(actor, code)
    stored = selectors.dossier_file_get(actor=actor, dossier=dossier, file_id=file_id)
    if stored is None or stored.role == FileRole.RESULT:  # results go through their own download (verified)
        raise Http404
    response = HttpResponse(bytes(stored.content), content_type=stored.content_type)
    response["Content-Disposition"] = _attachment(stored)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _attachment(stored: DossierFile) -> str:
    from urllib.parse import quote

    return f"attachment; filename*=UTF-8''{quote(stored.filename)}"


# ---------------------------------------------------------------------------------------------------------------
# Supplement, withdraw, rate


@login_required
def supplement(request: HttpRequest, code: str) -> HttpResponseBase:
    actor = actor_for(request)
    dossier = _own(actor, code)
    if DossierAction.SUBMIT_SUPPLEMENT not in allowed_actions(dossier.state, actor_kind=ActorKind.CITIZEN):
        messages.info(request, _("Hồ sơ %(code)s không ở trạng thái chờ bổ sung.") % {"code": dossier.code})
        return redirect("procedures:dossier_track", code=dossier.code)
    names = services.supplement_components(dossier)
    rows: list[dict[str, Any]] = [{"index": i, "name": name, "errors": []} for i, name in enumerate(names)]
    rows.append({"index": len(names), "name": services.OTHER_COMPONENT, "errors": []})
    errors: list[str] = []
    form = SupplementForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        files = {
            row["name"]: request.FILES.getlist(f"component_{row['index']}")
            for row in rows
            if request.FILES.getlist(f"component_{row['index']}")
        }
        try:
            services.dossier_supplement(
                actor=actor,
                dossier_id=dossier.pk,
                files=files,
                note=form.cleaned_data["note"],
                expected_version=_int(request.POST.get("version")),
            )
        except DomainError as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            by_name = {row["name"]: row for row in rows}
            for key, field_messages in details.items():
                if key in by_name:
                    by_name[key]["errors"].extend(field_messages)
                else:
                    errors.extend(field_messages)
            if not details:
                errors.append(exc.message)
        else:
            messages.success(request, _("Đã nộp bổ sung hồ sơ %(code)s.") % {"code": dossier.code})
            return redirect("procedures:dossier_track", code=dossier.code)
    context = {
        "crumbs": _crumbs(
            (dossier.code, reverse("procedures:dossier_track", args=[dossier.code])), (_("Bổ sung"), None)
        ),
        "dossier": dossier,
        "request_event": selectors.open_request(dossier),
        "rows": rows,
        "other": services.OTHER_COMPONENT,
        "form": form,
        "errors": errors,
    }
    failed = bool(errors) or any(row["errors"] for row in rows)
    return render(request, "procedures/citizen/supplement.html", context, status=400 if failed else 200)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
def withdraw(request: HttpRequest, code: str) -> HttpResponseBase:
    actor = actor_for(request)
    dossier = _own(actor, code)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dossier_withdraw(
                actor=actor,
                dossier_id=dossier.pk,
                reason=form.cleaned_data["reason"],
                expected_version=_int(request.POST.get("version")),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã rút hồ sơ %(code)s.") % {"code": dossier.code})
        return redirect("procedures:dossier_track", code=dossier.code)
    context = {
        "crumbs": _crumbs(
            (dossier.code, reverse("procedures:dossier_track", args=[dossier.code])), (_("Rút hồ sơ"), None)
        ),
        "dossier": dossier,
        "form": form,
        "may_withdraw": DossierAction.WITHDRAW in allowed_actions(dossier.state, actor_kind=ActorKind.CITIZEN),
    }
    return render(request, "procedures/citizen/withdraw.html", context)


@login_required
@require_POST
def rate(request: HttpRequest, code: str) -> HttpResponseBase:
    actor = actor_for(request)
    dossier = _own(actor, code)
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vui lòng chọn từ 1 đến 5 sao."))
        return redirect("procedures:dossier_track", code=dossier.code)
    try:
        services.dossier_rate(
            actor=actor, dossier_id=dossier.pk, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Cảm ơn ông/bà đã đánh giá."))
    return redirect("procedures:dossier_track", code=dossier.code)


# ---------------------------------------------------------------------------------------------------------------
# Public look-up


def _client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def lookup(request: HttpRequest) -> HttpResponse:
    form = LookupForm(request.GET or None)
    status = None
    searched = False
    limited = False
    if form.is_bound and form.is_valid():
        key = f"procedures:lookup:{_client_address(request)}"
        cache.add(key, 0, timeout=600)
        try:
            count = cache.incr(key)
        except ValueError:
            count = 1
        if count > LOOKUP_LIMIT:
            limited = True
        else:
            searched = True
            status = selectors.public_status(code=form.cleaned_data["code"], phone=form.cleaned_data["phone"])
    context = {
        "crumbs": [(_("Tra cứu hồ sơ"), None)],
        "form": form,
        "status": status,
        "searched": searched,
        "limited": limited,
        "badges": STATE_BADGES,
    }
    return render(request, "procedures/citizen/lookup.html", context, status=429 if limited else 200)


urlpatterns: list[URLPattern] = [
    path("nop-ho-so/<slug:key>/", submit, name="submit"),
    path("ho-so-cua-toi/", my_dossiers, name="my_dossiers"),
    path("theo-doi/<str:code>/", dossier_track, name="dossier_track"),
    path("theo-doi/<str:code>/tep/<int:file_id>/", dossier_file, name="my_dossier_file"),
    path("theo-doi/<str:code>/bo-sung/", supplement, name="supplement"),
    path("theo-doi/<str:code>/rut-ho-so/", withdraw, name="withdraw"),
    path("theo-doi/<str:code>/danh-gia/", rate, name="rate"),
    path("tra-cuu-ho-so/", lookup, name="lookup"),
]
