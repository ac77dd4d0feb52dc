"""Helpers of the payment pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from edudx.core.api import DomainError


def bills_crumb() -> tuple[str, str]:
    return (_("Khoản thu, biên lai"), reverse("payments:bill_list"))


def run_action(request: HttpRequest, back: str, action: Callable[[], Any], success: str) -> HttpResponse:
    """Run a service call; show its refusal as a message (403 for a permission refusal) and go back."""
    try:
        action()
    except DomainError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, success)
    return redirect(back)


def to_int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
