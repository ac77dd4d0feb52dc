"""Pages of score entry: my sheets, the grid, its JSON endpoints, Excel export and import, submitting.

Views are thin. A sheet is found among the sheets the actor may see (else 404, so ids cannot be probed); a write
needs ``grade.enter`` on it (else 403); services decide everything else and their refusals become messages. The
grid's endpoints answer JSON: ``{"ok": true, "cell": {...}, "average": "7,9"}`` or ``{"ok": false, "errors":
[{"student", "column", "message", "code"}]}`` with 400 (invalid), 403 (not allowed, locked) or 409 (conflict).
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from edudx.core.api import Actor, Conflict, DomainError, NotPermitted, actor_for, policy_for
from edudx.core.exports import XLSX_MIME
from edudx.core.rules import fold_vietnamese
from edudx.registry.api import SchoolClass, SchoolYear, Student

from .. import columns as cols
from .. import sheet_excel
from ..enums import CommentResult, Tt22Level, Tt27QualityLevel, Tt27SubjectLevel
from ..models import ScoreSheet, SheetStatus
from ..selectors import entry as selectors
from ..services import entry as services

__all__ = [
    "home",
    "sheet",
    "sheet_cell",
    "sheet_cells",
    "sheet_export",
    "sheet_import",
    "sheet_submit",
    "urlpatterns",
]

MAX_BLOCK = 2000  # cells in one paste: a whole sheet of 50 pupils × 40 columns
IMPORT_SALT = "gradebook.sheet_import"
IMPORT_MAX_AGE = 60 * 60  # a preview is confirmed within the hour


# ---------------------------------------------------------------------------------------------------------------
# Finding sheets
# ---------------------------------------------------------------------------------------------------------------


def _visible_sheet(actor: Actor, pk: int) -> ScoreSheet:
    return get_object_or_404(selectors.sheet_list(actor=actor, verb="view"), pk=pk)


def _sheet_for_entry(actor: Actor, pk: int) -> ScoreSheet:
    """Sheet ``pk`` among the visible ones (else 404) that the actor may enter scores in (else 403)."""
    sheet = _visible_sheet(actor, pk)
    if not policy_for(ScoreSheet).allows(actor, "enter", sheet):
        raise PermissionDenied
    return sheet


def _crumbs(sheet: ScoreSheet | None = None, *pages: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    crumbs: list[tuple[str, str | None]] = [(_("Sổ điểm"), reverse("gradebook:home"))]
    if sheet is not None:
        crumbs.append((str(sheet), reverse("gradebook:sheet", args=[sheet.pk])))
    return crumbs + list(pages)


def _current_year() -> SchoolYear | None:
    return SchoolYear.objects.filter(is_current=True).first()


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------------------------
# My sheets
# ---------------------------------------------------------------------------------------------------------------


class OpenForm(forms.Form):
    school_class = forms.ModelChoiceField(queryset=SchoolClass.objects.none())
    semester = forms.TypedChoiceField(choices=[(1, "1"), (2, "2")], coerce=int)

    def __init__(self, *args: Any, classes: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = classes  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """Sheets of the actor grouped by class and semester with their progress; leaders see their school's."""
    actor = actor_for(request)
    if not actor.grants_for("grade.enter") and not actor.subtree_paths("grade.view"):
        raise PermissionDenied
    year = _current_year()
    classes = selectors.openable_classes(actor=actor, year=year)
    if request.method == "POST":
        form = OpenForm(request.POST, classes=classes)
        if form.is_valid():
            klass, semester = form.cleaned_data["school_class"], form.cleaned_data["semester"]
            try:
                sheets = services.sheets_open(actor=actor, school_class=klass, semester=semester)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _("Đã mở %(n)s sổ điểm của lớp %(class)s, học kì %(semester)s.")
                    % {"n": len(sheets), "class": klass.name, "semester": semester},
                )
            return redirect(f"{reverse('gradebook:home')}?semester={semester}&class={klass.pk}")
        messages.error(request, _("Lớp hoặc học kì không hợp lệ."))
        return redirect("gradebook:home")
    default_semester = services.semester_on(timezone.localdate(), year.semester2_starts_on) if year is not None else 1
    semester = _int(request.GET.get("semester"))
    if semester not in (1, 2):
        semester = default_semester
    class_id = _int(request.GET.get("class"))
    chosen = classes.filter(pk=class_id).first() if class_id is not None else None
    groups = selectors.sheet_groups(actor=actor, semester=semester, school_class=chosen, year=year)
    unopened = (
        classes.annotate(n=Count("score_sheets", filter=Q(score_sheets__semester=semester))).filter(n=0)
        if chosen is None
        else classes.filter(pk=chosen.pk)
        .annotate(n=Count("score_sheets", filter=Q(score_sheets__semester=semester)))
        .filter(n=0)
    )
    return render(
        request,
        "gradebook/entry/home.html",
        {
            "crumbs": _crumbs(),
            "groups": groups,
            "classes": classes,
            "chosen": chosen,
            "semester": semester,
            "year": year,
            "unopened": unopened,
        },
    )


