"""Pages of results: the home page (families: their child's results; staff: classes and lock states), a class's
results (lock panel, computation, the "sổ theo dõi" table, titles, re-assessment), the school's summary and the
authority's statistics (aggregates only).

Views are thin: rows come from the selectors (already filtered by the policies; a row the actor may not see
answers 404), a visible row the actor may not change answers 403, writes go through the services, whose refusals
are shown as messages. Locking, unlocking and sending a sheet back ask for confirmation on their own page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from edudx.core.api import Actor, DomainError, OrgUnit, Role, actor_for, policy_for
from edudx.core.exports import Column, export_response
from edudx.core.pagination import paginate
from edudx.registry.api import SchoolClass, SchoolYear

from ..columns import CONDUCT, DISPLAY
from ..enums import CommentResult, PromotionOutcome, Tt22Level, Tt22Title, Tt27Classification, Tt27Title
from ..models import ScoreSheet, SheetStatus, SubjectKind, YearResult
from ..selectors import results as selectors
from ..services import locking
from ..services import results as services

__all__ = [
    "class_compute",
    "class_lock",
    "class_results",
    "class_unlock",
    "result_exemplary",
    "result_retest",
    "result_title",
    "results_home",
    "school_summary",
    "sheet_reopen",
    "stats",
    "urlpatterns",
]

LEVEL_LABELS: dict[str, str] = {
    **{str(v): str(label) for v, label in Tt22Level.choices},
    **{str(v): str(label) for v, label in Tt27Classification.choices},
    **{str(v): str(label) for v, label in PromotionOutcome.choices},
}
TITLE_LABELS: dict[str, str] = {
    **{str(v): str(label) for v, label in Tt22Title.choices},
    **{str(v): str(label) for v, label in Tt27Title.choices},
}


def label_of(code: str) -> str:
    return LEVEL_LABELS.get(code, code) if code else ""


def _home_crumb() -> tuple[str, str]:
    return (_("Kết quả học tập"), reverse("gradebook:results_home"))


def _years() -> Any:
    return SchoolYear.objects.order_by("-starts_on")


def _chosen_year(request: HttpRequest) -> SchoolYear | None:
    raw = request.GET.get("year") or request.POST.get("year")
    if raw and raw.isdigit():
        return SchoolYear.objects.filter(pk=int(raw)).first()
    return SchoolYear.objects.filter(is_current=True).first() or _years().first()


def _visible_class(actor: Actor, pk: int) -> SchoolClass:
    return get_object_or_404(selectors.result_class_list(actor=actor), pk=pk)


def _class_url(school_class: SchoolClass) -> str:
    return reverse("gradebook:class_results", args=[school_class.pk])


def _crumbs(school_class: SchoolClass, *pages: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        _home_crumb(),
        (f"{school_class.name} – {school_class.year.code}", _class_url(school_class)),
        *pages,
    ]


def _run(request: HttpRequest, action: Any, success: str) -> bool:
    """Run a service; show its refusal as an error message. True when it succeeded."""
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


# ---------------------------------------------------------------------------------------------------------------
# Home
# ---------------------------------------------------------------------------------------------------------------


def _family_cards(actor: Actor) -> list[dict[str, Any]]:
    cards = []
    for item in selectors.family_results(actor=actor):
        result = item.result
        rows = []
        for row in item.subjects:
            if row.kind == SubjectKind.SCORED:
                values = [row.semester_1, row.semester_2, row.year]
                shown = [str(v).replace(".", ",") if v is not None else "" for v in values]
                if row.retest:
                    shown[2] += " → " + row.retest.replace(".", ",")
            elif row.kind == SubjectKind.COMMENT:
                shown = [
                    DISPLAY["comment_result"].get(v, "")
                    for v in (row.semester_1_result, row.semester_2_result, row.year_result)
                ]
            else:
                shown = [
                    row.semester_1_result,
                    row.semester_2_result,
                    str(row.test_score) if row.test_score is not None else "",
                ]
            rows.append({"name": row.subject.name, "values": shown})
        cards.append(
            {
                "result": result,
                "primary": bool(result.classification) or result.school_class.grade.level == "TH",
                "rows": rows,
                "learning": [label_of(result.learning_1), label_of(result.learning_2), label_of(result.learning_year)],
                "conduct": [label_of(result.conduct_1), label_of(result.conduct_2), label_of(result.conduct_year)],
                "classification": label_of(result.classification),
                "promotion": label_of(result.promotion),
                "title": TITLE_LABELS.get(result.title_confirmed, ""),
                "stale": bool(result.details.get("stale")),
            }
        )
    return cards


@login_required
def results_home(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    family = bool(actor.roles & {Role.GUARDIAN, Role.STUDENT})
    staff = bool(actor.grants_for("grade.view"))
    year = _chosen_year(request)
    schools = selectors.summary_schools(actor) if actor.subtree_paths("grade.view") else OrgUnit.objects.none()
    school = None
    raw_school = request.GET.get("school", "")
    if raw_school.isdigit():
        school = schools.filter(pk=int(raw_school)).first()
    q = request.GET.get("q", "").strip()
    context: dict[str, Any] = {
        "title": _("Kết quả học tập"),
        "crumbs": [(_("Kết quả học tập"), None)],
        "family": family,
        "cards": _family_cards(actor) if family else [],
        "staff": staff,
        "years": _years(),
        "year": year,
        "schools": schools,
        "school": school,
        "q": q,
        "can_summary": bool(actor.subtree_paths("grade.view") or actor.subtree_paths("gradestats.view")),
        "can_stats": bool(actor.subtree_paths("gradestats.view")),
    }
    if staff:
        classes = selectors.result_class_list(actor=actor, year=year, school=school, q=q)
        page = paginate(request, classes, per_page=50)
        locks = selectors.lock_states(list(page["object_list"]))
        page["rows"] = [(c, locks[c.pk]) for c in page["object_list"]]
        context.update(page)
    if not family and not staff and not context["can_summary"]:
        raise PermissionDenied
    return render(request, "gradebook/results/home.html", context)


# ---------------------------------------------------------------------------------------------------------------
# A class
# ---------------------------------------------------------------------------------------------------------------


def _subject_cell(row: Any, semester_only: bool) -> dict[str, str]:
    if row is None:
        return {"main": "", "extra": ""}
    if row.kind == SubjectKind.SCORED:
        main = row.semester_1 if semester_only else row.year
        extra = row.retest.replace(".", ",") if row.retest else ""
        return {"main": str(main).replace(".", ",") if main is not None else "", "extra": extra}
    if row.kind == SubjectKind.COMMENT:
        value = row.semester_1_result if semester_only else row.year_result
        return {
            "main": DISPLAY["comment_result"].get(value, ""),
            "extra": DISPLAY["comment_result"].get(row.retest, ""),
        }
    value = row.semester_1_result if semester_only else row.year_result
    score = "" if semester_only or row.test_score is None else str(row.test_score)
    return {"main": value, "extra": (score + (f" → {row.retest}" if row.retest else "")).strip()}


def _export_columns(table: selectors.ClassTable, semester_only: bool) -> list[Column]:
    primary = table.circular == "TT27/2020"
    columns = [
        Column(_("Mã học sinh"), lambda r: r[0].student.moet_code, 14),
        Column(_("Họ và tên"), lambda r: r[0].student.person.full_name, 26),
    ]
    for index, entry in enumerate(table.subjects):
        columns.append(Column(entry.subject.name, lambda r, i=index: _subject_cell(r[1][i], semester_only)["main"], 10))
        if primary and not semester_only:
            columns.append(
                Column(
                    _("KTĐK %(subject)s") % {"subject": entry.subject.code},
                    lambda r, i=index: _subject_cell(r[1][i], False)["extra"],
                    8,
                )
            )
    if primary:
        columns += [
            Column(_("Đánh giá cuối năm"), lambda r: label_of(r[0].classification), 20),
        ]
    else:
        columns += [
            Column(_("Học tập HK I"), lambda r: label_of(r[0].learning_1), 12),
            Column(_("Rèn luyện HK I"), lambda r: label_of(r[0].conduct_1), 12),
            Column(_("Học tập cả năm"), lambda r: label_of(r[0].learning_year), 12),
            Column(_("Rèn luyện cả năm"), lambda r: label_of(r[0].conduct_year), 12),
            Column(_("Số buổi nghỉ"), lambda r: r[0].absences, 8),
        ]
    columns += [
        Column(_("Lên lớp"), lambda r: label_of(r[0].promotion), 18),
        Column(_("Danh hiệu đề xuất"), lambda r: TITLE_LABELS.get(r[0].title_proposed, ""), 22),
        Column(_("Danh hiệu được khen"), lambda r: TITLE_LABELS.get(r[0].title_confirmed, ""), 22),
    ]
    return columns


@login_required
def class_results(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    school_class = _visible_class(actor, pk)
    table = selectors.class_results_table(actor=actor, school_class=school_class)
    locks = selectors.lock_states([school_class])[school_class.pk]
    semester_only = not any(r[0].learning_year or r[0].classification for r in table.rows) and not locks[2]
    exported = export_response(
        request,
        table.rows,
        _export_columns(table, semester_only),
        f"ket-qua-{school_class.name}-{school_class.year.code}",
    )
    if exported is not None:
        return exported
    may_lock = locking.may_lock(actor, school_class)
    is_principal = locking.is_principal_of(actor, school_class)
    rows = []
    for result, subjects in table.rows:
        rows.append(
            {
                "result": result,
                "cells": [_subject_cell(s, semester_only) for s in subjects],
                "learning_1": label_of(result.learning_1),
                "learning_year": label_of(result.learning_year),
                "conduct_1": label_of(result.conduct_1),
                "conduct_year": label_of(result.conduct_year),
                "classification": label_of(result.classification),
                "promotion": label_of(result.promotion),
                "title_proposed": TITLE_LABELS.get(result.title_proposed, ""),
                "title_confirmed": TITLE_LABELS.get(result.title_confirmed, ""),
                "title_choices": services.title_choices(result) if is_principal else [],
                "incomplete": result.details.get("incomplete", []),
                "needs_followup": result.promotion in (PromotionOutcome.RETEST, PromotionOutcome.SUMMER_TRAINING)
                or bool(result.summer_conduct)
                or bool(result.details.get("retests")),
            }
        )
    context = {
        "title": _("Kết quả lớp %(name)s") % {"name": school_class.name},
        "crumbs": [_home_crumb(), (f"{school_class.name} – {school_class.year.code}", None)],
        "school_class": school_class,
        "primary": table.circular == "TT27/2020",
        "subjects": table.subjects,
        "rows": rows,
        "semester_only": semester_only,
        "locks": locks,
        "sheets": selectors.sheet_statuses(school_class),
        "history": selectors.lock_history(actor=actor, school_class=school_class),
        "may_lock": may_lock,
        "may_compute": services.may_compute(actor, school_class),
        "may_exemplary": services.may_set_exemplary(actor, school_class),
        "is_principal": is_principal,
        "stale": any(r[0].details.get("stale") for r in table.rows),
        "query_without_page": "",
        "SUBMITTED": SheetStatus.SUBMITTED,
    }
    return render(request, "gradebook/results/class.html", context)


def _class_for_lock(request: HttpRequest, pk: int, semester: int) -> tuple[Actor, SchoolClass]:
    actor = actor_for(request)
    school_class = _visible_class(actor, pk)
    if semester not in (1, 2):
        raise PermissionDenied
    if not locking.may_lock(actor, school_class):
        raise PermissionDenied
    return actor, school_class


@login_required
def class_lock(request: HttpRequest, pk: int, semester: int) -> HttpResponseBase:
    actor, school_class = _class_for_lock(request, pk, semester)
    if request.method == "POST":
        ok = _run(
            request,
            lambda: locking.lock_semester(actor=actor, school_class=school_class, semester=semester),
            _("Đã khoá sổ học kì %(sem)s của lớp %(name)s.") % {"sem": semester, "name": school_class.name},
        )
        if ok:
            return redirect(_class_url(school_class))
    context = {
        "title": _("Khoá sổ học kì"),
        "crumbs": _crumbs(school_class, (_("Khoá sổ học kì %(sem)s") % {"sem": semester}, None)),
        "school_class": school_class,
        "semester": semester,
        "missing": locking.missing_sheets(school_class, semester),
    }
    return render(request, "gradebook/results/lock.html", context)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do"),
        min_length=locking.MIN_REASON_LENGTH,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@login_required
def class_unlock(request: HttpRequest, pk: int, semester: int) -> HttpResponseBase:
    actor, school_class = _class_for_lock(request, pk, semester)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            locking.unlock_semester(
                actor=actor, school_class=school_class, semester=semester, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Đã mở khoá học kì %(sem)s; kết quả đã tính cần được tính lại sau khi khoá.") % {"sem": semester},
            )
            return redirect(_class_url(school_class))
    context = {
        "title": _("Mở khoá sổ học kì"),
        "crumbs": _crumbs(school_class, (_("Mở khoá học kì %(sem)s") % {"sem": semester}, None)),
        "school_class": school_class,
        "semester": semester,
        "form": form,
    }
    return render(request, "gradebook/results/unlock.html", context)


@login_required
@require_POST
def class_compute(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    school_class = _visible_class(actor, pk)
    if not services.may_compute(actor, school_class):
        raise PermissionDenied
    _run(
        request,
        lambda: services.compute_class_results(actor=actor, school_class=school_class),
        _("Đã tính kết quả của lớp %(name)s.") % {"name": school_class.name},
    )
    return redirect(_class_url(school_class))


@login_required
def sheet_reopen(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    sheet = get_object_or_404(
        policy_for(ScoreSheet).visible(actor).select_related("school_class__school", "subject"), pk=pk
    )
    school_class = sheet.school_class
    if not locking.may_lock(actor, school_class):
        raise PermissionDenied
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            locking.reopen_sheet(actor=actor, sheet=sheet, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Đã trả sổ %(sheet)s cho giáo viên.") % {"sheet": str(sheet)})
            return redirect(_class_url(school_class))
    context = {
        "title": _("Trả sổ cho giáo viên"),
        "crumbs": _crumbs(school_class, (_("Trả sổ cho giáo viên"), None)),
        "school_class": school_class,
        "sheet": sheet,
        "form": form,
    }
    return render(request, "gradebook/results/reopen.html", context)


def _visible_result(actor: Actor, pk: int) -> YearResult:
    return get_object_or_404(
        policy_for(YearResult)
        .visible(actor)
        .select_related("school_class__school", "school_class__year", "student__person"),
        pk=pk,
    )


@login_required
@require_POST
def result_title(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    result = _visible_result(actor, pk)
    if not locking.is_principal_of(actor, result.school_class):
        raise PermissionDenied
    title = request.POST.get("title", "")
    _run(
        request,
        lambda: services.confirm_title(actor=actor, year_result=result, title=title),
        _("Đã ghi quyết định danh hiệu của %(name)s.") % {"name": result.student.person.full_name},
    )
    return redirect(_class_url(result.school_class) + f"#hs-{result.student_id}")


@login_required
@require_POST
def result_exemplary(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    result = _visible_result(actor, pk)
    if not services.may_set_exemplary(actor, result.school_class):
        raise PermissionDenied
    flag = request.POST.get("exemplary") == "1"
    _run(
        request,
        lambda: services.set_exemplary(actor=actor, year_result=result, flag=flag),
        _("Đã cập nhật ghi nhận học sinh tiêu biểu."),
    )
    return redirect(_class_url(result.school_class) + f"#hs-{result.student_id}")


@login_required
def result_retest(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Re-assessment results (and, for THCS, the rèn luyện re-evaluation after summer training) of one student."""
    actor = actor_for(request)
    result = _visible_result(actor, pk)
    school_class = result.school_class
    if not services.may_compute(actor, school_class):
        raise PermissionDenied
    candidates = services.retest_candidates(result)
    primary = bool(result.classification)
    summer_allowed = (not primary and result.promotion == PromotionOutcome.SUMMER_TRAINING) or bool(
        result.summer_conduct
    )
    errors: list[str] = []
    if request.method == "POST":
        if summer_allowed and "summer_conduct" in request.POST:
            value = request.POST.get("summer_conduct", "")
            if value != result.summer_conduct:
                try:
                    result = services.record_summer_conduct(
                        actor=actor, student=result.student, school_class=school_class, level=value
                    )
                except DomainError as exc:
                    errors.append(exc.message)
        for row in candidates:
            key = f"retest_{row.subject_id}"
            if key not in request.POST:
                continue
            raw = request.POST.get(key, "").strip()
            if raw == (row.retest or "").replace(".", ","):
                continue
            try:
                result = services.record_retest(
                    actor=actor, student=result.student, school_class=school_class, subject=row.subject, raw=raw
                )
            except DomainError as exc:
                errors.append(f"{row.subject.name}: {exc.message}")
        if not errors:
            messages.success(
                request, _("Đã lưu và tính lại kết quả của %(name)s.") % {"name": result.student.person.full_name}
            )
            return redirect(_class_url(school_class) + f"#hs-{result.student_id}")
        candidates = services.retest_candidates(YearResult.objects.get(pk=result.pk))
    rows = []
    for row in candidates:
        if row.kind == SubjectKind.SCORED:
            current = str(row.year).replace(".", ",") if row.year is not None else ""
        elif row.kind == SubjectKind.COMMENT:
            current = DISPLAY["comment_result"].get(row.year_result, "")
        else:
            current = str(row.test_score) if row.test_score is not None else ""
        rows.append({"row": row, "current": current, "value": (row.retest or "").replace(".", ",")})
    conduct_choices = [("", "—")] + [(code, str(Tt22Level(code).label)) for code in DISPLAY[CONDUCT]]
    context = {
        "title": _("Kiểm tra, đánh giá lại"),
        "crumbs": _crumbs(school_class, (result.student.person.full_name, None)),
        "school_class": school_class,
        "result": result,
        "rows": rows,
        "primary": primary,
        "summer_allowed": summer_allowed,
        "conduct_choices": conduct_choices,
        "comment_choices": [("", "—")] + [(str(v), str(label)) for v, label in CommentResult.choices],
        "promotion": label_of(result.promotion),
        "errors": errors,
    }
    return render(request, "gradebook/results/retest.html", context)


