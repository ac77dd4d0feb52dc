"""Pages of results, the counter and digitisation; the public check of a result (``public_urlpatterns``, mounted at
/kq/ under the ``dossier_verify`` namespace, no log-in).

- ``issue_result``: the decision text and the button that seals and issues the result of an approved dossier;
- ``result_download``: the signed result, for its applicant and the staff of the receiving unit;
- ``counter_intake``: a paper dossier typed at the one-stop desk, scans signed, received at once if asked;
- ``digitise_component``: the signed scan of a paper component added to an existing dossier;
- ``verify_result`` / ``verify_lookup``: is this result genuine, and is this copy the stored one.

Views are thin: rows come from the selectors (policy-filtered; a row the actor may not see answers 404), writes go
through the services, whose refusals are shown as messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
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

from edudx.core.api import Actor, DomainError, OrgUnit, actor_for
from edudx.core.verification import (
    checked_pdf_copy,
    compare_copy,
    mask_name,
    render_check_page,
    verify_stored_pdf,
)

from .. import prefill as prefill_rules
from ..catalogue import Procedure
from ..catalogue_store import procedure_from_data
from ..forms_schema import FieldType, FormDefinition
from ..models import Dossier, DossierFile, ProcedureVersion
from ..selectors import results as selectors
from ..services import counter as counter_services
from ..services import results as services
from ..services.submission import components_to_scan_at_counter, is_application_component
from ..states import ActorKind

__all__ = [
    "counter_intake",
    "digitise_component",
    "issue_result",
    "public_urlpatterns",
    "result_download",
    "urlpatterns",
    "verify_lookup",
    "verify_result",
]


def _url(name: str, *args: Any) -> str | None:
    """A page of another area, when it exists (areas are built side by side)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _back_to_dossier(dossier: Dossier) -> str:
    return _url("procedures:dossier_detail", dossier.pk) or _url("procedures:desk_queue") or "/"


def _staff_dossier(actor: Actor, dossier_id: int) -> Dossier:
    dossier = selectors.dossier_for_staff(actor=actor, dossier_id=dossier_id)
    if dossier is None:
        raise Http404
    return dossier


# ---------------------------------------------------------------------------------------------------------------
# Issuing and downloading the result


@login_required
def issue_result(request: HttpRequest, dossier_id: int) -> HttpResponseBase:
    actor = actor_for(request)
    dossier = _staff_dossier(actor, dossier_id)
    if not services.may_prepare_result(actor, dossier):
        raise Http404  # the applicant sees their dossier, not the staff's page
    text = request.POST.get("decision_text", "") if request.method == "POST" else ""
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            services.result_issue(actor=actor, dossier_id=dossier.pk, decision_text=text, expected_version=version)
        except DomainError as exc:
            if exc.code == "forbidden":
                raise PermissionDenied from exc
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã ký số và trả kết quả hồ sơ %(code)s.") % {"code": dossier.code})
            return redirect(_back_to_dossier(dossier))
        dossier = _staff_dossier(actor, dossier_id)
    blocker = None
    try:
        services.check_issuable(actor, dossier)
    except DomainError as exc:
        blocker = exc.message
    procedure = services.procedure_of(dossier)
    context = {
        "crumbs": [(_("Hồ sơ %(code)s") % {"code": dossier.code}, _back_to_dossier(dossier)), (_("Trả kết quả"), None)],
        "dossier": dossier,
        "procedure": procedure,
        "decision_text": text,
        "blocker": blocker,
        "by_system": services.issuing_kind(dossier) == ActorKind.SYSTEM,
        "min_length": services.MIN_DECISION_LENGTH,
        "back_url": _back_to_dossier(dossier),
    }
    return render(request, "procedures/results/issue.html", context)