# ---------------------------------------------------------------------------------------------------------------
# The grid
# ---------------------------------------------------------------------------------------------------------------

LEGEND = [
    ("gb-empty", gettext_lazy("Trống")),
    ("gb-saving", gettext_lazy("Đang lưu")),
    ("gb-saved", gettext_lazy("Đã lưu")),
    ("gb-invalid", gettext_lazy("Không hợp lệ")),
    ("gb-conflict", gettext_lazy("Xung đột (người khác vừa sửa)")),
    ("gb-locked", gettext_lazy("Đã khoá (chỉ xem)")),
]


LEVEL_ENUMS: dict[str, Any] = {
    cols.COMMENT_RESULT: CommentResult,
    cols.LEVEL27: Tt27SubjectLevel,
    cols.QUALITY27: Tt27QualityLevel,
    cols.CONDUCT: Tt22Level,
}


def _aliases_for_client() -> dict[str, list[str]]:
    """What a level column accepts, folded (symbols, codes and names), for the grid's checks as you type.

    Only a hint: ``columns.parse_cell`` on the server decides, so a missing alias here costs a warning, no more.
    """
    out: dict[str, list[str]] = {}
    for kind, enum in LEVEL_ENUMS.items():
        words = {*sheet_excel.CHOICES[kind], *cols.DISPLAY[kind], *enum.values, *(str(label) for label in enum.labels)}
        out[kind] = sorted({fold_vietnamese(w).replace("_", " ").replace(".", "") for w in words})
        if kind == cols.QUALITY27:
            out[kind].append("ccg")
    return out


def _client_text() -> dict[str, str]:
    return {
        "saving": _("Đang lưu…"),
        "saved": _("Đã lưu."),
        "reload": _("Tải lại ô"),
        "reloaded": _("Đã tải lại giá trị hiện tại của ô."),
        "network": _("Không kết nối được máy chủ; ô chưa được lưu."),
        "pasteOutside": _("Vùng dán vượt ra ngoài bảng; không ô nào được lưu."),
        "pasteSaved": _("Đã lưu %(n)s ô."),
        "pasteErrors": _("Không ô nào được lưu: %(n)s ô có lỗi (đánh dấu đỏ/cam)."),
        "notANumber": _("Không phải là một số."),
        "scoreRange": _("Điểm từ 0 đến 10, tối đa một chữ số thập phân."),
        "wholeRange": _("Điểm bài kiểm tra là số nguyên từ 0 đến 10."),
        "sessions": _("Số buổi là số nguyên từ 0 đến %(max)s.") % {"max": cols.MAX_SESSIONS},
        "choice": _("Chỉ nhận: %(choices)s."),
        "tooLong": _("Dài tối đa %(max)s ký tự.") % {"max": cols.MAX_TEXT},
        "forbidden": _("Bạn không có quyền sửa sổ này."),
    }


