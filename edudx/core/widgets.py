"""One date field for every form: a browser date picker that also accepts dates typed the Vietnamese way."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

# Dates arrive from <input type="date"> (ISO) or typed the Vietnamese way (dd/mm/yyyy), e.g. in a link.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class DateInput(forms.DateInput):
    """``<input type="date">`` shows only ISO values: a date submitted as "21/04/2025" is shown back as
    2025-04-21 instead of an empty box when the form is displayed again."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, str):
            for fmt in DATE_INPUT_FORMATS:
                try:
                    return dt.datetime.strptime(value.strip(), fmt).date().isoformat()
                except ValueError:
                    continue
        return super().format_value(value)


def date_field(label: Any, *, required: bool = True, css_class: str = "form-control", **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(attrs={"class": css_class} if css_class else None),
        **kwargs,
    )
