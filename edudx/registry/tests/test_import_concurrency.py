"""Two commits of the same students file at the same moment must not create duplicates.

Only PostgreSQL gives real concurrent writers (SQLite serialises whole transactions), so this runs
there: two threads, two connections, and a slowed-down writer so that both plans would overlap if
the school row were not locked.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from edudx.core.audit import verify_chain
from edudx.core.permissions import Actor
from edudx.registry.enums import ImportStatus
from edudx.registry.imports import services
from edudx.registry.models import ClassMembership, ImportJob, Student
from edudx.testing import build_world

from .test_import_students import STUDENT_HEADERS, student_rows, upload_file, xlsx

ROWS = 20


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_commits_of_one_file_do_not_duplicate(monkeypatch):
    world = build_world()
    clerk = world.school1.users["clerk"]
    data = xlsx(STUDENT_HEADERS, student_rows(ROWS))
    jobs = [
        services.import_upload(
            actor=Actor(user=clerk), school=world.school1.school, kind="students", uploaded=upload_file(data)
        )
        for _ in range(2)
    ]
    assert [j.status for j in jobs] == [ImportStatus.PREVIEW, ImportStatus.PREVIEW], jobs[0].errors[:3]

    real_writer = services.WRITERS["students"]

    def slow_writer(ctx, plan):
        time.sleep(0.5)  # widen the window between planning and writing
        real_writer(ctx, plan)

    monkeypatch.setitem(services.WRITERS, "students", slow_writer)
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def commit(job_id: int) -> None:
        try:
            barrier.wait()
            services.import_commit_run(actor=Actor(user=clerk), job_id=job_id)
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=commit, args=(job.pk,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures

    assert Student.objects.filter(moet_code__startswith="79").count() == ROWS
    assert ClassMembership.objects.filter(student__moet_code__startswith="79").count() == ROWS
    done = list(ImportJob.objects.filter(pk__in=[j.pk for j in jobs]))
    assert {j.status for j in done} == {ImportStatus.DONE}
    outcomes = sorted((j.summary["create"], j.summary["unchanged"]) for j in done)
    assert outcomes == [(0, ROWS), (ROWS, 0)]
    assert verify_chain().ok
