"""Small template helpers for accounts pages."""

from __future__ import annotations

import datetime as dt
import math

from django import template

register = template.Library()


@register.filter
def minutes(value: dt.timedelta | None) -> int:
    """Whole minutes of a duration, rounded up (a 90-second wait reads "2 phút", never "1 phút")."""
    if not value:
        return 0
    return max(1, math.ceil(value.total_seconds() / 60))


@register.simple_tag
def oidc_providers() -> list[object]:
    """The configured OpenID Connect providers (national electronic identity), for log-in buttons."""
    from edudx.accounts.oidc import providers

    return list(providers())
