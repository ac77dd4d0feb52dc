"""Bank-credit notifications: checking that a pushed "money arrived" message is genuine, fresh and well formed.

A bank (or an intermediary that watches the school's account) POSTs one JSON document per credit to the school's
account. Anyone on the internet can POST, so before a single field is trusted:

1. **Size.** The body is at most ``max_body_bytes``; a notification is a few hundred bytes.
2. **Signature.** The ``X-Signature`` header carries ``sha256=<hex>`` (a bare ``<hex>`` is also accepted): the
   HMAC-SHA256 of the *raw body bytes* under the secret shared with that bank. The body is verified before it is
   parsed, compared in constant time (``hmac.compare_digest``), against every active secret of the bank, so a
   secret can be rotated without downtime: add the new one, let the bank switch, retire the old one.
3. **Freshness.** ``sent_at`` inside the (signed) body must be within ``tolerance`` (5 minutes) of our clock, in
   either direction. A captured request replayed later is refused as stale; one replayed within the window
   carries a transaction id already recorded and is absorbed by idempotency (step 5).
4. **Payload.** Strict JSON (UTF-8, no duplicate keys, no NaN), one object with the fields below; amounts are
   whole đồng (``money.check_vnd``), timestamps ISO 8601 (a time without offset is read as Vietnam time) or
   Unix seconds.
5. **Idempotency.** Banks retry until they get a 2xx. ``BankCredit.idempotency_key`` (bank code + the bank's
   transaction id) is stored under a unique constraint; ``replay_status`` tells a harmless re-delivery (answer
   200, change nothing) from a conflicting one (same id, different money: answer 409 and alert a person).

Canonical payload (an adapter per bank maps its own format onto this one)::

    {"bank_code": "VCB", "transaction_id": "FT26248912345", "account": "0011001932418", "amount": 1250000,
     "content": "HP7KQ4XM9AB Tien an T9", "occurred_at": "2026-09-05T10:15:00+07:00",
     "sent_at": "2026-09-05T10:15:02+07:00", "type": "credit"}

``bank_code`` and ``type`` are optional; when present they must be this bank's code and ``"credit"``.

Every refusal is a ``WebhookRefused`` (a ``ValidationFailed``) with a stable ``reason`` code, a Vietnamese message
for the log and the operator, and the HTTP status to answer with. The answer to the bank should carry the code
only: the message may say more than a stranger needs to know.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from edudx.core.errors import ValidationFailed

from .money import parse_vnd

__all__ = [
    "SIGNATURE_HEADER",
    "BankCredit",
    "RefusalReason",
    "ReplayStatus",
    "WebhookConfig",
    "WebhookRefused",
    "idempotency_key",
    "parse_signature_header",
    "parse_timestamp",
    "replay_status",
    "sign",
    "verify_notification",
]

VIETNAM_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SIGNATURE_HEADER = "X-Signature"
SIGNATURE_SCHEME = "sha256"
DEFAULT_TOLERANCE = dt.timedelta(minutes=5)
DEFAULT_MAX_BODY_BYTES = 64 * 1024
MIN_SECRET_BYTES = 16
MAX_CONTENT_LENGTH = 500

_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
_BANK_CODE = re.compile(r"[A-Z0-9]{2,16}")
_TRANSACTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")
_ACCOUNT = re.compile(r"[A-Za-z0-9]{1,19}")


class RefusalReason(StrEnum):
    """Why a notification was refused. Values are the stable codes the API answers with."""

    BODY_TOO_LARGE = "body_too_large"
    MISSING_SIGNATURE = "missing_signature"
    MALFORMED_SIGNATURE = "malformed_signature"
    BAD_SIGNATURE = "bad_signature"
    MALFORMED_JSON = "malformed_json"
    INVALID_PAYLOAD = "invalid_payload"
    WRONG_BANK = "wrong_bank"
    WRONG_ACCOUNT = "wrong_account"
    NOT_A_CREDIT = "not_a_credit"
    STALE = "stale_timestamp"
    FROM_THE_FUTURE = "timestamp_in_future"

    @property
    def http_status(self) -> int:
        """401 for anything that may be forged or replayed, 413 for size, 422 for a genuine but unusable message
        (the bank should not retry it unchanged), 400 for a body that is not JSON."""
        return {
            RefusalReason.BODY_TOO_LARGE: 413,
            RefusalReason.MISSING_SIGNATURE: 401,
            RefusalReason.MALFORMED_SIGNATURE: 401,
            RefusalReason.BAD_SIGNATURE: 401,
            RefusalReason.STALE: 401,
            RefusalReason.FROM_THE_FUTURE: 401,
            RefusalReason.MALFORMED_JSON: 400,
        }.get(self, 422)


class WebhookRefused(ValidationFailed):
    """A notification that must not be recorded. ``reason`` is the code, ``message`` Vietnamese."""

    def __init__(self, reason: RefusalReason, message: str, *, field_name: str | None = None):
        super().__init__(message, code=reason.value, details={"field": field_name} if field_name else None)
        self.reason = reason
        self.field_name = field_name

    @property
    def http_status(self) -> int:
        return self.reason.http_status


class ReplayStatus(StrEnum):
    NEW = "new"  # record it
    DUPLICATE = "duplicate"  # the same credit delivered again: answer 200, change nothing
    CONFLICT = "conflict"  # the same transaction id with different money: answer 409, alert a person


@dataclass(frozen=True)
class BankCredit:
    """Money that arrived on the school's account, as one bank reported it (notification or statement row)."""

    transaction_id: str
    account: str
    amount: int
    content: str
    occurred_at: dt.datetime
    bank_code: str

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.bank_code, self.transaction_id)