@login_required
@require_GET
def sheet(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_for(request)
    found = _visible_sheet(actor, pk)
    grid = selectors.sheet_grid(sheet=found)
    may_enter = policy_for(ScoreSheet).allows(actor, "enter", found)
    editable = may_enter and found.status != SheetStatus.LOCKED
    client = {
        "editable": editable,
        "locked": found.status == SheetStatus.LOCKED,
        "cellUrl": reverse("gradebook:sheet_cell", args=[found.pk]),
        "cellsUrl": reverse("gradebook:sheet_cells", args=[found.pk]),
        "columns": [c.as_dict() for c in grid.columns],
        "choices": sheet_excel.CHOICES,
        "aliases": _aliases_for_client(),
        "maxText": cols.MAX_TEXT,
        "maxSessions": cols.MAX_SESSIONS,
        "text": _client_text(),
    }
    return render(
        request,
        "gradebook/entry/sheet.html",
        {
            "crumbs": _crumbs(found),
            "sheet": found,
            "grid": grid,
            "editable": editable,
            "may_enter": may_enter,
            "can_submit": editable and found.status == SheetStatus.OPEN,
            "teacher": selectors.sheet_teacher_name(found),
            "client": client,
            "legend": LEGEND,
        },
    )


def _json_error(exc: DomainError, student: Any, column: str) -> JsonResponse:
    status = 409 if isinstance(exc, Conflict) else 403 if isinstance(exc, NotPermitted) else 400
    error: dict[str, Any] = {"student": student, "column": column, "message": exc.message, "code": exc.code}
    if isinstance(exc, Conflict) and isinstance(exc.details, list) and exc.details:
        error["current"] = exc.details[0].get("current")
    return JsonResponse({"ok": False, "errors": [error]}, status=status)


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _member(sheet: ScoreSheet, student_id: Any) -> Student | None:
    """A current member of the sheet's class: ids of other pupils answer like unknown ones."""
    number = _int(student_id)
    if number is None:
        return None
    return (
        Student.objects.filter(
            pk=number, memberships__school_class=sheet.school_class, memberships__left_on__isnull=True
        )
        .select_related("person")
        .first()
    )


def _average_text(sheet: ScoreSheet, student_id: int) -> str | None:
    if not selectors.has_average(sheet):
        return None
    value = selectors.student_average(sheet, student_id)
    return cols.display(cols.SCORE, str(value)) if value is not None else ""


@login_required
@require_POST
def sheet_cell(request: HttpRequest, pk: int) -> JsonResponse:
    """Save one cell: ``{"student": id, "column": code, "value": text, "version": n}``."""
    actor = actor_for(request)
    found = _sheet_for_entry(actor, pk)
    body = _body(request)
    column = str(body.get("column") or "")
    student = _member(found, body.get("student"))
    if student is None:
        message = _("Học sinh không (còn) học lớp %(class)s.") % {"class": found.school_class.name}
        error = {"student": body.get("student"), "column": column, "message": message, "code": "student_not_in_class"}
        return JsonResponse({"ok": False, "errors": [error]}, status=400)
    try:
        cell = services.save_cell(
            actor=actor,
            sheet=found,
            student=student,
            column=column,
            raw=str(body.get("value") if body.get("value") is not None else ""),
            expected_version=_int(body.get("version")),
        )
    except DomainError as exc:
        return _json_error(exc, student.pk, column)
    column_type = next((c["type"] for c in found.columns if c["code"] == column), cols.TEXT)
    answer: dict[str, Any] = {"ok": True, "cell": selectors.cell_payload(cell, column_type)}
    if cell.version == 0:
        answer["cell"]["version"] = 0
    average = _average_text(found, student.pk)
    if average is not None:
        answer["average"] = average
    return JsonResponse(answer)


@login_required
@require_POST
def sheet_cells(request: HttpRequest, pk: int) -> JsonResponse:
    """Save a pasted block all-or-nothing: ``{"changes": [{"student", "column", "value", "version"}, ...]}``."""
    actor = actor_for(request)
    found = _sheet_for_entry(actor, pk)
    changes = _body(request).get("changes")
    if not isinstance(changes, list) or not changes or not all(isinstance(c, dict) for c in changes):
        error = {"student": None, "column": "", "message": _("Không có ô nào để lưu."), "code": "empty"}
        return JsonResponse({"ok": False, "errors": [error]}, status=400)
    if len(changes) > MAX_BLOCK:
        message = _("Mỗi lần dán tối đa %(n)s ô.") % {"n": MAX_BLOCK}
        return JsonResponse(
            {"ok": False, "errors": [{"student": None, "column": "", "message": message, "code": "too_many"}]},
            status=400,
        )
    try:
        result = services.save_cells(actor=actor, sheet=found, changes=changes)
    except DomainError as exc:
        return _json_error(exc, None, "")
    if not result.ok:
        status = 409 if result.has_conflict else 400
        return JsonResponse({"ok": False, "errors": [e.as_dict() for e in result.errors]}, status=status)
    types = {c["code"]: c["type"] for c in found.columns}
    saved = [
        {"student": c.student_id, "column": c.column, **selectors.cell_payload(c, types.get(c.column, cols.TEXT))}
        for c in result.cells
    ]
    averages: dict[str, str] = {}
    if selectors.has_average(found):
        for student_id in {c.student_id for c in result.cells}:
            averages[str(student_id)] = _average_text(found, student_id) or ""
    return JsonResponse({"ok": True, "cells": saved, "changed": result.changed, "averages": averages})


# ---------------------------------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def sheet_export(request: HttpRequest, pk: int) -> HttpResponse:
    found = _visible_sheet(actor_for(request), pk)
    response = HttpResponse(sheet_excel.export_sheet(found), content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="{sheet_excel.filename(found)}.xlsx"'
    response["Cache-Control"] = "no-store, private"
    return response


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Tệp Excel (.xlsx) đã xuất từ sổ điểm này"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "class": "form-control",
            }
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def sheet_import(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Upload → preview of the cells that change (or every error) → confirm → all or nothing."""
    actor = actor_for(request)
    found = _sheet_for_entry(actor, pk)
    context: dict[str, Any] = {
        "crumbs": _crumbs(found, (_("Nhập từ Excel"), None)),
        "sheet": found,
        "form": ImportForm(),
    }
    if request.method == "POST" and "payload" in request.POST:
        return _confirm_import(request, actor, found, context)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            try:
                data = sheet_excel.read_upload(form.cleaned_data["file"])
                plan = sheet_excel.plan_import(actor=actor, sheet=found, data=data)
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                context["plan"] = plan
                if plan.ok and plan.changes:
                    context["payload"] = signing.dumps(
                        {"sheet": found.pk, "user": actor.user.pk, "changes": plan.changes}, salt=IMPORT_SALT
                    )
    if found.status == SheetStatus.LOCKED:
        context["locked"] = True
    return render(request, "gradebook/entry/import.html", context)


def _confirm_import(request: HttpRequest, actor: Actor, found: ScoreSheet, context: dict[str, Any]) -> HttpResponseBase:
    try:
        payload = signing.loads(request.POST["payload"], salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE)
    except signing.BadSignature:
        context["error"] = _("Bản xem trước đã hết hạn hoặc không hợp lệ; hãy tải tệp lên lại.")
        return render(request, "gradebook/entry/import.html", context, status=400)
    if payload.get("sheet") != found.pk or payload.get("user") != actor.user.pk:
        raise PermissionDenied
    try:
        result = services.save_cells(actor=actor, sheet=found, changes=payload["changes"])
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "gradebook/entry/import.html", context, status=400)
    if not result.ok:
        context["error"] = _("Không ô nào được ghi: %(n)s ô có lỗi hoặc vừa bị người khác sửa sau khi xem trước.") % {
            "n": len(result.errors)
        }
        context["block_errors"] = result.errors
        return render(request, "gradebook/entry/import.html", context, status=409 if result.has_conflict else 400)
    messages.success(request, _("Đã ghi %(n)s ô từ tệp Excel.") % {"n": result.changed})
    return redirect("gradebook:sheet", pk=found.pk)


# ---------------------------------------------------------------------------------------------------------------
# Submitting
# ---------------------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def sheet_submit(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    found = _sheet_for_entry(actor, pk)
    error = ""
    if request.method == "POST":
        try:
            services.submit_sheet(actor=actor, sheet=found)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Đã nộp sổ điểm %(sheet)s.") % {"sheet": str(found)})
            return redirect("gradebook:sheet", pk=found.pk)
    return render(
        request,
        "gradebook/entry/submit.html",
        {"crumbs": _crumbs(found, (_("Nộp sổ"), None)), "sheet": found, "error": error},
        status=400 if error else 200,
    )


urlpatterns: list[URLPattern] = [
    path("", home, name="home"),
    path("sheets/<int:pk>/", sheet, name="sheet"),
    path("sheets/<int:pk>/cell", sheet_cell, name="sheet_cell"),
    path("sheets/<int:pk>/cells", sheet_cells, name="sheet_cells"),
    path("sheets/<int:pk>/export.xlsx", sheet_export, name="sheet_export"),
    path("sheets/<int:pk>/import/", sheet_import, name="sheet_import"),
    path("sheets/<int:pk>/submit/", sheet_submit, name="sheet_submit"),
]
