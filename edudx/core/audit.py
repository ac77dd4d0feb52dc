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

from .bulk import WriteBatch, insert_rows
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
    batch: WriteBatch | None = None,
) -> None:
    """Append one event to the chain, in the caller's transaction: the same lean path as ``record_many`` (the
    head read and locked with one statement, the event inserted with one, the head moved with one), which is
    what every audited write of the platform pays while it holds the chain head.

    No savepoint: the event belongs to the caller's transaction (it exists if and only if the change does), so a
    failure here must undo the caller's block anyway; a savepoint would only add two round trips while the chain
    head is locked. Called outside a transaction, this still opens one of its own.

    ``batch``: the caller's ``WriteBatch``: the head is locked now, and the event and the head's move go with the
    batch's other writes (the caller runs it before its transaction ends)."""
    record_many(
        [
            {
                "actor": actor,
                "action": action,
                "obj": obj,
                "object_type": object_type,
                "object_id": object_id,
                "object_label": object_label,
                "org_unit": org_unit,
                "before": before,
                "after": after,
                "reason": reason,
            }
        ],
        batch=batch,
    )


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


def _head_for_update(connection: Any) -> tuple[int, str]:
    """(seq, digest) of the chain head, its row locked until the transaction ends: one ``SELECT … FOR UPDATE``
    (where the database has it; SQLite serialises writing transactions anyway). Created on first use as
    ``_locked_head`` does."""
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT seq, digest FROM {table} WHERE id = %s{lock}"  # noqa: S608 (a quoted name only)
    with connection.cursor() as cursor:
        cursor.execute(sql, [1])
        row = cursor.fetchone()
    if row is None:
        head = _locked_head()
        return head.seq, head.digest
    return int(row[0]), str(row[1])


_EVENT_COLUMNS = (
    "seq", "at", "actor_id", "actor_label", "action", "object_type", "object_id", "object_label",
    "org_unit_id", "org_path", "before", "after", "reason", "prev_digest", "digest",
)  # fmt: skip


def record_many(events: list[dict[str, Any]], *, batch: WriteBatch | None = None) -> int:
    """Append many events in one locked transaction (bulk imports); each dict takes ``record``'s
    keyword arguments. Digests are computed exactly as ``record`` does (same ``_content``), so
    ``verify_chain`` holds. The rows go in through ``bulk.insert_rows`` (or the caller's ``WriteBatch``), and the chain
    head is read and locked with one ``SELECT … FOR UPDATE`` and moved with one ``UPDATE``: building
    10,000 model instances and compiling them through ``bulk_create`` costs several times the write
    itself, and a class's computation appends a single event as often as thousands.

    Like ``record``, no savepoint: the events belong to the caller's transaction (a failure here must undo
    the caller's block anyway). Called outside a transaction, this still opens one of its own."""
    if not events:
        return 0
    from types import SimpleNamespace

    from django.db import connection

    with transaction.atomic(savepoint=False):
        seq, prev = _head_for_update(connection)
        now = timezone.now()
        fields = {f.attname: f for f in AuditEvent._meta.concrete_fields}
        at_value = fields["at"].get_db_prep_save(now, connection)
        json_field = fields["before"]
        labels: dict[int, str] = {}
        rows: list[tuple[Any, ...]] = []
        for spec in events:
            obj = spec.get("obj")
            object_type = spec.get("object_type", "")
            object_id = spec.get("object_id", "")
            object_label = spec.get("object_label", "")
            if obj is not None:
                object_type = object_type or obj._meta.label_lower
                object_id = object_id or str(obj.pk)
                object_label = object_label or str(obj)[:255]
            actor = spec.get("actor")
            user = actor if getattr(actor, "is_authenticated", False) else None
            if user is not None and user.pk not in labels:
                labels[user.pk] = str(user.get_username())
            org_unit = spec.get("org_unit")
            seq += 1
            event = SimpleNamespace(
                seq=seq,
                at=now,
                actor_id=user.pk if user else None,
                action=spec["action"],
                object_type=object_type,
                object_id=object_id,
                org_unit_id=org_unit.pk if org_unit else None,
                before=spec.get("before"),
                after=spec.get("after"),
                reason=spec.get("reason", ""),
            )
            digest = _digest(prev, _content(event))  # type: ignore[arg-type]
            rows.append(
                (
                    seq,
                    at_value,
                    event.actor_id,
                    labels[user.pk] if user else "system",
                    event.action,
                    object_type,
                    object_id,
                    object_label,
                    event.org_unit_id,
                    org_unit.path if org_unit else "",
                    json_field.get_db_prep_save(event.before, connection),
                    json_field.get_db_prep_save(event.after, connection),
                    event.reason,
                    prev,
                    digest,
                )
            )
            prev = digest
        columns = [fields[c].column for c in _EVENT_COLUMNS]
        quote = connection.ops.quote_name
        head_sql = f"UPDATE {quote(AuditChainHead._meta.db_table)} SET seq = %s, digest = %s WHERE id = %s"  # noqa: S608
        if batch is not None:
            batch.add_rows(AuditEvent._meta.db_table, columns, rows)
            batch.add_statement(head_sql, [seq, prev, 1])
            return len(rows)
        insert_rows(AuditEvent._meta.db_table, columns, rows)
        with connection.cursor() as cursor:
            cursor.execute(head_sql, [seq, prev, 1])
    return len(rows)
