"""Statement upload (sao kê): the daily fallback for notifications that never arrived.

Preview first (nothing stored): which rows are new credits and which are already known by transaction id. The
import is all or nothing: a bad file stores nothing (``statements.parse_statement`` refuses the whole file on any
bad row), and the new credits are recorded and matched in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from edudx.core.api import Actor, ValidationFailed, audit, policy_for

from .. import statements, webhook
from ..models import BankCredit, CreditSource, PaymentAccount
from .common import acting_user, as_actor
from .credits import credit_record

__all__ = ["StatementPreview", "statement_import", "statement_preview"]

DEFAULT_MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class StatementPreview:
    account: PaymentAccount
    statement: statements.Statement
    new: tuple[statements.StatementEntry, ...]
    known: tuple[statements.StatementEntry, ...]

    @property
    def new_total(self) -> int:
        return sum(entry.credit.amount for entry in self.new)


def _account(actor: Actor, account_id: int) -> PaymentAccount:
    account = policy_for(PaymentAccount).visible(actor, "reconcile").filter(pk=account_id).first()
    if account is None:
        raise ValidationFailed(_("Không tìm thấy tài khoản thu."), code="NOT_FOUND")
    return account


def statement_preview(*, actor: Actor, account_id: int, data: bytes) -> StatementPreview:
    """Read a statement of ``account_id`` and tell new credits from known ones. Stores nothing."""
    actor = as_actor(actor)
    account = _account(actor, account_id)
    limit = getattr(settings, "PAYMENTS_STATEMENT_MAX_BYTES", DEFAULT_MAX_BYTES)
    if len(data) > limit:
        raise ValidationFailed(
            _("Tệp sao kê lớn hơn %(mb)s MB; hãy tách theo tháng.") % {"mb": limit // (1024 * 1024)},
            code="FILE_TOO_LARGE",
        )
    statement = statements.parse_statement(data, account=account.account_number, bank_code=account.bank_code)
    keys = {entry.credit.idempotency_key for entry in statement.entries}
    known_keys = set(BankCredit.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
    new = tuple(e for e in statement.entries if e.credit.idempotency_key not in known_keys)
    known = tuple(e for e in statement.entries if e.credit.idempotency_key in known_keys)
    return StatementPreview(account=account, statement=statement, new=new, known=known)


@transaction.atomic
def statement_import(*, actor: Actor, account_id: int, data: bytes) -> tuple[StatementPreview, int, int]:
    """Record every credit of the statement not yet known (and match it). Returns the preview, the number of
    credits recorded and the number skipped as already known (or conflicting: flagged for review)."""
    actor = as_actor(actor)
    preview = statement_preview(actor=actor, account_id=account_id, data=data)
    recorded = skipped = 0
    for entry in preview.statement.entries:
        result = credit_record(
            credit=entry.credit,
            account=preview.account,
            source=CreditSource.STATEMENT,
            raw_payload={"row": entry.row, "layout": preview.statement.layout.code},
            actor=actor,
        )
        if result.status == webhook.ReplayStatus.NEW:
            recorded += 1
        else:
            skipped += 1
    audit.record(
        actor=acting_user(actor),
        action="payments.statement_imported",
        obj=preview.account,
        org_unit=preview.account.org_unit,
        after={
            "layout": preview.statement.layout.code,
            "rows": len(preview.statement.entries),
            "recorded": recorded,
            "skipped": skipped,
            "total": preview.statement.total,
        },
    )
    return preview, recorded, skipped
