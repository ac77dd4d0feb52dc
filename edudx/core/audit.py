"""Append-only, hash-chained audit trail.

Every service that changes a regulated record calls ``record`` inside its own transaction, so the
event exists if and only if the change does. The chain head row is locked while appending, which
serialises writers on PostgreSQL; SQLite already serialises writing transactions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEvent, OrgUnit

GENESIS = "0" * 64


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(
        payload, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder, separators=(",", ":")
    ).encode()


def _digest(prev: str, event_fields: dict[str, Any]) -> str:
    return hashlib.sha256(prev.encode() + _canonical(event_fields)).hexdigest()


def _content(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at.astimezone(dt.UTC).isoformat(),
        "actor": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "org_unit": event.org_unit_id,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
    }


def snapshot(obj: models.Model, fields: list[str] | None = None, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON-able picture of a model instance's concrete fields, for before/after."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        name = field.attname
        if fields is not None and field.name not in fields and name not in fields:
            continue
        if field.name in exclude or name in exclude:
            continue
        value = getattr(obj, name)
        data[field.name] = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return data


def _locked_head() -> AuditChainHead:
    """The chain head, locked until the surrounding transaction ends. Created on first use; two
    first writers racing to create it both end up locking the one row."""
    head = AuditChainHead.objects.select_for_update().filter(id=1).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(id=1)
    except IntegrityError:
        pass
    return AuditChainHead.objects.select_for_update().get(id=1)


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    org_unit: OrgUnit | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)[:255]
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        head = _locked_head()
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            actor=user,
            actor_label=str(user.get_username()) if user else "system",
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_label=object_label,
            org_unit=org_unit,
            org_path=org_unit.path if org_unit else "",
            before=before,
            after=after,
            reason=reason,
            prev_digest=head.digest,
        )
        event.digest = _digest(head.digest, _content(event))
        event.save()
        head.seq, head.digest = event.seq, event.digest
        head.save(update_fields=["seq", "digest"])
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(batch_size: int = 2000) -> ChainReport:
    """Walk the chain in order; name the first event whose link or content does not hold."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            return ChainReport(checked, event.seq, f"thiếu sự kiện số {expected_seq}")
        if event.prev_digest != prev:
            return ChainReport(checked, event.seq, "liên kết với sự kiện trước bị sai")
        if _digest(prev, _content(event)) != event.digest:
            return ChainReport(checked, event.seq, "nội dung đã bị sửa sau khi ghi")
        prev = event.digest
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and head.seq != checked:
        return ChainReport(checked, checked + 1, "sự kiện cuối chuỗi đã bị xoá")
    return ChainReport(checked, None)
