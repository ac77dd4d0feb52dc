"""Bank-credit notifications: HMAC over the raw body with rotating secrets, the replay window, a strict payload,
idempotency keys and the difference between a harmless re-delivery and a conflicting one."""

import dataclasses
import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from edudx.core.errors import ValidationFailed
from edudx.payments.webhook import (
    BankCredit,
    RefusalReason,
    ReplayStatus,
    WebhookConfig,
    WebhookRefused,
    idempotency_key,
    parse_signature_header,
    replay_status,
    sign,
    verify_notification,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 9, 5, 10, 16, tzinfo=VN)
OLD_SECRET = b"old-secret-of-the-bank-0123456789"
NEW_SECRET = "new-secret-of-the-bank-abcdefghij"
CONFIG = WebhookConfig(bank_code="vcb", secrets=(OLD_SECRET, NEW_SECRET), accounts=frozenset({"0011001932418"}))


def payload(**changes):
    data = {
        "bank_code": "VCB",
        "transaction_id": "FT26248912345",
        "account": "0011001932418",
        "amount": 1250000,
        "content": "MBVCB.123.HP7KQ4XM9AB.Tien an T9",
        "occurred_at": "2026-09-05T10:15:00+07:00",
        "sent_at": "2026-09-05T10:15:02+07:00",
        "type": "credit",
    }
    for key, value in changes.items():
        if value is ...:
            data.pop(key)
        else:
            data[key] = value
    return json.dumps(data, ensure_ascii=False).encode()


def verify(body, secret=NEW_SECRET, *, signature=None, now=NOW, config=CONFIG):
    return verify_notification(body, signature if signature is not None else sign(body, secret), config=config, now=now)


def refusal(body, **kwargs):
    with pytest.raises(WebhookRefused) as caught:
        verify(body, **kwargs)
    assert isinstance(caught.value, ValidationFailed)
    assert caught.value.message
    return caught.value


def test_a_genuine_notification():
    credit = verify(payload())
    assert credit == BankCredit(
        transaction_id="FT26248912345",
        account="0011001932418",
        amount=1_250_000,
        content="MBVCB.123.HP7KQ4XM9AB.Tien an T9",
        occurred_at=dt.datetime(2026, 9, 5, 10, 15, tzinfo=VN),
        bank_code="VCB",
    )
    assert credit.idempotency_key == "VCB:FT26248912345"


def test_either_active_secret_is_accepted_during_rotation():
    body = payload()
    assert verify(body, OLD_SECRET).amount == 1_250_000
    assert verify(body, NEW_SECRET).amount == 1_250_000
    retired = dataclasses.replace(CONFIG, secrets=(NEW_SECRET.encode(),))
    assert refusal(body, secret=OLD_SECRET, config=retired).reason == RefusalReason.BAD_SIGNATURE


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("sha256={}", True),
        ("SHA256={}", True),
        ("  sha256 = {}  ", True),
        ("{}", True),  # bare hex
        ("sha1={}", False),
        ("sha256=", False),
        ("sha256=xyz", False),
    ],
)
def test_signature_header_formats(header, ok):
    digest = "ab" * 32
    if ok:
        assert parse_signature_header(header.format(digest)) == bytes.fromhex(digest)
    else:
        with pytest.raises(WebhookRefused) as caught:
            parse_signature_header(header.format(digest))
        assert caught.value.reason == RefusalReason.MALFORMED_SIGNATURE


@pytest.mark.parametrize(
    ("tamper", "reason", "status"),
    [
        (lambda body: (body, ""), RefusalReason.MISSING_SIGNATURE, 401),
        (lambda body: (body, None), None, None),  # None header: see below
        (lambda body: (body.replace(b"1250000", b"9250000"), sign(body, NEW_SECRET)), RefusalReason.BAD_SIGNATURE, 401),
        (lambda body: (body + b" ", sign(body, NEW_SECRET)), RefusalReason.BAD_SIGNATURE, 401),
        (lambda body: (body, sign(body, b"someone-else-entirely-0000000")), RefusalReason.BAD_SIGNATURE, 401),
        (lambda body: (body, "sha256=" + "0" * 64), RefusalReason.BAD_SIGNATURE, 401),
    ],
)
def test_tampered_or_unsigned_bodies_are_refused(tamper, reason, status):
    body, signature = tamper(payload())
    if reason is None:
        with pytest.raises(WebhookRefused) as caught:
            verify_notification(body, None, config=CONFIG, now=NOW)
        assert caught.value.reason == RefusalReason.MISSING_SIGNATURE
        return
    error = refusal(body, signature=signature)
    assert error.reason == reason and error.http_status == status and error.code == reason.value


def test_the_signature_is_checked_before_the_body_is_parsed():
    assert refusal(b"not json", signature="sha256=" + "1" * 64).reason == RefusalReason.BAD_SIGNATURE


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (NOW, None),
        (dt.datetime(2026, 9, 5, 10, 20, 2, tzinfo=VN), None),  # exactly 5 minutes late: still in the window
        (dt.datetime(2026, 9, 5, 10, 20, 3, tzinfo=VN), RefusalReason.STALE),  # a replay of a captured request
        (dt.datetime(2026, 9, 5, 3, 16, tzinfo=dt.UTC), None),  # the same instant in UTC
        (dt.datetime(2026, 9, 5, 10, 10, 1, tzinfo=VN), RefusalReason.FROM_THE_FUTURE),
    ],
)
def test_replay_window(now, reason):
    if reason is None:
        assert verify(payload(), now=now).transaction_id == "FT26248912345"
    else:
        assert refusal(payload(), now=now).reason == reason


