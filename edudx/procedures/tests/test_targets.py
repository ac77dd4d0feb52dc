"""Public-service targets of KH 524/KH-PGDĐT mục 2.2 and the QĐ 766 indicators, from plain records (dataclasses or
mappings as a queryset's ``.values()`` gives them)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from edudx.core.kpi import Kpi, Measure
from edudx.procedures.catalogue import SEED_PROCEDURES, procedures_on
from edudx.procedures.targets import (
    SERVICE_TARGETS,
    TARGETS_BY_CODE,
    DossierRecord,
    ProcedureRecord,
    average_processing_days,
    dossiers_digitised,
    dossiers_fully_online,
    dossiers_on_time,
    dossiers_paid_online,
    is_fully_online,
    procedures_fully_online,
    satisfaction,
)
from edudx.procedures.timeliness import DossierHistory, Punctuality, assess

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_the_plan_numbers():
    expected = {
        "tthc.procedures_full_online": Decimal(95),
        "tthc.dossiers_full_online": Decimal(70),
        "tthc.online_payment": Decimal(70),
        "tthc.satisfaction": Decimal(90),
        "tthc.digitised": Decimal(100),
        "tthc.on_time": None,
    }
    assert {t.code: t.target_percent for t in SERVICE_TARGETS} == expected
    assert not any(t.strictly_above for t in SERVICE_TARGETS)  # "tối thiểu", "đạt": reaching the number is enough
    assert all(t.numerator_label and t.denominator_label and t.name for t in SERVICE_TARGETS)
    assert len(TARGETS_BY_CODE) == len(SERVICE_TARGETS)


@pytest.mark.parametrize(
    ("record", "fully_online"),
    [
        (DossierRecord("online", "full"), True),
        (DossierRecord("online", "full", result_delivery="online"), True),
        (DossierRecord("online", "full", result_delivery="post"), True),
        (DossierRecord("online", "full", result_delivery="counter"), False),  # had to come for the result
        (DossierRecord("online", "partial", result_delivery="online"), False),
        (DossierRecord("counter", "full", result_delivery="online"), False),
        (DossierRecord("post", "full"), False),
        ({"channel": "online", "online_level": "full", "result_delivery": None}, True),
    ],
)
def test_is_fully_online(record, fully_online):
    assert is_fully_online(record) is fully_online


def test_procedures_fully_online():
    records = [
        ProcedureRecord("a", "full"),
        ProcedureRecord("b", "partial"),
        ProcedureRecord("c", "full"),
        ProcedureRecord("d", "none", full_online_eligible=False),  # not in the denominator
        {"key": "e", "online_level": "partial"},  # eligible by default
    ]
    assert procedures_fully_online(records) == Measure(2, 4)


def test_procedures_fully_online_from_the_seed():
    records = [
        ProcedureRecord(p.key, p.online_level, p.full_online_eligible) for p in procedures_on(dt.date(2026, 1, 1))
    ]
    measure = procedures_fully_online(records)
    assert measure == Measure(4, len(SEED_PROCEDURES))  # two transfers and two enrollments
    assert TARGETS_BY_CODE["tthc.procedures_full_online"].met(measure) is False


def test_dossier_indicators():
    dossiers = [
        # fully online, fee paid online, finished on time, digitised with result
        DossierRecord(
            "online",
            "full",
            "online",
            fee_vnd=50_000,
            paid_online=True,
            finished=True,
            has_result=True,
            components_digitised=True,
            result_digitised=True,
            working_days_used=3,
        ),
        # fully online, fee paid in cash, finished late with a complaint, result not digitised
        DossierRecord(
            "online",
            "full",
            "post",
            fee_vnd=50_000,
            finished=True,
            late=True,
            complained=True,
            has_result=True,
            components_digitised=True,
            working_days_used=8,
        ),
        # counter dossier, free, refused (no result): digitised components are enough
        DossierRecord("counter", "partial", None, finished=True, components_digitised=True, working_days_used=0),
        # open, late at the period end
        {"channel": "online", "online_level": "partial", "late": True, "finished": False},
    ]
    assert dossiers_fully_online(dossiers) == Measure(2, 4)
    assert dossiers_paid_online(dossiers) == Measure(1, 2)
    # 766 formula on the 3 finished: 3 − 1 late − 1 complained = 1 (the same dossier is subtracted twice).
    assert satisfaction(dossiers) == Measure(1, 3)
    assert dossiers_digitised(dossiers) == Measure(2, 3)
    assert dossiers_on_time(dossiers) == Measure(2, 4)
    assert average_processing_days(dossiers) == Decimal("3.7")  # (3 + 8 + 0) / 3, half up


def test_satisfaction_never_below_zero():
    late_and_complained = DossierRecord("counter", "none", finished=True, late=True, complained=True)
    assert satisfaction([late_and_complained]) == Measure(0, 1)


@pytest.mark.parametrize(
    ("days", "average"),
    [
        ([], None),
        ([5], Decimal("5.0")),
        ([1, 2], Decimal("1.5")),
        ([1, 1, 2], Decimal("1.3")),
        ([1, 2, 2, 2, 2, 2], Decimal("1.8")),
    ],
)
def test_average_processing_days(days, average):
    records = [DossierRecord("online", "full", finished=True, working_days_used=d) for d in days]
    records.append(DossierRecord("online", "full", finished=False, working_days_used=99))  # open: ignored
    assert average_processing_days(records) == average


@pytest.mark.parametrize(
    ("code", "measure", "met"),
    [
        ("tthc.procedures_full_online", Measure(19, 20), True),  # exactly 95 %
        ("tthc.procedures_full_online", Measure(18, 20), False),
        ("tthc.online_payment", Measure(7, 10), True),  # exactly 70 %
        ("tthc.satisfaction", Measure(899, 1000), False),
        ("tthc.digitised", Measure(99, 100), False),
        ("tthc.digitised", Measure(0, 0), None),  # no data
        ("tthc.on_time", Measure(1, 1), None),  # no plan number
    ],
)
def test_met(code, measure, met):
    assert TARGETS_BY_CODE[code].met(measure) is met


def test_as_kpi():
    target = TARGETS_BY_CODE["tthc.satisfaction"]
    kpi = target.as_kpi(lambda actor: Measure(9, 10))
    assert isinstance(kpi, Kpi)
    assert (kpi.code, kpi.target_percent, kpi.source) == ("tthc.satisfaction", Decimal(90), "KH 524/KH-PGDĐT, mục 2.2")
    assert kpi.met(kpi.measure(None)) is True
    with pytest.raises(ValueError, match="no plan target"):
        TARGETS_BY_CODE["tthc.on_time"].as_kpi(lambda actor: Measure(0, 0))


def test_fed_from_timeliness():
    received = dt.datetime(2026, 3, 2, 10, tzinfo=VN)
    histories = [
        DossierHistory(received, 5, finished_at=dt.datetime(2026, 3, 6, 10, tzinfo=VN)),
        DossierHistory(received, 5, finished_at=dt.datetime(2026, 3, 10, 10, tzinfo=VN)),
    ]
    assessments = [assess(h) for h in histories]
    assert [a.punctuality for a in assessments] == [Punctuality.EARLY, Punctuality.LATE]
    records = [
        DossierRecord("online", "full", finished=a.finished, late=not a.on_time, working_days_used=a.working_days_used)
        for a in assessments
    ]
    assert dossiers_on_time(records) == Measure(1, 2)
    assert average_processing_days(records) == Decimal("5.0")
