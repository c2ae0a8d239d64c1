"""Insert rows that a unique constraint may already hold, in one statement, learning which were new.

`bulk_create(ignore_conflicts=True)` cannot say which rows it skipped, and a SELECT of the existing keys
first costs a query per message; `INSERT ... ON CONFLICT DO NOTHING RETURNING` answers both at once, on
PostgreSQL and on SQLite 3.35+. The SQL comes from Django's own insert compiler, so values are prepared
exactly as `bulk_create` prepares them.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery

from csms import pgsql


def insert_new(objs: Sequence[Model]) -> list[int]:
    """Insert `objs` (all of one model), skipping those a unique constraint already holds; the pks of the new rows.

    The objects' own pks are not set. Runs in the caller's transaction.
    """
    if not objs:
        return []
    model = type(objs[0])
    opts = model._meta
    using = router.db_for_write(model)
    connection = connections[using]
    fields = [f for f in opts.concrete_fields if not f.primary_key and not f.generated]
    if connection.vendor == "postgresql":
        return _insert_arrays(model, objs, fields, connection)
    if not connection.features.can_return_rows_from_bulk_insert:  # SQLite before 3.35: one row at a time
        return [pk for obj in objs for pk in _insert(model, [obj], fields, using, returning=False)]
    return _insert(model, objs, fields, using, returning=True)


def _insert(model: type[Model], objs: Sequence[Model], fields: list, using: str, *, returning: bool) -> list[int]:
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, objs)
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = [model._meta.pk] if returning else None
    [(sql, params)] = compiler.as_sql()
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            return [row[0] for row in cursor.fetchall()]
        return [cursor.lastrowid] if cursor.rowcount == 1 else []


def _insert_arrays(model: type[Model], objs: Sequence[Model], fields: list, connection) -> list[int]:
    """PostgreSQL: one array per column through `unnest`, bound server-side; values prepared as Django would."""
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    arrays = ", ".join(pgsql.array_of(f, connection) for f in fields)
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({columns}) SELECT * FROM unnest({arrays}) "
           f"ON CONFLICT DO NOTHING RETURNING {qn(model._meta.pk.column)}")
    params = [list(map(pgsql.preparer(f, connection), (f.pre_save(obj, True) for obj in objs))) for f in fields]
    return [row[0] for row in pgsql.execute(connection, sql, params)]
