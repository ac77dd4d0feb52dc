"""Forms of the catalogue administration: a procedure with its components and its application form's fields,
a day of the working calendar, a service desk's identifier.

The forms only shape what was typed into a ``catalogue.Procedure``; the rules (``catalogue.procedure_errors``,
``forms_schema.validate_definition``) decide whether it may be published, and the service writes it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from edudx.core.errors import ValidationFailed

from .catalogue import (
    EDUCATION_SECTOR,
    MAX_PROCESSING_DAYS,
    PROCEDURE_FIELD_NAMES,
    AuthorityLevel,
    Component,
    ComponentForm,
    FeeKind,
    FeeRule,
    OnlineLevel,
    Procedure,
    ResultType,
)
from .forms_schema import PREFILL_SOURCES, Choice, FieldType, FormDefinition, FormField, validate_definition
from .models import CalendarDayKind
from .selectors.catalogue import FIELD_LABELS, FIELD_TYPE_LABELS

_l = gettext_lazy
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_LINES = forms.Textarea(attrs={"rows": 3})


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.CheckboxSelectMultiple | forms.HiddenInput):
            continue
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-sm")
        else:
            widget.attrs.setdefault("class", "form-control form-control-sm")


class ProcedureForm(forms.Form):
    """Every field of a procedure version except its components and form fields (two formsets beside it)."""

    key = forms.RegexField(
        label=_l("Mã nội bộ"),
        regex=r"^[a-z][a-z0-9_]{0,79}$",
        help_text=_l("Chữ thường không dấu, chữ số và dấu gạch dưới; không đổi được sau khi tạo."),
    )
    name = forms.CharField(label=FIELD_LABELS["name"], max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    code = forms.CharField(
        label=FIELD_LABELS["code"],
        max_length=16,
        required=False,
        help_text=_l("Dạng 1.234567; để trống nếu chưa biết."),
    )
    legal_basis = forms.CharField(
        label=FIELD_LABELS["legal_basis"], required=False, widget=_LINES, help_text=_l("Mỗi văn bản một dòng.")
    )
    authority_level = forms.ChoiceField(label=FIELD_LABELS["authority_level"], choices=AuthorityLevel.choices)
    competent_authority = forms.CharField(label=FIELD_LABELS["competent_authority"], max_length=255)
    processing_days = forms.IntegerField(
        label=_l("Thời hạn giải quyết (ngày làm việc)"),
        required=False,
        min_value=0,
        max_value=MAX_PROCESSING_DAYS,
        help_text=_l("0 là giải quyết trong ngày; để trống nếu chưa biết hoặc theo kế hoạch hằng năm."),
    )
    fee_amount = forms.IntegerField(
        label=_l("Mức thu (đồng)"), required=False, min_value=1, help_text=_l("Để trống nếu không thu phí, lệ phí.")
    )
    fee_kind = forms.ChoiceField(label=_l("Loại"), choices=FeeKind.choices, initial=FeeKind.CHARGE)
    fee_legal_basis = forms.CharField(label=_l("Văn bản quy định mức thu"), max_length=500, required=False)
    fee_note = forms.CharField(label=_l("Ghi chú về phí, lệ phí"), max_length=500, required=False)
    online_level = forms.ChoiceField(label=FIELD_LABELS["online_level"], choices=OnlineLevel.choices)
    full_online_eligible = forms.BooleanField(label=FIELD_LABELS["full_online_eligible"], required=False)
    result_type = forms.ChoiceField(label=FIELD_LABELS["result_type"], choices=ResultType.choices)
    result_name = forms.CharField(label=FIELD_LABELS["result_name"], max_length=500)
    valid_from = forms.DateField(label=FIELD_LABELS["valid_from"], widget=_DATE)
    valid_to = forms.DateField(label=FIELD_LABELS["valid_to"], required=False, widget=_DATE)
    sector = forms.CharField(label=FIELD_LABELS["sector"], max_length=255, initial=EDUCATION_SECTOR)
    unconfirmed_fields = forms.MultipleChoiceField(
        label=FIELD_LABELS["unconfirmed_fields"],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(name, label) for name, label in FIELD_LABELS.items() if name in PROCEDURE_FIELD_NAMES],
        help_text=_l("Thông tin chưa đối chiếu với quyết định công bố; trang công khai ghi «chờ xác nhận»."),
    )
    sources = forms.CharField(
        label=FIELD_LABELS["sources"], required=False, widget=_LINES, help_text=_l("Mỗi nguồn một dòng.")
    )
    note = forms.CharField(label=FIELD_LABELS["note"], required=False, widget=forms.Textarea(attrs={"rows": 2}))
    has_form = forms.BooleanField(label=_l("Có biểu mẫu nộp trực tuyến"), required=False)
    form_code = forms.CharField(label=_l("Mã biểu mẫu"), max_length=50, required=False)
    form_title = forms.CharField(label=_l("Tên biểu mẫu"), max_length=255, required=False)
    reason = forms.CharField(label=_l("Lý do thay đổi"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    base_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = creating
        if not creating:
            # The key identifies the procedure across versions: it is shown, never changed.
            self.fields["key"].disabled = True
        _style(self)

    SECTIONS = {
        "general": ("key", "name", "code", "legal_basis", "authority_level", "competent_authority", "sector"),
        "terms": (
            "processing_days",
            "fee_amount",
            "fee_kind",
            "fee_legal_basis",
            "fee_note",
            "online_level",
            "full_online_eligible",
            "result_type",
            "result_name",
            "valid_from",
            "valid_to",
        ),
        "form": ("has_form", "form_code", "form_title"),
        "sources": ("unconfirmed_fields", "sources", "note"),
    }

    def section(self, name: str) -> list[forms.BoundField]:
        return [self[field] for field in self.SECTIONS[name]]


class ComponentRowForm(forms.Form):
    name = forms.CharField(label=_l("Tên giấy tờ"), max_length=255)
    form = forms.ChoiceField(label=_l("Hình thức"), choices=ComponentForm.choices, initial=ComponentForm.ORIGINAL)
    count = forms.IntegerField(label=_l("Số lượng"), min_value=1, max_value=99, initial=1)
    required = forms.BooleanField(label=_l("Bắt buộc"), required=False, initial=True)
    note = forms.CharField(label=_l("Ghi chú"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class FieldRowForm(forms.Form):
    """One field of the application form; choices are typed one per line as ``value|label``."""

    position = forms.IntegerField(label=_l("Thứ tự"), min_value=0, max_value=999, required=False)
    key = forms.CharField(label=_l("Mã trường"), max_length=50)
    label = forms.CharField(label=_l("Nhãn"), max_length=255)
    type = forms.ChoiceField(
        label=_l("Kiểu"), choices=[(t.value, FIELD_TYPE_LABELS[t]) for t in FieldType], initial=FieldType.TEXT.value
    )
    required = forms.BooleanField(label=_l("Bắt buộc"), required=False, initial=True)
    choices = forms.CharField(
        label=_l("Lựa chọn"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_l("Mỗi dòng một lựa chọn: giá trị|nhãn."),
    )
    prefill = forms.ChoiceField(
        label=_l("Điền sẵn từ"),
        required=False,
        choices=[("", _l("— người nộp tự nhập —")), *[(k, _l(v)) for k, v in PREFILL_SOURCES.items()]],
    )
    max_length = forms.IntegerField(label=_l("Tối đa (ký tự)"), required=False, min_value=1)
    help = forms.CharField(label=_l("Hướng dẫn"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


ComponentFormSet = formset_factory(ComponentRowForm, extra=1, can_delete=True, max_num=40)
FieldFormSet = formset_factory(FieldRowForm, extra=1, can_delete=True, max_num=60)


def _choices_text(choices: tuple[Choice, ...]) -> str:
    return "\n".join(f"{c.value}|{c.label}" for c in choices)


def _choices_from(text: str) -> tuple[Choice, ...]:
    out = []
    for line in _lines(text):
        value, _sep, label = line.partition("|")
        out.append(Choice(value.strip(), (label or value).strip()))
    return tuple(out)


def initial_of(p: Procedure) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Initial values of the three forms from a stored procedure."""
    form = p.application_form
    main = {
        "key": p.key,
        "name": p.name,
        "code": p.code or "",
        "legal_basis": "\n".join(p.legal_basis),
        "authority_level": str(p.authority_level),
        "competent_authority": p.competent_authority,
        "processing_days": p.processing_days,
        "fee_amount": p.fee.amount_vnd if p.fee else None,
        "fee_kind": str(p.fee.kind) if p.fee else FeeKind.CHARGE,
        "fee_legal_basis": p.fee.legal_basis if p.fee else "",
        "fee_note": p.fee.note if p.fee else "",
        "online_level": str(p.online_level),
        "full_online_eligible": p.full_online_eligible,
        "result_type": str(p.result_type),
        "result_name": p.result_name,
        "valid_from": p.valid_from,
        "valid_to": p.valid_to,
        "sector": p.sector,
        "unconfirmed_fields": sorted(p.unconfirmed_fields),
        "sources": "\n".join(p.sources),
        "note": p.note,
        "has_form": form is not None,
        "form_code": form.code if form else "",
        "form_title": form.title if form else "",
    }
    components = [
        {"name": c.name, "form": str(c.form), "count": c.count, "required": c.required, "note": c.note}
        for c in p.components
    ]
    fields = [
        {
            "position": i,
            "key": f.key,
            "label": f.label,
            "type": str(f.type),
            "required": f.required,
            "choices": _choices_text(f.choices),
            "prefill": f.prefill,
            "max_length": f.max_length,
            "help": f.help,
        }
        for i, f in enumerate(form.fields if form else (), start=1)
    ]
    return main, components, fields


