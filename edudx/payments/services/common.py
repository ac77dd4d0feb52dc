"""Helpers shared by the payment services: who acts, reasons, the reference prefixes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from edudx.core.api import Actor, ValidationFailed

MIN_REASON_LENGTH = 5
MAX_REASON_LENGTH = 500
DEFAULT_REFERENCE_PREFIX = "DX"


def as_actor(actor: Actor | Any) -> Actor:
    """Services take an ``Actor``; callers of ``payments.api`` may pass a user (or None for the system)."""
    return actor if isinstance(actor, Actor) else Actor(user=actor)


def acting_user(actor: Actor) -> Any:
    """The user to write in ``*_by`` columns and the audit trail (None for the system, e.g. the bank endpoint)."""
    return actor.user if actor.is_authenticated else None


def check_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationFailed(
            _("Hãy ghi lý do (ít nhất %(n)s ký tự).") % {"n": MIN_REASON_LENGTH},
            code="REASON_REQUIRED",
            details={"reason": [_("Cần ghi lý do.")]},
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationFailed(
            _("Lý do dài quá %(n)s ký tự.") % {"n": MAX_REASON_LENGTH},
            code="REASON_TOO_LONG",
            details={"reason": [_("Lý do quá dài.")]},
        )
    return reason


def reference_prefix() -> str:
    return str(getattr(settings, "PAYMENTS_REFERENCE_PREFIX", DEFAULT_REFERENCE_PREFIX))


def reference_prefixes() -> tuple[str, ...]:
    """Every prefix a reference of ours may start with (the current one first)."""
    prefixes = [reference_prefix(), *getattr(settings, "PAYMENTS_REFERENCE_PREFIXES", ())]
    return tuple(dict.fromkeys(prefixes))
