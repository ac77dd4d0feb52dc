import datetime as dt
from decimal import Decimal

import pytest

from edudx.core.enums import Role
from edudx.core.kpi import Measure, get_kpi
from edudx.core.permissions import Actor
from edudx.registry.models import SchoolInfrastructure, StaffMember


@pytest.mark.parametrize(
    ("num", "den", "percent"),
    [(0, 0, None), (1, 3, Decimal("33.3")), (2, 3, Decimal("66.7")), (1, 8, Decimal("12.5")), (3, 3, Decimal("100.0"))],
)
def test_measure_percent_rounds_half_up(num, den, percent):
    assert Measure(num, den).percent == percent


def test_target_comparisons_respect_strictness():
    skills = get_kpi("staff.digital_skills")  # "trên 70%": strictly above
    assert skills.met(Measure(7, 10)) is False
    assert skills.met(Measure(71, 100)) is True
    fibre = get_kpi("infra.fibre_schools")  # "100%"
    assert fibre.met(Measure(10, 10)) is True
    assert fibre.met(Measure(9, 10)) is False
    assert fibre.met(Measure(0, 0)) is None


def test_kpis_are_measured_within_the_actors_scope(world):
    leader = Actor(user=world.authority_users[Role.AUTHORITY_LEADER])
    principal1 = Actor(user=world.school1.users[Role.PRINCIPAL])
    SchoolInfrastructure.objects.create(school=world.school1.school, internet_type="fiber", bandwidth_mbps=300)
    SchoolInfrastructure.objects.create(school=world.school2.school, internet_type="adsl", bandwidth_mbps=30)
    fibre = get_kpi("infra.fibre_schools")
    assert fibre.measure(leader) == Measure(1, 2)
    assert fibre.measure(principal1) == Measure(1, 1)

    staff1 = StaffMember.objects.filter(org_unit=world.school1.school)
    assert staff1.count() == 2
    staff1.filter(pk=world.school1.homeroom_a.pk).update(
        signing_certificate_ref="VNPT-CA 5403…", digital_skills_trained_on=dt.date(2025, 3, 1)
    )
    assert get_kpi("staff.digital_signature").measure(principal1) == Measure(1, 2)
    assert get_kpi("staff.digital_skills").measure(leader) == Measure(1, 4)
