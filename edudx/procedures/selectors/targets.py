"""The public-service indicators of a period (KH 524/KH-PGDĐT mục 2.2, QĐ 766/QĐ-TTg), measured from the dossiers an
actor may see, for the whole period and month by month.

Which dossiers count (administration notes §3.4, §3.7; the formulas and labels are in ``..targets``):

* **Received in the period** (the intake indicators: fully online, paid online): ``received_at`` in the period —
  the desk's receipt (Mẫu 01). A dossier refused before receipt was never received and is not counted.
* **Finished in the period** (satisfaction, digitised, average time): received, and ``processed_at`` (approved,
  refused, stopped or withdrawn — the end of processing of §3.4) in the period.
* **On time**: the dossiers finished in the period and those still open at its end, each assessed by
  ``timeliness.assess`` with the period end (or now) as the end of an open dossier: supplement time excluded, more
  than one supplement request late. The deadline is the procedure version's time limit in working days (the
  appointment of the receipt is computed from it; ``Dossier.due_at`` itself moves with supplements and extension
  letters, which must not turn a late dossier into an on-time one). A version without a time limit falls back to
  the first appointment stored (the one before any extension letter).
* **Digitised** (notes §3.6): the components have files — uploaded online, reused from platform data, or, for a
  counter or postal dossier, every component scanned and marked digitised — and, when a result was issued, the
  result file is digitised. **Digitised results**: results issued in the period whose file is digitised.
* **Satisfaction** (QĐ 766 chỉ số 5.4, ``targets.satisfaction``): finished − late − complained, where a dossier is
  complained about when its applicant rated it "not satisfied" (1 or 2 stars of 5); the platform has no separate
  complaint register yet. The share of 4–5 star ratings among rated dossiers is given beside it, for information.

Everything is limited to ``policy_for(Dossier).visible(actor)`` intersected with the units where the actor holds
``servicekpi.view`` (a staff member's own applications elsewhere do not enter their unit's statistics). Counts are
SQL aggregates grouped by month; the on-time assessment reads the dossiers and their supplement events in two
queries and runs in Python (the working calendar is not in the database).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.api import Actor, OrgUnit, OrgUnitKind, ValidationFailed, paths_q, policy_for
from edudx.core.kpi import Measure

from ..catalogue import OnlineLevel, ResultDelivery, SubmissionChannel
from ..models import Dossier, DossierEvent, DossierFile, FileRole, ProcedureVersion
from ..states import DossierAction
from ..targets import (
    INDEX_SOURCE,
    PLAN_SOURCE,
    TARGETS_BY_CODE,
    ProcedureRecord,
    procedures_fully_online,
)
from ..timeliness import DossierHistory, Punctuality, SupplementRequest, assess
from ..workdays import VIETNAM_TIMEZONE, WorkCalendar
from .calendar import work_calendar

CAPABILITY = "servicekpi.view"
NOT_SATISFIED_MAX_RATING = 2  # 1–2 of 5 stars: "không hài lòng", counted as a complaint by chỉ số 5.4
SATISFIED_MIN_RATING = 4  # 4–5 of 5 stars: "hài lòng", "rất hài lòng"
MAX_MONTHS = 24

PERCENT = "percent"
DAYS = "days"


# ---------------------------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included, in Vietnamese time."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationFailed(_("Ngày kết thúc kỳ báo cáo phải sau ngày bắt đầu."), code="bad_period")

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, VIETNAM_TIMEZONE)

    @property
    def end_at(self) -> dt.datetime:
        """The first moment after the period (midnight after ``end``)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, VIETNAM_TIMEZONE)

    def months(self) -> list[Period]:
        """The calendar months of the period, the first and last cut to the period."""
        out = []
        first = self.start.replace(day=1)
        while first <= self.end:
            following = (first + dt.timedelta(days=32)).replace(day=1)
            out.append(Period(max(first, self.start), min(following - dt.timedelta(days=1), self.end)))
            first = following
        return out

    def label(self) -> str:
        return f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"


