"""Page forms of the citizen side. The application form is built from the procedure's ``FormDefinition``; it only
renders and collects — the rules are ``forms_schema.validate_submission``'s, applied by the submission service, whose
messages are attached back to the fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms_schema import FieldType, FormDefinition, FormField

TEXT_INPUT = {"class": "form-control"}


def _widget_for(f: FormField, masked: bool) -> forms.Widget:
    attrs: dict[str, Any] = dict(TEXT_INPUT)
    if f.help:
        attrs["aria-describedby"] = f"help_{f.key}"
    if f.type == FieldType.TEXTAREA:
        return forms.Textarea(attrs={**attrs, "rows": 3})
    if f.type == FieldType.DATE:
        return forms.DateInput(attrs={**attrs, "type": "date"}, format="%Y-%m-%d")
    if f.type == FieldType.CHOICE:
        return forms.Select(attrs={**attrs, "class": "form-select"})
    if f.type == FieldType.PHONE:
        return forms.TextInput(attrs={**attrs, "type": "tel", "inputmode": "tel", "autocomplete": "tel"})
    if f.type == FieldType.EMAIL:
        return forms.TextInput(attrs={**attrs, "type": "email", "inputmode": "email", "autocomplete": "email"})
    if f.type in (FieldType.NUMBER, FieldType.PERSONAL_ID):
        attrs["inputmode"] = "numeric"
        if masked:
            # The full number is never sent to the page: the field shows the masked number and the service puts
            # the stored number back.
            attrs["readonly"] = True
        return forms.TextInput(attrs=attrs)
    return forms.TextInput(attrs=attrs)


class ApplicationForm(forms.Form):
    """The procedure's form; every field optional here (the service reports what is missing)."""

    def __init__(
        self, definition: FormDefinition, *args: Any, masked_keys: frozenset[str] = frozenset(), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.definition = definition
        for f in definition.fields:
            if f.type in (FieldType.STUDENT, FieldType.FILE):
                continue  # the pupil is chosen in the first step; files are attached with the components
            field: forms.Field
            widget = _widget_for(f, f.key in masked_keys)
            if f.type == FieldType.CHOICE:
                field = forms.ChoiceField(
                    choices=[("", _("— Chọn —")), *((c.value, c.label) for c in f.choices)], widget=widget
                )
            else:
                field = forms.CharField(widget=widget, strip=False)
            field.required = False
            field.label = f.label
            field.help_text = f.help
            field.widget.is_required = f.required  # shown with a star; enforced by the service
            self.fields[f.key] = field

    def answers(self) -> dict[str, Any]:
        """What the applicant sent, as strings (empty ones left out so the platform can fill them)."""
        data: dict[str, Any] = {}
        for key in self.fields:
            value = self.data.get(key, "")
            if isinstance(value, str) and value.strip():
                data[key] = value
        return data


def initial_values(definition: FormDefinition, values: dict[str, Any], display: dict[str, str]) -> dict[str, Any]:
    """Initial values for the page: dates for the date picker, personal ID numbers masked."""
    initial: dict[str, Any] = {}
    for f in definition.fields:
        if f.key not in values:
            continue
        value = values[f.key]
        if f.type == FieldType.PERSONAL_ID:
            initial[f.key] = display.get(f.key, "")
        elif isinstance(value, dt.date):
            initial[f.key] = value.isoformat()
        else:
            initial[f.key] = value
    return initial


class SupplementForm(forms.Form):
    note = forms.CharField(
        label=_("Nội dung bổ sung"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do rút hồ sơ"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Mức độ hài lòng"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Góp ý"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )


class LookupForm(forms.Form):
    code = forms.CharField(
        label=_("Mã hồ sơ"), max_length=40, widget=forms.TextInput(attrs={**TEXT_INPUT, "autocapitalize": "characters"})
    )
    phone = forms.CharField(
        label=_("Số điện thoại người nộp"),
        max_length=20,
        widget=forms.TextInput(attrs={**TEXT_INPUT, "type": "tel", "inputmode": "tel"}),
    )