@login_required
def result_download(request: HttpRequest, code: str) -> HttpResponse:
    result = selectors.result_get(actor=actor_for(request), code=code)
    if result is None:
        raise Http404
    response = HttpResponse(bytes(result.content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response["Cache-Control"] = "no-store, private"
    return response


# ---------------------------------------------------------------------------------------------------------------
# The counter


@dataclass
class FieldRow:
    """One input of the form at the counter."""

    key: str
    label: str
    type: str
    required: bool
    value: Any
    choices: list[tuple[str, str]]
    help: str
    prefilled: bool
    errors: list[str]


@dataclass
class ComponentRow:
    index: int
    name: str
    form_label: str
    count: int
    required: bool
    reusable: bool
    reused: bool


def _procedure(version: ProcedureVersion) -> Procedure:
    return procedure_from_data(version.data)


def _field_rows(
    definition: FormDefinition | None, values: dict[str, Any], shown: dict[str, str], errors: dict[str, list[str]]
) -> list[FieldRow]:
    if definition is None:
        return []
    rows = []
    for f in definition.fields:
        if f.type in (FieldType.STUDENT, FieldType.FILE):
            continue  # the pupil is chosen above; files are the components below
        # A choice is selected by its stored value; ``shown`` is the text a page shows (a masked number, a date).
        value = values.get(f.key, "") if f.type == FieldType.CHOICE else shown.get(f.key, values.get(f.key, ""))
        rows.append(
            FieldRow(
                key=f.key,
                label=f.label,
                type=str(f.type),
                required=f.required,
                value="" if value is None else value,
                choices=[(c.value, c.label) for c in f.choices],
                help=f.help,
                prefilled=f.key in shown,
                errors=errors.get(f.key, []),
            )
        )
    return rows


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _chosen_unit(request: HttpRequest, units: list[OrgUnit]) -> OrgUnit:
    wanted = _int(request.POST.get("unit") or request.GET.get("unit"))
    return next((u for u in units if u.pk == wanted), units[0])


@login_required
def counter_intake(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    units = selectors.counter_units(actor=actor)
    if not units:
        raise PermissionDenied
    unit = _chosen_unit(request, units)
    data = request.POST if request.method == "POST" else request.GET
    versions = list(selectors.counter_procedures())
    version = next((v for v in versions if v.key == data.get("procedure")), None)
    context: dict[str, Any] = {
        "crumbs": [(_("Nhập hồ sơ tại quầy"), None)],
        "units": units,
        "unit": unit,
        "versions": versions,
        "version": version,
    }
    if version is None:
        return render(request, "procedures/results/counter.html", context)

    procedure = _procedure(version)
    definition = procedure.application_form
    student_key = prefill_rules.student_field(definition)
    query = (request.GET.get("q") or "").strip()
    found = selectors.unit_students(actor=actor, unit=unit, query=query) if student_key and query else []
    student = None
    known = prefill_rules.Prefill()
    chosen = _int(data.get("student"))
    if student_key and chosen is not None:
        pair = selectors.student_prefill(actor=actor, unit=unit, student_id=chosen)
        if pair is not None:
            student, known = pair
    reusable = set(prefill_rules.reusable_components(procedure, student))
    field_errors: dict[str, list[str]] = {}
    errors: list[str] = []
    posted: dict[str, Any] = {}
    if request.method == "POST":
        posted = {f.key: request.POST.get(f.key, "") for f in definition.fields} if definition else {}
        if definition is not None and student_key:
            posted[student_key] = student.moet_code if student is not None else ""
        if definition is not None:
            posted, _prefilled = prefill_rules.merge(definition, posted, known)
        files = {}
        reused = []
        for index, component in enumerate(components_to_scan_at_counter(procedure)):
            if component.name in reusable and request.POST.get(f"reused_{index}"):
                reused.append(component.name)
                continue
            scans = request.FILES.getlist(f"file_{index}")
            if scans:
                files[component.name] = scans
        try:
            dossier = counter_services.counter_intake(
                actor=actor,
                procedure_key=version.key,
                unit=unit,
                form_data=posted,
                files=files,
                applicant_name=request.POST.get("applicant_name", ""),
                applicant_phone=request.POST.get("applicant_phone", ""),
                applicant_email=request.POST.get("applicant_email", ""),
                applicant_address=request.POST.get("applicant_address", ""),
                student_id=student.pk if student is not None else None,
                reused_components=reused,
                receive_now=bool(request.POST.get("receive_now")),
            )
        except DomainError as exc:
            if exc.code == "forbidden":
                raise PermissionDenied from exc
            details = exc.details if isinstance(exc.details, dict) else {}
            field_errors = {str(k): [str(m) for m in v] for k, v in details.items()}
            errors.append(exc.message)
        else:
            messages.success(
                request,
                _("Đã nhập hồ sơ %(code)s; các thành phần quét đã được ký số của cơ quan.") % {"code": dossier.code},
            )
            return redirect(_back_to_dossier(dossier))
    values: dict[str, Any] = {}
    shown: dict[str, str] = {}
    if definition is not None:
        values = posted or known.for_form(definition)
        shown = known.display_for_form(definition)
        if posted:  # after a refusal, only a kept personal ID number stays masked; the rest shows what was typed
            shown = {
                key: text
                for key, text in shown.items()
                if definition.field(key).prefill in prefill_rules.PERSONAL_ID_SOURCES
                and posted.get(key) == known.values.get(definition.field(key).prefill)
            }
    context.update(
        {
            "procedure": procedure,
            "student_key": student_key,
            "query": query,
            "found": found,
            "student": student,
            "fields": _field_rows(definition, values, shown, field_errors),
            "components": [
                ComponentRow(
                    index=i,
                    name=c.name,
                    form_label=c.form.label,
                    count=c.count,
                    required=c.required and not is_application_component(procedure, c.name),
                    reusable=c.name in reusable,
                    reused=c.name in reusable and (request.method != "POST" or bool(request.POST.get(f"reused_{i}"))),
                )
                for i, c in enumerate(components_to_scan_at_counter(procedure))
            ],
            "applicant": {
                key: request.POST.get(key, "")
                for key in ("applicant_name", "applicant_phone", "applicant_email", "applicant_address")
            },
            "receive_now": request.method != "POST" or bool(request.POST.get("receive_now")),
            "errors": errors,
            "field_errors": field_errors,
        }
    )
    return render(request, "procedures/results/counter.html", context)


# ---------------------------------------------------------------------------------------------------------------
# Digitising a component of an existing dossier


@login_required
def digitise_component(request: HttpRequest, dossier_id: int) -> HttpResponseBase:
    actor = actor_for(request)
    dossier = _staff_dossier(actor, dossier_id)
    if not counter_services.may_take_at_counter(actor, dossier.org_unit):
        raise Http404
    names = counter_services.component_names(dossier)
    chosen = request.POST.get("component", "") if request.method == "POST" else ""
    if request.method == "POST":
        try:
            row = counter_services.component_digitise(
                actor=actor, dossier_id=dossier.pk, component=chosen, upload=request.FILES.get("file")
            )
        except DomainError as exc:
            if exc.code == "forbidden":
                raise PermissionDenied from exc
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã số hóa và ký số thành phần «%(name)s».") % {"name": row.component})
            return redirect(_back_to_dossier(dossier))
    files = dossier.files.filter(role="component", superseded=False).order_by("id")
    context = {
        "crumbs": [(_("Hồ sơ %(code)s") % {"code": dossier.code}, _back_to_dossier(dossier)), (_("Số hóa"), None)],
        "dossier": dossier,
        "names": names,
        "chosen": chosen,
        "files": files,
        "back_url": _back_to_dossier(dossier),
    }
    return render(request, "procedures/results/digitise.html", context)


urlpatterns: list[URLPattern] = [
    path("ho-so/<int:dossier_id>/tra-ket-qua/", issue_result, name="issue_result"),
    path("ho-so/<int:dossier_id>/so-hoa/", digitise_component, name="digitise_component"),
    path("ket-qua/<str:code>/tai-ve/", result_download, name="result_download"),
    path("quay/nhap-ho-so/", counter_intake, name="counter_intake"),
]


# ---------------------------------------------------------------------------------------------------------------
# Public check (no log-in)


class CopyForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Tệp PDF kết quả"))

    def clean_file(self) -> Any:
        return checked_pdf_copy(self.cleaned_data["file"], what=_("kết quả"))


def _public_context(result: DossierFile) -> dict[str, Any]:
    dossier = result.dossier
    report = verify_stored_pdf(bytes(result.content), result.sha256, namespace="dossier-result")
    signer = report.signers[0] if report.signers else None
    return {
        "result": result,
        "dossier": dossier,
        "procedure_name": dossier.procedure.name,
        "unit_name": dossier.org_unit.name,
        "masked_name": mask_name(dossier.applicant_name),
        "report": report,
        "signer": signer,
        "issued_at": timezone.localtime(dossier.result_issued_at) if dossier.result_issued_at else None,
        "in_force": report.valid and not result.superseded,
    }


def verify_result(request: HttpRequest, token: str) -> HttpResponse:
    result = selectors.result_by_token(token)
    if result is None:
        raise Http404
    form = CopyForm(request.POST or None, request.FILES or None)
    upload = None
    if request.method == "POST" and form.is_valid():
        upload = compare_copy(form.cleaned_data["file"].read(), result.sha256)
    context = {**_public_context(result), "form": form, "upload": upload}
    return render_check_page(request, "procedures/results/verify.html", context)


def verify_lookup(request: HttpRequest) -> HttpResponseBase:
    code = (request.GET.get("code") or "").strip()
    not_found = False
    if code:
        result = selectors.result_by_token(code)
        if result is not None:
            return redirect("dossier_verify:check", token=result.verify_token)
        not_found = True
    return render(request, "procedures/results/lookup.html", {"code": code, "not_found": not_found})


public_urlpatterns: list[URLPattern] = [
    path("", verify_lookup, name="lookup"),
    path("<str:token>/", verify_result, name="check"),
]
