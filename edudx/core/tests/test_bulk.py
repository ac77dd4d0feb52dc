"""``core.bulk``: prepared rows and unsaved instances written without the ORM's insert compiler, stored exactly as
``bulk_create`` stores them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from edudx.core.bulk import FEW_ROWS, insert_objects
from edudx.core.enums import OrgEventKind, OrgUnitKind
from edudx.core.models import OrgUnit, OrgUnitEvent

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 1, 5)


def _events(unit: OrgUnit, n: int) -> list[OrgUnitEvent]:
    return [
        OrgUnitEvent(kind=OrgEventKind.RENAME, unit=unit, effective_on=DAY, old_name=f"A{i}", new_name=f"B{i}")
        for i in range(n)
    ]


def test_instances_of_a_parent_saved_afterwards_are_stored_like_bulk_create():
    unit = OrgUnit(kind=OrgUnitKind.SCHOOL, name="Trường A", valid_from=DAY)
    ours, theirs = _events(unit, 3), _events(unit, 3)
    unit.save()  # after the events were built: each must take the parent's id now
    insert_objects(ours)
    OrgUnitEvent.objects.bulk_create(theirs)
    assert all(event.pk is None for event in ours)  # no id read back
    assert all(event.recorded_at is not None for event in ours)  # auto_now_add ran, as in bulk_create
    columns = ["kind", "unit_id", "effective_on", "old_name", "new_name", "note", "recorded_by_id"]
    stored = list(OrgUnitEvent.objects.filter(unit=unit).order_by("id").values_list(*columns))
    assert stored[:3] == stored[3:] and stored[0][1] == unit.pk and stored[2][3] == "A2"


def test_an_unsaved_parent_is_refused_and_nothing_is_written():
    unit = OrgUnit(kind=OrgUnitKind.SCHOOL, name="Trường B", valid_from=DAY)
    with pytest.raises(ValueError):
        insert_objects(_events(unit, 2))
    assert not OrgUnitEvent.objects.exists()


@pytest.mark.parametrize("n", [1, 2, FEW_ROWS, FEW_ROWS + 1, 40])
def test_any_number_of_rows_goes_in_one_statement(n):
    unit = OrgUnit.objects.create(kind=OrgUnitKind.SCHOOL, name="Trường C", valid_from=DAY)
    with CaptureQueriesContext(connection) as queries:
        insert_objects(_events(unit, n))
    assert len(queries.captured_queries) == 1
    assert sorted(OrgUnitEvent.objects.values_list("old_name", flat=True)) == sorted(f"A{i}" for i in range(n))


def test_nothing_to_insert_costs_nothing():
    with CaptureQueriesContext(connection) as queries:
        insert_objects([])
    assert queries.captured_queries == []


def test_one_instance_inserted_with_its_id_read_back_as_save_does():
    from edudx.core.bulk import insert_object

    parent = OrgUnit.objects.create(kind=OrgUnitKind.AUTHORITY, name="Phòng GD", valid_from=DAY)
    unit = OrgUnit(kind=OrgUnitKind.SCHOOL, name="Trường D", parent=parent, valid_from=DAY)
    with CaptureQueriesContext(connection) as queries:
        insert_object(unit)
    assert len(queries.captured_queries) == 1
    assert unit.pk is not None and not unit._state.adding and unit.created_at is not None
    stored = OrgUnit.objects.get(pk=unit.pk)
    assert (stored.name, stored.parent_id, stored.created_at) == ("Trường D", parent.pk, unit.created_at)
    with pytest.raises(AssertionError):
        insert_object(unit)  # already stored


def test_a_write_batch_runs_every_part_in_one_statement_on_postgresql(world):
    from edudx.core.audit import record, verify_chain
    from edudx.core.bulk import WriteBatch
    from edudx.core.models import AuditChainHead, AuditEvent

    unit = OrgUnit.objects.create(kind=OrgUnitKind.SCHOOL, name="Trường E", valid_from=DAY)
    batch = WriteBatch()
    batch.add_objects(_events(unit, 2))
    batch.add_objects([])  # nothing to add: no part
    record(actor=world.nobody, action="test.batch", obj=unit, after={"n": 2}, batch=batch)
    # Held by the batch until it runs: neither the event nor the head's move is written yet.
    assert not AuditEvent.objects.filter(action="test.batch").exists()
    assert not OrgUnitEvent.objects.filter(unit=unit).exists()
    with CaptureQueriesContext(connection) as queries:
        batch.run()
    parts = 3  # the unit's events, the audit event, the chain head's move
    assert len(queries.captured_queries) == (1 if connection.vendor == "postgresql" else parts)
    assert OrgUnitEvent.objects.filter(unit=unit).count() == 2
    event = AuditEvent.objects.get(action="test.batch")
    assert AuditChainHead.objects.get(id=1).seq == event.seq and verify_chain().ok
    with CaptureQueriesContext(connection) as queries:
        batch.run()  # a batch runs once
    assert queries.captured_queries == []


def test_a_failing_part_writes_nothing_of_the_batch():
    from django.db import DatabaseError, transaction

    from edudx.core.bulk import WriteBatch

    unit = OrgUnit.objects.create(kind=OrgUnitKind.SCHOOL, name="Trường F", valid_from=DAY)
    batch = WriteBatch()
    batch.add_objects(_events(unit, 2))
    batch.add_statement("UPDATE core_orgunit SET name = NULL WHERE id = %s", [unit.pk])  # NOT NULL: refused
    with pytest.raises(DatabaseError), transaction.atomic():
        batch.run()
    assert not OrgUnitEvent.objects.exists() and OrgUnit.objects.get(pk=unit.pk).name == "Trường F"
