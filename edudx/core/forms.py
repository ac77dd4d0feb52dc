"""Forms of the organisation tree and audit log pages. They only parse input; services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from vietnam_provinces import Province, Ward

from .enums import OrgUnitKind, Ownership, SchoolLevel
from .models import OrgUnit
from .widgets import date_field

__all__ = [
    "REFORM_BASELINE",
    "AsOfForm",
    "AuditFilterForm",
    "OrgUnitCloseForm",
    "OrgUnitCreateForm",
    "OrgUnitMergeForm",
    "OrgUnitMoveForm",
    "OrgUnitRenameForm",
    "province_choices",
    "ward_choices",
]

# The day before the 2025 reorganisation was announced: the default "before" side of the tree.
REFORM_BASELINE = dt.date(2025, 4, 21)


def _text(label: Any, required: bool = True, max_length: int = 255, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class AsOfForm(forms.Form):
    a = date_field(_("Ngày thứ nhất"), required=False)
    b = date_field(_("Ngày thứ hai"), required=False)

    def days(self) -> tuple[dt.date, dt.date]:
        today = timezone.localdate()
        if not self.is_valid():
            return REFORM_BASELINE, today
        return self.cleaned_data.get("a") or REFORM_BASELINE, self.cleaned_data.get("b") or today


class _EventForm(forms.Form):
    effective_on = date_field(_("Ngày hiệu lực"))
    legal_basis = _text(_("Căn cứ pháp lý"), help_text=_("Số, ngày và cơ quan ban hành quyết định."))


class OrgUnitRenameForm(_EventForm):
    new_name = _text(_("Tên mới"))
    field_order = ["new_name", "effective_on", "legal_basis"]


class _TargetForm(_EventForm):
    target_label: Any = ""

    def __init__(self, *args: Any, targets: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"] = forms.ModelChoiceField(
            label=self.target_label,
            queryset=targets,
            widget=forms.Select(attrs={"class": "form-select"}),
            empty_label=_("— chọn đơn vị —"),
        )
        self.order_fields(["target", "effective_on", "legal_basis"])


class OrgUnitMoveForm(_TargetForm):
    target_label = _("Đơn vị quản lý mới")


class OrgUnitMergeForm(_TargetForm):
    target_label = _("Sáp nhập vào đơn vị")


class OrgUnitCloseForm(_EventForm):
    pass


def province_choices() -> list[tuple[str, str]]:
    """The 34 provinces of the map in force since 1 July 2025."""
    provinces = sorted(Province.iter_all(), key=lambda p: p.name)
    return [("", _("— chọn tỉnh/thành phố —"))] + [(f"{int(p.code):02d}", p.name) for p in provinces]


def ward_choices(province_code: str | None) -> list[tuple[str, str]]:
    if not province_code or not province_code.isdigit():
        return [("", _("— chọn tỉnh/thành phố trước —"))]
    try:
        code = Province.from_code(int(province_code)).code  # type: ignore[arg-type]
    except ValueError:
        return [("", _("— chọn tỉnh/thành phố trước —"))]
    wards = sorted(Ward.iter_by_province(code), key=lambda w: w.name)
    return [("", _("— chọn phường/xã —"))] + [(f"{int(w.code):05d}", w.name) for w in wards]


class OrgUnitCreateForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Loại đơn vị"),
        choices=[
            (OrgUnitKind.SCHOOL.value, OrgUnitKind.SCHOOL.label),
            (OrgUnitKind.AUTHORITY.value, OrgUnitKind.AUTHORITY.label),
        ],
        initial=OrgUnitKind.SCHOOL,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    name = _text(_("Tên đơn vị"))
    school_level = forms.ChoiceField(
        label=_("Cấp học"),
        required=False,
        choices=[("", "—"), *SchoolLevel.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    ownership = forms.ChoiceField(
        label=_("Loại hình"),
        required=False,
        choices=[("", "—"), *Ownership.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    moet_code = _text(_("Mã đơn vị (CSDL ngành)"), required=False, max_length=32)
    province_code = forms.ChoiceField(label=_("Tỉnh/thành phố"), required=False, choices=())
    ward_code = forms.ChoiceField(label=_("Phường/xã/đặc khu"), required=False, choices=())
    address = _text(_("Địa chỉ (số nhà, đường, thôn/ấp)"), required=False)
    phone = _text(_("Điện thoại"), required=False, max_length=32)
    email = forms.EmailField(
        label=_("Thư điện tử"), required=False, widget=forms.EmailInput(attrs={"class": "form-control"})
    )
    valid_from = date_field(_("Ngày thành lập / hiệu lực"))
    legal_basis = _text(_("Căn cứ pháp lý"))

    def __init__(self, *args: Any, parents: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"] = forms.ModelChoiceField(
            label=_("Đơn vị cấp trên"),
            queryset=parents,
            widget=forms.Select(attrs={"class": "form-select"}),
            empty_label=_("— chọn đơn vị —"),
        )
        self.order_fields(["parent", "kind", "name"])
        province = self.data.get("province_code") if self.is_bound else self.initial.get("province_code")
        cast(forms.ChoiceField, self.fields["province_code"]).choices = province_choices()
        cast(forms.ChoiceField, self.fields["ward_code"]).choices = ward_choices(province)
        self.fields["province_code"].widget.attrs.update({"class": "form-select"})
        self.fields["ward_code"].widget.attrs.update({"class": "form-select"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == OrgUnitKind.SCHOOL:
            if not data.get("school_level"):
                self.add_error("school_level", _("Hãy chọn cấp học của trường."))
            if not data.get("ownership"):
                self.add_error("ownership", _("Hãy chọn loại hình của trường."))
        if data.get("province_code") and not data.get("ward_code") and "ward_code" not in self.errors:
            self.add_error("ward_code", _("Hãy chọn phường/xã thuộc tỉnh/thành phố đã chọn."))
        return data

    def unit_attrs(self) -> dict[str, Any]:
        """Keyword arguments for ``orgunit_create`` beyond kind, name, parent and date."""
        data = self.cleaned_data
        attrs = {
            "address": data["address"],
            "phone": data["phone"],
            "email": data["email"],
            "province_code": data["province_code"],
            "ward_code": data["ward_code"],
            "moet_code": data["moet_code"].strip() or None,
        }
        if data["kind"] == OrgUnitKind.SCHOOL:
            attrs.update(school_level=data["school_level"], ownership=data["ownership"])
        return attrs


class AuditFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Tìm theo đối tượng hoặc người thực hiện"),
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search"}),
    )
    action = forms.ChoiceField(label=_("Thao tác"), required=False, choices=())
    object_type = forms.ChoiceField(label=_("Loại đối tượng"), required=False, choices=())
    date_from = date_field(_("Từ ngày"), required=False)
    date_to = date_field(_("Đến ngày"), required=False)

    def __init__(self, *args: Any, actions: list[str], object_types: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["action"]).choices = [("", _("— tất cả —"))] + [(a, a) for a in actions]
        cast(forms.ChoiceField, self.fields["object_type"]).choices = [("", _("— tất cả —"))] + [
            (t, t) for t in object_types
        ]
        for name in ("action", "object_type"):
            self.fields[name].widget.attrs.update({"class": "form-select"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("Ngày kết thúc phải sau ngày bắt đầu."))
        return data
