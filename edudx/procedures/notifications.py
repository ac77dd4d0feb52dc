"""Messages to applicants and staff, through adapters chosen in settings (console in the demo).

E-mail goes through Django's mail backend (``EMAIL_BACKEND``); SMS through ``edudx.core.sms`` and its
``SMS_BACKEND``, a dotted path to a class with ``send(phone, text)``. Production plugs a brand-name SMS
gateway there. Every message sent about a dossier is kept (``DossierNotification``) and shown on its
tracking page.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.mail import send_mail
from django.db import transaction

from edudx.core.api import WriteBatch, insert_objects

# The SMS adapters live in core (accounts sends sign-up codes too); re-exported here for existing callers.
from edudx.core.sms import ConsoleSmsBackend, LocmemSmsBackend, SmsBackend, send_sms, sms_backend

from .models import Dossier, DossierNotification, NotificationChannel

__all__ = [
    "ConsoleSmsBackend",
    "LocmemSmsBackend",
    "SmsBackend",
    "queue_for_applicant",
    "send_sms",
    "sms_backend",
]

log = logging.getLogger(__name__)


def _targets(dossier: Dossier) -> list[tuple[str, str]]:
    targets: list[tuple[str, str]] = []
    if dossier.applicant_email:
        targets.append((NotificationChannel.EMAIL, dossier.applicant_email))
    if dossier.applicant_phone:
        targets.append((NotificationChannel.SMS, dossier.applicant_phone))
    return targets


def _send(channel: str, recipient: str, subject: str, body: str, code: str) -> bool:
    """One message through its adapter; False (logged, never raised) when the gateway fails."""
    try:
        if channel == NotificationChannel.EMAIL:
            send_mail(subject, body, None, [recipient])
        else:
            send_sms(recipient, f"{subject}. {body}"[:320])
    except Exception:
        log.exception("Could not send %s about dossier %s", channel, code)
        return False
    return True


def queue_for_applicant(
    dossier: Dossier, subject: str, body: str, *, batch: WriteBatch | None = None
) -> list[DossierNotification]:
    """Keep the applicant's copies in the caller's transaction and send the messages once it commits.

    The copies exist if and only if the change does (a rollback takes them with it, and no message announces
    it), and they cost no transaction of their own. A message the gateway refuses is marked not delivered.
    """
    copies = [
        DossierNotification(dossier=dossier, channel=channel, recipient=recipient, subject=subject[:255], body=body)
        for channel, recipient in _targets(dossier)
    ]
    # One plain INSERT (or a part of the caller's ``batch``), no ids read back: a copy is found again by its
    # dossier, channel and time.
    if batch is not None:
        batch.add_objects(copies)
    else:
        insert_objects(copies)
    if copies:
        transaction.on_commit(lambda: _deliver(copies, dossier.code))
    return copies


def _deliver(copies: list[DossierNotification], code: str) -> None:
    for copy in copies:
        if not _send(copy.channel, copy.recipient, copy.subject, copy.body, code):
            DossierNotification.objects.filter(
                dossier_id=copy.dossier_id, channel=copy.channel, sent_at=copy.sent_at
            ).update(delivered=False)


def notify_staff(user: Any, subject: str, body: str) -> bool:
    """E-mail a staff member about work handed to them (after commit; not kept with the applicant's messages,
    which the applicant reads on the tracking page). False when the user has no address or the mail failed."""
    if user is None or not getattr(user, "email", ""):
        return False
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:  # a mail outage must not undo a stored step
        log.exception("Could not e-mail %s", user.pk)
        return False
    return True