def default_period(today: dt.date | None = None) -> Period:
    """The current year up to today: the plan's targets are yearly."""
    today = today or timezone.localdate()
    return Period(today.replace(month=1, day=1), today)


def period_from(raw_from: str | None, raw_to: str | None, *, today: dt.date | None = None) -> Period:
    """A period from two ISO dates typed in a filter (either may be empty); ``ValidationFailed`` when they are not
    dates, are reversed, or span more than ``MAX_MONTHS`` months."""
    fallback = default_period(today)
    try:
        start = dt.date.fromisoformat(raw_from) if raw_from else fallback.start
        end = dt.date.fromisoformat(raw_to) if raw_to else max(fallback.end, start)
    except ValueError:
        raise ValidationFailed(_("Ngày của kỳ báo cáo không hợp lệ (dạng năm-tháng-ngày)."), code="bad_date") from None
    period = Period(start, end)
    if len(period.months()) > MAX_MONTHS:
        raise ValidationFailed(
            _("Kỳ báo cáo dài tối đa %(months)s tháng.") % {"months": MAX_MONTHS}, code="period_too_long"
        )
    return period


# ---------------------------------------------------------------------------------------------------------------
# Indicators
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """What the dashboard lists: the plan's targets (``..targets``) and the indicators measured beside them."""

    code: str
    name: str
    target_percent: Decimal | None
    strictly_above: bool
    source: str
    numerator_label: str
    denominator_label: str
    unit: str = PERCENT  # PERCENT: a ratio; DAYS: a mean in working days (no target)


def _from_target(code: str) -> Indicator:
    target = TARGETS_BY_CODE[code]
    return Indicator(
        code=target.code,
        name=target.name,
        target_percent=target.target_percent,
        strictly_above=target.strictly_above,
        source=target.source,
        numerator_label=target.numerator_label,
        denominator_label=target.denominator_label,
    )


DIGITISED_RESULTS = Indicator(
    code="tthc.digitised_results",
    name="Kết quả giải quyết thủ tục hành chính được số hóa",
    target_percent=Decimal(100),  # "100% … kết quả giải quyết TTHC được số hóa"
    strictly_above=False,
    source=PLAN_SOURCE,
    numerator_label="Số kết quả trả trong kỳ có tệp kết quả điện tử đã số hóa, ký số",
    denominator_label="Số hồ sơ đã trả kết quả trong kỳ",
)
AVERAGE_DAYS = Indicator(
    code="tthc.average_days",
    name="Thời gian giải quyết trung bình",
    target_percent=None,
    strictly_above=False,
    source=INDEX_SOURCE,
    numerator_label="Tổng số ngày làm việc đã dùng để giải quyết (không tính thời gian chờ bổ sung)",
    denominator_label="Số hồ sơ đã giải quyết xong trong kỳ",
    unit=DAYS,
)
RATED_SATISFIED = Indicator(
    code="tthc.rated_satisfied",
    name="Đánh giá hài lòng, rất hài lòng (4–5 sao)",
    target_percent=None,
    strictly_above=False,
    source="Đánh giá của người nộp hồ sơ trên EduDX",
    numerator_label="Số hồ sơ được đánh giá 4 hoặc 5 sao",
    denominator_label="Số hồ sơ đã giải quyết xong trong kỳ có đánh giá",
)

INDICATORS: tuple[Indicator, ...] = (
    _from_target("tthc.procedures_full_online"),
    _from_target("tthc.dossiers_full_online"),
    _from_target("tthc.online_payment"),
    _from_target("tthc.satisfaction"),
    _from_target("tthc.digitised"),
    DIGITISED_RESULTS,
    _from_target("tthc.on_time"),
    AVERAGE_DAYS,
    RATED_SATISFIED,
)
INDICATORS_BY_CODE: dict[str, Indicator] = {i.code: i for i in INDICATORS}


