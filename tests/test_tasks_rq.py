"""Background tasks on RQ against the real Redis server (database 15, emptied before and after)."""

import django_rq
import pytest
import redis
from django.test import override_settings
from django_tasks import task_backends
from django_tasks.base import TaskResultStatus
from rq import SimpleWorker

from edudx.core.tasks import ping_task

REDIS_URL = "redis://127.0.0.1:6379/15"
RQ_SETTINGS = {
    "TASKS": {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
    "RQ_QUEUES": {"default": {"URL": REDIS_URL}},
}


@pytest.fixture
def rq_backend():
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    with override_settings(**RQ_SETTINGS):
        yield task_backends["default"]
    connection.flushdb()


@pytest.mark.redis
def test_rq_backend_runs_a_task_through_redis(rq_backend):
    from django_tasks_rq.backend import Job

    assert type(rq_backend).__name__ == "RQBackend"
    result = ping_task.enqueue("ha-noi")
    assert result.status == TaskResultStatus.READY
    queue = django_rq.get_queue("default", job_class=Job)
    assert queue.count == 1  # really in Redis, not run inline

    worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
    assert worker.work(burst=True)

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "pong:ha-noi"
    assert queue.count == 0
