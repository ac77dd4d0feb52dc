"""The plan's public-service targets and the service indicators, computed from plain records. Pure functions.

Kế hoạch 524/KH-PGDĐT (21/4/2025), mục 2.2 "Đẩy mạnh cải cách thủ tục hành chính và cung cấp dịch vụ công trực
tuyến" sets five targets; Quyết định 766/QĐ-TTg adds the indicators the office is judged on (administration notes
§3.7): on-time rate and average processing time. Every indicator is a ratio numerator / denominator
(``edudx.core.kpi.Measure``) whose two parts are defined in Vietnamese next to it, so that anyone can recount them.

The functions take plain records — ``DossierRecord`` / ``ProcedureRecord`` or mappings with the same keys (a
queryset's ``.values()``) — already limited by the caller to the rows the actor may see and to the reporting
period. ``ServiceTarget.as_kpi`` turns a target into a ``Kpi`` of the registry once a compute function over the
actor's querysets exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from edudx.core.kpi import Kpi, Measure

from .catalogue import OnlineLevel, ResultDelivery, SubmissionChannel

if TYPE_CHECKING:
    from edudx.core.permissions import Actor

PLAN_SOURCE = "KH 524/KH-PGDĐT, mục 2.2"
INDEX_SOURCE = "QĐ 766/QĐ-TTg, nhóm chỉ số 2"


@dataclass(frozen=True)
class ProcedureRecord:
    """A procedure version in force during the period."""

    key: str
    online_level: str  # an OnlineLevel value
    full_online_eligible: bool = True


@dataclass(frozen=True)
class DossierRecord:
    """A dossier of the period, reduced to what the indicators read.

    ``online_level`` is the level of the procedure version the dossier was received under; ``late`` comes from
    ``timeliness.assess`` (``punctuality == LATE``) with ``as_of`` = the end of the period; ``complained`` is a
    complaint or recommendation (phản ánh, kiến nghị) about the dossier or a "not satisfied" rating;
    ``working_days_used`` is ``Assessment.working_days_used`` (supplement time excluded).
    """

    channel: str  # a SubmissionChannel value
    online_level: str  # an OnlineLevel value
    result_delivery: str | None = None  # a ResultDelivery value; None while no result has been issued
    fee_vnd: int = 0
    paid_online: bool = False
    finished: bool = False
    late: bool = False
    complained: bool = False
    has_result: bool = False
    components_digitised: bool = False
    result_digitised: bool = False
    working_days_used: int | None = None


Record = DossierRecord | ProcedureRecord | Mapping[str, Any]


def _get(record: Record, name: str, default: Any = None) -> Any:
    if isinstance(record, Mapping):
        return record.get(name, default)
    return getattr(record, name, default)


# ---------------------------------------------------------------------------------------------------------------
# Indicators
# ---------------------------------------------------------------------------------------------------------------


def is_fully_online(record: Record) -> bool:
    """A dossier handled fully online (toàn trình, NĐ 42/2022): submitted online for a procedure offered fully
    online, with the result (once issued) sent electronically or by post — the applicant never had to come."""
    return (
        _get(record, "channel") == SubmissionChannel.ONLINE
        and _get(record, "online_level") == OnlineLevel.FULL
        and _get(record, "result_delivery") != ResultDelivery.COUNTER
    )


def procedures_fully_online(procedures: Iterable[Record]) -> Measure:
    eligible = [p for p in procedures if _get(p, "full_online_eligible", True)]
    return Measure(sum(1 for p in eligible if _get(p, "online_level") == OnlineLevel.FULL), len(eligible))


def dossiers_fully_online(dossiers: Iterable[Record]) -> Measure:
    rows = list(dossiers)
    return Measure(sum(1 for d in rows if is_fully_online(d)), len(rows))


def dossiers_paid_online(dossiers: Iterable[Record]) -> Measure:
    paying = [d for d in dossiers if (_get(d, "fee_vnd") or 0) > 0]
    return Measure(sum(1 for d in paying if _get(d, "paid_online")), len(paying))


def satisfaction(dossiers: Iterable[Record]) -> Measure:
    """QĐ 766 indicator 5.4: 100 % − (% late + % with complaints), over the dossiers finished in the period.

    As the formula subtracts the two rates separately, a dossier both late and complained about is subtracted
    twice; the numerator cannot go below zero."""
    finished = [d for d in dossiers if _get(d, "finished")]
    late = sum(1 for d in finished if _get(d, "late"))
    complained = sum(1 for d in finished if _get(d, "complained"))
    return Measure(max(0, len(finished) - late - complained), len(finished))


def dossiers_digitised(dossiers: Iterable[Record]) -> Measure:
    """A finished dossier is digitised when its components are, and its result too when one was issued."""
    finished = [d for d in dossiers if _get(d, "finished")]
    digitised = sum(
        1
        for d in finished
        if _get(d, "components_digitised") and (not _get(d, "has_result") or _get(d, "result_digitised"))
    )
    return Measure(digitised, len(finished))


def dossiers_on_time(dossiers: Iterable[Record]) -> Measure:
    """Early or on time, over the dossiers finished in the period and those still open at its end (assessed with
    the period end as their end time, notes §3.4)."""
    rows = list(dossiers)
    return Measure(sum(1 for d in rows if not _get(d, "late")), len(rows))


def average_processing_days(dossiers: Iterable[Record]) -> Decimal | None:
    """Mean working days used by the finished dossiers (supplement time excluded), one decimal, half up; ``None``
    when none finished."""
    days = [
        int(_get(d, "working_days_used"))
        for d in dossiers
        if _get(d, "finished") and _get(d, "working_days_used") is not None
    ]
    if not days:
        return None
    return (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------------------------
# Targets as data
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceTarget:
    """One indicator with its plan target (``None`` when the plan sets no number)."""

    code: str
    name: str
    target_percent: Decimal | None
    strictly_above: bool
    source: str
    numerator_label: str
    denominator_label: str
    records: str  # "procedures" or "dossiers": what ``compute`` reads
    compute: Callable[[Iterable[Record]], Measure]

    def met(self, measure: Measure) -> bool | None:
        """Whether ``measure`` reaches the target; ``None`` without data or without a target."""
        percent = measure.percent
        if percent is None or self.target_percent is None:
            return None
        return percent > self.target_percent if self.strictly_above else percent >= self.target_percent

    def as_kpi(self, compute: Callable[[Actor], Measure]) -> Kpi:
        """The registry's ``Kpi`` for this target, measured by ``compute`` over the actor's rows."""
        if self.target_percent is None:
            raise ValueError(f"{self.code} has no plan target")
        return Kpi(
            code=self.code,
            name=self.name,
            target_percent=self.target_percent,
            strictly_above=self.strictly_above,
            source=self.source,
            numerator_label=self.numerator_label,
            denominator_label=self.denominator_label,
            compute=compute,
        )


SERVICE_TARGETS: tuple[ServiceTarget, ...] = (
    ServiceTarget(
        code="tthc.procedures_full_online",
        name="Thủ tục hành chính cung cấp dịch vụ công trực tuyến toàn trình",
        target_percent=Decimal(95),
        strictly_above=False,  # "tối thiểu 95%"
        source=PLAN_SOURCE,
        numerator_label="Số thủ tục đang có hiệu lực được cung cấp trực tuyến toàn trình",
        denominator_label="Số thủ tục đang có hiệu lực đủ điều kiện cung cấp trực tuyến toàn trình",
        records="procedures",
        compute=procedures_fully_online,
    ),
    ServiceTarget(
        code="tthc.dossiers_full_online",
        name="Hồ sơ trực tuyến toàn trình trên tổng số hồ sơ thủ tục hành chính",
        target_percent=Decimal(70),
        strictly_above=False,  # "tối thiểu 70%"
        source=PLAN_SOURCE,
        numerator_label="Số hồ sơ nộp trực tuyến của thủ tục toàn trình, kết quả trả trực tuyến hoặc qua bưu chính",
        denominator_label="Tổng số hồ sơ tiếp nhận trong kỳ (mọi kênh)",
        records="dossiers",
        compute=dossiers_fully_online,
    ),
    ServiceTarget(
        code="tthc.online_payment",
        name="Thanh toán trực tuyến trên số hồ sơ thủ tục hành chính có phí, lệ phí",
        target_percent=Decimal(70),
        strictly_above=False,  # "tối thiểu 70%"
        source=PLAN_SOURCE,
        numerator_label="Số hồ sơ có phí, lệ phí đã thanh toán trực tuyến",
        denominator_label="Số hồ sơ tiếp nhận trong kỳ có phí, lệ phí",
        records="dossiers",
        compute=dossiers_paid_online,
    ),
    ServiceTarget(
        code="tthc.satisfaction",
        name="Mức độ hài lòng của người dân, doanh nghiệp trong giải quyết thủ tục hành chính",
        target_percent=Decimal(90),
        strictly_above=False,  # "đạt 90%"
        source=PLAN_SOURCE,
        numerator_label="Số hồ sơ đã giải quyết trừ số hồ sơ trễ hạn và trừ số hồ sơ bị phản ánh, kiến nghị "
        "(công thức QĐ 766: 100% − (% trễ hạn + % bị phản ánh))",
        denominator_label="Số hồ sơ đã giải quyết xong trong kỳ",
        records="dossiers",
        compute=satisfaction,
    ),
    ServiceTarget(
        code="tthc.digitised",
        name="Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
        target_percent=Decimal(100),
        strictly_above=False,  # "đạt 100%"
        source=PLAN_SOURCE,
        numerator_label="Số hồ sơ đã giải quyết xong có thành phần hồ sơ được số hóa và kết quả (nếu có) được số hóa",
        denominator_label="Số hồ sơ đã giải quyết xong trong kỳ",
        records="dossiers",
        compute=dossiers_digitised,
    ),
    ServiceTarget(
        code="tthc.on_time",
        name="Hồ sơ giải quyết trước hạn, đúng hạn",
        target_percent=None,  # the plan sets no number; QĐ 766 scores it
        strictly_above=False,
        source=INDEX_SOURCE,
        numerator_label="Số hồ sơ giải quyết trước hạn, đúng hạn (kể cả hồ sơ đang giải quyết chưa đến hạn)",
        denominator_label="Số hồ sơ đã giải quyết xong trong kỳ và hồ sơ còn đang giải quyết cuối kỳ",
        records="dossiers",
        compute=dossiers_on_time,
    ),
)

TARGETS_BY_CODE: dict[str, ServiceTarget] = {target.code: target for target in SERVICE_TARGETS}
