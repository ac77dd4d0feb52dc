"""Reference data every submission reads — the procedure version in force, the receiving desk — kept in the cache.

Both change a few times a year and take effect from a date, while a busy day brings thousands of submissions. The
cache is Django's: Redis in production (one answer for every worker), the process's memory in the demo. Every key
carries a *generation*: saving or deleting a procedure version, a service desk or an organisation unit starts a
new one (when it happens and again when it commits), so the process that made the change never answers from the
old data. Entries also expire after ``REFERENCE_TTL`` seconds, which bounds how long a worker that shares no cache
with the writer can answer from the old data. A dossier stores the version it was submitted under, so an answer
that old is still a version that was in force.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from edudx.core.api import OrgUnit

from .models import ProcedureVersion, ServiceDesk

REFERENCE_TTL = 60
_GENERATION_KEY = "procedures:reference:generation"
_MISSING = object()
T = TypeVar("T")


def _generation() -> int:
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        # A new cache starts from the clock, never from a number an earlier cache may have used with other data.
        cache.add(_GENERATION_KEY, time.time_ns(), None)
        generation = cache.get(_GENERATION_KEY, 0)
    return int(generation)


def new_generation() -> None:
    """Forget every cached answer (all processes sharing the cache)."""
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:  # no generation yet (or it expired): the next read starts one
        cache.delete(_GENERATION_KEY)


def _cached(name: str, parts: tuple[Any, ...], compute: Callable[[], T]) -> T:
    key = f"procedures:reference:{_generation()}:{name}:" + ":".join(str(part) for part in parts)
    found = cache.get(key, _MISSING)
    if found is not _MISSING:
        return found  # type: ignore[no-any-return]
    value = compute()
    cache.set(key, value, REFERENCE_TTL)
    return value


def procedure_in_force(key: str, day: dt.date) -> ProcedureVersion | None:
    """``selectors.citizen.procedure_in_force`` for ``day``, from the cache."""
    from .selectors.citizen import procedure_in_force as read

    return _cached("procedure", (key, day.isoformat()), lambda: read(key, day=day))


def desk_above(school_id: int, school_path: str, day: dt.date) -> ServiceDesk | None:
    """``services.codes.desk_above`` for a school, from the cache (the path is in the key: a school moved under
    another unit asks again)."""
    from .services.codes import desk_above_path

    return _cached(
        "desk", (school_id, school_path, day.isoformat()), lambda: desk_above_path(school_id, school_path, day)
    )


def _changed(**kwargs: Any) -> None:
    new_generation()
    transaction.on_commit(new_generation)  # readers between the change and its commit may have cached the old data


def connect() -> None:
    for model in (ProcedureVersion, ServiceDesk, OrgUnit):
        post_save.connect(_changed, sender=model, dispatch_uid=f"reference-cache-save-{model._meta.label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"reference-cache-delete-{model._meta.label}")
