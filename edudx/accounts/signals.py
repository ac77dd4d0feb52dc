"""Remember at log-in whether the user has a second factor, so the middleware can ask for it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django_otp import user_has_device

from .middleware import HAS_DEVICE_SESSION_KEY


@receiver(user_logged_in, dispatch_uid="edudx_accounts_remember_otp_device")
def remember_otp_device(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    if user_has_device(user, confirmed=True):
        request.session[HAS_DEVICE_SESSION_KEY] = True
    else:
        request.session.pop(HAS_DEVICE_SESSION_KEY, None)
