"""Hot-path SQL on PostgreSQL that Django's ORM would build and quote too slowly for a batch of hundreds of rows.

Django's psycopg cursor binds parameters client-side: every value is quoted into the SQL text by Python, which
for a batch's thousands of values cost more than the statement. These run on a server-side-binding psycopg
cursor on Django's own connection (so in its transaction): values travel apart from the SQL, arrays as arrays.
Errors still come out as Django's (an OperationalError stays one for csms.dispatch's retry), and each statement
is logged where Django logs queries (CaptureQueriesContext counts it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from django.db import connections, migrations, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    DecimalField,
    Field,
    FloatField,
    ForeignKey,
    IntegerField,
    Model,
    TextField,
)
from django.db.transaction import TransactionManagementError

# Field classes whose get_db_prep_save, on PostgreSQL, hands a value of these types to psycopg unchanged: a batch's
# arrays skip the call for them (thousands a batch, a few microseconds each). Other values and fields go through it.
_AS_IS: tuple[tuple[type[Field], tuple[type, ...]], ...] = (
    (BooleanField, (bool,)), (IntegerField, (int,)), (BigIntegerField, (int,)), (ForeignKey, (int,)),
    (CharField, (str,)), (TextField, (str,)), (FloatField, (float,)), (DecimalField, (Decimal,)),
    (DateTimeField, (datetime,)),
)


def preparer(field: Field, connection: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    """field.get_db_prep_save for many values of one column, cheaper where a value needs no preparing."""
    def prepare(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    kinds = next((kinds for cls, kinds in _AS_IS if type(field) is cls), None)
    if kinds is None:  # a subclass (PositiveIntegerField...) may prepare differently: asked every time
        return prepare
    aware = type(field) is DateTimeField  # a naive datetime goes through Django, which warns and makes it aware

    def fast(value: Any) -> Any:
        if value is None or type(value) in kinds and not (aware and value.tzinfo is None):
            return value
        return prepare(value)

    return fast


def array_of(field: Field, connection: BaseDatabaseWrapper) -> str:
    """A parameter cast to an array of the column's type, for `unnest` of one parameter per column.

    Sent in binary (`%b`): psycopg writes a text array in Python, quoting and escaping each element (a timestamp,
    which holds a space, cost 4.6 us; in binary 0.6 us, text 1.5 -> 0.6 us), and a batch's arrays hold thousands.
    """
    return f"%b::{field.db_type(connection)}[]"


def execute(connection: BaseDatabaseWrapper, sql: str, params: list[Any]) -> list[tuple]:
    """Run one statement; the rows it returns (RETURNING), if any."""
    with _cursor(connection, sql) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def run(connection: BaseDatabaseWrapper, sql: str, params: list[Any]) -> list[tuple]:
    """execute() on PostgreSQL; on another database (SQLite: development, tests) through Django's cursor."""
    if connection.vendor == "postgresql":
        return execute(connection, sql, params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def select_in(model: type[Model], names: Sequence[str], field: str, values: Iterable[Any], *,
              lock: bool = False) -> list[tuple]:
    """`model.objects.filter(<field>__in=values).values_list(*names)`, locked FOR UPDATE in pk order if `lock`.

    On PostgreSQL one server-bound statement with the values as one array (`= ANY`): Django's compiler and its
    client-side quoting of each value cost 0.6-1 ms of CPU per read of a hundred stations, more than the read.
    Elsewhere the ORM.
    """
    values = list(set(values))
    using = router.db_for_write(model) if lock else router.db_for_read(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        rows = model.objects.using(using).filter(**{f"{field}__in": values})
        if lock:
            rows = rows.select_for_update().order_by("pk")
        return list(rows.values_list(*names))
    if lock and connection.get_autocommit():  # as Django's select_for_update: a lock must outlive the statement
        raise TransactionManagementError("select_in(lock=True) cannot be used outside of a transaction.")
    meta, qn = model._meta, connection.ops.quote_name
    columns = ", ".join(qn((meta.pk if name == "pk" else meta.get_field(name)).column) for name in names)
    key = meta.get_field(field)
    sql = (f"SELECT {columns} FROM {qn(meta.db_table)} WHERE {qn(key.column)} = ANY({array_of(key, connection)})"
           + (f" ORDER BY {qn(meta.pk.column)} FOR UPDATE" if lock else ""))
    return execute(connection, sql, [list(map(preparer(key, connection), values))])


def update_rows(model: type[Model], rows: dict[Any, dict[str, Any]]) -> None:
    """Set the given fields of each row, {pk: {field name or attname: value}}: one statement per set of names.

    On PostgreSQL one UPDATE ... FROM unnest(...) (Django's bulk_update builds a CASE per column and row, which costs
    more than the statement); elsewhere bulk_update.
    """
    groups: dict[tuple[str, ...], dict[Any, dict[str, Any]]] = {}
    for pk, values in rows.items():
        groups.setdefault(tuple(sorted(values)), {})[pk] = values
    using = router.db_for_write(model)
    connection = connections[using]
    for names, group in groups.items():
        if connection.vendor != "postgresql":
            model.objects.using(using).bulk_update([model(pk=pk, **values) for pk, values in group.items()], names)
        else:
            execute(connection, *update_statement(model, group))


def update_statement(model: type[Model], rows: dict[Any, dict[str, Any]]) -> tuple[str, list[Any]]:
    """The PostgreSQL UPDATE ... FROM unnest(...) of update_rows for rows that all set the same names, and its
    parameters: one array per column."""
    connection = connections[router.db_for_write(model)]
    names = list(next(iter(rows.values())))
    fields = [model._meta.get_field(name) for name in names]
    pk_field, qn = model._meta.pk, connection.ops.quote_name
    arrays = ", ".join(array_of(f, connection) for f in [pk_field, *fields])
    columns = ", ".join(qn(f.column) for f in [pk_field, *fields])
    sets = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in fields)
    sql = (f"UPDATE {qn(model._meta.db_table)} AS t SET {sets} FROM unnest({arrays}) AS v({columns}) "
           f"WHERE t.{qn(pk_field.column)} = v.{qn(pk_field.column)}")
    params = [list(rows)] + [list(map(preparer(f, connection), (values[name] for values in rows.values())))
                             for name, f in zip(names, fields, strict=True)]
    return sql, params


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


def fillfactor(*tables: str, percent: int) -> migrations.RunPython:
    """A migration operation leaving `100 - percent` of each page of `tables` free on PostgreSQL (undone: 100), so an
    update that changes no indexed column is HOT: the new row version fits beside the old, no index is touched.
    Other databases have no fill factor: nothing to do there."""
    def setter(value: int):
        def apply(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                for table in tables:
                    schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} SET (fillfactor = {value})")
        return apply

    return migrations.RunPython(setter(percent), setter(100))
