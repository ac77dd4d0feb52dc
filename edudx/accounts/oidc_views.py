"""Pages of the OpenID Connect log-in: the redirect to the identity provider and its callback."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from edudx.core.errors import DomainError

from . import oidc
from .signup_views import BACKEND, landing_url
from .views import _safe_next

# Where to go after the provider sends the browser back (checked like any ?next=).
NEXT_SESSION_KEY = "edudx_oidc_next"


def _provider(key: str) -> oidc.Provider:
    provider = oidc.provider_get(key)
    if provider is None:
        raise Http404(_("Không có máy chủ định danh này."))
    return provider


@require_GET
def oidc_login(request: HttpRequest, provider: str) -> HttpResponseBase:
    """Start the log-in (or, for a signed-in user, the linking) at the provider."""
    found = _provider(provider)
    request.session[NEXT_SESSION_KEY] = _safe_next(request, "")
    redirect_uri = found.redirect_uri or request.build_absolute_uri(reverse("accounts:oidc_callback", args=[found.key]))
    try:
        return oidc.authorize_redirect(found, request, redirect_uri)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:security" if request.user.is_authenticated else "accounts:login")


@require_GET
def oidc_callback(request: HttpRequest, provider: str) -> HttpResponseBase:
    found = _provider(provider)
    next_url = request.session.pop(NEXT_SESSION_KEY, "")
    signed_in = request.user if request.user.is_authenticated else None
    try:
        claims = oidc.verified_claims(found, request)
        user, how = oidc.oidc_account_resolve(issuer=found.issuer, claims=claims, signed_in=signed_in)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:security" if signed_in is not None else "accounts:login")
    if signed_in is not None:
        if how == "linked":
            messages.success(request, _("Đã liên kết tài khoản định danh điện tử với tài khoản của bạn."))
        return redirect(next_url or reverse("accounts:security"))
    login(request, user, backend=BACKEND)
    if how == "created":
        messages.success(
            request, _("Chào mừng %(name)s! Tài khoản của bạn đã được tạo.") % {"name": user.get_full_name()}
        )
    elif how == "linked":
        messages.success(request, _("Đã liên kết tài khoản định danh điện tử với tài khoản sẵn có của bạn."))
    return redirect(next_url or landing_url())