def _kept(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    """Cleaned rows of a valid formset, without the deleted and the untouched extra rows, in display order."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE"):
            continue
        rows.append(data)
    return rows


def build_procedure(
    form: ProcedureForm,
    components: forms.BaseFormSet,
    fields: forms.BaseFormSet,
    *,
    base: Procedure | None,
) -> Procedure:
    """The procedure the three valid forms describe. ``ValidationFailed`` when the application form's
    definition is wrong (``details["definition"]`` lists the problems)."""
    d = form.cleaned_data
    key = base.key if base is not None else d["key"]
    definition: FormDefinition | None = None
    if d["has_form"]:
        rows = sorted(
            enumerate(_kept(fields)),
            key=lambda pair: (pair[1].get("position") is None, pair[1].get("position") or 0, pair[0]),
        )
        definition = FormDefinition(
            code=(d["form_code"] or "").strip() or key,
            title=(d["form_title"] or "").strip() or d["name"],
            fields=tuple(
                FormField(
                    key=row["key"].strip(),
                    label=row["label"].strip(),
                    type=FieldType(row["type"]),
                    required=bool(row["required"]),
                    choices=_choices_from(row["choices"]),
                    max_length=row["max_length"],
                    help=(row["help"] or "").strip(),
                    prefill=row["prefill"] or "",
                )
                for _i, row in rows
            ),
        )
        old = base.application_form if base is not None else None
        if old is not None:
            # The form's own version moves when its content does, so a stored submission names the form it used.
            same = dataclasses.replace(definition, version=old.version) == old
            definition = dataclasses.replace(definition, version=old.version if same else old.version + 1)
        validate_definition(definition)
    fee = None
    if d["fee_amount"]:
        fee = FeeRule(
            amount_vnd=d["fee_amount"],
            kind=FeeKind(d["fee_kind"]),
            legal_basis=(d["fee_legal_basis"] or "").strip(),
            note=(d["fee_note"] or "").strip(),
        )
    return Procedure(
        key=key,
        name=" ".join(d["name"].split()),
        code=(d["code"] or "").strip() or None,
        legal_basis=_lines(d["legal_basis"]),
        authority_level=AuthorityLevel(d["authority_level"]),
        competent_authority=d["competent_authority"].strip(),
        components=tuple(
            Component(
                name=row["name"].strip(),
                form=ComponentForm(row["form"]),
                count=row["count"],
                required=bool(row["required"]),
                note=(row["note"] or "").strip(),
            )
            for row in _kept(components)
        ),
        processing_days=d["processing_days"],
        fee=fee,
        online_level=OnlineLevel(d["online_level"]),
        result_type=ResultType(d["result_type"]),
        result_name=d["result_name"].strip(),
        valid_from=d["valid_from"],
        valid_to=d["valid_to"],
        sector=d["sector"].strip(),
        application_form=definition,
        full_online_eligible=bool(d["full_online_eligible"]),
        unconfirmed_fields=frozenset(d["unconfirmed_fields"]),
        sources=_lines(d["sources"]),
        note=(d["note"] or "").strip(),
    )


def definition_problems(exc: ValidationFailed) -> list[str]:
    details = exc.details if isinstance(exc.details, dict) else {}
    problems = details.get("definition") or [exc.message]
    return [_("Biểu mẫu: %(message)s") % {"message": message} for message in problems]


class CalendarDayForm(forms.Form):
    day = forms.DateField(label=_l("Ngày"), widget=_DATE)
    kind = forms.ChoiceField(label=_l("Loại"), choices=CalendarDayKind.choices)
    name = forms.CharField(
        label=_l("Lý do, căn cứ"),
        max_length=255,
        help_text=_l("Ví dụ: Nghỉ bù Tết Dương lịch theo Công văn 12729/VPCP-KGVX."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class DeskForm(forms.Form):
    org_unit = forms.IntegerField(widget=forms.HiddenInput)
    unit_code = forms.CharField(label=_l("Mã định danh điện tử"), max_length=40, help_text=_l("Ví dụ H15.50.05.13."))
    valid_from = forms.DateField(label=_l("Áp dụng từ ngày"), widget=_DATE, initial=timezone.localdate)
    address = forms.CharField(label=_l("Địa chỉ Bộ phận Một cửa"), max_length=255, required=False)
    phone = forms.CharField(label=_l("Điện thoại"), max_length=32, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)
