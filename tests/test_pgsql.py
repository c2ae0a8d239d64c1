"""csms.pgsql's shortcuts hand PostgreSQL exactly what Django's own preparation would."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection, models

from csms import pgsql
from stations.models import ChargingStation, OcppMessage
from transactions.models import MeterValue, Transaction

pytestmark = pytest.mark.django_db

NAIVE = datetime(2025, 3, 1, 10, 0)
VALUES = [None, 0, 7, 2**40, True, False, "", "Energy.Active.Import.Register", "7", 1.5, Decimal("1234.567"),
          Decimal("7"), datetime(2025, 3, 1, 10, 0, tzinfo=UTC), datetime(2025, 3, 1).date(), {"a": [1, "b"]}, [1, 2]]
FIELDS = [f for model in (MeterValue, Transaction, ChargingStation, OcppMessage) for f in model._meta.concrete_fields]


def django(field, value):
    try:
        return ("value", field.get_db_prep_save(value, connection))
    except Exception as exc:  # noqa: BLE001 - a value the field refuses must be refused the same way
        return ("error", type(exc))


def prepared(field, value):
    try:
        return ("value", pgsql.preparer(field, connection)(value))
    except Exception as exc:  # noqa: BLE001
        return ("error", type(exc))


@pytest.mark.postgres
@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")  # a date: Django warns both ways
@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f"{f.model.__name__}.{f.name}")
def test_a_prepared_value_is_what_django_prepares(field):
    for value in VALUES:
        mine, theirs = prepared(field, value), django(field, value)
        if isinstance(field, models.JSONField) and mine[0] == theirs[0] == "value":  # adapters: compare what they hold
            mine, theirs = ("value", getattr(mine[1], "obj", mine[1])), ("value", getattr(theirs[1], "obj", theirs[1]))
        assert mine == theirs, (field, value)
        # Django wraps an int as Int4/Int8 to pick the parameter's type; the arrays carry a cast to the column's
        assert isinstance(theirs[1], type(mine[1])), (field, value)


@pytest.mark.postgres
def test_a_naive_datetime_is_left_to_django():
    field = Transaction._meta.get_field("started_at")
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        assert pgsql.preparer(field, connection)(NAIVE) == field.get_db_prep_save(NAIVE, connection)
