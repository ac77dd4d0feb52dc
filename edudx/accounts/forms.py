"""Forms for accounts pages. They only collect and clean input; services do the work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from edudx.core.enums import AUTHORITY_ROLES, Role
from edudx.core.permissions import Actor
from edudx.core.widgets import date_field

from . import selectors


class BootstrapMixin:
    """Give every widget Bootstrap classes, and mark invalid fields for assistive technology."""

    def _style(self) -> None:
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            classes = widget.attrs.get("class", "").split()
            if css not in classes:
                classes.append(css)
            if self.is_bound and self._errors is not None and name in self._errors:  # type: ignore[attr-defined]
                if "is-invalid" not in classes:
                    classes.append("is-invalid")
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"id_{name}_errors"
            elif field.help_text:
                widget.attrs.setdefault("aria-describedby", f"id_{name}_help")
            widget.attrs["class"] = " ".join(classes)

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        self._style()


class LoginForm(BootstrapMixin, auth_forms.AuthenticationForm):
    username = auth_forms.UsernameField(
        label=_("Tên đăng nhập"),
        help_text=_("Người dân đăng nhập bằng số điện thoại di động hoặc địa chỉ thư điện tử đã đăng ký."),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Mật khẩu"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _("Tên đăng nhập hoặc mật khẩu không đúng. Lưu ý: mật khẩu phân biệt chữ hoa, chữ thường."),
        "inactive": _("Tài khoản này đã bị khoá."),
    }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()

    def clean_username(self) -> str:
        # A phone number or e-mail becomes the account's user name before authentication (and lock-out).
        return selectors.login_username_for(self.cleaned_data.get("username") or "")


class PasswordChangeForm(BootstrapMixin, auth_forms.PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()


class PasswordResetForm(BootstrapMixin, auth_forms.PasswordResetForm):
    email = forms.EmailField(
        label=_("Địa chỉ thư điện tử"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()


class SetPasswordForm(BootstrapMixin, auth_forms.SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()


class OtpCodeForm(BootstrapMixin, forms.Form):
    code = forms.CharField(
        label=_("Mã xác thực"),
        max_length=32,
        help_text=_("Mã 6 chữ số trên ứng dụng xác thực, hoặc một mã khôi phục (ví dụ: abcde-fghjk)."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        help_text = kwargs.pop("help_text", None)
        super().__init__(*args, **kwargs)
        if help_text is not None:
            self.fields["code"].help_text = help_text
        self._style()


class RoleAssignForm(BootstrapMixin, forms.Form):
    username = forms.CharField(
        label=_("Tên đăng nhập của người được phân quyền"),
        max_length=150,
        help_text=_("Gõ ít nhất 2 ký tự của tên đăng nhập hoặc họ tên để tìm."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "user-options", "autocapitalize": "none"}),
    )
    role = forms.ChoiceField(label=_("Vai trò"))
    org_unit = forms.ModelChoiceField(label=_("Đơn vị"), queryset=None, empty_label=_("— Chọn đơn vị —"))  # type: ignore[arg-type]
    valid_from = date_field(_("Hiệu lực từ ngày"), css_class="")
    valid_to = date_field(
        _("Đến ngày (không tính)"), required=False, css_class="", help_text=_("Để trống nếu không có thời hạn.")
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["role"].choices = role_choices_for(actor)
        self.fields["org_unit"].queryset = selectors.assignable_units(actor=actor)
        self.fields["valid_from"].initial = timezone.localdate()
        self._style()

    def clean_username(self) -> Any:
        user = selectors.user_get_for_assign(actor=self.actor, username=self.cleaned_data["username"])
        if user is None:
            raise forms.ValidationError(_("Không tìm thấy tài khoản đang hoạt động có tên đăng nhập này."))
        return user


class UserCreateForm(BootstrapMixin, forms.Form):
    username = forms.CharField(
        label=_("Tên đăng nhập"),
        max_length=150,
        help_text=_("Chữ không dấu, chữ số và các ký tự @ . + - _ (ví dụ: nguyenvana.thcs1)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    email = forms.EmailField(label=_("Thư điện tử"), required=False, help_text=_("Dùng để lấy lại mật khẩu khi quên."))
    phone = forms.CharField(label=_("Điện thoại"), max_length=20, required=False)
    org_unit = forms.ModelChoiceField(label=_("Đơn vị"), queryset=None, empty_label=_("— Chọn đơn vị —"))  # type: ignore[arg-type]
    role = forms.ChoiceField(label=_("Vai trò ban đầu"))

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices_for(actor)
        self.fields["org_unit"].queryset = selectors.assignable_units(actor=actor)
        self._style()


class ApiTokenForm(BootstrapMixin, forms.Form):
    name = forms.CharField(
        label=_("Tên khoá"),
        max_length=100,
        help_text=_("Tên hệ thống sẽ dùng khoá, ví dụ: CSDL ngành, cổng dịch vụ công."),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()


def role_choices_for(actor: Actor) -> list[tuple[str, str]]:
    """Roles the actor may give: authority roles only to authority staff (the service checks again)."""
    return [(value, label) for value, label in Role.choices if actor.is_authority or value not in AUTHORITY_ROLES]
