"""Pages of the citizen sign-up: the form, then the one-time code. Services in ``signup.py`` do the work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from edudx.core.errors import DomainError

from . import rules, signup
from .forms import BootstrapMixin

# The browser's pending sign-up: its public id lives only in the session, never in a URL.
SESSION_KEY = "edudx_signup"
BACKEND = "django.contrib.auth.backends.ModelBackend"


class SignupForm(BootstrapMixin, forms.Form):
    full_name = forms.CharField(
        label=_("Họ và tên"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True})
    )
    contact = forms.CharField(
        label=_("Số điện thoại di động hoặc thư điện tử"),
        max_length=254,
        help_text=_("Mã xác nhận sẽ được gửi đến số điện thoại (tin nhắn SMS) hoặc hộp thư này."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "inputmode": "email"}),
    )
    password1 = forms.CharField(
        label=_("Mật khẩu"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Nhập lại mật khẩu"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()
        self._style()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("Hai mật khẩu không khớp nhau."))
        return data


class SignupCodeForm(BootstrapMixin, forms.Form):
    code = forms.CharField(
        label=_("Mã xác nhận"),
        max_length=12,
        help_text=_("Mã gồm 6 chữ số, có hiệu lực 10 phút."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()


def landing_url() -> str:
    """Where a new citizen lands: the public-service catalogue, or the home page where it is not installed."""
    try:
        return reverse("procedures:catalogue")
    except NoReverseMatch:
        return reverse(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
def signup_start(request: HttpRequest) -> HttpResponseBase:
    if request.user.is_authenticated:
        return redirect(landing_url())
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row = signup.signup_start(full_name=data["full_name"], contact=data["contact"], password=data["password1"])
        except DomainError as exc:
            field = {"full_name": "full_name", "contact": "contact", "password": "password1"}.get(exc.code)
            form.add_error(field, exc.message)
        else:
            request.session[SESSION_KEY] = row.public_id
            return redirect("accounts:signup_verify")
    return render(request, "accounts/signup.html", {"form": form})


def _pending(request: HttpRequest) -> Any:
    return signup.signup_pending_get(public_id=request.session.get(SESSION_KEY, ""))


@require_http_methods(["GET", "POST"])
def signup_verify(request: HttpRequest) -> HttpResponseBase:
    row = _pending(request)
    if row is None:
        if request.user.is_authenticated:
            return redirect(landing_url())
        messages.info(request, _("Hãy điền thông tin đăng ký để nhận mã xác nhận."))
        return redirect("accounts:signup")
    form = SignupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = signup.signup_verify(public_id=row.public_id, code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(SESSION_KEY, None)
            login(request, user, backend=BACKEND)
            messages.success(
                request, _("Chào mừng %(name)s! Tài khoản của bạn đã được tạo.") % {"name": user.get_full_name()}
            )
            return redirect(landing_url())
    return _verify_page(request, form, row)


def _verify_page(request: HttpRequest, form: SignupCodeForm, row: Any) -> HttpResponse:
    return render(
        request,
        "accounts/signup_verify.html",
        {
            "form": form,
            "by_sms": row.channel == "sms",
            "destination": rules.mask_destination(row.destination),
            "wait": signup.resend_wait_seconds(row),
            "minutes": rules.SIGNUP_CODE_TTL_SECONDS // 60,
        },
    )


@require_POST
def signup_resend(request: HttpRequest) -> HttpResponseBase:
    row = _pending(request)
    if row is None:
        return redirect("accounts:signup")
    try:
        signup.signup_resend(public_id=row.public_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        if exc.code == "gone":
            request.session.pop(SESSION_KEY, None)
            return redirect("accounts:signup")
    else:
        messages.success(request, _("Đã gửi mã xác nhận mới. Mã cũ không còn dùng được."))
    return redirect("accounts:signup_verify")
