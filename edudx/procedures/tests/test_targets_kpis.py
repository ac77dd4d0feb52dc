"""The service indicators measured from stored dossiers (selectors/targets.py, kpis.py).

One authority receives a handful of dossiers in March 2026 whose outcomes are worked out by hand below (working
days of March 2026: no holiday; the receipt day is not counted); each indicator's numerator and denominator is
checked, then the scope (other authority, roles without ``servicekpi.view``), the unit filter and the months.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from edudx.core import services as core_services
from edudx.core.api import AuthorityKind, OrgUnitKind, Role
from edudx.core.kpi import Measure, all_kpis, get_kpi
from edudx.procedures.catalogue import procedures_on
from edudx.procedures.models import Dossier, DossierEvent, DossierFile, FileRole, ProcedureVersion
from edudx.procedures.selectors.targets import (
    INDICATORS_BY_CODE,
    Period,
    dossier_scope,
    kpi_units,
    period_from,
    targets_report,
)
from edudx.procedures.states import ActorKind, DossierAction, DossierState
from edudx.testing import grant, make_user

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
NOW = dt.datetime(2026, 11, 29, 9, 0, tzinfo=VN)
_codes = itertools.count(1)

pytestmark = pytest.mark.django_db


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), VN)


def version(key: str) -> ProcedureVersion:
    return ProcedureVersion.objects.filter(key=key).order_by("-version").first()


def add_file(dossier: Dossier, role: str, **flags) -> DossierFile:
    content = f"{dossier.code} {role}".encode()
    return DossierFile.objects.create(
        dossier=dossier, role=role, filename=f"{role}.pdf", content_type="application/pdf", size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), content=content, **flags,
    )  # fmt: skip


def make_dossier(
    unit,
    key: str = "school_transfer_same_province",
    *,
    channel: str = "online",
    received: str | None = "2026-03-02",
    processed: str | None = None,
    issued: str | None = None,
    result_digitised: bool = True,
    component: dict | None = None,
    supplements: tuple[tuple[str, str | None], ...] = (),
    rating: int | None = None,
    fee: int = 0,
    paid_online: bool = False,
    result_delivery: str = "online",
    applicant=None,
) -> Dossier:
    n = next(_codes)
    received_at = at(received) if received else None
    state = DossierState.RECEIVED if received_at else DossierState.SUBMITTED
    if processed:
        state = DossierState.RESULT_ISSUED if issued else DossierState.STOPPED
    dossier = Dossier.objects.create(
        code=f"T00.99-260302-{n:04d}", procedure=version(key), org_unit=unit, channel=channel,
        result_delivery=result_delivery, state=state, applicant=applicant, applicant_name=f"Người nộp {n}",
        submitted_at=received_at or at("2026-03-10"), received_at=received_at,
        processed_at=at(processed, 10) if processed else None, result_issued_at=at(issued, 11) if issued else None,
        rating=rating, fee_vnd=fee, paid_online=paid_online, paid_at=received_at if paid_online else None,
        supplement_requests=len(supplements),
    )  # fmt: skip
    add_file(dossier, FileRole.COMPONENT, **(component or {}))
    if issued:
        add_file(dossier, FileRole.RESULT, digitised=result_digitised, signed=result_digitised)
    for requested, answered in supplements:
        DossierEvent.objects.create(
            dossier=dossier, action=DossierAction.REQUEST_SUPPLEMENT, from_state=DossierState.PROCESSING,
            to_state=DossierState.SUPPLEMENT_REQUESTED, actor_kind=ActorKind.HANDLER, at=at(requested, 10),
        )  # fmt: skip
        if answered:
            DossierEvent.objects.create(
                dossier=dossier, action=DossierAction.SUBMIT_SUPPLEMENT, from_state=DossierState.SUPPLEMENT_REQUESTED,
                to_state=DossierState.PROCESSING, actor_kind=ActorKind.CITIZEN, at=at(answered, 10),
            )  # fmt: skip
    return dossier


@pytest.fixture
def march(world):
    """The dossiers of March 2026 at the world's authority (outcomes worked out by hand)."""
    unit = world.authority
    d = {
        # Early: 4 working days of 5; digitised component and result; 5 stars.
        "d1": make_dossier(unit, processed="2026-03-06", issued="2026-03-06", rating=5),
        # Late: 9 working days of 5; the result file is not digitised; 1 star (a complaint).
        "d2": make_dossier(unit, processed="2026-03-13", issued="2026-03-13", result_digitised=False, rating=1),
        # Counter, paper component not scanned: not digitised; 5 of 20 days; fee not paid online; stopped.
        "d3": make_dossier(
            unit, "establish_primary", channel="counter", received="2026-03-03", processed="2026-03-10", fee=100_000
        ),
        # Two supplement requests: late whatever the dates; paid online; 3 working days used (pauses excluded).
        "d4": make_dossier(
            unit,
            processed="2026-03-09",
            issued="2026-03-09",
            fee=50_000,
            paid_online=True,
            rating=4,
            supplements=(("2026-03-03", "2026-03-04"), ("2026-03-05", "2026-03-06")),
        ),  # fmt: skip
        # Open at the end of March after 4 working days: on time so far.
        "d5": make_dossier(unit, received="2026-03-25"),
        # Open at the end of March after 11 working days: late.
        "d6": make_dossier(unit, received="2026-03-16"),
        # Finished in January: outside March.
        "d7": make_dossier(unit, received="2026-01-12", processed="2026-01-14", issued="2026-01-14", rating=1),
        # Submitted, never received: no indicator counts it.
        "d8": make_dossier(unit, received=None),
        # One supplement: 8 working days elapsed, 4 excluded → 4 of 5, early; the result at the counter (not fully
        # online); 3 stars (neither satisfied nor a complaint).
        "d9": make_dossier(
            unit,
            processed="2026-03-12",
            issued="2026-03-12",
            rating=3,
            result_delivery="counter",
            supplements=(("2026-03-04", "2026-03-10"),),
        ),  # fmt: skip
    }
    return d