@dataclass(frozen=True)
class Reading:
    """One indicator measured over one period. ``measure`` holds numerator / denominator; for ``DAYS`` the
    numerator is the total of working days and ``value`` their mean (one decimal, half up)."""

    indicator: Indicator
    measure: Measure

    @property
    def value(self) -> Decimal | None:
        if self.indicator.unit == DAYS:
            if not self.measure.denominator:
                return None
            mean = Decimal(self.measure.numerator) / self.measure.denominator
            return mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return self.measure.percent

    @property
    def met(self) -> bool | None:
        """Whether the target is reached; ``None`` without data or without a target."""
        target = self.indicator.target_percent
        value = self.value
        if target is None or value is None or self.indicator.unit != PERCENT:
            return None
        return value > target if self.indicator.strictly_above else value >= target


@dataclass(frozen=True)
class MonthReadings:
    period: Period
    readings: dict[str, Reading]


@dataclass
class TargetsReport:
    period: Period
    unit: OrgUnit | None
    readings: list[Reading]
    months: list[MonthReadings] = field(default_factory=list)
    unassessed: int = 0  # dossiers whose history could not be assessed for timeliness (inconsistent entries)

    def reading(self, code: str) -> Reading:
        return next(r for r in self.readings if r.indicator.code == code)


# ---------------------------------------------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------------------------------------------


def kpi_units(actor: Actor) -> QuerySet[OrgUnit]:
    """Units the actor may filter the indicators by: open management units (not schools) in the subtrees where they
    hold ``servicekpi.view``, and any unit there that receives dossiers."""
    units = policy_for(OrgUnit).visible(actor).filter(paths_q("path", actor.subtree_paths(CAPABILITY)))
    return (
        units.filter(valid_to__isnull=True)
        .filter(~Q(kind=OrgUnitKind.SCHOOL) | Q(service_desks__isnull=False))
        .distinct()
        .order_by("path")
    )


def dossier_scope(actor: Actor, unit: OrgUnit | None = None) -> QuerySet[Dossier]:
    """The dossiers the indicators of ``actor`` read: visible to them, in their ``servicekpi.view`` units, under
    ``unit`` when given (a unit outside those gives nothing)."""
    paths = actor.subtree_paths(CAPABILITY)
    if not paths:
        return Dossier.objects.none()
    visible = policy_for(Dossier).visible(actor).values("pk")
    scope = Dossier.objects.filter(pk__in=visible).filter(paths_q("org_unit__path", paths))
    if unit is not None:
        scope = scope.filter(org_unit__path__startswith=unit.path)
    return scope


# ---------------------------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------------------------


def _month_key(moment: dt.datetime | dt.date | None) -> dt.date | None:
    if moment is None:
        return None
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(VIETNAM_TIMEZONE) if timezone.is_aware(moment) else moment
        return moment.date().replace(day=1)
    return moment.replace(day=1)


def _grouped(queryset: QuerySet[Any], moment: str, period: Period, **counts: Any) -> dict[dt.date, dict[str, int]]:
    """``counts`` aggregated per month of ``moment`` (a datetime field) within ``period``."""
    rows = (
        queryset.filter(**{f"{moment}__gte": period.start_at, f"{moment}__lt": period.end_at})
        .annotate(month=TruncMonth(moment, tzinfo=VIETNAM_TIMEZONE))
        .order_by()
        .values("month")
        .annotate(**counts)
    )
    out: dict[dt.date, dict[str, int]] = {}
    for row in rows:
        key = _month_key(row.pop("month"))
        if key is not None:
            bucket = out.setdefault(key, defaultdict(int))  # type: ignore[arg-type]
            for name, value in row.items():
                bucket[name] += int(value or 0)
    return out


def _sum(buckets: dict[dt.date, dict[str, int]], months: Iterable[dt.date], name: str) -> int:
    return sum(buckets.get(month, {}).get(name, 0) for month in months)


def _files(role: str, **extra: Any) -> Exists:
    return Exists(DossierFile.objects.filter(dossier=OuterRef("pk"), role=role, superseded=False, **extra))


