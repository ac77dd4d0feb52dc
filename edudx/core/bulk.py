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


def _few_rows_insert(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """One INSERT of ``rows`` and its parameters."""
    quote = connection.ops.quote_name
    one = f"({', '.join(['%s'] * len(columns))})"
    sql = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES {', '.join([one] * len(rows))}"  # noqa: S608
    return sql, [v for row in rows for v in row]


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name
    target = f"{quote(table)} ({', '.join(quote(c) for c in columns)})"
    one = f"({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cursor:
        if len(rows) <= FEW_ROWS:
            # A few rows: one INSERT (a COPY would cost more round trips than it saves).
            cursor.execute(*_few_rows_insert(table, columns, rows))
        elif connection.vendor != "postgresql":
            cursor.executemany(f"INSERT INTO {target} VALUES {one}", rows)  # noqa: S608 (quoted names only)
        else:
            copy_sql = f"COPY {target} FROM STDIN"
            # Logged as one statement, like ``executemany``, where queries are logged (DEBUG, query-count tests).
            logged = cursor.debug_sql(copy_sql, rows, many=True) if hasattr(cursor, "debug_sql") else nullcontext()
            with logged, connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)


def _object_rows(objs: Sequence[Model]) -> tuple[str, list[str], list[tuple[Any, ...]]]:
    """The table, columns and prepared rows of unsaved instances of one model, as ``bulk_create`` prepares them."""
    meta = objs[0]._meta
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
    for obj in objs:
        # What bulk_create runs first: a parent saved since the instance was built gives its id; unsaved, refused.
        obj._prepare_related_fields_for_save(operation_name="insert_objects")  # type: ignore[attr-defined]
    rows = [tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields) for obj in objs]
    return meta.db_table, [f.column for f in fields], rows


def insert_objects(objs: Sequence[Model]) -> None:
    """Store unsaved instances of one model as ``bulk_create`` would (each field's ``pre_save`` — ``auto_now_add``
    and the like — and ``get_db_prep_save``), through ``insert_rows``, for a caller that does not need their ids
    back: an instance keeps ``pk=None``. The ORM's insert compiler costs several times such a row's write."""
    if objs:
        insert_rows(*_object_rows(objs))


class WriteBatch:
    """Writes of one transaction that need nothing back, sent together when ``run``: on PostgreSQL as *one*
    statement (each write a data-modifying ``WITH`` part; they all run, on the statement's snapshot), elsewhere one
    after the other. A busy transaction that ends with several small inserts and an update spares a round trip and a
    statement's execution for each. Order among the parts is not guaranteed: put in one batch only writes that do
    not read each other (constraints are checked at commit, where they are deferred)."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, list[Any]]] = []

    def add_objects(self, objs: Sequence[Model]) -> None:
        """Unsaved instances of one model (prepared as ``insert_objects`` prepares them), as one INSERT."""
        if objs:
            self.add_rows(*_object_rows(objs))

    def add_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.parts.append(_few_rows_insert(table, columns, rows))

    def add_statement(self, sql: str, params: Sequence[Any]) -> None:
        """An INSERT, UPDATE or DELETE without RETURNING."""
        self.parts.append((sql, list(params)))

    def run(self) -> None:
        parts, self.parts = self.parts, []
        if not parts:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and len(parts) > 1:
                ctes = ", ".join(f"w{i} AS ({sql})" for i, (sql, _params) in enumerate(parts))
                cursor.execute(f"WITH {ctes} SELECT 1", [p for _sql, params in parts for p in params])
            else:
                for sql, params in parts:
                    cursor.execute(sql, params)


def insert_object(obj: Model) -> None:
    """Store one unsaved instance with an automatic id in one ``INSERT … RETURNING`` (PostgreSQL, SQLite 3.35+) and
    set the id on it, as ``save(force_insert=True)`` would, for a model with no ``save`` of its own and no signal
    receiver: the busiest inserts, where the ORM's insert compiler costs more than the row."""
    meta = obj._meta
    assert meta.auto_field is not None and obj.pk is None, "an instance with an automatic id, not yet stored"
    sql, params = _few_rows_insert(*_object_rows([obj]))
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {connection.ops.quote_name(meta.auto_field.column)}", params)
        (obj.pk,) = cursor.fetchone()
    obj._state.adding = False
    obj._state.db = connection.alias