def measures(report) -> dict[str, Measure]:
    return {r.indicator.code: r.measure for r in report.readings}


def leader(world):
    from edudx.core.permissions import Actor

    return Actor(world.authority_users[Role.AUTHORITY_LEADER])


def test_each_indicator_counts_what_its_labels_say(world, march):
    report = targets_report(actor=leader(world), period=MARCH, now=NOW)
    got = measures(report)
    assert got["tthc.dossiers_full_online"] == Measure(5, 7)  # d1 d2 d4 d5 d6 of the 7 received
    assert got["tthc.online_payment"] == Measure(1, 2)  # d4 paid online; d3 not
    assert got["tthc.on_time"] == Measure(4, 7)  # d2, d4 (two supplements) and d6 (open, overdue) are late
    assert got["tthc.satisfaction"] == Measure(2, 5)  # 5 finished − 2 late − 1 complaint (d2: late AND complained)
    assert got["tthc.digitised"] == Measure(3, 5)  # d1 d4 d9; d2's result and d3's paper component are not
    assert got["tthc.digitised_results"] == Measure(3, 4)
    assert got["tthc.average_days"] == Measure(4 + 9 + 5 + 3 + 4, 5)
    assert report.reading("tthc.average_days").value == Decimal("5.0")
    assert got["tthc.rated_satisfied"] == Measure(2, 4)  # d1 (5★) d4 (4★) among d1 d2 d4 d9
    assert report.unassessed == 0
    in_force = [p for p in procedures_on(MARCH.end) if p.full_online_eligible]
    assert got["tthc.procedures_full_online"] == Measure(
        sum(1 for p in in_force if p.online_level == "full"), len(in_force)
    )


def test_targets_and_met(world, march):
    report = targets_report(actor=leader(world), period=MARCH, now=NOW)
    by_code = {r.indicator.code: r for r in report.readings}
    assert by_code["tthc.dossiers_full_online"].value == Decimal("71.4")
    assert by_code["tthc.dossiers_full_online"].met is True  # ≥ 70 %
    assert by_code["tthc.online_payment"].met is False  # 50 % < 70 %
    assert by_code["tthc.satisfaction"].indicator.target_percent == Decimal(90)
    assert by_code["tthc.on_time"].met is None  # no number in the plan
    assert by_code["tthc.average_days"].met is None


def test_an_extension_letter_does_not_make_a_late_dossier_on_time(world):
    d = make_dossier(world.authority, received="2026-03-02", processed="2026-03-13", issued="2026-03-13")
    DossierEvent.objects.create(
        dossier=d, action=DossierAction.APOLOGISE_AND_EXTEND, from_state=DossierState.PROCESSING,
        to_state=DossierState.PROCESSING, actor_kind=ActorKind.HANDLER, at=at("2026-03-06"),
        data={"old_due_at": at("2026-03-09", 17).isoformat(), "new_due_at": at("2026-03-20", 17).isoformat()},
    )  # fmt: skip
    Dossier.objects.filter(pk=d.pk).update(due_at=at("2026-03-20", 17))
    report = targets_report(actor=leader(world), period=MARCH, now=NOW, codes=["tthc.on_time"])
    assert report.reading("tthc.on_time").measure == Measure(0, 1)


