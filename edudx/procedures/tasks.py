"""Background work of public services: the daily overdue warnings to handlers and leaders.

``warn_overdue_dossiers_task`` is idempotent (a dossier's handler and leaders are warned once a day however often
it runs). Scheduling: run ``manage.py warn_overdue_dossiers`` from cron (e.g. every working day at 07:30), or let the
task queue carry it: ``manage.py warn_overdue_dossiers --schedule`` enqueues a run for the next morning and every
run with ``reschedule=True`` enqueues the one after (queues that can defer, such as the database queue of the demo
worker and the Redis queue; the immediate backend of the tests cannot, and then nothing is re-enqueued).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import default_task_backend, task

from .services.desk import overdue_warnings_send
from .workdays import VIETNAM_TIMEZONE

log = logging.getLogger(__name__)

DAILY_RUN_AT = dt.time(7, 30)


def next_run_after(now: dt.datetime) -> dt.datetime:
    """07:30 local time on the day after ``now`` (a weekend run finds nothing new and costs a query)."""
    day = now.astimezone(VIETNAM_TIMEZONE).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, DAILY_RUN_AT, tzinfo=VIETNAM_TIMEZONE)


def schedule_next_run(now: dt.datetime | None = None) -> bool:
    """Enqueue tomorrow's run when the queue can defer a task; False when it cannot."""
    if not default_task_backend.supports_defer:
        return False
    when = next_run_after(now or timezone.now())
    warn_overdue_dossiers_task.using(run_after=when).enqueue(reschedule=True)
    return True


@task()
def warn_overdue_dossiers_task(reschedule: bool = False) -> dict[str, int]:
    run = overdue_warnings_send()
    if reschedule:
        schedule_next_run()
    log.info("Overdue warnings: %s dossiers, %s sent, %s skipped", run.dossiers, run.sent, run.skipped)
    return {"dossiers": run.dossiers, "sent": run.sent, "skipped": run.skipped}
