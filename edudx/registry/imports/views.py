"""Pages of the Excel imports and of the data-quality report. Thin: services and selectors decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from edudx.core.api import Actor, actor_for, policy_for
from edudx.core.errors import DomainError
from edudx.core.exports import XLSX_MIME, Column, export_response
from edudx.core.pagination import paginate

from ..enums import ImportKind, ImportStatus
from ..models import ImportJob, SchoolYear
from . import quality, services, workbooks

IMPORT_CAPABILITY = services.IMPORT_CAPABILITY
RUNNING_STATUSES = (ImportStatus.PENDING, ImportStatus.RUNNING, ImportStatus.COMMITTING)


class UploadForm(forms.Form):
    school = forms.ModelChoiceField(label=_("Trường"), queryset=None, empty_label=None)
    kind = forms.ChoiceField(label=_("Loại dữ liệu"), choices=ImportKind.choices)
    year = forms.ModelChoiceField(label=_("Năm học"), queryset=None, empty_label=None)
    file = forms.FileField(
        label=_("Tệp Excel (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = services_schools(actor)  # type: ignore[attr-defined]
        years = policy_for(SchoolYear).visible(actor, "view").order_by("-starts_on")
        self.fields["year"].queryset = years  # type: ignore[attr-defined]
        current = years.filter(is_current=True).first()
        if current is not None:
            self.fields["year"].initial = current.pk
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("class", "form-select" if name != "file" else "form-control")


def services_schools(actor: Actor) -> Any:
    return actor.units_with(IMPORT_CAPABILITY).schools().filter(valid_to__isnull=True).order_by("name")


def _access_import(request: HttpRequest, pk: int) -> ImportJob:
    """Not found for both missing and forbidden jobs, so ids can't be probed."""
    actor = actor_for(request)
    return get_object_or_404(
        policy_for(ImportJob).visible(actor, "view").select_related("school", "year", "created_by"), pk=pk
    )


