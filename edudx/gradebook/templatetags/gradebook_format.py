"""Template filters of the gradebook."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def vi_decimal(value: object) -> str:
    """A score as Vietnamese documents write it: 7,5 (decimal comma); empty for None."""
    if value is None:
        return ""
    return str(value).replace(".", ",")
