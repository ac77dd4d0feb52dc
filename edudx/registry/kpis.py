"""Plan targets the registry can measure (Kế hoạch 524/KH-PGDĐT, section 2), for the rows an actor sees."""

from __future__ import annotations

from decimal import Decimal

from edudx.core.api import Actor, OrgUnit, policy_for
from edudx.core.kpi import Kpi, Measure, register_kpi

from .enums import InternetType
from .models import StaffMember


def _open_schools(actor: Actor):  # type: ignore[no-untyped-def]
    return policy_for(OrgUnit).visible(actor, "view").filter(kind="school", valid_to__isnull=True)


def _active_staff(actor: Actor):  # type: ignore[no-untyped-def]
    return policy_for(StaffMember).visible(actor, "view").filter(is_active=True)


def schools_with_fibre(actor: Actor) -> Measure:
    schools = _open_schools(actor)
    return Measure(
        numerator=schools.filter(infrastructure__internet_type=InternetType.FIBER).count(),
        denominator=schools.count(),
    )


def staff_with_signature(actor: Actor) -> Measure:
    staff = _active_staff(actor)
    return Measure(staff.exclude(signing_certificate_ref="").count(), staff.count())


def staff_trained_digital_skills(actor: Actor) -> Measure:
    staff = _active_staff(actor)
    return Measure(staff.filter(digital_skills_trained_on__isnull=False).count(), staff.count())


register_kpi(
    Kpi(
        code="infra.fibre_schools",
        name="Cơ sở giáo dục có đường Internet cáp quang băng rộng",
        target_percent=Decimal(100),
        strictly_above=False,
        source="KH 524/KH-PGDĐT, mục 2.3",
        numerator_label="Trường có cáp quang",
        denominator_label="Trường đang hoạt động",
        compute=schools_with_fibre,
    )
)
register_kpi(
    Kpi(
        code="staff.digital_signature",
        name="Công chức, viên chức, người lao động có chữ ký số cá nhân",
        target_percent=Decimal(100),
        strictly_above=False,
        source="KH 524/KH-PGDĐT, mục 2.3",
        numerator_label="Cán bộ có chứng thư số",
        denominator_label="Cán bộ đang công tác",
        compute=staff_with_signature,
    )
)
register_kpi(
    Kpi(
        code="staff.digital_skills",
        name="Công chức, viên chức, người lao động được đào tạo kỹ năng số cơ bản",
        target_percent=Decimal(70),
        strictly_above=True,
        source="KH 524/KH-PGDĐT, mục 2.3",
        numerator_label="Cán bộ đã được bồi dưỡng",
        denominator_label="Cán bộ đang công tác",
        compute=staff_trained_digital_skills,
    )
)
