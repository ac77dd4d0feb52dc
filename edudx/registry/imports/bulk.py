"""A lean multi-row INSERT for the import's large writes.

``QuerySet.bulk_create`` spends most of its time compiling each value through several layers
(pre_save, get_db_prep_save, field_as_sql) — about ten times the cost of the INSERT itself for a
10,000-row import. Here each field's conversion is chosen once per model: plain values (text,
numbers, booleans, foreign-key ids) go to the driver untouched, and only dates, times and JSON
pass through the field's own ``get_db_prep_save``. Rows are sent in batches of multi-row VALUES
with ``RETURNING`` the primary key (SQLite ≥ 3.35 and PostgreSQL), which are set on the objects
in order, as bulk_create does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.utils import timezone

PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)
MAX_PARAMS = 999  # SQLite's historical limit; PostgreSQL accepts far more


def _converter(field: models.Field) -> Callable[[Any], Any] | None:
    """None for values the driver takes as they are; else the field's conversion, memoised
    (birth dates and the shared timestamp repeat across thousands of rows)."""
    if isinstance(field, PLAIN) and not isinstance(field, models.JSONField):
        return None
    db = connections[DEFAULT_DB_ALIAS]
    memo: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return memo[value]
        except KeyError:
            memo[value] = result = field.get_db_prep_save(value, db)
            return result
        except TypeError:  # unhashable (JSON)
            return field.get_db_prep_save(value, db)

    return convert


def insert(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """INSERT ``rows`` (tuples of values for the ``columns`` field names; foreign keys by their
    ``<name>_id``) and return the new primary keys in row order. Auto-now fields not given are set
    to one timestamp for the whole batch, as one save would."""
    if not rows:
        return []
    meta = model._meta
    by_name = {f.attname: f for f in meta.concrete_fields}
    fields = [by_name[name] for name in columns]
    stamped = [
        f
        for f in meta.concrete_fields
        if f.attname not in columns and (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
    ]
    now = timezone.now()
    all_fields = fields + stamped
    converters = [_converter(f) for f in fields]
    stamp_values = tuple(f.get_db_prep_save(now, connections[DEFAULT_DB_ALIAS]) for f in stamped)
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    column_sql = ", ".join(quote(f.column) for f in all_fields)
    per_row = len(all_fields)
    batch = max(1, MAX_PARAMS // per_row)
    row_sql = "(" + ", ".join(["%s"] * per_row) + ")"
    plain = all(c is None for c in converters)
    pks: list[int] = []
    with db.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            params: list[Any] = []
            for row in chunk:
                if plain:
                    params.extend(row)
                else:
                    params.extend(v if c is None else c(v) for v, c in zip(row, converters, strict=True))
                params.extend(stamp_values)
            # Only quoted names and placeholders are formatted in; every value is a bound parameter.
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({column_sql}) VALUES "  # noqa: S608
                f"{', '.join([row_sql] * len(chunk))} RETURNING {quote(meta.pk.column)}",
                params,
            )
            pks.extend(pk for (pk,) in cursor.fetchall())
    return pks
