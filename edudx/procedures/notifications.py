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

# The SMS adapters live in core (accounts sends sign-up codes too); re-exported here for existing callers.
from edudx.core.sms import ConsoleSmsBackend, LocmemSmsBackend, SmsBackend, send_sms, sms_backend

from .models import Dossier, DossierNotification, NotificationChannel

__all__ = [
    "ConsoleSmsBackend",
    "LocmemSmsBackend",
    "SmsBackend",
    "notify_applicant",
    "send_sms",
    "sms_backend",
]

log = logging.getLogger(__name__)


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
            DossierNotification(dossier=dossier, channel=channel, recipient=recipient, subject=subject[:255], body=body)
        )
    # One insert for both copies (this runs after the dossier's commit, in a transaction of its own).
    return DossierNotification.objects.bulk_create(sent)


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
