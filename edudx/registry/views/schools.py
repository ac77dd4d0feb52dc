"""School pages: the list, a school's profile with its counts, its ICT infrastructure form, and the
authority's overview of every school's infrastructure."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from edudx.core.api import (
    Actor,
    NotPermitted,
    OrgUnit,
    Ownership,
    SchoolLevel,
    ValidationFailed,
    actor_for,
    policy_for,
)
from edudx.core.exports import Column, export_response
from edudx.core.pagination import paginate
from edudx.core.widgets import date_field

from ..enums import InternetType
from ..models import SchoolInfrastructure
from ..selectors.schools import (
    current_school_year,
    infrastructure_get,
    school_authorities,
    school_get,
    school_list,
)
from ..services.schools import INFRASTRUCTURE_FIELDS, school_infrastructure_update

__all__ = [
    "InfrastructureForm",
    "SchoolFilterForm",
    "infrastructure_overview",
    "school_detail",
    "school_infrastructure_edit",
    "school_list_view",
]


class SchoolFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Tìm theo tên hoặc mã trường"),
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search", "placeholder": "vd: truong mot"}),
    )
    level = forms.ChoiceField(
        label=_("Cấp học"),
        required=False,
        choices=[("", _("— tất cả —")), *SchoolLevel.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    ownership = forms.ChoiceField(
        label=_("Loại hình"),
        required=False,
        choices=[("", _("— tất cả —")), *Ownership.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    as_of = date_field(_("Tại ngày (để trống: hiện nay)"), required=False)

    def __init__(self, *args: Any, authorities: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["authority"] = forms.ModelChoiceField(
            label=_("Cơ quan quản lý"),
            queryset=authorities,
            required=False,
            empty_label=_("— tất cả —"),
            widget=forms.Select(attrs={"class": "form-select"}),
        )

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "search": data["q"],
            "level": data["level"],
            "ownership": data["ownership"],
            "authority": data["authority"],
            "as_of": data["as_of"],
        }


class InfrastructureForm(forms.ModelForm):
    class Meta:
        model = SchoolInfrastructure
        fields = list(INFRASTRUCTURE_FIELDS)
        widgets = {"other_devices": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "form-check-input" if name == "has_wifi_for_teaching" else "form-control"
            if name == "internet_type":
                css = "form-select"
            field.widget.attrs.setdefault("class", css)
            if isinstance(field, forms.IntegerField):
                field.widget.attrs.setdefault("min", 0)


def _require_school_view(actor: Actor) -> None:
    if not actor.grants_for("school.view"):
        raise PermissionDenied


def _value_label(choices: Any, value: str) -> str:
    return dict(choices).get(value, value or "")


SCHOOL_COLUMNS = [
    Column("Tên trường", lambda s: s.name_then, 36),
    Column("Mã trường", lambda s: s.moet_code, 14),
    Column("Cấp học", lambda s: s.get_school_level_display(), 16),
    Column("Loại hình", lambda s: s.get_ownership_display(), 12),
    Column("Đơn vị quản lý", lambda s: s.parent_then or "", 30),
    Column("Số lớp", lambda s: s.class_count, 8),
    Column("Số học sinh", lambda s: s.student_count, 10),
    Column("Số CB-GV-NV", lambda s: s.staff_count, 10),
]


@login_required
def school_list_view(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    _require_school_view(actor)
    form = SchoolFilterForm(request.GET or None, authorities=school_authorities(actor))
    year = current_school_year()
    schools = school_list(actor=actor, year=year, **form.filters())
    exported = export_response(request, schools, SCHOOL_COLUMNS, "danh-sach-truong")
    if exported is not None:
        return exported
    return render(
        request,
        "registry/schools/list.html",
        {"form": form, "year": year, "can_overview": actor.is_authority, **paginate(request, schools)},
    )


def _crumbs(actor: Actor, school: OrgUnit, last: str | None = None) -> list[tuple[str, str | None]]:
    links = bool(actor.grants_for("org.view"))
    crumbs: list[tuple[str, str | None]] = [(_("Trường học"), reverse("registry:school_list"))]
    for ancestor in school.ancestors():
        if ancestor.pk != school.pk:
            crumbs.append((ancestor.name, reverse("core:unit_detail", args=[ancestor.pk]) if links else None))
    crumbs.append((school.name, reverse("registry:school_detail", args=[school.pk]) if last else None))
    if last:
        crumbs.append((last, None))
    return crumbs


@login_required
def school_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_for(request)
    school = school_get(actor=actor, school_id=pk)
    if school is None:
        raise Http404
    return render(
        request,
        "registry/schools/detail.html",
        {
            "school": school,
            "year": current_school_year(),
            "infrastructure": infrastructure_get(actor=actor, school=school),
            "can_edit": actor.can_in("school.change", school) and school.is_open,
            "crumbs": _crumbs(actor, school),
        },
    )


@login_required
def school_infrastructure_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_for(request)
    school = school_get(actor=actor, school_id=pk)
    if school is None:
        raise Http404
    if not actor.can_in("school.change", school):
        raise PermissionDenied
    current = infrastructure_get(actor=actor, school=school) or SchoolInfrastructure(school=school)
    form = InfrastructureForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in INFRASTRUCTURE_FIELDS}
        try:
            school_infrastructure_update(actor=actor, school=school, **fields)
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except ValidationFailed as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            for name, message in details.items():
                form.add_error(name if name in form.fields else None, message)
            if not details:
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("Đã cập nhật hạ tầng CNTT của %(school)s.") % {"school": school.name})
            return redirect("registry:school_detail", pk=school.pk)
    return render(
        request,
        "registry/schools/infrastructure_form.html",
        {"school": school, "form": form, "crumbs": _crumbs(actor, school, _("Cập nhật hạ tầng CNTT"))},
    )


def _infra(school: OrgUnit, name: str, default: Any = 0) -> Any:
    infrastructure = getattr(school, "infrastructure", None)
    return getattr(infrastructure, name) if infrastructure is not None else default


INFRASTRUCTURE_COLUMNS = [
    Column("Tên trường", lambda s: s.name_then, 36),
    Column("Mã trường", lambda s: s.moet_code, 14),
    Column("Cấp học", lambda s: s.get_school_level_display(), 16),
    Column("Internet", lambda s: _value_label(InternetType.choices, _infra(s, "internet_type", "")), 14),
    Column("Băng thông (Mbps)", lambda s: _infra(s, "bandwidth_mbps"), 10),
    Column("Wi-Fi dạy học", lambda s: "Có" if _infra(s, "has_wifi_for_teaching", False) else "Không", 10),
    Column("Phòng máy tính", lambda s: _infra(s, "computer_rooms"), 10),
    Column("Máy tính HS", lambda s: _infra(s, "student_computers"), 10),
    Column("Máy tính GV", lambda s: _infra(s, "teacher_computers"), 10),
    Column("Phòng học", lambda s: _infra(s, "classrooms"), 10),
    Column("Phòng có máy chiếu", lambda s: _infra(s, "classrooms_with_projector"), 10),
    Column("Phòng có màn hình", lambda s: _infra(s, "classrooms_with_display"), 10),
    Column("Thiết bị khác", lambda s: _infra(s, "other_devices", ""), 30),
]


@login_required
def infrastructure_overview(request: HttpRequest) -> HttpResponseBase:
    """For the authority: every visible school's ICT infrastructure, with totals."""
    actor = actor_for(request)
    _require_school_view(actor)
    if not actor.is_authority:
        raise PermissionDenied
    form = SchoolFilterForm(request.GET or None, authorities=school_authorities(actor))
    schools = school_list(actor=actor, **form.filters())
    exported = export_response(request, schools, INFRASTRUCTURE_COLUMNS, "ha-tang-cntt")
    if exported is not None:
        return exported
    visible_infra = policy_for(SchoolInfrastructure).visible(actor).filter(school__in=schools.values("pk"))
    totals = visible_infra.aggregate(
        bandwidth_mbps=Sum("bandwidth_mbps"),
        computer_rooms=Sum("computer_rooms"),
        student_computers=Sum("student_computers"),
        teacher_computers=Sum("teacher_computers"),
        classrooms=Sum("classrooms"),
        classrooms_with_projector=Sum("classrooms_with_projector"),
        classrooms_with_display=Sum("classrooms_with_display"),
        fibre=Count("pk", filter=Q(internet_type=InternetType.FIBER)),
        wifi=Count("pk", filter=Q(has_wifi_for_teaching=True)),
        reported=Count("pk"),
    )
    rows = list(schools)
    return render(
        request,
        "registry/schools/infrastructure_overview.html",
        {"form": form, "rows": rows, "totals": totals, "school_total": len(rows)},
    )


urlpatterns = [
    path("schools/", school_list_view, name="school_list"),
    path("schools/infrastructure/", infrastructure_overview, name="infrastructure_overview"),
    path("schools/<int:pk>/", school_detail, name="school_detail"),
    path("schools/<int:pk>/infrastructure/", school_infrastructure_edit, name="school_infrastructure_edit"),
]