def idempotency_key(bank_code: str, transaction_id: str) -> str:
    """``"VCB:FT26248912345"``: unique per credit across notifications and statement imports of the same bank.

    Upper-cased, because the same bank writes its ids in either case in different channels.
    """
    return f"{bank_code.strip().upper()}:{transaction_id.strip().upper()}"


def _secret_bytes(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


@dataclass(frozen=True)
class WebhookConfig:
    """What the school agreed with one bank. ``secrets``: the active ones (usually one; two during rotation).
    ``accounts``: the school's account numbers this bank may report on (empty: any)."""

    bank_code: str
    secrets: tuple[bytes, ...]
    accounts: frozenset[str] = field(default_factory=frozenset)
    tolerance: dt.timedelta = DEFAULT_TOLERANCE
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    def __post_init__(self) -> None:
        object.__setattr__(self, "bank_code", self.bank_code.strip().upper())
        object.__setattr__(self, "secrets", tuple(_secret_bytes(secret) for secret in self.secrets))
        object.__setattr__(self, "accounts", frozenset(self.accounts))
        if not _BANK_CODE.fullmatch(self.bank_code):
            raise ValueError(f"A bank code is 2-16 upper-case letters or digits, got {self.bank_code!r}")
        if not self.secrets:
            raise ValueError(f"No active webhook secret for bank {self.bank_code}")
        if any(len(secret) < MIN_SECRET_BYTES for secret in self.secrets):
            raise ValueError(f"Webhook secrets must be at least {MIN_SECRET_BYTES} bytes")
        if self.tolerance <= dt.timedelta(0):
            raise ValueError("The timestamp tolerance must be positive")


def sign(body: bytes, secret: str | bytes) -> str:
    """The header value a bank sends for ``body``: ``"sha256=<hex>"``."""
    digest = hmac.new(_secret_bytes(secret), body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_SCHEME}={digest}"


def parse_signature_header(header: str | None) -> bytes:
    """The 32-byte digest written in the header (``sha256=<hex>`` or ``<hex>``), or ``WebhookRefused``."""
    if header is None or not header.strip():
        raise WebhookRefused(
            RefusalReason.MISSING_SIGNATURE,
            _("Thông báo không có chữ ký (tiêu đề %(header)s).") % {"header": SIGNATURE_HEADER},
        )
    value = header.strip()
    if "=" in value:
        scheme, _equals, value = value.partition("=")
        if scheme.strip().lower() != SIGNATURE_SCHEME:
            raise WebhookRefused(
                RefusalReason.MALFORMED_SIGNATURE,
                _("Chữ ký dùng thuật toán «%(scheme)s»; chỉ chấp nhận sha256.") % {"scheme": scheme.strip()},
            )
        value = value.strip()
    if not _HEX_DIGEST.fullmatch(value):
        raise WebhookRefused(
            RefusalReason.MALFORMED_SIGNATURE,
            _("Chữ ký phải có dạng sha256=<64 ký tự hex>."),
        )
    return bytes.fromhex(value)


def _signature_matches(body: bytes, digest: bytes, secrets: Iterable[bytes]) -> bool:
    matched = False
    for secret in secrets:  # no early exit: the time taken does not tell which secret matched
        expected = hmac.new(secret, body, hashlib.sha256).digest()
        matched |= hmac.compare_digest(expected, digest)
    return matched


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            # Two parsers may keep different copies of a repeated key: refuse rather than pick one.
            raise WebhookRefused(
                RefusalReason.MALFORMED_JSON,
                _("Trường «%(field)s» xuất hiện hai lần trong thông báo.") % {"field": key},
                field_name=key,
            )
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise WebhookRefused(RefusalReason.MALFORMED_JSON, _("Thông báo chứa giá trị %(value)s.") % {"value": name})


def _invalid(field_name: str, message: str) -> WebhookRefused:
    return WebhookRefused(
        RefusalReason.INVALID_PAYLOAD,
        _("Trường «%(field)s»: %(message)s") % {"field": field_name, "message": message},
        field_name=field_name,
    )


def _text(payload: dict[str, Any], name: str, pattern: re.Pattern[str] | None = None) -> str:
    value = payload.get(name)
    if value is None:
        raise _invalid(name, _("bắt buộc nhưng không có."))
    if not isinstance(value, str):
        raise _invalid(name, _("phải là chuỗi ký tự."))
    value = value.strip()
    if pattern is not None and not pattern.fullmatch(value):
        raise _invalid(name, _("giá trị «%(value)s» không đúng định dạng.") % {"value": value[:80]})
    return value


def parse_timestamp(value: object, *, field_name: str) -> dt.datetime:
    """An aware datetime from ISO 8601 text (no offset → Vietnam time) or Unix seconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, tz=dt.UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise _invalid(field_name, _("mốc thời gian %(value)s không hợp lệ.") % {"value": value}) from exc
    if not isinstance(value, str) or not value.strip():
        raise _invalid(field_name, _("phải là thời điểm theo ISO 8601, ví dụ 2026-09-05T10:15:00+07:00."))
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise _invalid(
            field_name,
            _("«%(value)s» không phải thời điểm theo ISO 8601, ví dụ 2026-09-05T10:15:00+07:00.")
            % {"value": value[:40]},
        ) from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=VIETNAM_TIMEZONE)
    return moment


def verify_notification(body: bytes, signature: str | None, *, config: WebhookConfig, now: dt.datetime) -> BankCredit:
    """The credit a genuine, fresh notification reports, or ``WebhookRefused`` saying why not.

    ``body`` is the raw request body exactly as received (never a re-serialised copy: one changed byte breaks the
    signature); ``signature`` the ``X-Signature`` header; ``now`` an aware datetime (the server clock).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("verify_notification needs an aware 'now'")
    if len(body) > config.max_body_bytes:
        raise WebhookRefused(
            RefusalReason.BODY_TOO_LARGE,
            _("Thông báo dài %(size)s byte; tối đa %(max)s byte.") % {"size": len(body), "max": config.max_body_bytes},
        )
    digest = parse_signature_header(signature)
    if not _signature_matches(body, digest, config.secrets):
        raise WebhookRefused(
            RefusalReason.BAD_SIGNATURE,
            _("Chữ ký không khớp với khóa bí mật đang dùng của ngân hàng %(bank)s.") % {"bank": config.bank_code},
        )

    try:
        payload = json.loads(
            body.decode("utf-8"),
            parse_float=Decimal,
            parse_constant=_refuse_constant,
            object_pairs_hook=_no_duplicate_keys,
        )
    except WebhookRefused:
        raise
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookRefused(
            RefusalReason.MALFORMED_JSON, _("Nội dung thông báo không phải JSON UTF-8 hợp lệ.")
        ) from exc
    if not isinstance(payload, dict):
        raise WebhookRefused(RefusalReason.MALFORMED_JSON, _("Thông báo phải là một đối tượng JSON."))

    sent_at = parse_timestamp(payload.get("sent_at"), field_name="sent_at")
    if sent_at < now - config.tolerance:
        raise WebhookRefused(
            RefusalReason.STALE,
            _("Thông báo gửi lúc %(sent)s, quá %(minutes)s phút so với giờ máy chủ: có thể là gửi lại trái phép.")
            % {"sent": sent_at.isoformat(), "minutes": int(config.tolerance.total_seconds() // 60)},
        )
    if sent_at > now + config.tolerance:
        raise WebhookRefused(
            RefusalReason.FROM_THE_FUTURE,
            _("Thông báo ghi thời điểm gửi %(sent)s, sau giờ máy chủ hơn %(minutes)s phút: kiểm tra đồng hồ.")
            % {"sent": sent_at.isoformat(), "minutes": int(config.tolerance.total_seconds() // 60)},
        )

    bank_code = payload.get("bank_code")
    if bank_code is not None and (not isinstance(bank_code, str) or bank_code.strip().upper() != config.bank_code):
        raise WebhookRefused(
            RefusalReason.WRONG_BANK,
            _("Thông báo ghi ngân hàng «%(found)s» nhưng được ký bằng khóa của %(bank)s.")
            % {"found": bank_code, "bank": config.bank_code},
            field_name="bank_code",
        )
    kind = payload.get("type")
    if kind is not None and kind != "credit":
        raise WebhookRefused(
            RefusalReason.NOT_A_CREDIT,
            _("Chỉ nhận thông báo tiền vào (credit), không nhận «%(type)s».") % {"type": kind},
            field_name="type",
        )
    transaction_id = _text(payload, "transaction_id", _TRANSACTION_ID)
    account = _text(payload, "account", _ACCOUNT)
    if config.accounts and account not in config.accounts:
        raise WebhookRefused(
            RefusalReason.WRONG_ACCOUNT,
            _("Tài khoản %(account)s không phải tài khoản thu của trường đăng ký với ngân hàng %(bank)s.")
            % {"account": account, "bank": config.bank_code},
            field_name="account",
        )
    raw_amount = payload.get("amount")
    if raw_amount is None:
        raise _invalid("amount", _("bắt buộc nhưng không có."))
    try:
        amount = parse_vnd(raw_amount, field=_("Số tiền"))
    except ValidationFailed as exc:
        raise _invalid("amount", exc.message) from exc
    content = payload.get("content", "")
    if content is None:
        content = ""
    if not isinstance(content, str):
        raise _invalid("content", _("phải là chuỗi ký tự."))
    if len(content) > MAX_CONTENT_LENGTH:
        raise _invalid("content", _("dài quá %(max)s ký tự.") % {"max": MAX_CONTENT_LENGTH})
    occurred_at = parse_timestamp(payload.get("occurred_at"), field_name="occurred_at")
    if occurred_at > sent_at + config.tolerance:
        raise _invalid("occurred_at", _("giao dịch không thể xảy ra sau lúc gửi thông báo."))
    return BankCredit(
        transaction_id=transaction_id,
        account=account,
        amount=amount,
        content=content.strip(),
        occurred_at=occurred_at,
        bank_code=config.bank_code,
    )


def replay_status(credit: BankCredit, recorded: BankCredit | None) -> ReplayStatus:
    """Compare a verified credit with the one already stored under the same ``idempotency_key`` (or ``None``).

    Only the money facts (account and amount) are compared: a re-delivery or a statement row may word the content
    or round the time differently, but it may never change how much arrived where.
    """
    if recorded is None:
        return ReplayStatus.NEW
    if recorded.idempotency_key != credit.idempotency_key:
        raise ValueError("replay_status compares credits with the same idempotency key")
    if recorded.amount == credit.amount and recorded.account == credit.account:
        return ReplayStatus.DUPLICATE
    return ReplayStatus.CONFLICT