IMPORT_COLUMNS = [
    Column("Tệp", lambda j: j.original_name, 30),
    Column("Loại", lambda j: j.get_kind_display(), 16),
    Column("Trường", lambda j: j.school.name, 28),
    Column("Năm học", lambda j: j.year.code if j.year else "", 12),
    Column("Trạng thái", lambda j: j.get_status_display(), 14),
    Column("Số dòng", lambda j: j.total_rows, 10),
    Column("Người tải lên", lambda j: j.created_by.get_full_name(), 20),
    Column("Thời gian", lambda j: j.created_at, 18),
]


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    if not actor.grants_for(IMPORT_CAPABILITY):
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_upload(
                actor=actor,
                school=form.cleaned_data["school"],
                kind=form.cleaned_data["kind"],
                year=form.cleaned_data["year"],
                uploaded=form.cleaned_data["file"],
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("registry:import_detail", pk=job.pk)
    jobs = policy_for(ImportJob).visible(actor, "view").select_related("school", "year", "created_by")
    query = request.GET.get("q", "").strip()
    if query:
        jobs = jobs.filter(Q(original_name__icontains=query) | Q(school__name__icontains=query))
    if request.GET.get("kind") in ImportKind.values:
        jobs = jobs.filter(kind=request.GET["kind"])
    if request.GET.get("status") in ImportStatus.values:
        jobs = jobs.filter(status=request.GET["status"])
    if request.GET.get("mine"):
        jobs = jobs.filter(created_by=request.user)
    jobs = jobs.order_by("-created_at")
    exported = export_response(request, jobs, IMPORT_COLUMNS, "nhap-du-lieu")
    if exported is not None:
        return exported
    context = {
        "form": form,
        "kinds": ImportKind.choices,
        "statuses": ImportStatus.choices,
        "q": query,
        "crumbs": [(_("Trang chủ"), "/"), (_("Nhập dữ liệu Excel"), None)],
        **paginate(request, jobs),
    }
    return render(request, "registry/imports/import_list.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    actor = actor_for(request)
    if kind not in ImportKind.values:
        raise Http404
    if not actor.grants_for(IMPORT_CAPABILITY):
        raise PermissionDenied
    response = HttpResponse(workbooks.template_bytes(kind), content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="mau-nhap-{kind}.xlsx"'
    return response


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _access_import(request, pk)
    actor = actor_for(request)
    errors = Paginator(job.errors, 200).get_page(request.GET.get("page"))
    context = {
        "job": job,
        "errors_page": errors,
        "running": job.status in RUNNING_STATUSES,
        "can_commit": job.status == ImportStatus.PREVIEW and actor.can_in(IMPORT_CAPABILITY, job.school),
        "crumbs": [
            (_("Trang chủ"), "/"),
            (_("Nhập dữ liệu Excel"), reverse("registry:import_list")),
            (job.original_name, None),
        ],
    }
    return render(request, "registry/imports/import_detail.html", context)


@login_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = _access_import(request, pk)
    running = job.status in RUNNING_STATUSES
    response = render(request, "registry/imports/_progress.html", {"job": job, "running": running})
    if not running and getattr(request, "htmx", False):
        response["HX-Refresh"] = "true"  # finished: reload the page to show errors or the preview
    return response


@login_required
@require_POST
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    job = _access_import(request, pk)
    actor = actor_for(request)
    try:
        job = services.import_commit(actor=actor, job=job)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if job.status == ImportStatus.DONE:
            counts = job.summary.get("committed", {})
            messages.success(
                request,
                gettext("Đã ghi dữ liệu: %(c)s thêm mới, %(u)s cập nhật, %(n)s không đổi.")
                % {"c": counts.get("create", 0), "u": counts.get("update", 0), "n": counts.get("unchanged", 0)},
            )
        elif job.status == ImportStatus.COMMITTING:
            messages.info(request, _("Đang ghi dữ liệu trong nền; trang sẽ tự cập nhật."))
        else:
            messages.error(
                request, _("Dữ liệu đã thay đổi từ lúc kiểm tra; không có gì được ghi. Xem các lỗi bên dưới.")
            )
    return redirect("registry:import_detail", pk=job.pk)


@login_required
@require_GET
def import_error_file(request: HttpRequest, pk: int) -> HttpResponse:
    job = _access_import(request, pk)
    if not job.errors:
        raise Http404
    response = HttpResponse(workbooks.error_workbook_bytes(job), content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="loi-nhap-{job.pk}.xlsx"'
    return response


# --- Data quality -------------------------------------------------------------------------------


QUALITY_COLUMNS = [
    Column("Hạng", lambda r: r.rank, 8),
    Column("Trường", lambda r: r.school.name, 32),
    Column("Số học sinh", lambda r: r.students, 12),
    Column("Điểm chung (%)", lambda r: r.score, 14),
    Column("Đầy đủ (%)", lambda r: r.completeness, 12),
    Column("Hợp lệ (%)", lambda r: r.validity, 12),
    Column("Thiếu ngày sinh", lambda r: r.missing_dob, 14),
    Column("Thiếu giới tính", lambda r: r.missing_sex, 14),
    Column("Thiếu số định danh", lambda r: r.missing_pid, 16),
    Column("Chưa xếp lớp", lambda r: r.missing_class, 14),
    Column("Chưa có phụ huynh", lambda r: r.missing_guardian, 16),
    Column("Số định danh sai", lambda r: r.invalid_pid, 14),
    Column("Trùng giữa các trường", lambda r: r.duplicates, 16),
]


def _require_quality(actor: Actor) -> None:
    if not actor.grants_for(quality.CAPABILITY):
        raise PermissionDenied


@login_required
@require_GET
def data_quality(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    _require_quality(actor)
    results = quality.school_scores(actor)
    query = request.GET.get("q", "").strip().casefold()
    if query:
        results = [r for r in results if query in r.school.name.casefold()]
    exported = export_response(request, results, QUALITY_COLUMNS, "chat-luong-du-lieu")
    if exported is not None:
        return exported
    page = Paginator(results, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("export", None)
    context = {
        "page_obj": page,
        "results": page.object_list,
        "query_without_page": params.urlencode(),
        "q": request.GET.get("q", ""),
        "year": quality.current_year(),
        "crumbs": [(_("Trang chủ"), "/"), (_("Chất lượng dữ liệu"), None)],
    }
    return render(request, "registry/imports/quality.html", context)


def _student_url(pk: int) -> str | None:
    for name in ("registry:student_detail", "registry:student"):
        try:
            return reverse(name, args=[pk])
        except NoReverseMatch:
            continue
    return None


@login_required
@require_GET
def data_quality_school(request: HttpRequest, school_id: int) -> HttpResponse:
    actor = actor_for(request)
    _require_quality(actor)
    school = get_object_or_404(quality.quality_schools(actor), pk=school_id)
    issues = quality.school_issues(actor, school)
    kind = request.GET.get("issue", "").strip()
    if kind:
        issues = [i for i in issues if any(text.startswith(kind) for text in i.issues)]
    columns = [
        Column("Mã học sinh", lambda i: i.student.moet_code, 14),
        Column("Họ và tên", lambda i: i.student.person.full_name, 28),
        Column("Vấn đề", lambda i: "; ".join(i.issues), 80),
    ]
    exported = export_response(request, issues, columns, f"chat-luong-du-lieu-{school.pk}")
    if exported is not None:
        return exported
    page = Paginator(issues, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("export", None)
    rows = [{"item": item, "url": _student_url(item.student.pk)} for item in page.object_list]
    context = {
        "school": school,
        "page_obj": page,
        "rows": rows,
        "issue": kind,
        "issue_kinds": [
            "Thiếu ngày sinh",
            "Thiếu giới tính",
            "Thiếu số định danh",
            "Số định danh sai",
            "Trùng số định danh",
            "Chưa xếp lớp",
            "Chưa có thông tin phụ huynh",
        ],
        "query_without_page": params.urlencode(),
        "crumbs": [
            (_("Trang chủ"), "/"),
            (_("Chất lượng dữ liệu"), reverse("registry:data_quality")),
            (school.name, None),
        ],
    }
    return render(request, "registry/imports/quality_school.html", context)
