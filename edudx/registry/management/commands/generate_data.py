"""Generate a large synthetic education sector for benchmarks: a city (≈45 schools, ≈40,000 pupils) or a
province the size of Bình Dương (≈700 schools, ≈500,000 pupils), with classes, guardians and staff.

The same ``--seed`` gives the same people, names, ID numbers and class lists. Each run makes its own
department, so runs with other seeds or scales sit beside it (and beside the demo) without clashing.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from vietnam_provinces import ProvinceCode, Ward

from edudx.core import services as core_services
from edudx.core.enums import AuthorityKind, OrgUnitKind, SchoolLevel
from edudx.core.models import OrgUnit
from edudx.registry import demo


@dataclass(frozen=True)
class Scale:
    authorities: int
    schools: dict[str, int]
    sizing: demo.Sizing


SCALES = {
    # 15 MN × ≈350 + 17 TH × ≈1,100 + 13 THCS × ≈1,200 ≈ 40,000 pupils.
    "city": Scale(
        authorities=5,
        schools={SchoolLevel.MN: 15, SchoolLevel.TH: 17, SchoolLevel.THCS: 13},
        sizing=demo.Sizing(
            classes_per_grade={SchoolLevel.MN: (3, 4), SchoolLevel.TH: (6, 8), SchoolLevel.THCS: (8, 10)},
            class_size={SchoolLevel.MN: (22, 28), SchoolLevel.TH: (29, 35), SchoolLevel.THCS: (30, 36)},
        ),
    ),
    # 250 MN × ≈350 + 270 TH × ≈900 + 180 THCS × ≈950 ≈ 500,000 pupils (Bình Dương before 2025).
    "province": Scale(
        authorities=36,
        schools={SchoolLevel.MN: 250, SchoolLevel.TH: 270, SchoolLevel.THCS: 180},
        sizing=demo.Sizing(
            classes_per_grade={SchoolLevel.MN: (3, 4), SchoolLevel.TH: (5, 6), SchoolLevel.THCS: (6, 8)},
            class_size={SchoolLevel.MN: (22, 28), SchoolLevel.TH: (29, 35), SchoolLevel.THCS: (30, 36)},
        ),
    ),
}
LEVEL_NAMES: dict[str, str] = {
    SchoolLevel.MN: "Trường Mầm non",
    SchoolLevel.TH: "Trường Tiểu học",
    SchoolLevel.THCS: "Trường THCS",
}
VALID_FROM = dt.date(2025, 7, 1)


def department_code(scale: str, seed: int) -> str:
    return f"GEN-{scale}-{seed}"


class Command(BaseCommand):
    help = "Sinh dữ liệu tổng hợp quy mô thành phố (≈40.000 học sinh) hoặc tỉnh (≈500.000 học sinh) để đo hiệu năng."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument(
            "--max-schools",
            type=int,
            default=None,
            help="Dừng sau N trường (một mẫu nhỏ của cùng bộ dữ liệu, để xem nhanh).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scale_name: str = options["scale"]
        seed: int = options["seed"]
        if seed < 0 or seed > 10**9:
            raise CommandError("--seed phải là số nguyên từ 0 đến 1.000.000.000.")
        if OrgUnit.objects.filter(moet_code=department_code(scale_name, seed)).exists():
            raise CommandError(
                f"Dữ liệu quy mô {scale_name} với seed {seed} đã có trong cơ sở dữ liệu; hãy dùng seed khác."
            )
        # Query logging (on when DEBUG is) would keep every INSERT in memory.
        debug, settings.DEBUG = settings.DEBUG, False
        try:
            report = generate(
                scale_name,
                seed,
                batch_size=options["batch_size"],
                max_schools=options["max_schools"],
                out=self.stdout.write,
            )
        finally:
            settings.DEBUG = debug
        self.stdout.write(self.style.SUCCESS(report))


def generate(
    scale_name: str, seed: int, *, batch_size: int = 2000, max_schools: int | None = None, out: Any = print
) -> str:
    """Build the synthetic tree and fill it; return a one-line report with counts and timings."""
    scale = SCALES[scale_name]
    rng = random.Random(f"edudx:{scale_name}:{seed}")
    started = time.monotonic()
    with transaction.atomic():
        ministry = OrgUnit.objects.filter(kind=OrgUnitKind.MINISTRY, valid_to__isnull=True).order_by("id").first()
        if ministry is None:
            ministry = core_services.orgunit_create(
                actor=None,
                kind=OrgUnitKind.MINISTRY,
                name="Bộ Giáo dục và Đào tạo",
                parent=None,
                valid_from=dt.date(1990, 3, 31),
                moet_code="BGDDT",
            )
        department = core_services.orgunit_create(
            actor=None,
            kind=OrgUnitKind.DEPARTMENT,
            name=f"Sở GDĐT mô phỏng – quy mô {'thành phố' if scale_name == 'city' else 'tỉnh'} (seed {seed})",
            parent=ministry,
            valid_from=VALID_FROM,
            moet_code=department_code(scale_name, seed),
            province_code=demo.HCMC_PROVINCE_CODE,
        )
        wards = sorted(Ward.iter_by_province(ProvinceCode.P_79), key=lambda w: int(w.code))
        chosen = rng.sample(wards, scale.authorities)
        authorities = [
            core_services.orgunit_create(
                actor=None,
                kind=OrgUnitKind.AUTHORITY,
                authority_kind=AuthorityKind.WARD_COMMITTEE,
                name=f"Ủy ban nhân dân {w.name[0].lower()}{w.name[1:]} (mô phỏng)",
                parent=department,
                valid_from=VALID_FROM,
                moet_code=f"{department_code(scale_name, seed)}-{int(w.code)}",
                province_code=demo.HCMC_PROVINCE_CODE,
                ward_code=str(int(w.code)),
            )
            for w in chosen
        ]
        current, _previous = demo.ensure_years(with_previous=False)
    plan = [level for level, count in scale.schools.items() for _ in range(count)]
    rng.shuffle(plan)
    # The first N schools of a full run: a sample is the same data, only less of it.
    plan = plan[:max_schools] if max_schools is not None else plan
    builder = demo.PopulationBuilder(
        rng=rng,
        current_year=current,
        previous_year=None,
        student_code_prefix=f"{scale_name[0].upper()}{seed}",
        sizing=scale.sizing,
        batch_size=batch_size,
    )
    numbers: dict[tuple[int, str], int] = {}
    step = max(1, len(plan) // 20)
    for i, level in enumerate(plan, start=1):
        authority = authorities[(i - 1) % len(authorities)]
        numbers[(authority.pk, level)] = numbers.get((authority.pk, level), 0) + 1
        ward_name = authority.name.removeprefix("Ủy ban nhân dân ").removesuffix(" (mô phỏng)")
        short = ward_name.removeprefix("phường ").removeprefix("xã ").removeprefix("đặc khu ")
        with transaction.atomic():
            school = core_services.orgunit_create(
                actor=None,
                kind=OrgUnitKind.SCHOOL,
                name=f"{LEVEL_NAMES[level]} {short} {numbers[(authority.pk, level)]}",
                parent=authority,
                valid_from=VALID_FROM,
                school_level=level,
                ownership=demo.Ownership.PUBLIC if rng.random() < 0.9 else demo.Ownership.PRIVATE,
                moet_code=f"{department_code(scale_name, seed)}-{i:04d}",
                province_code=demo.HCMC_PROVINCE_CODE,
                ward_code=authority.ward_code,
                address=demo.address(rng, authority.ward_code),
            )
            builder.populate(school, ward_key=authority.ward_code)
        if i % step == 0 or i == len(plan):
            elapsed = time.monotonic() - started
            out(
                f"  {i}/{len(plan)} trường, {builder.totals.students} học sinh, "
                f"{builder.totals.guardians} phụ huynh – {elapsed:.1f} s"
            )
    elapsed = time.monotonic() - started
    t = builder.totals
    return (
        f"Quy mô {scale_name}, seed {seed}: {t.schools} trường, {t.classes} lớp, {t.students} học sinh, "
        f"{t.guardians} phụ huynh, {t.staff} cán bộ, {t.teaching_assignments} phân công giảng dạy "
        f"trong {elapsed:.1f} giây ({t.students / elapsed:.0f} học sinh/giây)."
    )
