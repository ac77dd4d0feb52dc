"""A dossier's fee is paid: the payments app sends ``bill_paid`` (after its commit) and the dossier records it.

The dossier is found by its ``bill_reference``; a bill of any other source is ignored. Recording is idempotent (a
second signal for the same bill changes nothing), writes a note event on the dossier's timeline and an audit event.
The payment itself is audited by the payments app; this is the dossier's side of it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.api import audit

from .models import Dossier, DossierEvent
from .states import ActorKind


def record_bill_paid(*, reference: str, paid_at: Any = None, online: bool) -> Dossier | None:
    """Mark the dossier of bill ``reference`` paid; None when no dossier has that bill."""
    if not reference:
        return None
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().filter(bill_reference=reference).first()
        if dossier is None or dossier.paid_at is not None:
            return dossier
        moment = paid_at or timezone.now()
        dossier.paid_at = moment
        dossier.paid_online = bool(online)
        dossier.save(update_fields=["paid_at", "paid_online", "updated_at"])
        DossierEvent.objects.create(
            dossier=dossier,
            action="",
            from_state=dossier.state,
            to_state=dossier.state,
            actor=None,
            actor_kind=ActorKind.SYSTEM,
            at=moment,
            note=(
                _("Đã thanh toán phí, lệ phí trực tuyến (mã %(reference)s).")
                if online
                else _("Đã thanh toán phí, lệ phí (mã %(reference)s).")
            )
            % {"reference": reference},
            data={"bill_reference": reference, "online": bool(online)},
        )
        audit.record(
            actor=None,
            action="dossier.fee_paid",
            obj=dossier,
            org_unit=dossier.org_unit,
            after={"bill_reference": reference, "paid_at": moment.isoformat(), "paid_online": bool(online)},
        )
    return dossier


def on_bill_paid(sender: Any, bill: Any = None, online: bool = False, **kwargs: Any) -> None:
    """Receiver of ``edudx.payments.api.bill_paid``."""
    if bill is None:
        return
    record_bill_paid(reference=str(bill.reference), paid_at=getattr(bill, "paid_at", None), online=online)


def connect() -> None:
    """Connect the receiver (called from ``ProceduresConfig.ready``)."""
    from edudx.payments.api import bill_paid

    bill_paid.connect(on_bill_paid, dispatch_uid="procedures.payment_hooks.on_bill_paid")
