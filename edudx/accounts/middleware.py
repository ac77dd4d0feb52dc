"""Holders of authority and principal roles must pass a second factor before using the platform."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect

from edudx.core.api import actor_for

# Paths a user who still owes a second factor may reach.
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/", "/verify/", "/healthz")


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[Any], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: Any) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
            and not user.is_verified()
            and actor_for(request).roles & settings.TWO_FACTOR_REQUIRED_ROLES
        ):
            from django_otp import devices_for_user

            has_device = any(True for _ in devices_for_user(user, confirmed=True))
            return redirect("accounts:otp_verify" if has_device else "accounts:otp_setup")
        return self.get_response(request)
