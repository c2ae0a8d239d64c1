"""Hot-path SQL on PostgreSQL that Django's ORM would build and quote too slowly for a batch of hundreds of rows.

Django's psycopg cursor binds parameters client-side: every value is quoted into the SQL text by Python, which
for a batch's thousands of values cost more than the statement. These run on a server-side-binding psycopg
cursor on Django's own connection (so in its transaction): values travel apart from the SQL, arrays as arrays.
Errors still come out as Django's (an OperationalError stays one for csms.dispatch's retry), and each statement
is logged where Django logs queries (CaptureQueriesContext counts it).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field


def array_of(field: Field, connection: BaseDatabaseWrapper) -> str:
    """`%s` cast to an array of the column's type, for `unnest` of one parameter per column."""
    return f"%s::{field.db_type(connection)}[]"


def execute(connection: BaseDatabaseWrapper, sql: str, params: list[Any]) -> list[tuple]:
    """Run one statement; the rows it returns (RETURNING), if any."""
    with _cursor(connection, sql) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def copy_rows(connection: BaseDatabaseWrapper, statement: str, rows: Iterable[tuple]) -> None:
    """COPY ... FROM STDIN: the cheapest way in for rows that need no conflict handling."""
    with _cursor(connection, statement) as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


@contextmanager
def _cursor(connection: BaseDatabaseWrapper, sql: str) -> Iterator[psycopg.Cursor]:
    connection.ensure_connection()
    started = time.monotonic()
    try:
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            yield cursor
    finally:
        if connection.queries_logged:
            connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
