"""Demo data of the public services: receiving desks, the working calendar, and (below) the demo's dossiers.

Loaded after the registry's demo (``load_demo``), whose tree has the five ward committees that replaced the city of
Thủ Dầu Một on 1/7/2025. Every function is idempotent: running the demo loader twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from edudx.core.api import AuthorityKind, OrgUnit, OrgUnitKind, audit

from .dossier_codes import format_code
from .models import CalendarDay, CalendarDayKind, ServiceDesk
from .workdays import VIETNAM_TIMEZONE, add_working_days, deadline_for, is_working_day, next_working_day

# Level-1 code of the demo's electronic identifiers. The province's real identifiers (QĐ 20/2020/QĐ-TTg, changed
# by the 2025 mergers) were not found; the demo codes only follow the format that ``dossier_codes`` checks.
DEMO_LEVEL_ONE = "H56"
DEMO_DESKS_FROM = dt.date(2025, 7, 1)  # the wards exist from the reform day

# Official days off and make-up days of 2026 that the ``holidays`` package (0.109) does not list.
# Tết Nguyên đán 2026 (14/2–22/2), the Giỗ Tổ day in lieu (27/4) and the 2/9 swap (31/8 ↔ 22/8) are in the
# package already. Source [secondary: press reports of the letter]: Công văn 12729/VPCP-KGVX (25/12/2025) —
# Tết Dương lịch 2026 off from Thursday 1/1 to Sunday 4/1, Friday 2/1 swapped with Saturday 10/1.
CALENDAR_2026: tuple[tuple[dt.date, str, str], ...] = (
    (
        dt.date(2026, 1, 2),
        CalendarDayKind.DAY_OFF,
        "Nghỉ Tết Dương lịch 2026 (hoán đổi, làm bù thứ Bảy 10/01/2026) — Công văn 12729/VPCP-KGVX",
    ),
    (
        dt.date(2026, 1, 10),
        CalendarDayKind.WORKING_DAY,
        "Làm bù cho ngày 02/01/2026 (nghỉ Tết Dương lịch) — Công văn 12729/VPCP-KGVX",
    ),
)


@transaction.atomic
def load_desks_and_calendar() -> dict[str, int]:
    """A Bộ phận Một cửa for every open authority unit of the demo and the 2026 days of ``CALENDAR_2026``.

    Desk identifiers are ``H56.<nn>.01`` by the units' name order (``H56.01.01``, ``H56.02.01``…), valid from
    1/7/2025 with the unit's address and phone. Units that already have a desk keep it. Returns what was added.
    """
    added = {"desks": 0, "calendar_days": 0}
    units = OrgUnit.objects.filter(kind=OrgUnitKind.AUTHORITY, valid_to__isnull=True).order_by("name", "pk")
    used = set(ServiceDesk.objects.values_list("unit_code", flat=True))
    number = 0
    for unit in units:
        number += 1
        if ServiceDesk.objects.filter(org_unit=unit).exists():
            continue
        code = f"{DEMO_LEVEL_ONE}.{number:02d}.01"
        while code in used:  # never give a unit an identifier another unit holds
            number += 1
            code = f"{DEMO_LEVEL_ONE}.{number:02d}.01"
        desk = ServiceDesk.objects.create(
            org_unit=unit,
            unit_code=code,
            valid_from=max(DEMO_DESKS_FROM, unit.valid_from),
            address=unit.address,
            phone=unit.phone,
        )
        used.add(code)
        added["desks"] += 1
        audit.record(
            actor=None,
            action="desk.set_identifier",
            obj=desk,
            org_unit=unit,
            after=audit.snapshot(desk, fields=["unit_code", "valid_from"]),
            reason="Dữ liệu demo",
        )
    for day, kind, name in CALENDAR_2026:
        _row, created = CalendarDay.objects.get_or_create(day=day, defaults={"kind": kind, "name": name})
        added["calendar_days"] += int(created)
    return added


# ---------------------------------------------------------------------------------------------------------------
# The demo's dossiers (targets dashboard, queues, register, the demo guardian's own dossiers)
# ---------------------------------------------------------------------------------------------------------------

DEMO_MARKER = "demo.load_procedures"
DEMO_MONTHS = 6
DEMO_DOSSIERS = 320
DEMO_GUARDIAN = "phuhuynh"
DEMO_CITIZEN = "nguoidan"
DEMO_DESK_OFFICER = "chuyenvien"
DEMO_LEADER = "lanhdao"
# What the ward committees of Thủ Dầu Một receive, with weights. Only versions with a time limit in working days:
# a version without one has no appointment to measure on-time against.
DEMO_MIX: tuple[tuple[str, int], ...] = (
    ("school_transfer_same_province", 34),
    ("school_transfer_other_province", 10),
    ("diploma_copy_from_register", 18),
    ("diploma_correction", 8),
    ("allow_operation_preschool", 4),
    ("establish_independent_preschool", 3),
    ("establish_primary", 2),
    ("reorganise_primary", 2),
    ("dissolve_independent_preschool", 1),
)
HOME_WARD = "Ủy ban nhân dân phường Thủ Dầu Một"  # where the demo's staff accounts work: half of the dossiers
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Phan", "Trương", "Bùi", "Đặng", "Đỗ", "Ngô")
MIDDLE_NAMES = ("Văn", "Thị", "Minh", "Thanh", "Ngọc", "Hoàng", "Quốc", "Thu", "Hữu", "Kim")
GIVEN_NAMES = ("An", "Bình", "Châu", "Dũng", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Linh", "Long", "Mai", "Nam",
               "Phúc", "Phương", "Quang", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến")  # fmt: skip
_SUBMISSION_NOTES = {
    "online": "Nộp hồ sơ trực tuyến",
    "counter": "Nhận hồ sơ tại Bộ phận Một cửa",
    "post": "Nhận hồ sơ qua dịch vụ bưu chính công ích",
}


def _demo_png() -> bytes:
    """A small scanned-looking page (PNG) used as the content of the bulk demo files."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 320), "white")
    draw = ImageDraw.Draw(image)
    for y in range(40, 300, 18):
        draw.line((24, y, 216, y), fill=(180, 180, 180), width=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class _Plan:
    """One bulk demo dossier: its fields and its steps (``(action, from, to, at, kind, extra)``), as the services
    would have written them."""

    dossier: Any
    steps: list[tuple[str, str, str, dt.datetime, str, dict[str, Any]]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)


def load_procedures_demo(*, seed: int = 2026, now: dt.datetime | None = None) -> dict[str, int]:
    """A few hundred dossiers over the last ``DEMO_MONTHS`` months at the five ward committees, in every state, and
    two dossiers of the demo guardian. Does nothing when it ran already (an audit event marks it).

    Also loads what it needs first: the desks and calendar (``load_desks_and_calendar``), the payment accounts
    (``payments.demo.load_payment_accounts``) and a seal for every ward committee.

    How it is written: the guardian's two dossiers go through the real services (``submit_dossier``,
    ``apply_action``, ``result_issue``, ``dossier_rate``) with past moments. The bulk dossiers are written with
    ``bulk_create`` for speed, with the same shapes the services write — the code from the day's sequence (the
    ``DossierSequence`` rows are moved past them so later submissions continue the numbering), one
    ``DossierEvent`` per step with its form number and hand-over outcome, ``due_at`` from the working calendar and
    moved by supplement time, ``processed_at`` / ``result_issued_at`` / ratings — but without one audit event and
    one notification per step: a single audit event records the load. Their component and result files are small
    placeholder images flagged as the services flag them (a scanned counter component digitised, an electronic
    result digitised), not signed PDFs; the guardian's result is a real sealed PDF.
    """
    import random

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from edudx.core.api import AuditEvent, DomainError

    now = now or timezone.now()
    added = load_desks_and_calendar()
    result: dict[str, int] = {"desks": added["desks"], "calendar_days": added["calendar_days"]}
    from edudx.payments import demo as payments_demo

    payments_demo.load_payment_accounts()
    if AuditEvent.objects.filter(action=DEMO_MARKER).exists():
        result["dossiers"] = 0
        return result
    wards = _demo_wards()
    if not wards:
        result["dossiers"] = 0
        return result
    _ensure_seals(wards.values())
    users = {u.username: u for u in get_user_model().objects.filter(username__in=[
        DEMO_GUARDIAN, DEMO_CITIZEN, DEMO_DESK_OFFICER, DEMO_LEADER])}  # fmt: skip
    rng = random.Random(seed)
    with transaction.atomic():
        count = _bulk_dossiers(rng, wards, users, now)
        audit.record(
            actor=None,
            action=DEMO_MARKER,
            object_type="demo",
            object_id="procedures",
            object_label="Hồ sơ thủ tục hành chính demo",
            after={"dossiers": count, "months": DEMO_MONTHS},
        )
    result["dossiers"] = count
    guardian = users.get(DEMO_GUARDIAN)
    result["guardian_dossiers"] = 0
    if guardian is not None:
        try:
            result["guardian_dossiers"] = _guardian_dossiers(guardian, users, now)
        except DomainError as exc:  # the demo must start even if a service refuses; say why
            result["guardian_dossiers"] = 0
            result["guardian_error"] = 1
            import logging

            logging.getLogger(__name__).warning("Hồ sơ demo của phụ huynh chưa tạo được: %s", exc.message)
    return result


def _demo_wards() -> dict[str, OrgUnit]:
    """The open ward committees that have a desk, by name."""
    units = OrgUnit.objects.filter(
        kind=OrgUnitKind.AUTHORITY,
        authority_kind=AuthorityKind.WARD_COMMITTEE,
        valid_to__isnull=True,
        service_desks__isnull=False,
    ).distinct()
    return {u.name: u for u in units.order_by("name")}


def _full_name(rng: Any) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"


def _phone(rng: Any) -> str:
    return rng.choice(("090", "091", "093", "097", "098", "086", "077")) + f"{rng.randint(0, 9_999_999):07d}"


def _ensure_seals(units: Iterable[OrgUnit]) -> None:
    from edudx.core.credentials import SigningCredential, issue_seal_for_unit

    for unit in units:
        if not SigningCredential.objects.filter(org_unit=unit).exists():
            issue_seal_for_unit(unit)


def _bulk_dossiers(rng: Any, wards: dict[str, OrgUnit], users: dict[str, Any], now: dt.datetime) -> int:
    from edudx.registry.api import Student

    from .models import Dossier, DossierEvent, DossierFile, DossierSequence, ProcedureVersion
    from .selectors.calendar import work_calendar

    calendar = work_calendar()
    versions = {}
    for key, _weight in DEMO_MIX:
        version = ProcedureVersion.objects.filter(key=key).order_by("-version").first()
        if version is not None and version.processing_days is not None:
            versions[key] = version
    if not versions:
        return 0
    desks: dict[str, ServiceDesk] = {}
    for name, unit in wards.items():
        desk = ServiceDesk.objects.filter(org_unit=unit).order_by("-valid_from").first()
        if desk is not None:  # ``_demo_wards`` returns only units with a desk
            desks[name] = desk
    pupils = {
        key: list(
            Student.objects.filter(school__path__startswith=unit.path, status="studying")
            .select_related("person", "school")
            .order_by("pk")[:400]
        )
        for key, unit in wards.items()
    }
    png = _demo_png()
    digest = hashlib.sha256(png).hexdigest()
    start = now - dt.timedelta(days=30 * DEMO_MONTHS)
    keys = [k for k, _w in DEMO_MIX if k in versions]
    key_weights = [w for k, w in DEMO_MIX if k in versions]
    ward_keys = list(wards)
    ward_weights = [len(ward_keys) if k == HOME_WARD else 1 for k in ward_keys]
    plans: list[_Plan] = []
    for _ in range(DEMO_DOSSIERS):
        ward_key = rng.choices(ward_keys, ward_weights)[0]
        version = versions[rng.choices(keys, key_weights)[0]]
        submitted = _random_moment(rng, start, now - dt.timedelta(hours=2), calendar)
        plans.append(
            _plan(
                rng,
                version,
                wards[ward_key],
                ward_key == HOME_WARD,
                pupils.get(ward_key) or [],
                users,
                submitted,
                now,
                calendar,
            )
        )
    plans.sort(key=lambda p: p.dossier.submitted_at)
    # Codes: the day's sequence per receiving desk, continuing any numbers already given that day.
    counters: dict[tuple[str, dt.date], int] = {}
    existing = {
        (s.unit_code, s.day): s.last
        for s in DossierSequence.objects.filter(unit_code__in=[d.unit_code for d in desks.values()])
    }
    for plan in plans:
        dossier = plan.dossier
        desk = desks[dossier._unit.name]
        day = dossier.submitted_at.astimezone(VIETNAM_TIMEZONE).date()
        sequence_key = (desk.unit_code, day)
        counters[sequence_key] = counters.get(sequence_key, existing.get(sequence_key, 0)) + 1
        dossier.code = format_code(unit_code=desk.unit_code, received_on=day, sequence=counters[sequence_key])
    Dossier.objects.bulk_create([p.dossier for p in plans], batch_size=200)
    for (unit_code, day), last in counters.items():
        DossierSequence.objects.update_or_create(unit_code=unit_code, day=day, defaults={"last": last})
    events = []
    files = []
    for plan in plans:
        for action, source, target, moment, kind, extra in plan.steps:
            events.append(DossierEvent(dossier=plan.dossier, action=action, from_state=source, to_state=target,
                                       at=moment, actor_kind=kind, **extra))  # fmt: skip
        for spec in plan.files:
            files.append(DossierFile(dossier=plan.dossier, filename=spec.pop("filename"), content_type="image/png",
                                     size=len(png), sha256=digest, content=png, **spec))  # fmt: skip
    DossierEvent.objects.bulk_create(events, batch_size=500)
    DossierFile.objects.bulk_create(files, batch_size=200)
    return len(plans)


def _random_moment(rng: Any, start: dt.datetime, end: dt.datetime, calendar: Any) -> dt.datetime:
    """Mostly working hours of working days; some online submissions in the evening or at the weekend."""
    span = (end - start).total_seconds()
    for _attempt in range(50):
        moment = (start + dt.timedelta(seconds=rng.random() * span)).astimezone(VIETNAM_TIMEZONE)
        after_hours = rng.random() < 0.12
        if after_hours or (is_working_day(moment.date(), calendar) and 7 <= moment.hour < 17):
            return moment
    return end


def _at_hour(day: dt.date, rng: Any, first: int = 8, last: int = 16) -> dt.datetime:
    return dt.datetime.combine(
        day, dt.time(rng.randint(first, last), rng.choice((0, 10, 20, 30, 40, 50))), VIETNAM_TIMEZONE
    )


def _plan(
    rng: Any,
    version: Any,
    unit: OrgUnit,
    local_staff: bool,
    pupils: list[Any],
    users: dict[str, Any],
    submitted: dt.datetime,
    now: dt.datetime,
    calendar: Any,
) -> _Plan:
    """One dossier's whole life drawn at random, cut at ``now`` (what had not happened yet is left out)."""
    from .catalogue import OnlineLevel, ResultDelivery, SubmissionChannel
    from .models import Dossier, FileRole
    from .states import ActorKind as K
    from .states import DossierAction as A
    from .states import DossierState as S
    from .states import FormNumber as F

    desk_user = users.get(DEMO_DESK_OFFICER) if local_staff else None
    leader = users.get(DEMO_LEADER) if local_staff else None
    handler = desk_user
    full = version.online_level == OnlineLevel.FULL
    roll = rng.random()
    channel = (
        SubmissionChannel.ONLINE
        if roll < (0.86 if full else 0.55)
        else (SubmissionChannel.POST if roll > 0.97 else SubmissionChannel.COUNTER)
    )
    delivery = ResultDelivery.ONLINE
    if channel != SubmissionChannel.ONLINE or rng.random() < 0.06:
        delivery = rng.choice((ResultDelivery.COUNTER, ResultDelivery.COUNTER, ResultDelivery.POST))
    pupil = rng.choice(pupils) if pupils and version.key.startswith("school_transfer") else None
    name = _full_name(rng)
    applicant = users.get(DEMO_CITIZEN) if channel == SubmissionChannel.ONLINE and rng.random() < 0.03 else None
    form_data: dict[str, Any] = {}
    if pupil is not None:
        form_data = {
            "student": pupil.moet_code,
            "student_full_name": pupil.person.full_name,
            "current_school": pupil.school.name,
            "origin": "same_province" if version.key.endswith("same_province") else "other_province",
            "reason": "Gia đình chuyển nơi ở",
            "guardian_full_name": name,
            "result_delivery": str(delivery),
        }
    fee = int(version.fee_vnd or 0)
    dossier = Dossier(
        procedure=version, org_unit=unit, channel=channel, result_delivery=delivery, state=S.SUBMITTED,
        applicant=applicant, applicant_name=applicant.full_name if applicant else name,
        applicant_phone=_phone(rng), student=pupil, form_data=form_data,
        prefilled_fields=[k for k in ("student_full_name", "current_school") if k in form_data],
        submitted_at=submitted, fully_online=channel == SubmissionChannel.ONLINE and full, fee_vnd=fee,
    )  # fmt: skip
    dossier._unit = unit  # type: ignore[attr-defined]
    plan = _Plan(dossier)
    scanned = channel != SubmissionChannel.ONLINE and rng.random() < 0.9
    plan.files.append(
        {"role": FileRole.COMPONENT, "component": "Thành phần hồ sơ", "filename": "thanh-phan-ho-so.png",
         "digitised": scanned, "signed": scanned, "uploaded_by": desk_user if scanned else None}
    )  # fmt: skip
    submitter_kind = K.CITIZEN if channel == SubmissionChannel.ONLINE else K.DESK
    state: str = S.SUBMITTED
    steps: list[tuple[str, str, str, dt.datetime, str, dict[str, Any]]] = [
        ("", "", S.SUBMITTED, submitted, submitter_kind,
         {"note": _SUBMISSION_NOTES[channel], "actor": applicant if applicant else desk_user if channel != "online" else None}),
    ]  # fmt: skip

    def step(action: str, target: str, moment: dt.datetime, kind: str, actor: Any = None, **extra: Any) -> None:
        nonlocal state
        steps.append((action, state, target, moment, kind, {"actor": actor, **extra}))
        state = target

    # Receipt: the next working morning for online dossiers, at once at the counter.
    moment = submitted + dt.timedelta(minutes=rng.randint(5, 40))
    if channel != SubmissionChannel.COUNTER:
        moment = _at_hour(next_working_day(submitted.date(), calendar), rng, 8, 11)
    fate = rng.random()
    if fate < 0.03:
        step(A.REFUSE, S.REFUSED, moment, K.DESK, desk_user, note="Hồ sơ không thuộc thẩm quyền giải quyết.",
             form_number=F.REFUSAL)  # fmt: skip
        dossier.processed_at = moment
        return _cut(plan, steps, now, rng)
    if fate < 0.07:
        step(A.REQUEST_COMPLETION, S.NEEDS_COMPLETION, moment, K.DESK, desk_user,
             note="Bổ sung bản sao giấy khai sinh.", form_number=F.SUPPLEMENT_REQUEST)  # fmt: skip
        moment = _at_hour(add_working_days(moment, rng.randint(1, 3), calendar), rng)
        step(A.SUBMIT_SUPPLEMENT, S.SUBMITTED, moment, submitter_kind, applicant)
        moment = moment + dt.timedelta(hours=1)
    received_at = moment
    days = int(version.processing_days)
    due = deadline_for(received_at, days, calendar)
    step(A.RECEIVE, S.RECEIVED, received_at, K.DESK, desk_user, form_number=F.RECEIPT)
    dossier.received_at, dossier.received_by, dossier.due_at = received_at, desk_user, due
    moment = received_at + dt.timedelta(minutes=rng.randint(10, 90))
    step(A.ASSIGN, S.ASSIGNED, moment, K.DESK, desk_user, to_user=handler, form_number=F.CONTROL_SHEET,
         step_outcome="early" if moment.date() < due.date() else "on_time")  # fmt: skip
    dossier.handler = handler
    moment += dt.timedelta(minutes=rng.randint(10, 120))
    step(A.START_PROCESSING, S.PROCESSING, moment, K.HANDLER, handler, form_number=F.CONTROL_SHEET)
    # Supplements during processing: one for about one dossier in eight, two (late by rule) for a few.
    pauses: list[tuple[dt.datetime, dt.datetime | None]] = []
    supplements = 2 if rng.random() < 0.025 else (1 if rng.random() < 0.12 else 0)
    for _n in range(supplements):
        moment = _at_hour(add_working_days(moment, rng.randint(0, max(1, days // 2)), calendar), rng)
        step(A.REQUEST_SUPPLEMENT, S.SUPPLEMENT_REQUESTED, moment, K.HANDLER, handler,
             note="Đề nghị bổ sung bản tổng hợp kết quả học tập có xác nhận của nhà trường.",
             form_number=F.SUPPLEMENT_REQUEST)  # fmt: skip
        dossier.supplement_requests += 1
        if rng.random() < 0.04:
            return _cut(plan, steps, now, rng)  # never answered
        answered = _at_hour(add_working_days(moment, rng.randint(1, 4), calendar), rng)
        pauses.append((moment, answered))
        step(A.SUBMIT_SUPPLEMENT, S.PROCESSING, answered, submitter_kind, applicant, form_number=F.CONTROL_SHEET)
        plan.files.append({"role": FileRole.SUPPLEMENT, "component": "Hồ sơ bổ sung", "filename": "bo-sung.png"})
        due = deadline_for(received_at, days, calendar, pauses)
        dossier.due_at = due
        moment = answered
    if rng.random() < 0.02:
        step(A.WITHDRAW, S.WITHDRAWN, moment + dt.timedelta(hours=2), K.CITIZEN, applicant, form_number="",
             note="Gia đình không chuyển trường nữa.")  # fmt: skip
        dossier.processed_at = moment + dt.timedelta(hours=2)
        return _cut(plan, steps, now, rng)
    # The end of processing: most within the time limit, some late (with an apology and a new date).
    late = rng.random() < 0.08
    used = days + rng.randint(1, 4) if late else rng.randint(max(0, days // 3), days)
    end_day = add_working_days(received_at, used, calendar, pauses)
    approve_at = _at_hour(end_day, rng, 9, 16)
    if approve_at <= moment:
        approve_at = moment + dt.timedelta(hours=1)
    if late and rng.random() < 0.6:
        letter = _at_hour(add_working_days(received_at, max(0, days - 1), calendar, pauses), rng, 8, 10)
        if moment < letter < approve_at:
            new_due = deadline_for(received_at, used + 1, calendar, pauses)
            step(A.APOLOGISE_AND_EXTEND, state, letter, K.HANDLER, handler, form_number=F.APOLOGY_EXTENSION,
                 note="Hồ sơ cần xác minh thêm với trường nơi đi.",
                 data={"old_due_at": due.isoformat(), "new_due_at": new_due.isoformat()})  # fmt: skip
            dossier.due_at = new_due
    if rng.random() < 0.02:
        step(A.STOP, S.STOPPED, approve_at, K.LEADER, leader, note="Người nộp đề nghị dừng giải quyết.",
             form_number=F.STOP_NOTICE)  # fmt: skip
        dossier.processed_at = approve_at
        return _cut(plan, steps, now, rng)

    def outcome(moment: dt.datetime) -> str:
        current_due = dossier.due_at or due
        if moment.date() < current_due.date():
            return "early"
        return "on_time" if moment <= current_due else "late"

    submit_at = approve_at - dt.timedelta(hours=rng.randint(1, 3))
    submit_at = max(submit_at, moment + dt.timedelta(minutes=30))
    step(A.SUBMIT_FOR_APPROVAL, S.AWAITING_APPROVAL, submit_at, K.HANDLER, handler, form_number=F.CONTROL_SHEET,
         step_outcome=outcome(submit_at))  # fmt: skip
    approve_at = max(approve_at, submit_at + dt.timedelta(minutes=20))
    step(A.APPROVE, S.APPROVED, approve_at, K.LEADER, leader, form_number=F.CONTROL_SHEET,
         step_outcome=outcome(approve_at))  # fmt: skip
    dossier.processed_at = approve_at
    issue_at = approve_at + dt.timedelta(minutes=rng.randint(20, 600))
    electronic = delivery == ResultDelivery.ONLINE
    step(A.ISSUE_RESULT, S.RESULT_ISSUED, issue_at, K.SYSTEM if electronic else K.DESK,
         None if electronic else desk_user, form_number=F.CONTROL_SHEET)  # fmt: skip
    dossier.result_issued_at = issue_at
    digitised_result = rng.random() < 0.96
    plan.files.append({"role": FileRole.RESULT, "component": "Kết quả giải quyết", "filename": "ket-qua.png",
                       "digitised": digitised_result})  # fmt: skip
    if rng.random() < 0.62:
        rated_at = issue_at + dt.timedelta(hours=rng.randint(2, 72))
        rating = rng.choices((5, 4, 3, 2, 1), (55, 28, 9, 5, 3))[0]
        if late and rating > 3 and rng.random() < 0.4:
            rating -= 2
        if rated_at <= now:
            dossier.rating, dossier.rated_at = rating, rated_at
            steps.append(("", S.RESULT_ISSUED, S.RESULT_ISSUED, rated_at, K.CITIZEN,
                          {"actor": applicant, "note": f"Đánh giá mức độ hài lòng: {rating}/5.",
                           "data": {"rating": rating}}))  # fmt: skip
    if fee:
        dossier.paid_online = channel == SubmissionChannel.ONLINE and rng.random() < 0.8
        dossier.paid_at = received_at if dossier.paid_online or rng.random() < 0.7 else None
    return _cut(plan, steps, now, rng)


def _cut(
    plan: _Plan, steps: list[tuple[str, str, str, dt.datetime, str, dict[str, Any]]], now: dt.datetime, rng: Any
) -> _Plan:
    """Keep what had happened by ``now``; the dossier's state and clock fields follow the last kept step.

    Most recent dossiers stop at a random step, so that the queues hold dossiers in every state."""
    from .models import FileRole
    from .states import DossierAction as A
    from .states import DossierState as S

    kept = [s for s in steps if s[3] <= now]
    dossier = plan.dossier
    if now - dossier.submitted_at < dt.timedelta(days=21) and rng.random() < 0.8:
        kept = kept[: rng.randint(1, len(kept))]
    horizon = kept[-1][3]
    dossier.state = kept[-1][2]
    dossier.version = len(kept)
    actions = {s[0] for s in kept}
    if A.RECEIVE not in actions:
        dossier.received_at = dossier.received_by = dossier.due_at = dossier.handler = None
    if A.ASSIGN not in actions:
        dossier.handler = None
    for moment_field in ("processed_at", "result_issued_at"):
        moment = getattr(dossier, moment_field)
        if moment is not None and moment > horizon:
            setattr(dossier, moment_field, None)
    if dossier.result_issued_at is None:
        plan.files = [f for f in plan.files if f["role"] != FileRole.RESULT]
        dossier.rating = dossier.rated_at = None
    supplements_kept = sum(1 for s in kept if s[0] in (A.REQUEST_SUPPLEMENT, A.REQUEST_COMPLETION))
    dossier.supplement_requests = supplements_kept
    answered = sum(1 for s in kept if s[0] == A.SUBMIT_SUPPLEMENT)
    plan.files = [f for f in plan.files if f["role"] != FileRole.SUPPLEMENT] + [
        f for f in plan.files if f["role"] == FileRole.SUPPLEMENT
    ][:answered]
    if dossier.paid_at is not None and dossier.paid_at > horizon:
        dossier.paid_at, dossier.paid_online = None, False
    if dossier.state not in (S.RESULT_ISSUED,) and dossier.rating is not None:
        dossier.rating = dossier.rated_at = None
    plan.steps = kept
    return plan


def _guardian_dossiers(guardian: Any, users: dict[str, Any], now: dt.datetime) -> int:
    """Two school-transfer dossiers of the demo guardian through the real services: one finished (supplement asked
    and given, approved, sealed result, rated), one received and in processing."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from edudx.core.api import actor_for
    from edudx.registry.api import Student

    from .catalogue import ResultDelivery
    from .models import Dossier
    from .prefill import children_of
    from .selectors.calendar import work_calendar
    from .services.citizen import dossier_rate
    from .services.results import result_issue
    from .services.submission import submit_dossier
    from .services.workflow import Step, apply_action
    from .states import ActorKind as K
    from .states import DossierAction as A

    actor = actor_for(guardian)
    if Dossier.objects.filter(applicant=guardian).exists():
        return 0
    children: list[Student] = list(children_of(actor))
    desk_user, leader = users.get(DEMO_DESK_OFFICER), users.get(DEMO_LEADER)
    if not children or desk_user is None or leader is None:
        return 0
    child = children[0]
    calendar = work_calendar()
    desk, boss = actor_for(desk_user), actor_for(leader)

    def scan() -> Any:
        buffer = io.BytesIO(_demo_png())
        return SimpleUploadedFile("ket-qua-hoc-tap.png", buffer.getvalue(), content_type="image/png")

    def submit(moment: dt.datetime, receiving_school: str) -> Dossier:
        return submit_dossier(
            actor,
            "school_transfer_same_province",
            form_data={
                "receiving_school": receiving_school,
                "origin": "same_province",
                "reason": "Gia đình chuyển nơi ở về gần trường mới.",
                "result_delivery": ResultDelivery.ONLINE,
            },
            files={"Bản tổng hợp kết quả học tập": [scan()]},
            student_id=child.pk,
            now=moment,
        )

    def working_moment(days_back: int, hour: int) -> dt.datetime:
        day = timezone_day(now) - dt.timedelta(days=days_back)
        while not is_working_day(day, calendar):
            day -= dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(hour, 0), VIETNAM_TIMEZONE)

    # 1. Finished three weeks ago: received, a supplement asked and given, approved, sealed result, 5 stars.
    start = working_moment(24, 9)
    first = submit(start, "Trường THCS Nguyễn Văn Cừ")
    t = next_working_moment(start, calendar, 8)
    apply_action(desk, first.pk, Step(A.RECEIVE, K.DESK), now=t)
    apply_action(desk, first.pk, Step(A.ASSIGN, K.DESK, to_user_id=desk_user.pk), now=t + dt.timedelta(minutes=30))
    apply_action(desk, first.pk, Step(A.START_PROCESSING, K.HANDLER), now=t + dt.timedelta(hours=1))
    t = next_working_moment(t, calendar, 9)
    apply_action(desk, first.pk, Step(A.REQUEST_SUPPLEMENT, K.HANDLER,
                 note="Đề nghị bổ sung giấy xác nhận nơi cư trú mới."), now=t)  # fmt: skip
    t = next_working_moment(t, calendar, 10)
    apply_action(actor, first.pk, Step(A.SUBMIT_SUPPLEMENT, K.CITIZEN), now=t)
    t = next_working_moment(t, calendar, 14)
    apply_action(desk, first.pk, Step(A.SUBMIT_FOR_APPROVAL, K.HANDLER), now=t)
    apply_action(boss, first.pk, Step(A.APPROVE, K.LEADER), now=t + dt.timedelta(hours=1))
    result_issue(
        actor=desk,
        dossier_id=first.pk,
        decision_text=f"Đồng ý cho học sinh {child.person.full_name} chuyển đến Trường THCS Nguyễn Văn Cừ.",
        now=t + dt.timedelta(hours=2),
    )
    dossier_rate(actor=actor, dossier_id=first.pk, rating=5, comment="Thủ tục nhanh, không phải đi lại.",
                 now=t + dt.timedelta(hours=5))  # fmt: skip
    # 2. Submitted two working days ago, received and being processed.
    start = working_moment(2, 10)
    second = submit(start, "Trường THCS Trần Bình Trọng")
    t = (
        next_working_moment(start, calendar, 8)
        if start + dt.timedelta(hours=1) > now
        else start + dt.timedelta(hours=1)
    )
    t = min(t, now - dt.timedelta(minutes=30))
    apply_action(desk, second.pk, Step(A.RECEIVE, K.DESK), now=t)
    apply_action(desk, second.pk, Step(A.ASSIGN, K.DESK, to_user_id=desk_user.pk), now=t + dt.timedelta(minutes=10))
    return 2


def timezone_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(VIETNAM_TIMEZONE).date()


def next_working_moment(moment: dt.datetime, calendar: Any, hour: int) -> dt.datetime:
    """``hour`` o'clock on the working day after ``moment``."""
    return dt.datetime.combine(next_working_day(moment, calendar), dt.time(hour, 0), VIETNAM_TIMEZONE)
