"""Gates every request of a signed-in user who still owes something before using the platform.

1. An account created with a temporary password must choose its own password first.
2. Holders of authority and principal roles (settings.TWO_FACTOR_REQUIRED_ROLES) must enrol and
   pass a second factor; anyone else who enrolled one must pass it too (the session remembers, from
   log-in, that the user has a device, so users without one pay no extra query).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from edudx.core.api import actor_for

# Paths a user who still owes a second factor may reach.
EXEMPT_PREFIXES = ("/static/", "/i18n/", "/api/", "/verify/", "/v/", "/healthz")
# Account pages that are open to everyone whatever they owe.
OPEN_VIEWS = {
    "accounts:login",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
}
PASSWORD_VIEWS = {"accounts:password_change", "accounts:password_change_done"}
OTP_VIEWS = {"accounts:otp_setup", "accounts:otp_verify"}
# Set at log-in when the user has a confirmed device (see signals.py).
HAS_DEVICE_SESSION_KEY = "edudx_otp_device"


def _view_name(path: str) -> str:
    try:
        return resolve(path).view_name
    except Resolver404:
        return ""


def _with_next(url_name: str, request: Any) -> HttpResponse:
    url = reverse(url_name)
    if request.method == "GET":
        url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    return redirect(url)


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[Any], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: Any) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(EXEMPT_PREFIXES):
            return self.get_response(request)
        view_name = _view_name(request.path_info)
        if view_name in OPEN_VIEWS:
            return self.get_response(request)
        if user.must_change_password and view_name not in PASSWORD_VIEWS | OTP_VIEWS:
            return _with_next("accounts:password_change", request)
        if not user.is_verified() and view_name not in OTP_VIEWS:
            required = bool(actor_for(request).roles & set(settings.TWO_FACTOR_REQUIRED_ROLES))
            if required or request.session.get(HAS_DEVICE_SESSION_KEY):
                from django_otp import user_has_device

                has_device = user_has_device(user, confirmed=True)
                # Someone still enrolling may set their own password first; with a device, not before verifying.
                if has_device or view_name not in PASSWORD_VIEWS:
                    return _with_next("accounts:otp_verify" if has_device else "accounts:otp_setup", request)
        return self.get_response(request)
