"""Text messages (SMS) through an adapter chosen in settings.

``SMS_BACKEND`` is a dotted path to a class with ``send(phone, text)``. The demo writes messages to the
console, tests keep them in memory, and production plugs in its SMS gateway's adapter. It lives in core
because several layers send texts: accounts (sign-up codes) and procedures (dossier notices).
"""

from __future__ import annotations

import sys
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_SMS_BACKEND = "edudx.core.sms.ConsoleSmsBackend"


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class ConsoleSmsBackend:
    """Writes the SMS to standard output (demo and development)."""

    def send(self, phone: str, text: str) -> None:
        sys.stdout.write(f"[SMS → {phone}] {text}\n")
        sys.stdout.flush()


class LocmemSmsBackend:
    """Keeps the SMS in memory (tests read ``outbox``)."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        LocmemSmsBackend.outbox.append((phone, text))


def sms_backend() -> SmsBackend:
    path = getattr(settings, "SMS_BACKEND", DEFAULT_SMS_BACKEND)
    backend: SmsBackend = import_string(path)()
    return backend


def send_sms(phone: str, text: str) -> None:
    sms_backend().send(phone, text)