def _intake_counts(scope: QuerySet[Dossier], period: Period) -> dict[dt.date, dict[str, int]]:
    fully_online = Q(channel=SubmissionChannel.ONLINE, procedure__online_level=OnlineLevel.FULL) & ~Q(
        result_delivery=ResultDelivery.COUNTER
    )
    return _grouped(
        scope,
        "received_at",
        period,
        received=Count("pk"),
        fully_online=Count("pk", filter=fully_online),
        fee_bearing=Count("pk", filter=Q(fee_vnd__gt=0)),
        paid_online=Count("pk", filter=Q(fee_vnd__gt=0, paid_online=True)),
    )


def _finished_counts(scope: QuerySet[Dossier], period: Period) -> dict[dt.date, dict[str, int]]:
    # A component sent again on a supplement request is on file as the supplement (the earlier file superseded).
    components = Q(_files(FileRole.COMPONENT)) | Q(_files(FileRole.SUPPLEMENT))
    # A paper component (counter, post) counts once scanned and marked digitised, or taken from platform data.
    paper_left = Q(channel__in=[SubmissionChannel.COUNTER, SubmissionChannel.POST]) & Q(
        _files(FileRole.COMPONENT, reused=False, digitised=False)
    )
    result_ok = Q(result_issued_at__isnull=True) | Q(_files(FileRole.RESULT, digitised=True))
    rated = Q(rating__isnull=False)
    return _grouped(
        scope.filter(received_at__isnull=False),
        "processed_at",
        period,
        finished=Count("pk"),
        digitised=Count("pk", filter=Q(components) & ~paper_left & result_ok),
        rated=Count("pk", filter=rated),
        rated_satisfied=Count("pk", filter=Q(rating__gte=SATISFIED_MIN_RATING)),
    )


def _result_counts(scope: QuerySet[Dossier], period: Period) -> dict[dt.date, dict[str, int]]:
    return _grouped(
        scope,
        "result_issued_at",
        period,
        issued=Count("pk"),
        digitised=Count("pk", filter=Q(_files(FileRole.RESULT, digitised=True))),
    )


def _procedure_rows() -> list[dict[str, Any]]:
    rows = ProcedureVersion.objects.values(
        "key", "version", "online_level", "valid_from", "valid_to", "data__full_online_eligible"
    )
    return [dict(row) for row in rows]


def _procedures_measure(rows: Sequence[dict[str, Any]], day: dt.date) -> Measure:
    """The newest version of each procedure in force on ``day`` (the catalogue is the same for every unit)."""
    newest: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["valid_from"] <= day and (row["valid_to"] is None or row["valid_to"] >= day):
            if row["key"] not in newest or newest[row["key"]]["version"] < row["version"]:
                newest[row["key"]] = row
    return procedures_fully_online(
        ProcedureRecord(
            key=row["key"],
            online_level=row["online_level"],
            full_online_eligible=row["data__full_online_eligible"] is not False,
        )
        for row in newest.values()
    )


# -- Timeliness --------------------------------------------------------------------------------------------------

SUPPLEMENT_REQUESTS = (DossierAction.REQUEST_SUPPLEMENT, DossierAction.REQUEST_COMPLETION)


@dataclass
class _Timed:
    """A dossier as the on-time rule reads it."""

    pk: int
    received_at: dt.datetime
    processed_at: dt.datetime | None
    processing_days: int | None
    appointment_at: dt.datetime | None
    rating: int | None
    events: list[tuple[str, dt.datetime]] = field(default_factory=list)  # supplement requests and answers


