"""Writes to accounts: user creation by assigners, password flags, second factor, API tokens.

Every function checks permission first, validates, writes and appends an audit event in the same
transaction. ``actor=None`` means the platform itself (a management command run by an operator),
never a web request.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_otp
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from edudx.core import audit
from edudx.core import services as core_services
from edudx.core.enums import AUTHORITY_ROLES, Role
from edudx.core.errors import NotPermitted, ValidationFailed
from edudx.core.models import OrgUnit
from edudx.core.permissions import Actor

from .models import ApiToken, hash_token
from .rules import RECOVERY_CODE_COUNT, new_recovery_code, new_temporary_password

User = get_user_model()

TOTP_DEVICE_NAME = "Ứng dụng xác thực"
RECOVERY_DEVICE_NAME = "Mã khôi phục"


def _user_of(actor: Actor | None) -> Any:
    return actor.user if actor is not None else None


# --- Accounts -------------------------------------------------------------------------------


@transaction.atomic
def user_create(
    *,
    actor: Actor | None,
    username: str,
    full_name: str,
    org_unit: OrgUnit,
    role: str,
    email: str = "",
    phone: str = "",
    password: str | None = None,
    valid_from: dt.date | None = None,
) -> tuple[Any, str]:
    """Create a staff account inside the assigner's scope, with a temporary password the holder
    must change at first log-in, and give it its first role there. Returns (user, password)."""
    if actor is not None and not actor.can_in("role.assign", org_unit):
        raise NotPermitted("Bạn chỉ được tạo tài khoản cho đơn vị mình quản lý.")
    if actor is not None and role in AUTHORITY_ROLES and not actor.is_authority:
        raise NotPermitted("Chỉ cơ quan quản lý mới được giao vai trò cấp cơ quan quản lý.")
    username = username.strip()
    full_name = " ".join(full_name.split())
    if not username:
        raise ValidationFailed("Tên đăng nhập không được để trống.")
    if not full_name:
        raise ValidationFailed("Họ và tên không được để trống.")
    if role not in Role.values:
        raise ValidationFailed("Vai trò không hợp lệ.")
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise ValidationFailed("Tên đăng nhập chỉ gồm chữ không dấu, chữ số và các ký tự @ . + - _ .") from exc
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed(f"Tên đăng nhập '{username}' đã được sử dụng.")
    user = User(
        username=username, full_name=full_name, email=email.strip(), phone=phone.strip(), must_change_password=True
    )
    password = password or new_temporary_password()
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages)) from exc
    user.set_password(password)
    user.save()
    audit.record(
        actor=_user_of(actor),
        action="account.create",
        obj=user,
        org_unit=org_unit,
        after={"username": user.username, "full_name": user.full_name, "email": user.email, "role": role},
    )
    core_services.role_assign(
        actor=actor,
        user=user,
        role=role,
        org_unit=org_unit,
        valid_from=valid_from or timezone.localdate(),
    )
    return user, password


@transaction.atomic
def user_password_changed(*, user: Any) -> None:
    """Record that the holder chose a new password (change or reset): a temporary one no longer stands,
    and a lock-out from failed log-ins ends, since only the holder of the e-mail box could reset it."""
    from axes.utils import reset as axes_reset

    axes_reset(username=user.get_username())
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
    audit.record(actor=user, action="account.password_change", obj=user)


# --- Second factor ---------------------------------------------------------------------------


def totp_device_pending(*, user: Any) -> TOTPDevice:
    """The unconfirmed authenticator device being enrolled, created on first call.

    Reusing the pending device keeps the QR code stable when the page is reloaded."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def _recovery_codes_replace(user: Any) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True})
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    device.token_set.all().delete()
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def totp_device_confirm(*, user: Any, device: TOTPDevice, token: str) -> list[str]:
    """Confirm an authenticator with a code it shows; returns the fresh recovery codes (shown once)."""
    if device.user_id != user.pk or device.confirmed:
        raise ValidationFailed("Thiết bị xác thực không hợp lệ. Vui lòng tải lại trang và thử lại.")
    allowed, info = device.verify_is_allowed()
    if not allowed:
        raise ValidationFailed(throttled_message(info))
    if not device.verify_token(token):
        raise ValidationFailed("Mã xác thực không đúng. Kiểm tra giờ trên điện thoại và nhập mã mới nhất.")
    # One authenticator per user: a new enrolment replaces any older one.
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _recovery_codes_replace(user)
    audit.record(actor=user, action="account.otp_enrol", obj=user, after={"device": device.persistent_id})
    return codes


