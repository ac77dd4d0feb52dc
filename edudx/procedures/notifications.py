"""Messages to applicants and staff, through adapters chosen in settings (console in the demo).

E-mail goes through Django's mail backend (``EMAIL_BACKEND``); SMS through ``SMS_BACKEND``, a dotted path to a
class with ``send(phone, text)``. Production plugs a brand-name SMS gateway there. Every message sent about a
dossier is kept (``DossierNotification``) and shown on its tracking page.
"""

from __future__ import annotations

import logging
import sys
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from .models import Dossier, DossierNotification, NotificationChannel

log = logging.getLogger(__name__)


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
    path = getattr(settings, "SMS_BACKEND", "edudx.procedures.notifications.ConsoleSmsBackend")
    backend: SmsBackend = import_string(path)()
    return backend


def send_sms(phone: str, text: str) -> None:
    sms_backend().send(phone, text)


def notify_applicant(dossier: Dossier, subject: str, body: str) -> list[DossierNotification]:
    """Send ``subject``/``body`` to the applicant by e-mail and SMS (whichever they gave) and keep a copy.

    Call it after the transaction commits (``transaction.on_commit``): a message must never announce a change
    that was rolled back. A failing gateway is logged, not raised: the dossier's state is already stored.
    """
    sent: list[DossierNotification] = []
    targets = []
    if dossier.applicant_email:
        targets.append((NotificationChannel.EMAIL, dossier.applicant_email))
    if dossier.applicant_phone:
        targets.append((NotificationChannel.SMS, dossier.applicant_phone))
    for channel, recipient in targets:
        try:
            if channel == NotificationChannel.EMAIL:
                send_mail(subject, body, None, [recipient])
            else:
                send_sms(recipient, f"{subject}. {body}"[:320])
        except Exception:
            log.exception("Could not send %s about dossier %s", channel, dossier.code)
            continue
        sent.append(
            DossierNotification.objects.create(
                dossier=dossier, channel=channel, recipient=recipient, subject=subject[:255], body=body
            )
        )
    return sent
