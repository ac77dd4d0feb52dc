"""Plan targets the gradebook can measure (Kế hoạch 524/KH-PGDĐT), for the schools in an actor's scope.

"Học bạ số đã ký số": the plan's appendix lists "Tiếp tục triển khai hồ sơ, sổ điểm, học bạ số cấp Tiểu học"
(item 8) and "Triển khai quản lý hồ sơ, sổ điểm, thí điểm học bạ số cấp Trung học" (item 10), and section 2.4 asks
to "triển khai thực hiện học bạ số cấp tiểu học và thí điểm học bạ số cấp trung học". The plan sets no percentage
for it; we measure it against 100% of the students who have a year result, as the other issued-record targets
of the plan (section 2.3: "100% … hồ sơ, kết quả giải quyết TTHC") do.
"""

from __future__ import annotations

from decimal import Decimal

from edudx.core.api import Actor
from edudx.core.kpi import Kpi, Measure, register_kpi

from .selectors.transcripts import current_year, share_by_school


def transcripts_sealed(actor: Actor) -> Measure:
    """Students of the current year with a year result (denominator) whose học bạ is sealed (numerator)."""
    shares = share_by_school(actor=actor, year=current_year())
    return Measure(sum(s.sealed for s in shares), sum(s.students for s in shares))


TRANSCRIPTS_SEALED = register_kpi(
    Kpi(
        code="gradebook.transcripts_sealed",
        name="Học bạ số đã ký số",
        target_percent=Decimal(100),
        strictly_above=False,
        source="KH 524/KH-PGDĐT, mục 2.4 và phụ lục, nhiệm vụ 8 và 10",
        numerator_label="Học sinh có học bạ số đã ký số hoàn tất (năm học hiện tại)",
        denominator_label="Học sinh có kết quả cả năm (năm học hiện tại)",
        compute=transcripts_sealed,
    )
)
