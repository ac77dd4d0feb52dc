"""Writing many rows whose values are already prepared for the database, the fastest way each engine offers.

``insert_rows`` takes a table, its column names and rows of values as the driver accepts them (the caller has run
each field's ``get_db_prep_save`` where one is needed). Up to ``FEW_ROWS`` rows are one INSERT. More rows:
SQLite runs one prepared INSERT for every row (its ``executemany`` loops in C); PostgreSQL takes them through
``COPY … FROM STDIN``, where each INSERT would cost a message of the protocol and an execution, more than its row
(psycopg adapts each value with the same dumpers as for a parameter). Only quoted names are formatted into the SQL;
every value is bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from django.db import connection
from django.db.models import Model

FEW_ROWS = 10


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name
    target = f"{quote(table)} ({', '.join(quote(c) for c in columns)})"
    one = f"({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cursor:
        if len(rows) <= FEW_ROWS:
            # A few rows: one INSERT (a COPY would cost more round trips than it saves).
            values = ", ".join([one] * len(rows))
            cursor.execute(f"INSERT INTO {target} VALUES {values}", [v for row in rows for v in row])  # noqa: S608
        elif connection.vendor != "postgresql":
            cursor.executemany(f"INSERT INTO {target} VALUES {one}", rows)  # noqa: S608 (quoted names only)
        else:
            copy_sql = f"COPY {target} FROM STDIN"
            # Logged as one statement, like ``executemany``, where queries are logged (DEBUG, query-count tests).
            logged = cursor.debug_sql(copy_sql, rows, many=True) if hasattr(cursor, "debug_sql") else nullcontext()
            with logged, connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)


def insert_objects(objs: Sequence[Model]) -> None:
    """Store unsaved instances of one model as ``bulk_create`` would (each field's ``pre_save`` — ``auto_now_add``
    and the like — and ``get_db_prep_save``), through ``insert_rows``, for a caller that does not need their ids
    back: an instance keeps ``pk=None``. The ORM's insert compiler costs several times such a row's write."""
    if not objs:
        return
    meta = objs[0]._meta
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
    for obj in objs:
        # What bulk_create runs first: a parent saved since the instance was built gives its id; unsaved, refused.
        obj._prepare_related_fields_for_save(operation_name="insert_objects")  # type: ignore[attr-defined]
    rows = [tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields) for obj in objs]
    insert_rows(meta.db_table, [f.column for f in fields], rows)