def test_months_split_the_period(world, march):
    period = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    report = targets_report(actor=leader(world), period=period, now=NOW)
    assert [m.period.start for m in report.months] == [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    january, february, march_ = report.months
    assert january.readings["tthc.satisfaction"].measure == Measure(0, 1)  # d7: on time but 1 star
    assert february.readings["tthc.dossiers_full_online"].measure == Measure(0, 0)
    assert february.readings["tthc.dossiers_full_online"].value is None
    assert march_.readings["tthc.on_time"].measure == Measure(4, 7)
    whole = measures(report)
    assert whole["tthc.dossiers_full_online"] == Measure(6, 8)  # d7 received in January too
    assert whole["tthc.on_time"] == Measure(5, 8)


def test_only_units_where_the_actor_holds_servicekpi_view(world, march):
    other = core_services.orgunit_create(
        actor=None, kind=OrgUnitKind.AUTHORITY, name="UBND phường Khác", parent=world.department,
        valid_from=dt.date(2000, 1, 1), authority_kind=AuthorityKind.WARD_COMMITTEE,
    )  # fmt: skip
    make_dossier(other, processed="2026-03-04", issued="2026-03-04", rating=5)
    specialist_elsewhere = make_user("chuyenvien_khac")
    grant(specialist_elsewhere, Role.AUTHORITY_SPECIALIST, other)
    from edudx.core.permissions import Actor

    mine = measures(targets_report(actor=leader(world), period=MARCH, now=NOW, by_month=False))
    assert mine["tthc.dossiers_full_online"] == Measure(5, 7)
    theirs = measures(targets_report(actor=Actor(specialist_elsewhere), period=MARCH, now=NOW, by_month=False))
    assert theirs["tthc.dossiers_full_online"] == Measure(1, 1)
    assert list(kpi_units(Actor(specialist_elsewhere))) == [other]
    assert world.authority in kpi_units(leader(world))
    # The principal has no servicekpi.view; the applicant of a dossier sees it, but does not count it.
    applicant = march["d1"]
    applicant.applicant = world.school1.users[Role.GUARDIAN]
    applicant.save()
    for user in (world.school1.users[Role.PRINCIPAL], world.school1.users[Role.GUARDIAN], world.nobody):
        assert not dossier_scope(Actor(user)).exists()
        assert all(m == Measure(0, 0) for m in measures(targets_report(actor=Actor(user), period=MARCH)).values())


def test_unit_filter(world, march):
    from edudx.core.permissions import Actor

    school_dossier = make_dossier(world.school1.school, received="2026-03-04")
    report = targets_report(actor=leader(world), period=MARCH, unit=world.school1.school, now=NOW, by_month=False)
    assert measures(report)["tthc.dossiers_full_online"] == Measure(1, 1)
    assert school_dossier in dossier_scope(Actor(world.authority_users[Role.AUTHORITY_SPECIALIST]))


def test_the_registry_measures_this_year_for_the_home_page(world, march):
    codes = {k.code for k in all_kpis()}
    assert {
        "tthc.procedures_full_online", "tthc.dossiers_full_online", "tthc.online_payment", "tthc.satisfaction",
        "tthc.digitised", "tthc.digitised_results",
    } <= codes  # fmt: skip
    assert "tthc.on_time" not in codes  # no target in the plan: on the dashboard only
    for code in codes:
        if code.startswith("tthc."):
            kpi = get_kpi(code)
            assert kpi.target_percent == INDICATORS_BY_CODE[code].target_percent
            assert kpi.numerator_label and kpi.denominator_label and kpi.source
    # The registry measures the current year to date: frozen on 29/11/2026, March counts.
    with freeze_time("2026-11-29 09:00:00+07:00"):
        assert get_kpi("tthc.dossiers_full_online").measure(leader(world)) == Measure(6, 8)
        assert get_kpi("tthc.satisfaction").measure(leader(world)) == Measure(2, 6)
    with freeze_time("2027-02-01 09:00:00+07:00"):
        assert get_kpi("tthc.dossiers_full_online").measure(leader(world)) == Measure(0, 0)


def test_period_from_filters():
    today = dt.date(2026, 11, 29)
    assert period_from("", "", today=today) == Period(dt.date(2026, 1, 1), today)
    assert period_from("2026-03-01", "2026-03-31", today=today) == MARCH
    from edudx.core.api import ValidationFailed

    for bad in (("2026-13-01", ""), ("2026-03-31", "2026-03-01"), ("2020-01-01", "2026-01-01")):
        with pytest.raises(ValidationFailed):
            period_from(*bad, today=today)


def test_a_component_sent_again_as_a_supplement_still_counts_as_digitised(world):
    # The applicant's first file is superseded by the one sent on request; the dossier stays digitised.
    unit = world.authority
    resent = make_dossier(unit, processed="2026-03-06", issued="2026-03-06", component={"superseded": True})
    add_file(resent, FileRole.SUPPLEMENT)
    not_resent = make_dossier(unit, processed="2026-03-06", issued="2026-03-06", component={"superseded": True})
    got = measures(targets_report(actor=leader(world), period=MARCH, now=NOW))
    assert got["tthc.digitised"] == Measure(1, 2)
    assert not not_resent.files.filter(role__in=[FileRole.COMPONENT, FileRole.SUPPLEMENT], superseded=False).exists()
