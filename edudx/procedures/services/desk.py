"""Writes of the desk beyond state changes: reading an action request, and the overdue warnings to staff.

State changes themselves go through ``workflow.apply_action`` (pages and API call ``act`` here, which parses and
then delegates). The overdue warnings e-mail each dossier's handler and the leaders of its unit once a day about a
dossier due within one working day or already overdue; a ``DossierNotification`` row per recipient and day is the
record that makes the run idempotent (the dossier row is locked while it is checked, so two workers running at the
same time do not both send).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.api import Actor, ValidationFailed, audit

from ..models import Dossier, DossierEvent, DossierNotification, NotificationChannel
from ..selectors.calendar import work_calendar
from ..selectors.desk import due_soon_or_overdue, staff_with
from ..states import ActorKind, DossierAction
from ..workdays import VIETNAM_TIMEZONE
from . import workflow

log = logging.getLogger(__name__)

# The subject marks a warning among the dossier's notifications; the local day written after it is the key of
# "once per day" (independent of the clock of whoever stored the row).
WARNING_SUBJECT_PREFIX = "[Cảnh báo hạn xử lý]"


def _parse_moment(raw: Any) -> dt.datetime | None:
    """A date or date-time typed in a form or sent by the API; a bare date means closing time (17:00) that day."""
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.datetime):
        moment = raw
    elif isinstance(raw, dt.date):
        moment = dt.datetime.combine(raw, dt.time(17, 0))
    else:
        text = str(raw).strip()
        try:
            if len(text) == 10:
                moment = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(17, 0))
            else:
                moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValidationFailed(_("Ngày hẹn trả mới không hợp lệ."), code="bad_new_date") from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=VIETNAM_TIMEZONE)
    return moment


def step_from_input(
    *,
    action: str,
    as_kind: str,
    note: str = "",
    to_user_id: Any = None,
    new_due_at: Any = None,
    expected_version: Any = None,
) -> workflow.Step:
    """A ``workflow.Step`` from what a page or the API received; ``ValidationFailed`` in Vietnamese otherwise."""
    try:
        verb = DossierAction(action)
    except ValueError:
        raise ValidationFailed(
            _("Thao tác «%(value)s» không tồn tại.") % {"value": action}, code="unknown_action"
        ) from None
    try:
        kind = ActorKind(as_kind)
    except ValueError:
        raise ValidationFailed(_("Vai trò xử lý không hợp lệ."), code="unknown_kind") from None
    try:
        user_id = int(to_user_id) if to_user_id not in (None, "") else None
        version = int(expected_version) if expected_version not in (None, "") else None
    except (TypeError, ValueError):
        raise ValidationFailed(_("Dữ liệu gửi lên không hợp lệ."), code="invalid") from None
    return workflow.Step(
        action=verb,
        as_kind=kind,
        note=str(note or ""),
        to_user_id=user_id,
        new_due_at=_parse_moment(new_due_at),
        expected_version=version,
    )


def act(*, actor: Actor, dossier_id: int, step: workflow.Step, now: dt.datetime | None = None) -> DossierEvent:
    """One desk, handler or leader step (``workflow.apply_action`` does the checks and the writing)."""
    return workflow.apply_action(actor, dossier_id, step, now=now)


# ---------------------------------------------------------------------------------------------------------------
# Overdue warnings


@dataclass
class WarningRun:
    dossiers: int = 0  # dossiers due soon or overdue
    sent: int = 0  # e-mails sent in this run
    skipped: int = 0  # already warned today (or no e-mail address)


def warning_key(now: dt.datetime) -> str:
    """The start of every warning subject of the local day of ``now``."""
    return f"{WARNING_SUBJECT_PREFIX} {now.astimezone(VIETNAM_TIMEZONE):%d/%m/%Y}"


def _warning_text(dossier: Dossier, now: dt.datetime) -> tuple[str, str]:
    due = timezone.localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y") if dossier.due_at else "—"
    overdue = dossier.due_at is not None and dossier.due_at < now
    if overdue:
        subject = _("%(prefix)s Hồ sơ %(code)s đã quá hạn") % {"prefix": warning_key(now), "code": dossier.code}
        body = _(
            "Hồ sơ %(code)s (%(procedure)s) của %(applicant)s đã quá hạn trả kết quả (hẹn %(due)s). "
            "Đề nghị xử lý ngay hoặc lập văn bản xin lỗi, đề nghị gia hạn (Mẫu 04)."
        )
    else:
        subject = _("%(prefix)s Hồ sơ %(code)s sắp đến hạn") % {"prefix": warning_key(now), "code": dossier.code}
        body = _(
            "Hồ sơ %(code)s (%(procedure)s) của %(applicant)s sắp đến hạn trả kết quả (hẹn %(due)s). "
            "Đề nghị hoàn thành trước hạn."
        )
    return subject, body % {
        "code": dossier.code,
        "procedure": dossier.procedure.name,
        "applicant": dossier.applicant_name,
        "due": due,
    }


def overdue_warnings_send(*, now: dt.datetime | None = None) -> WarningRun:
    """E-mail the handler and the unit's leaders of every dossier due within one working day or overdue, once a
    day per dossier and recipient. Safe to run as often as wanted (cron, the task queue, by hand)."""
    now = now or timezone.now()
    calendar = work_calendar()
    key = warning_key(now)
    run = WarningRun()
    candidates = list(due_soon_or_overdue(Dossier.objects.all(), now, calendar).values_list("pk", flat=True))
    for dossier_id in candidates:
        run.dossiers += 1
        with transaction.atomic():
            dossier = (
                # Lock the dossier row only: PostgreSQL cannot lock the nullable side of the handler's outer join.
                Dossier.objects.select_for_update(of=("self",))
                .select_related("procedure", "org_unit", "handler")
                .filter(pk=dossier_id)
                .first()
            )
            if dossier is None or dossier.due_at is None:
                continue
            recipients: dict[str, Any] = {}
            if dossier.handler is not None and dossier.handler.email:
                recipients[dossier.handler.email] = dossier.handler
            for leader in staff_with("dossier.approve", dossier, on=now.astimezone(VIETNAM_TIMEZONE).date()):
                if leader.email:
                    recipients.setdefault(leader.email, leader)
            if not recipients:
                run.skipped += 1
                continue
            already = set(
                DossierNotification.objects.filter(
                    dossier=dossier,
                    channel=NotificationChannel.EMAIL,
                    subject__startswith=key,
                ).values_list("recipient", flat=True)
            )
            subject, body = _warning_text(dossier, now)
            fresh = [email for email in recipients if email not in already]
            run.skipped += len(recipients) - len(fresh)
            for email in fresh:
                DossierNotification.objects.create(
                    dossier=dossier,
                    channel=NotificationChannel.EMAIL,
                    recipient=email,
                    subject=subject[:255],
                    body=body,
                )
                run.sent += 1
            if fresh:
                audit.record(
                    actor=None,
                    action="dossier.overdue_warning",
                    obj=dossier,
                    org_unit=dossier.org_unit,
                    after={"recipients": sorted(fresh), "due_at": dossier.due_at.isoformat()},
                )
                transaction.on_commit(partial(_send, subject, body, fresh))
    return run


def _send(subject: str, body: str, recipients: list[str]) -> None:
    for email in recipients:
        try:
            send_mail(subject, body, None, [email])
        except Exception:  # a failing mail server must not stop the other warnings; the row says it was due
            log.exception("Could not send the overdue warning to %s", email)
