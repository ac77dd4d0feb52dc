"""Dossier codes under concurrent submissions: unique, consecutive, and a rolled-back submission gives its number back.

Only PostgreSQL gives real concurrent writers (SQLite serialises whole transactions): threads with their own
connections are released together by a barrier, each storing a dossier with ``next_code`` inside its transaction,
as the submission service does. The day's ``DossierSequence`` row lock makes them take numbers one after another.
"""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from edudx.procedures.dossier_codes import parse_code
from edudx.procedures.models import Dossier, DossierSequence, ProcedureVersion, ServiceDesk
from edudx.procedures.services.codes import next_code
from edudx.procedures.states import DossierState
from edudx.testing import build_world

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MOMENT = dt.datetime(2026, 10, 8, 9, 30, tzinfo=VN)
UNIT_CODE = "H56.01.02"
THREADS = 24


class Rollback(Exception):
    """Raised inside a submission to make it fail after it took its number."""


def _setup():
    world = build_world()
    ServiceDesk.objects.create(org_unit=world.authority, unit_code=UNIT_CODE, valid_from=dt.date(2025, 7, 1))
    procedure = ProcedureVersion.objects.filter(key="school_transfer_same_province").order_by("-version").first()
    return world, procedure


def _store(
    world,
    procedure,
    name: str,
    *,
    fail: bool = False,
    taken: threading.Event | None = None,
    hold: threading.Event | None = None,
) -> str:
    """One submission: take the code and store the dossier in one transaction (what submit_dossier does)."""
    with transaction.atomic():
        code = next_code(world.authority, MOMENT)
        if taken is not None:
            taken.set()
        if hold is not None:
            hold.wait(timeout=10)
        Dossier.objects.create(
            code=code, procedure=procedure, org_unit=world.authority, channel="online",
            state=DossierState.SUBMITTED, applicant_name=name, submitted_at=MOMENT,
        )  # fmt: skip
        if fail:
            raise Rollback(code)
    return code


def _run_threads(targets) -> list[object]:
    barrier = threading.Barrier(len(targets))
    outcomes: list[object] = []
    lock = threading.Lock()

    def runner(target) -> None:
        try:
            barrier.wait()
            result: object = target()
        except BaseException as exc:  # reported below
            result = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=runner, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_simultaneous_submissions_get_unique_consecutive_codes():
    world, procedure = _setup()
    outcomes = _run_threads([lambda i=i: _store(world, procedure, f"Người nộp {i}") for i in range(THREADS)])
    codes = [o for o in outcomes if isinstance(o, str)]
    assert len(codes) == THREADS, outcomes
    assert len(set(codes)) == THREADS
    parsed = sorted(parse_code(code).sequence for code in codes)
    assert parsed == list(range(1, THREADS + 1))
    assert all(code.startswith(f"{UNIT_CODE}-261008-") for code in codes)
    assert sorted(Dossier.objects.values_list("code", flat=True)) == sorted(codes)
    assert DossierSequence.objects.get(unit_code=UNIT_CODE, day=MOMENT.date()).last == THREADS


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_failed_submissions_give_their_numbers_back_even_under_concurrency():
    world, procedure = _setup()
    # One failing submission first: its number is given back to the next one.
    with pytest.raises(Rollback) as failed:
        _store(world, procedure, "Hỏng", fail=True)
    assert parse_code(str(failed.value)).sequence == 1
    assert _store(world, procedure, "Tiếp theo").endswith("-0001")
    # Every third of many simultaneous submissions fails after taking its number: no gap is left.
    outcomes = _run_threads(
        [lambda i=i: _store(world, procedure, f"Người nộp {i}", fail=i % 3 == 0) for i in range(THREADS)]
    )
    stored = [o for o in outcomes if isinstance(o, str)]
    failures = [o for o in outcomes if isinstance(o, Rollback)]
    assert len(failures) == THREADS // 3 and len(stored) == THREADS - THREADS // 3, outcomes
    numbers = sorted(parse_code(code).sequence for code in Dossier.objects.values_list("code", flat=True))
    assert numbers == list(range(1, len(stored) + 2))  # the first stored one, then the threads' without a gap


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_waiting_submission_takes_the_number_a_rolled_back_one_held():
    """A holds number 1 (row locked) while B waits; A fails; B gets 1, not 2."""
    world, procedure = _setup()
    hold, taken = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        try:
            results["a"] = _store(world, procedure, "A", fail=True, taken=taken, hold=hold)
        except BaseException as exc:
            results["a"] = exc
        finally:
            connection.close()

    def second() -> None:
        try:
            results["b"] = _store(world, procedure, "B")
        except BaseException as exc:
            results["b"] = exc
        finally:
            connection.close()

    a = threading.Thread(target=first)
    a.start()
    assert taken.wait(timeout=10)  # A holds the day's row; B must block on it
    b = threading.Thread(target=second)
    b.start()
    b.join(timeout=0.5)
    assert b.is_alive(), "B must wait for A's transaction"
    hold.set()
    a.join(timeout=10)
    b.join(timeout=10)
    assert isinstance(results["a"], Rollback) and str(results["a"]).endswith("-0001")
    assert results["b"] == f"{UNIT_CODE}-261008-0001"
