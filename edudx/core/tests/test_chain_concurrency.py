"""Concurrent writers extend the audit chain one at a time (PostgreSQL row lock on the chain head)."""

import threading

import pytest
from django.db import connection, connections

from edudx.core import audit
from edudx.core.models import AuditEvent


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_unbroken_chain():
    assert connection.vendor == "postgresql"
    writers, per_writer = 8, 15
    barrier = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                audit.record(actor=None, action="test.append", object_type="test", object_id=f"{n}-{i}")
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert AuditEvent.objects.count() == writers * per_writer
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, writers * per_writer + 1))
    report = audit.verify_chain()
    assert report.ok, report