def test_the_window_uses_the_signed_timestamp_not_a_header():
    # An attacker cannot refresh sent_at without the secret: changing it breaks the signature.
    old = payload(sent_at="2026-09-05T09:00:00+07:00")
    refreshed = old.replace(b"09:00:00", b"10:15:59")
    assert refusal(refreshed, signature=sign(old, NEW_SECRET)).reason == RefusalReason.BAD_SIGNATURE


@pytest.mark.parametrize(
    ("body", "reason", "field"),
    [
        (b"\xff\xfe", RefusalReason.MALFORMED_JSON, None),
        (b"[1, 2]", RefusalReason.MALFORMED_JSON, None),
        (b'{"amount": 1, "amount": 2}', RefusalReason.MALFORMED_JSON, "amount"),
        (b'{"amount": NaN}', RefusalReason.MALFORMED_JSON, None),
        (payload(sent_at=...), RefusalReason.INVALID_PAYLOAD, "sent_at"),
        (payload(sent_at="hôm qua"), RefusalReason.INVALID_PAYLOAD, "sent_at"),
        (payload(transaction_id=...), RefusalReason.INVALID_PAYLOAD, "transaction_id"),
        (payload(transaction_id="FT 1; DROP"), RefusalReason.INVALID_PAYLOAD, "transaction_id"),
        (payload(transaction_id=12345), RefusalReason.INVALID_PAYLOAD, "transaction_id"),
        (payload(account="0011-0019"), RefusalReason.INVALID_PAYLOAD, "account"),
        (payload(amount=...), RefusalReason.INVALID_PAYLOAD, "amount"),
        (payload(amount=1250000.5), RefusalReason.INVALID_PAYLOAD, "amount"),
        (payload(amount=-1250000), RefusalReason.INVALID_PAYLOAD, "amount"),
        (payload(amount=0), RefusalReason.INVALID_PAYLOAD, "amount"),
        (payload(amount=True), RefusalReason.INVALID_PAYLOAD, "amount"),
        (payload(content=["x"]), RefusalReason.INVALID_PAYLOAD, "content"),
        (payload(content="x" * 501), RefusalReason.INVALID_PAYLOAD, "content"),
        (payload(occurred_at="2026-09-05T10:30:00+07:00"), RefusalReason.INVALID_PAYLOAD, "occurred_at"),
        (payload(bank_code="MB"), RefusalReason.WRONG_BANK, "bank_code"),
        (payload(account="9999999999"), RefusalReason.WRONG_ACCOUNT, "account"),
        (payload(type="debit"), RefusalReason.NOT_A_CREDIT, "type"),
    ],
)
def test_invalid_payloads(body, reason, field):
    error = refusal(body)
    assert error.reason == reason
    assert error.field_name == field
    if reason == RefusalReason.INVALID_PAYLOAD:
        assert error.http_status == 422 and field in error.message


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (dict(amount="1.250.000"), dict(amount=1_250_000)),
        (dict(amount=1250000.0), dict(amount=1_250_000)),  # JSON number without a fraction part
        (dict(content=...), dict(content="")),
        (dict(content=None), dict(content="")),
        (dict(bank_code=..., type=...), dict(bank_code="VCB")),
        (dict(occurred_at="2026-09-05 10:15:00"), dict(occurred_at=dt.datetime(2026, 9, 5, 10, 15, tzinfo=VN))),
        (dict(occurred_at="2026-09-05T03:15:00Z"), dict(occurred_at=dt.datetime(2026, 9, 5, 10, 15, tzinfo=VN))),
        (dict(occurred_at=1788578100), dict(occurred_at=dt.datetime(2026, 9, 5, 10, 15, tzinfo=VN))),
        (dict(content="  Nguyễn Văn An nộp tiền  "), dict(content="Nguyễn Văn An nộp tiền")),
    ],
)
def test_accepted_variants(changes, expected):
    credit = verify(payload(**changes))
    for key, value in expected.items():
        assert getattr(credit, key) == value


def test_body_size_limit():
    small = dataclasses.replace(CONFIG, max_body_bytes=100)
    error = refusal(payload(), config=small)
    assert error.reason == RefusalReason.BODY_TOO_LARGE and error.http_status == 413


def test_config_refuses_weak_or_missing_secrets():
    with pytest.raises(ValueError):
        WebhookConfig(bank_code="VCB", secrets=())
    with pytest.raises(ValueError):
        WebhookConfig(bank_code="VCB", secrets=(b"short",))
    with pytest.raises(ValueError):
        WebhookConfig(bank_code="V C B", secrets=(OLD_SECRET,))
    with pytest.raises(ValueError):
        verify_notification(payload(), sign(payload(), OLD_SECRET), config=CONFIG, now=dt.datetime(2026, 9, 5, 10, 16))


def test_idempotency_key_is_case_insensitive_and_per_bank():
    assert idempotency_key(" vcb ", "ft123") == idempotency_key("VCB", "FT123") == "VCB:FT123"
    assert idempotency_key("MB", "FT123") != idempotency_key("VCB", "FT123")


def test_replay_status():
    credit = verify(payload())
    assert replay_status(credit, None) == ReplayStatus.NEW
    redelivered = dataclasses.replace(
        credit, content="HP7KQ4XM9AB", occurred_at=credit.occurred_at + dt.timedelta(seconds=1)
    )
    assert replay_status(redelivered, credit) == ReplayStatus.DUPLICATE
    assert replay_status(dataclasses.replace(credit, amount=2_500_000), credit) == ReplayStatus.CONFLICT
    assert replay_status(dataclasses.replace(credit, account="123"), credit) == ReplayStatus.CONFLICT
    with pytest.raises(ValueError):
        replay_status(dataclasses.replace(credit, transaction_id="OTHER"), credit)
