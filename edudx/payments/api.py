"""What other apps may use from payments (procedures today, school fees later).

- ``issue_bill(...)`` → ``Bill``: a bill with lines for a payer, payable by VietQR at ``bill.get_pay_url()``.
  The calling app has already decided that the actor may cause this bill (a citizen submitting a fee-bearing
  dossier, a desk officer): no payment capability is asked of the actor here.
- ``bill_for_reference(reference)`` → ``Bill | None``.
- ``bill_paid``: the signal ``bill_paid(sender=Bill, bill=<Bill>, online=<bool>)``, sent after the commit of the
  transaction in which a bill became paid in full.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from edudx.core.api import Actor, OrgUnit

from .models import Bill, BillStatus
from .services.bills import bill_issue
from .signals import bill_paid

__all__ = ["Bill", "BillStatus", "bill_for_reference", "bill_paid", "issue_bill"]


def issue_bill(
    *,
    actor: Actor | Any,
    org_unit: OrgUnit,
    payer_user: Any,
    payer_name: str,
    purpose: str,
    lines: list[tuple[str, int]],
    source: str,
    due_on: dt.date | None = None,
    payer_detail: str = "",
) -> Bill:
    """Issue a bill to ``payer_user`` (may be None: a payer without an account) from ``org_unit``.

    ``lines``: ``(description, whole đồng)``; ``source`` names what the bill is for, e.g.
    ``"procedures.dossier:42"``. Raises ``ValidationFailed`` on bad lines or amounts.
    """
    return bill_issue(
        actor=actor,
        org_unit=org_unit,
        payer_user=payer_user,
        payer_name=payer_name,
        purpose=purpose,
        lines=lines,
        source=source,
        due_on=due_on,
        payer_detail=payer_detail,
        check_permission=False,
    )


def bill_for_reference(reference: str) -> Bill | None:
    """The bill with this payment reference (any status), or None. Case and surrounding spaces are ignored."""
    reference = (reference or "").strip().upper()
    if not reference:
        return None
    return Bill.objects.select_related("org_unit").filter(reference=reference).first()