def _timed_dossiers(scope: QuerySet[Dossier], period: Period) -> list[_Timed]:
    """Dossiers received before the period ends and not finished before it starts, with their supplement steps."""
    rows = scope.filter(received_at__isnull=False, received_at__lt=period.end_at).filter(
        Q(processed_at__isnull=True) | Q(processed_at__gte=period.start_at)
    )
    timed = {
        row["pk"]: _Timed(
            pk=row["pk"],
            received_at=row["received_at"],
            processed_at=row["processed_at"],
            processing_days=row["procedure__processing_days"],
            appointment_at=row["due_at"],
            rating=row["rating"],
        )
        for row in rows.values("pk", "received_at", "processed_at", "procedure__processing_days", "due_at", "rating")
        if row["received_at"] is not None
    }
    if not timed:
        return []
    events = (
        DossierEvent.objects.filter(dossier_id__in=rows.values("pk"))
        .filter(action__in=[*SUPPLEMENT_REQUESTS, DossierAction.SUBMIT_SUPPLEMENT, DossierAction.APOLOGISE_AND_EXTEND])
        .order_by("dossier_id", "at", "pk")
        .values_list("dossier_id", "action", "at", "data")
    )
    first_due: dict[int, dt.datetime] = {}
    for dossier_id, action, at, data in events:
        item = timed.get(dossier_id)
        if item is None:
            continue
        if action == DossierAction.APOLOGISE_AND_EXTEND:
            old = (data or {}).get("old_due_at")
            if old and dossier_id not in first_due:
                first_due[dossier_id] = dt.datetime.fromisoformat(old)
            continue
        item.events.append((action, at))
    for dossier_id, due in first_due.items():
        timed[dossier_id].appointment_at = due  # the appointment before any extension letter
    return list(timed.values())


def _history(item: _Timed, until: dt.datetime) -> DossierHistory:
    """The dossier's history as known at ``until`` (its end, or the end of the reporting window)."""
    supplements: list[SupplementRequest] = []
    for action, at in item.events:
        if at > until:
            break
        if action in SUPPLEMENT_REQUESTS:
            supplements.append(SupplementRequest(requested_at=at))
        elif supplements and supplements[-1].answered_at is None:
            supplements[-1] = SupplementRequest(supplements[-1].requested_at, at)
    finished_at = item.processed_at if item.processed_at is not None and item.processed_at <= until else None
    return DossierHistory(
        received_at=item.received_at,
        # The statutory limit gives the receipt's appointment; a version without one falls back to the stored date.
        processing_days=item.processing_days,
        appointment_at=item.appointment_at if item.processing_days is None else None,
        supplements=tuple(supplements),
        finished_at=finished_at,
    )


@dataclass
class _TimelinessTally:
    counted: int = 0
    on_time: int = 0
    finished: int = 0
    finished_late: int = 0
    complained: int = 0
    days_total: int = 0
    days_counted: int = 0
    unassessed: int = 0


def _tally(items: Sequence[_Timed], window: Period, now: dt.datetime, calendar: WorkCalendar) -> _TimelinessTally:
    start, end = window.start_at, window.end_at
    as_of = min(end, now)
    tally = _TimelinessTally()
    for item in items:
        if item.received_at >= end:
            continue
        finished_in_window = item.processed_at is not None and start <= item.processed_at < end
        open_at_end = item.processed_at is None or item.processed_at >= end
        if not (finished_in_window or open_at_end):
            continue
        until = item.processed_at if finished_in_window and item.processed_at is not None else as_of
        if until < item.received_at:
            continue  # received after "now" within the window: nothing to assess yet
        try:
            assessment = assess(
                _history(item, until), calendar=calendar, as_of=as_of if not finished_in_window else None
            )
        except ValidationFailed:
            tally.unassessed += 1
            continue
        late = assessment.punctuality == Punctuality.LATE
        tally.counted += 1
        tally.on_time += 0 if late else 1
        if finished_in_window:
            tally.finished += 1
            tally.finished_late += int(late)
            tally.complained += int(item.rating is not None and item.rating <= NOT_SATISFIED_MAX_RATING)
            tally.days_total += assessment.working_days_used
            tally.days_counted += 1
    return tally


# -- Assembling --------------------------------------------------------------------------------------------------


