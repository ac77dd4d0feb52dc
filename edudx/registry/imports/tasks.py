"""Background work of the imports: large files are validated and committed by a task worker.

Both tasks are idempotent: a job already past the step is left alone, so a retried task does no harm.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django_tasks import task

from edudx.core.api import Actor
from edudx.core.errors import DomainError

from . import services

logger = logging.getLogger(__name__)


@task()
def validate_import_task(job_id: int) -> str:
    try:
        job = services.import_validate(job_id=job_id, report_progress=True)
    except DomainError as exc:
        services.import_fail(job_id=job_id, message=exc.message)
        return "failed"
    except Exception:
        logger.exception("Import %s could not be validated", job_id)
        services.import_fail(job_id=job_id, message="Không đọc được tệp; hãy kiểm tra tệp và tải lại.")
        raise
    return str(job.status)


@task()
def commit_import_task(job_id: int, user_id: int) -> str:
    user = get_user_model().objects.filter(pk=user_id).first()
    try:
        job = services.import_commit_run(actor=Actor(user=user), job_id=job_id)
    except DomainError as exc:
        services.import_fail(job_id=job_id, message=exc.message)
        return "failed"
    except Exception:
        logger.exception("Import %s could not be committed", job_id)
        services.import_fail(job_id=job_id, message="Ghi dữ liệu thất bại; không có dữ liệu nào được ghi.")
        raise
    return str(job.status)