def otp_token_verify(*, user: Any, device: Device, token: str) -> Device | None:
    """Check a code against one of the user's devices (row-locked, throttled, single use).

    Using a recovery code is recorded: it usually means a lost phone, which security staff want to see."""
    matched = django_otp.verify_token(user, device.persistent_id, token)
    if matched is not None and isinstance(matched, StaticDevice):
        audit.record(actor=user, action="account.recovery_code_used", obj=user)
    return matched


@transaction.atomic
def recovery_codes_regenerate(*, user: Any) -> list[str]:
    """Replace the recovery codes; the old ones stop working at once."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationFailed("Hãy bật xác thực hai lớp trước khi tạo mã khôi phục.")
    codes = _recovery_codes_replace(user)
    audit.record(actor=user, action="account.recovery_codes_regenerate", obj=user)
    return codes


@transaction.atomic
def otp_disable(*, user: Any, required: bool) -> None:
    """Remove the second factor. Refused for holders of roles that must use one."""
    if required:
        raise NotPermitted("Vai trò của bạn bắt buộc dùng xác thực hai lớp; không thể tắt.")
    if not TOTPDevice.objects.filter(user=user).exists() and not StaticDevice.objects.filter(user=user).exists():
        raise ValidationFailed("Tài khoản của bạn chưa bật xác thực hai lớp.")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit.record(actor=user, action="account.otp_disable", obj=user)


def throttled_message(info: dict[str, Any] | None) -> str:
    until = (info or {}).get("locked_until")
    if until is not None:
        return f"Bạn đã nhập sai nhiều lần. Vui lòng thử lại sau {timezone.localtime(until):%H:%M:%S}."
    return "Bạn đã nhập sai nhiều lần. Vui lòng chờ một lát rồi thử lại."


# --- API tokens ------------------------------------------------------------------------------


def _check_token_owner(actor: Actor | None, user: Any) -> None:
    # A token acts with all of its user's rights, so only the user (or an operator at the console)
    # may create or revoke one; an assigner must never mint credentials for someone else.
    if actor is not None and (actor.user is None or actor.user.pk != user.pk):
        raise NotPermitted("Bạn chỉ được quản lý khoá API của chính mình.")


@transaction.atomic
def api_token_issue(*, actor: Actor | None, user: Any, name: str) -> tuple[ApiToken, str]:
    """Issue a bearer token for ``user``. Only its hash is stored; the raw value is returned once."""
    _check_token_owner(actor, user)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("Hãy đặt tên cho khoá API (ví dụ: hệ thống CSDL ngành).")
    if len(name) > 100:
        raise ValidationFailed("Tên khoá API tối đa 100 ký tự.")
    if not user.is_active:
        raise ValidationFailed("Tài khoản đã bị khoá; không thể cấp khoá API.")
    raw = ApiToken.generate()
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:12], token_hash=hash_token(raw))
    audit.record(
        actor=_user_of(actor),
        action="api_token.issue",
        obj=token,
        object_label=f"{user.username}: {name}",
        after={"user": user.pk, "name": name, "prefix": token.prefix},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Actor | None, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    _check_token_owner(actor, token.user)
    if token.revoked_at is not None:
        raise ValidationFailed("Khoá API này đã bị thu hồi trước đó.")
    token.revoke()
    audit.record(
        actor=_user_of(actor),
        action="api_token.revoke",
        obj=token,
        object_label=f"{token.user.username}: {token.name}",
        after={"revoked_at": token.revoked_at.isoformat() if token.revoked_at else None},
    )
    return token