# ---------------------------------------------------------------------------------------------------------------
# School summary and the authority's statistics
# ---------------------------------------------------------------------------------------------------------------


def _summary_export(rows: list[selectors.GradeSummary]) -> tuple[list[Any], list[Column]]:
    flat: list[dict[str, Any]] = []
    for grade in rows:
        for group, items in (
            (_("Học tập"), grade.learning),
            (_("Rèn luyện"), grade.conduct),
            (_("Đánh giá cuối năm"), grade.classification),
            (_("Lên lớp"), grade.promotion),
        ):
            for _code, label, count, percent in items:
                if count:
                    flat.append(
                        {
                            "grade": grade.grade,
                            "group": group,
                            "label": label,
                            "count": count,
                            "percent": percent,
                            "total": grade.total,
                        }
                    )
        for _code, label, proposed, confirmed in grade.titles:
            if proposed or confirmed:
                flat.append(
                    {
                        "grade": grade.grade,
                        "group": _("Danh hiệu (đề xuất / được khen)"),
                        "label": label,
                        "count": proposed,
                        "percent": confirmed,
                        "total": grade.total,
                    }
                )
    columns = [
        Column(_("Khối"), lambda r: r["grade"], 10),
        Column(_("Nhóm"), lambda r: r["group"], 22),
        Column(_("Mức"), lambda r: r["label"], 26),
        Column(_("Số học sinh"), lambda r: r["count"], 10),
        Column(_("Tỉ lệ % (danh hiệu: số được khen)"), lambda r: r["percent"], 14),
        Column(_("Tổng số học sinh của khối"), lambda r: r["total"], 12),
    ]
    return flat, columns


