"""Who sees and changes payment rows.

- Staff see the bills, credits, receipts and books of the units under them with ``payment.view`` and work on them
  (match, refund, void, upload statements) with ``payment.reconcile`` (``Reach.SUBTREE`` on the unit's path).
- A payer always sees their own bills (``payer_user``), with their lines, receipts and allocations, whatever roles
  they hold — like the applicant rule of procedures. They see no bank credits and no books.
- Webhook secrets are reachable by nobody through the permission layer: only the notification endpoint reads them.
"""

from __future__ import annotations

from django.db.models import Q

from edudx.core.api import Actor, Policy, register

from .models import (
    Allocation,
    BankCredit,
    Bill,
    BillLine,
    LedgerPosting,
    PaymentAccount,
    Receipt,
    ReceiptSequence,
    WebhookSecret,
)

NOTHING = Q(pk__in=[])


class _BillRowPolicy(Policy):  # type: ignore[type-arg]
    """Rows of a bill: the unit subtree with the capability, and the payer for ``payment.view``."""

    area = "payment"
    bill_prefix = ""

    def filter_q(self, actor: Actor, capability: str) -> Q:
        q = super().filter_q(actor, capability)
        if capability == "payment.view" and actor.is_authenticated:
            q |= Q(**{f"{self.bill_prefix}payer_user_id": actor.user.pk})
        return q


@register
class BillPolicy(_BillRowPolicy):
    model = Bill
    path_lookup = "org_unit__path"


@register
class BillLinePolicy(_BillRowPolicy):
    model = BillLine
    path_lookup = "bill__org_unit__path"
    bill_prefix = "bill__"


@register
class ReceiptPolicy(_BillRowPolicy):
    model = Receipt
    path_lookup = "bill__org_unit__path"
    bill_prefix = "bill__"


@register
class AllocationPolicy(_BillRowPolicy):
    model = Allocation
    path_lookup = "bill__org_unit__path"
    bill_prefix = "bill__"


@register
class BankCreditPolicy(Policy[BankCredit]):
    model = BankCredit
    area = "payment"
    path_lookup = "org_unit__path"


@register
class PaymentAccountPolicy(Policy[PaymentAccount]):
    model = PaymentAccount
    area = "payment"
    path_lookup = "org_unit__path"


@register
class ReceiptSequencePolicy(Policy[ReceiptSequence]):
    model = ReceiptSequence
    area = "payment"
    path_lookup = "org_unit__path"


@register
class LedgerPostingPolicy(Policy[LedgerPosting]):
    model = LedgerPosting
    area = "payment"
    path_lookup = "org_unit__path"


@register
class WebhookSecretPolicy(Policy[WebhookSecret]):
    model = WebhookSecret
    area = "payment"
    path_lookup = ""

    def filter_q(self, actor: Actor, capability: str) -> Q:
        return NOTHING
