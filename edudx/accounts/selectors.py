"""Reads for accounts. Every list that crosses users goes through the RoleAssignment policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from edudx.core.models import OrgUnit, RoleAssignment
from edudx.core.permissions import Actor, policy_for

from . import rules
from .models import ApiToken

User = get_user_model()

STATUS_ACTIVE = "active"
STATUS_ENDED = "ended"
STATUS_ALL = "all"


def role_assignment_list(
    *,
    actor: Actor,
    search: str = "",
    role: str = "",
    unit_id: int | None = None,
    status: str = STATUS_ACTIVE,
    on: dt.date | None = None,
) -> QuerySet[RoleAssignment]:
    """Assignments the actor may manage, filtered; a fixed number of queries whatever the page size."""
    day = on or timezone.localdate()
    qs = policy_for(RoleAssignment).visible(actor, "assign")
    if search.strip():
        term = search.strip()
        qs = qs.filter(Q(user__username__icontains=term) | Q(user__full_name__icontains=term))
    if role:
        qs = qs.filter(role=role)
    if unit_id:
        unit = OrgUnit.objects.filter(pk=unit_id).first()
        qs = qs.filter(org_unit__path__startswith=unit.path) if unit else qs.none()
    if status == STATUS_ACTIVE:
        qs = qs.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
    elif status == STATUS_ENDED:
        qs = qs.filter(valid_to__isnull=False, valid_to__lte=day)
    return qs.select_related("user", "org_unit", "granted_by").order_by("org_unit__path", "user__username", "role")


def role_assignment_get_for_assign(*, actor: Actor, pk: int) -> RoleAssignment | None:
    """One assignment the actor may manage, or None for both missing and out-of-scope rows."""
    return policy_for(RoleAssignment).visible(actor, "assign").select_related("user", "org_unit").filter(pk=pk).first()


def my_role_list(*, actor: Actor) -> QuerySet[RoleAssignment]:
    """The signed-in user's own assignments, current and past."""
    if not actor.is_authenticated:
        return RoleAssignment.objects.none()
    return (
        policy_for(RoleAssignment)
        .visible(actor, "view")
        .filter(user=actor.user)
        .select_related("org_unit", "granted_by")
        .order_by("-valid_from", "role")
    )


def assignable_units(*, actor: Actor) -> QuerySet[OrgUnit]:
    return actor.units_with("role.assign").filter(valid_to__isnull=True).order_by("path")


def user_search(*, actor: Actor, term: str, limit: int = 15) -> list[Any]:
    """Users the actor may pick when assigning a role.

    Partial matches come only from people who already hold a role inside the actor's scope, so
    nobody can list another school's staff; an exact user name (which the assigner must have been
    told) finds any active account, e.g. a teacher moving in from another school."""
    term = term.strip()
    if len(term) < 2:
        return []
    in_scope = policy_for(RoleAssignment).visible(actor, "assign").values("user_id")
    partial = User.objects.filter(
        Q(pk__in=in_scope) & (Q(username__icontains=term) | Q(full_name__icontains=term)), is_active=True
    )
    exact = User.objects.filter(username__iexact=term, is_active=True)
    found = list(exact) + list(partial.order_by("username")[:limit])
    seen: set[int] = set()
    out = []
    for user in found:
        if user.pk not in seen:
            seen.add(user.pk)
            out.append(user)
    return out[:limit]


def user_get_for_assign(*, actor: Actor, username: str) -> Any | None:
    """The account named exactly ``username`` (case-insensitive), if active."""
    username = username.strip()
    if not username:
        return None
    return User.objects.filter(username__iexact=username, is_active=True).first()


def login_username_for(identifier: str) -> str:
    """The user name to sign in with, for what was typed in the log-in form's first field.

    Citizens sign in with their mobile number (in any usual spelling: ``+84 912 345 678``) or e-mail
    address. Resolving it here, before authentication, means the lock-out after failed passwords
    (django-axes, by user name) counts every spelling against the same account. An exact user name
    always wins; a number or address shared by several accounts resolves to nothing new.
    """
    text = (identifier or "").strip()
    if not text or User.objects.filter(username=text).exists():
        return text
    if "@" in text:
        email = text.lower()
        if User.objects.filter(username=email).exists():
            return email
        matches = list(User.objects.filter(email__iexact=email, is_active=True).values_list("username", flat=True)[:2])
        return matches[0] if len(matches) == 1 else text
    phone = rules.normalise_phone(text)
    if rules.is_mobile_phone(phone):
        if User.objects.filter(username=phone).exists():
            return phone
        matches = list(User.objects.filter(phone=phone, is_active=True).values_list("username", flat=True)[:2])
        return matches[0] if len(matches) == 1 else phone
    return text


def api_token_list(*, user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at")


def api_token_get_own(*, user: Any, pk: int) -> ApiToken | None:
    return ApiToken.objects.filter(user=user, pk=pk).first()


def api_token_find(*, prefix_or_id: str) -> ApiToken | None:
    """For operators: a token by its id or by the prefix printed in lists (``edx_AbCdEfGh``)."""
    value = prefix_or_id.strip()
    if value.isdigit():
        found = ApiToken.objects.filter(pk=int(value)).first()
        if found is not None:
            return found
    matches = list(ApiToken.objects.filter(prefix__startswith=value)[:2]) if value else []
    return matches[0] if len(matches) == 1 else None


def user_list(*, role: str = "", on: dt.date | None = None) -> QuerySet[Any]:
    """Every account with its role assignments not yet ended (for operators at the console)."""
    day = on or timezone.localdate()
    current = RoleAssignment.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day)).select_related("org_unit")
    qs = User.objects.all().order_by("username")
    if role:
        qs = qs.filter(pk__in=current.filter(role=role).values("user_id"))
    return qs.prefetch_related(
        Prefetch("role_assignments", queryset=current.order_by("valid_from", "role"), to_attr="current_roles")
    )


def otp_state(*, user: Any) -> dict[str, Any]:
    """Whether the user has a confirmed authenticator and how many recovery codes remain."""
    confirmed = [d for d in devices_for_user(user, confirmed=True) if isinstance(d, TOTPDevice)]
    remaining = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return {"totp_device": confirmed[0] if confirmed else None, "recovery_codes_left": remaining}


def user_has_confirmed_device(user: Any) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))
