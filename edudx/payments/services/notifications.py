"""The bank-credit notification, from raw request to recorded credit (the endpoint's logic, without HTTP).

Order matters: nothing of the body is trusted, parsed or stored before the signature and the freshness are checked
(``webhook.verify_notification``); a refused notification stores nothing. The answer carries a stable code only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from .. import webhook
from ..models import CreditSource, PaymentAccount
from .accounts import webhook_config
from .credits import credit_record

logger = logging.getLogger(__name__)

__all__ = ["Answer", "handle_notification"]


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


def handle_notification(
    *, bank_code: str, body: bytes, signature: str | None, now: dt.datetime | None = None
) -> Answer:
    """Verify, record and match one notification; the HTTP status and JSON the bank gets back."""
    config = webhook_config(bank_code)
    if config is None:
        logger.warning("Bank notification for unknown bank %r refused", bank_code[:20])
        # 401 like a bad signature: without a secret for that bank nothing in the request can be authenticated.
        return Answer(401, {"status": "refused", "code": "unknown_bank"})
    try:
        credit = webhook.verify_notification(body, signature, config=config, now=now or timezone.now())
    except webhook.WebhookRefused as refused:
        logger.warning("Bank notification refused (%s): %s", refused.reason.value, refused.message)
        return Answer(refused.http_status, {"status": "refused", "code": refused.reason.value})
    account = PaymentAccount.objects.select_related("org_unit").get(
        bank_code=config.bank_code, account_number=credit.account
    )
    recorded = credit_record(
        credit=credit,
        account=account,
        source=CreditSource.WEBHOOK,
        raw_payload=json.loads(body.decode("utf-8"), parse_float=str),
        body_sha256=hashlib.sha256(body).hexdigest(),
    )
    if recorded.status == webhook.ReplayStatus.CONFLICT:
        return Answer(409, {"status": "conflict", "code": "transaction_id_reused"})
    if recorded.status == webhook.ReplayStatus.DUPLICATE:
        return Answer(200, {"status": "duplicate"})
    return Answer(200, {"status": "recorded", "outcome": recorded.credit.match_outcome})