@login_required
def school_summary(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    schools = selectors.summary_schools(actor)
    if not schools.exists():
        raise PermissionDenied
    raw = request.GET.get("school", "")
    school = schools.filter(pk=int(raw)).first() if raw.isdigit() else None
    if raw.isdigit() and school is None:
        raise PermissionDenied
    school = school or schools.first()
    year = _chosen_year(request)
    rows = selectors.school_summary(school=school, year=year) if school and year else []
    flat, columns = _summary_export(rows)
    exported = export_response(request, flat, columns, f"tong-hop-ket-qua-{year.code if year else ''}")
    if exported is not None:
        return exported
    params = request.GET.copy()
    params.pop("export", None)
    context = {
        "title": _("Tổng hợp kết quả của trường"),
        "crumbs": [_home_crumb(), (_("Tổng hợp của trường"), None)],
        "schools": schools,
        "school": school,
        "years": _years(),
        "year": year,
        "rows": rows,
        "query_without_page": params.urlencode(),
    }
    return render(request, "gradebook/results/school_summary.html", context)


@login_required
def stats(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    if not actor.subtree_paths("gradestats.view"):
        raise PermissionDenied
    schools = selectors.stats_schools(actor)
    raw = request.GET.get("school", "")
    school = schools.filter(pk=int(raw)).first() if raw.isdigit() else None
    year = _chosen_year(request)
    rows = selectors.school_stats(actor=actor, year=year, school=school) if year else []
    flat = [
        {"school": s.school.name, "label": label, "count": count, "percent": percent, "total": s.total}
        for s in rows
        for _code, label, count, percent in s.distribution
    ]
    columns = [
        Column(_("Trường"), lambda r: r["school"], 32),
        Column(_("Mức"), lambda r: r["label"], 24),
        Column(_("Số học sinh"), lambda r: r["count"], 10),
        Column(_("Tỉ lệ %"), lambda r: r["percent"], 10),
        Column(_("Tổng số có kết quả"), lambda r: r["total"], 12),
    ]
    exported = export_response(request, flat, columns, f"thong-ke-ket-qua-{year.code if year else ''}")
    if exported is not None:
        return exported
    params = request.GET.copy()
    params.pop("export", None)
    context = {
        "title": _("Thống kê kết quả học tập"),
        "crumbs": [_home_crumb(), (_("Thống kê"), None)],
        "schools": schools,
        "school": school,
        "years": _years(),
        "year": year,
        "rows": rows,
        "query_without_page": params.urlencode(),
    }
    return render(request, "gradebook/results/stats.html", context)


urlpatterns: list[URLPattern] = [
    path("results/", results_home, name="results_home"),
    path("results/class/<int:pk>/", class_results, name="class_results"),
    path("results/class/<int:pk>/lock/<int:semester>/", class_lock, name="results_lock"),
    path("results/class/<int:pk>/unlock/<int:semester>/", class_unlock, name="results_unlock"),
    path("results/class/<int:pk>/compute/", class_compute, name="results_compute"),
    path("results/sheet/<int:pk>/reopen/", sheet_reopen, name="results_sheet_reopen"),
    path("results/year-result/<int:pk>/title/", result_title, name="results_title"),
    path("results/year-result/<int:pk>/exemplary/", result_exemplary, name="results_exemplary"),
    path("results/year-result/<int:pk>/retest/", result_retest, name="results_retest"),
    path("results/school/", school_summary, name="school_summary"),
    path("results/stats/", stats, name="stats"),
]
