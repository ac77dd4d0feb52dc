"""Pages of the accounts app. Thin: forms clean input, services write, selectors read."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from edudx.core.enums import Role
from edudx.core.errors import DomainError
from edudx.core.exports import Column, export_response
from edudx.core.pagination import paginate
from edudx.core.permissions import actor_for
from edudx.core.services import role_assign as core_role_assign
from edudx.core.services import role_revoke as core_role_revoke

from . import forms, rules, selectors, services

SECRET_SESSION_KEY = "edudx_show_once"


# --- helpers ---------------------------------------------------------------------------------


def _show_once(request: HttpRequest, kind: str, value: Any) -> None:
    """Keep a secret (codes, a raw token, a temporary password) for exactly one page view."""
    request.session[f"{SECRET_SESSION_KEY}:{kind}"] = value


def _take_once(request: HttpRequest, kind: str) -> Any:
    return request.session.pop(f"{SECRET_SESSION_KEY}:{kind}", None)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def two_factor_required(request: HttpRequest) -> bool:
    return bool(actor_for(request).roles & set(settings.TWO_FACTOR_REQUIRED_ROLES))


def _must_verify_first(request: HttpRequest) -> HttpResponse | None:
    """Sensitive security actions need a session that passed the second factor, when there is one."""
    if selectors.user_has_confirmed_device(request.user) and not request.user.is_verified():  # type: ignore[union-attr]
        return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': request.get_full_path()})}")
    return None


def _require_assigner(request: HttpRequest) -> Any:
    actor = actor_for(request)
    if not actor.grants_for("role.assign"):
        raise PermissionDenied(_("Bạn không có quyền phân quyền."))
    return actor


# --- Log-in, log-out, passwords ----------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = forms.LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("Bạn đã đăng xuất."))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    form_class = forms.PasswordChangeForm
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.user_password_changed(user=form.user)
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = forms.PasswordResetForm
    email_template_name = "accounts/email/password_reset_email.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = forms.SetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.user_password_changed(user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# --- Two-factor authentication --------------------------------------------------------------


@login_required
@require_GET
def security(request: HttpRequest) -> HttpResponse:
    state = selectors.otp_state(user=request.user)
    return render(
        request,
        "accounts/security.html",
        {
            **state,
            "required": two_factor_required(request),
            "verified": request.user.is_verified(),  # type: ignore[union-attr]
        },
    )


def _qr_svg(data: str) -> str:
    # Inline SVG: no image request, no external service ever sees the secret.
    return segno.make(data, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponseBase:
    user = request.user
    next_url = _safe_next(request, reverse("accounts:security"))
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        if not user.is_verified():  # type: ignore[union-attr]
            return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': next_url})}")
        messages.info(request, _("Bạn đã bật xác thực hai lớp. Muốn đổi điện thoại, hãy tắt rồi bật lại."))
        return redirect("accounts:security")
    device = services.totp_device_pending(user=user)
    form = forms.OtpCodeForm(request.POST or None, help_text=_("Nhập mã 6 chữ số mà ứng dụng xác thực đang hiển thị."))
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_device_confirm(
                user=user, device=device, token=rules.normalise_code(form.cleaned_data["code"])
            )
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            otp_login(request, device)
            request.session.pop("edudx_otp_device", None)
            _show_once(request, "recovery_codes", codes)
            messages.success(request, _("Đã bật xác thực hai lớp cho tài khoản của bạn."))
            return redirect(f"{reverse('accounts:recovery_codes')}?{urlencode({'next': next_url})}")
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device.config_url),
            "secret": secret,
            "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "required": two_factor_required(request),
            "next": next_url,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponseBase:
    user = request.user
    next_url = _safe_next(request, reverse(settings.LOGIN_REDIRECT_URL))
    if user.is_verified():  # type: ignore[union-attr]
        return redirect(next_url)
    devices = {
        "totp": TOTPDevice.objects.filter(user=user, confirmed=True).first(),
        "static": StaticDevice.objects.filter(user=user, confirmed=True).first(),
    }
    if devices["totp"] is None and devices["static"] is None:
        if two_factor_required(request):
            return redirect(f"{reverse('accounts:otp_setup')}?{urlencode({'next': next_url})}")
        return redirect(next_url)
    form = forms.OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = rules.normalise_code(form.cleaned_data["code"])
        device = devices["totp"] if rules.is_totp_code(code) else devices["static"]
        if device is None:
            form.add_error("code", _("Mã xác thực không đúng."))
        else:
            allowed, info = device.verify_is_allowed()
            if not allowed:
                form.add_error("code", services.throttled_message(info))
            elif (matched := services.otp_token_verify(user=user, device=device, token=code)) is not None:
                otp_login(request, matched)
                request.session.pop("edudx_otp_device", None)
                if isinstance(matched, StaticDevice):
                    left = matched.token_set.count()
                    messages.warning(
                        request,
                        _(
                            "Bạn vừa dùng một mã khôi phục; còn lại %(left)s mã. "
                            "Hãy tạo bộ mã mới trong trang Bảo mật tài khoản nếu sắp hết."
                        )
                        % {"left": left},
                    )
                return redirect(next_url)
            else:
                form.add_error("code", _("Mã xác thực không đúng hoặc đã được dùng."))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


@login_required
@require_GET
def recovery_codes(request: HttpRequest) -> HttpResponse:
    codes = _take_once(request, "recovery_codes")
    return render(
        request,
        "accounts/recovery_codes.html",
        {
            "codes": [rules.format_recovery_code(c) for c in codes] if codes else None,
            "left": selectors.otp_state(user=request.user)["recovery_codes_left"],
            "next": _safe_next(request, reverse("accounts:security")),
        },
    )


@login_required
@require_POST
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponseBase:
    blocked = _must_verify_first(request)
    if blocked is not None:
        return blocked
    try:
        codes = services.recovery_codes_regenerate(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:security")
    _show_once(request, "recovery_codes", codes)
    messages.success(request, _("Đã tạo bộ mã khôi phục mới; các mã cũ không còn dùng được."))
    return redirect("accounts:recovery_codes")


@login_required
@require_http_methods(["GET", "POST"])
def otp_disable(request: HttpRequest) -> HttpResponseBase:
    blocked = _must_verify_first(request)
    if blocked is not None:
        return blocked
    required = two_factor_required(request)
    if request.method == "POST":
        try:
            services.otp_disable(user=request.user, required=required)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã tắt xác thực hai lớp."))
        return redirect("accounts:security")
    return render(
        request,
        "accounts/otp_disable_confirm.html",
        {"required": required, "has_device": selectors.user_has_confirmed_device(request.user)},
    )


# --- My account -------------------------------------------------------------------------------


@login_required
@require_GET
def my_account(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    today = timezone.localdate()
    roles = list(selectors.my_role_list(actor=actor))
    for row in roles:
        row.is_current = row.valid_from <= today and (row.valid_to is None or row.valid_to > today)  # type: ignore[attr-defined]
    return render(
        request,
        "accounts/my_account.html",
        {
            "roles": roles,
            "otp": selectors.otp_state(user=request.user),
            "token_count": selectors.api_token_list(user=request.user).filter(revoked_at__isnull=True).count(),
        },
    )


# --- Role assignments ----------------------------------------------------------------------


ROLE_EXPORT_COLUMNS = [
    Column("Tên đăng nhập", lambda r: r.user.username, 20),
    Column("Họ và tên", lambda r: r.user.full_name, 28),
    Column("Vai trò", lambda r: r.get_role_display(), 26),
    Column("Đơn vị", lambda r: r.org_unit.name, 34),
    Column("Từ ngày", lambda r: r.valid_from, 12),
    Column("Đến ngày (không tính)", lambda r: r.valid_to, 14),
    Column("Người phân quyền", lambda r: r.granted_by.username if r.granted_by else "", 20),
]


@login_required
@require_GET
def role_list(request: HttpRequest) -> HttpResponseBase:
    actor = _require_assigner(request)
    try:
        unit_id = int(request.GET.get("unit") or 0) or None
    except ValueError:
        unit_id = None
    status = request.GET.get("status") or selectors.STATUS_ACTIVE
    role = request.GET.get("role") or ""
    rows = selectors.role_assignment_list(
        actor=actor,
        search=request.GET.get("q", ""),
        role=role if role in Role.values else "",
        unit_id=unit_id,
        status=status,
    )
    exported = export_response(request, rows.iterator(), ROLE_EXPORT_COLUMNS, "phan-quyen")
    if exported is not None:
        return exported
    today = timezone.localdate()
    context = paginate(request, rows)
    for row in context["object_list"]:
        row.is_current = row.valid_to is None or row.valid_to > today
    context.update(
        {
            "units": selectors.assignable_units(actor=actor),
            "roles": Role.choices,
            "q": request.GET.get("q", ""),
            "selected_role": role,
            "selected_unit": unit_id,
            "status": status,
            "statuses": [
                (selectors.STATUS_ACTIVE, _("Đang hiệu lực")),
                (selectors.STATUS_ENDED, _("Đã hết hiệu lực")),
                (selectors.STATUS_ALL, _("Tất cả")),
            ],
        }
    )
    return render(request, "accounts/role_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def role_assign(request: HttpRequest) -> HttpResponseBase:
    actor = _require_assigner(request)
    initial = {}
    if request.GET.get("user"):
        initial["username"] = request.GET["user"]
    form = forms.RoleAssignForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assignment = core_role_assign(
                actor=actor,
                user=data["username"],
                role=data["role"],
                org_unit=data["org_unit"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Đã giao vai trò %(role)s tại %(unit)s cho %(name)s (%(username)s).")
                % {
                    "role": assignment.get_role_display(),
                    "unit": assignment.org_unit.name,
                    "name": assignment.user.get_full_name(),
                    "username": assignment.user.username,
                },
            )
            return redirect("accounts:role_list")
    return render(request, "accounts/role_assign.html", {"form": form})


@login_required
@require_GET
def user_search(request: HttpRequest) -> HttpResponse:
    actor = _require_assigner(request)
    users = selectors.user_search(actor=actor, term=request.GET.get("username", "") or request.GET.get("q", ""))
    return render(request, "accounts/partials/user_options.html", {"users": users})


@login_required
@require_http_methods(["GET", "POST"])
def role_revoke(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = _require_assigner(request)
    assignment = selectors.role_assignment_get_for_assign(actor=actor, pk=pk)
    if assignment is None:
        raise Http404(_("Không tìm thấy phân quyền."))
    if request.method == "POST":
        try:
            core_role_revoke(actor=actor, assignment=assignment, on=timezone.localdate())
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Đã thu hồi vai trò %(role)s của %(name)s.")
                % {"role": assignment.get_role_display(), "name": assignment.user.get_full_name()},
            )
        return redirect("accounts:role_list")
    return render(request, "accounts/role_revoke_confirm.html", {"assignment": assignment})


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponseBase:
    actor = _require_assigner(request)
    form = forms.UserCreateForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, password = services.user_create(
                actor=actor,
                username=data["username"],
                full_name=data["full_name"],
                email=data["email"],
                phone=data["phone"],
                org_unit=data["org_unit"],
                role=data["role"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            _show_once(
                request,
                "new_user",
                {
                    "username": user.username,
                    "full_name": user.full_name,
                    "password": password,
                    "unit": data["org_unit"].name,
                    "role": str(Role(data["role"]).label),
                },
            )
            return redirect("accounts:user_created")
    return render(request, "accounts/user_create.html", {"form": form})


@login_required
@require_GET
def user_created(request: HttpRequest) -> HttpResponseBase:
    _require_assigner(request)
    created = _take_once(request, "new_user")
    if created is None:
        messages.info(request, _("Mật khẩu tạm chỉ hiển thị một lần ngay sau khi tạo tài khoản."))
        return redirect("accounts:role_list")
    return render(request, "accounts/user_created.html", {"created": created})


# --- API tokens ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponseBase:
    form = forms.ApiTokenForm(request.POST or None)
    # A token carries every right of its holder and never asks for a second factor, so only a
    # session that passed one may create it.
    can_issue = request.user.is_verified()  # type: ignore[union-attr]
    if request.method == "POST":
        blocked = _must_verify_first(request)
        if blocked is not None:
            return blocked
        if not can_issue:
            messages.error(request, _("Hãy bật xác thực hai lớp trước khi tạo khoá API."))
            return redirect("accounts:token_list")
        if form.is_valid():
            try:
                token, raw = services.api_token_issue(
                    actor=actor_for(request), user=request.user, name=form.cleaned_data["name"]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                _show_once(request, "api_token", {"id": token.pk, "raw": raw, "name": token.name})
                return redirect("accounts:token_list")
    return render(
        request,
        "accounts/token_list.html",
        {
            "form": form,
            "can_issue": can_issue,
            "tokens": selectors.api_token_list(user=request.user),
            "new_token": _take_once(request, "api_token") if request.method == "GET" else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, pk: int) -> HttpResponseBase:
    token = selectors.api_token_get_own(user=request.user, pk=pk)
    if token is None:
        raise Http404(_("Không tìm thấy khoá API."))
    if request.method == "POST":
        try:
            services.api_token_revoke(actor=actor_for(request), token=token)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã thu hồi khoá API “%(name)s”.") % {"name": token.name})
        return redirect("accounts:token_list")
    return render(request, "accounts/token_revoke_confirm.html", {"token": token})
