"""Overdue warnings: the handler and the unit's leaders get one e-mail a day per dossier due within one working
day or overdue (idempotent however often the task or the command runs); nothing for dossiers on track, paused or
finished."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from edudx.procedures.models import DossierNotification
from edudx.procedures.services.desk import WARNING_SUBJECT_PREFIX, overdue_warnings_send
from edudx.procedures.states import DossierState
from edudx.procedures.tasks import next_run_after, warn_overdue_dossiers_task

from .test_workflow import local, make_dossier, staff  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
S = DossierState
NOW = local(2026, 3, 5, 7, 30)  # Thursday


@pytest.fixture
def dossiers(world, staff):  # noqa: F811
    _leader, handler = staff
    common = {"handler": handler.user, "received_at": local(2026, 2, 20, 9, 0)}
    overdue = make_dossier(world, state=S.PROCESSING, due_at=local(2026, 3, 4, 17, 0), **common)
    due_friday = make_dossier(world, state=S.AWAITING_APPROVAL, due_at=local(2026, 3, 6, 17, 0), **common)
    on_track = make_dossier(world, state=S.PROCESSING, due_at=local(2026, 3, 10, 17, 0), **common)
    paused = make_dossier(world, state=S.SUPPLEMENT_REQUESTED, due_at=local(2026, 3, 4, 17, 0), **common)
    done = make_dossier(world, state=S.APPROVED, due_at=local(2026, 3, 4, 17, 0), **common)
    return overdue, due_friday, on_track, paused, done


def test_warnings_once_a_day(world, staff, dossiers, django_capture_on_commit_callbacks):  # noqa: F811
    overdue, due_friday, *_rest = dossiers
    with django_capture_on_commit_callbacks(execute=True):
        first = overdue_warnings_send(now=NOW)
    assert (first.dossiers, first.sent) == (2, 4)  # two dossiers × (handler + leader)
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["chuyenvien@example.vn", "chuyenvien@example.vn", "lanhdao@example.vn", "lanhdao@example.vn"]
    subjects = {m.subject for m in mail.outbox}
    assert any("đã quá hạn" in s and overdue.code in s for s in subjects)
    assert any("sắp đến hạn" in s and due_friday.code in s for s in subjects)
    with django_capture_on_commit_callbacks(execute=True):
        again = overdue_warnings_send(now=NOW + dt.timedelta(hours=3))
    assert (again.sent, again.skipped) == (0, 4) and len(mail.outbox) == 4
    assert DossierNotification.objects.filter(subject__startswith=WARNING_SUBJECT_PREFIX).count() == 4


def test_next_day_warns_again(world, staff, dossiers, django_capture_on_commit_callbacks):  # noqa: F811
    overdue_warnings_send(now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        tomorrow = overdue_warnings_send(now=NOW + dt.timedelta(days=1))
    assert tomorrow.sent == 4


def test_command_and_task_are_idempotent(world, staff, dossiers, django_capture_on_commit_callbacks):  # noqa: F811
    from io import StringIO

    from django.utils import timezone

    on_track = dossiers[2]
    on_track.due_at = timezone.now() + dt.timedelta(days=30)  # the command runs at the real "now"
    on_track.save()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("warn_overdue_dossiers", stdout=out)
        result = warn_overdue_dossiers_task.enqueue()
    assert "2 hồ sơ" in out.getvalue()
    assert result.return_value == {"dossiers": 2, "sent": 0, "skipped": 4}
    assert len(mail.outbox) == 4
    assert next_run_after(NOW) == local(2026, 3, 6, 7, 30)