def _readings(
    months: Sequence[dt.date],
    intake: dict[dt.date, dict[str, int]],
    finished: dict[dt.date, dict[str, int]],
    results: dict[dt.date, dict[str, int]],
    procedures: Measure,
    timeliness: _TimelinessTally,
) -> dict[str, Reading]:
    def ratio(counts: dict[dt.date, dict[str, int]], numerator: str, denominator: str) -> Measure:
        return Measure(_sum(counts, months, numerator), _sum(counts, months, denominator))

    # Satisfaction (chỉ số 5.4) over the finished dossiers that could be assessed; never below zero.
    satisfied = max(0, timeliness.finished - timeliness.finished_late - timeliness.complained)
    measures = {
        "tthc.procedures_full_online": procedures,
        "tthc.dossiers_full_online": ratio(intake, "fully_online", "received"),
        "tthc.online_payment": ratio(intake, "paid_online", "fee_bearing"),
        "tthc.satisfaction": Measure(satisfied, timeliness.finished),
        "tthc.digitised": ratio(finished, "digitised", "finished"),
        "tthc.digitised_results": ratio(results, "digitised", "issued"),
        "tthc.on_time": Measure(timeliness.on_time, timeliness.counted),
        "tthc.average_days": Measure(timeliness.days_total, timeliness.days_counted),
        "tthc.rated_satisfied": ratio(finished, "rated_satisfied", "rated"),
    }
    return {code: Reading(INDICATORS_BY_CODE[code], measure) for code, measure in measures.items()}


def targets_report(
    *,
    actor: Actor,
    period: Period,
    unit: OrgUnit | None = None,
    by_month: bool = True,
    codes: Iterable[str] | None = None,
    now: dt.datetime | None = None,
) -> TargetsReport:
    """Every indicator over ``period`` for the dossiers ``actor`` may count (``dossier_scope``), optionally under
    ``unit``, with one reading per month when ``by_month``. ``codes`` limits the work to some indicators (the
    others read zero)."""
    now = now or timezone.now()
    wanted = set(codes) if codes is not None else set(INDICATORS_BY_CODE)
    scope = dossier_scope(actor, unit)
    all_months = [m.start.replace(day=1) for m in period.months()]
    intake_codes = {"tthc.dossiers_full_online", "tthc.online_payment"}
    finished_codes = {"tthc.digitised", "tthc.rated_satisfied"}
    timed_codes = {"tthc.satisfaction", "tthc.on_time", "tthc.average_days"}
    intake = _intake_counts(scope, period) if wanted & intake_codes else {}
    finished = _finished_counts(scope, period) if wanted & finished_codes else {}
    results = _result_counts(scope, period) if "tthc.digitised_results" in wanted else {}
    has_kpi_scope = bool(actor.subtree_paths(CAPABILITY))
    procedure_rows = _procedure_rows() if "tthc.procedures_full_online" in wanted and has_kpi_scope else []
    timed = _timed_dossiers(scope, period) if wanted & timed_codes else []
    calendar = work_calendar() if timed else WorkCalendar()
    today = timezone.localdate(now)

    def procedures_on(window: Period) -> Measure:
        return _procedures_measure(procedure_rows, min(window.end, today)) if procedure_rows else Measure(0, 0)

    whole = _tally(timed, period, now, calendar)
    report = TargetsReport(
        period=period,
        unit=unit,
        readings=list(_readings(all_months, intake, finished, results, procedures_on(period), whole).values()),
        unassessed=whole.unassessed,
    )
    if by_month:
        for month in period.months():
            if month.start > today:
                break
            key = [month.start.replace(day=1)]
            tally = _tally(timed, month, now, calendar)
            readings = _readings(key, intake, finished, results, procedures_on(month), tally)
            report.months.append(MonthReadings(month, readings))
    return report


def measure_for_kpi(actor: Actor, code: str, period: Period | None = None) -> Measure:
    """One indicator's numerator / denominator over ``period`` (default: this year to date), for the KPI registry."""
    report = targets_report(actor=actor, period=period or default_period(), by_month=False, codes=[code])
    return report.reading(code).measure
