"""Writing many rows whose values are already prepared for the database, the fastest way each engine offers.

``insert_rows`` takes a table, its column names and rows of values as the driver accepts them (the caller has run
each field's ``get_db_prep_save`` where one is needed). One row is one INSERT. More rows: SQLite runs one prepared
INSERT for every row (its ``executemany`` loops in C); PostgreSQL takes them through ``COPY … FROM STDIN``, where
each INSERT would cost a message of the protocol and an execution, more than its row (psycopg adapts each value
with the same dumpers as for a parameter). Only quoted names are formatted into the SQL; every value is bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from django.db import connection


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name
    target = f"{quote(table)} ({', '.join(quote(c) for c in columns)})"
    one = f"({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(f"INSERT INTO {target} VALUES {one}", rows[0])  # noqa: S608 (quoted names only)
        elif connection.vendor != "postgresql":
            cursor.executemany(f"INSERT INTO {target} VALUES {one}", rows)  # noqa: S608 (quoted names only)
        else:
            copy_sql = f"COPY {target} FROM STDIN"
            # Logged as one statement, like ``executemany``, where queries are logged (DEBUG, query-count tests).
            logged = cursor.debug_sql(copy_sql, rows, many=True) if hasattr(cursor, "debug_sql") else nullcontext()
            with logged, connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
