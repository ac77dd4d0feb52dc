"""Background tasks of core. ``ping_task`` proves that a queue and its workers are alive end to end."""

from __future__ import annotations

from django_tasks import task


@task()
def ping_task(value: str) -> str:
    """Return ``pong:<value>``; the health check and the queue tests enqueue it and wait for the answer."""
    return f"pong:{value}"
