"""Background tasks on the database queue (the embedded default): stored as a row, run by ``db_worker``."""

import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks.base import TaskResultStatus

from edudx.core.tasks import ping_task

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.mark.django_db(transaction=True)
def test_database_queue_stores_the_task_and_db_worker_runs_it():
    from django_tasks_db.models import DBTaskResult

    with override_settings(TASKS=DB_TASKS):
        result = ping_task.enqueue("sai-gon")
        stored = DBTaskResult.objects.get(id=result.id)
        assert stored.status == TaskResultStatus.READY
        assert stored.task_path == "edudx.core.tasks.ping_task"

        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", stdout=io.StringIO())

        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL
        assert result.return_value == "pong:sai-gon"
