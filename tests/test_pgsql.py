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


def _stations_with_connectors():
    from stations.models import Connector
    from tests.support.factories import StationFactory

    stations = [StationFactory(station_id=f"SEL-{n}") for n in range(3)]
    for n, station in enumerate(stations):
        Connector.objects.create(station=station, evse_id=1, connector_id=1, status="Charging",
                                 status_at=datetime(2025, 3, 1, 10, n, tzinfo=UTC))
    return stations


def test_select_in_reads_what_values_list_reads(django_assert_num_queries):
    from stations.models import Connector

    stations = _stations_with_connectors()
    pks = [s.pk for s in stations[:2]] + [10**9]
    names = ("pk", "station_id", "evse_id", "connector_id", "status", "status_at")
    expected = sorted(Connector.objects.filter(station_id__in=pks).values_list(*names))

    with django_assert_num_queries(1):
        assert sorted(pgsql.select_in(Connector, names, "station_id", pks)) == expected
    assert pgsql.select_in(Connector, names, "station_id", []) == []


def test_select_in_locks_in_pk_order():
    from django.db.transaction import atomic

    stations = _stations_with_connectors()
    wanted = [s.station_id for s in reversed(stations)] + ["SEL-NOBODY"]
    with atomic():
        rows = pgsql.select_in(ChargingStation, ("station_id", "pk"), "station_id", wanted, lock=True)
    assert rows == sorted(((s.station_id, s.pk) for s in stations), key=lambda row: row[1])


@pytest.mark.postgres
def test_on_postgresql_select_in_reads_what_values_list_reads(django_assert_num_queries):
    test_select_in_reads_what_values_list_reads(django_assert_num_queries)


@pytest.mark.postgres
def test_on_postgresql_select_in_locks_in_pk_order():
    test_select_in_locks_in_pk_order()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_lock_outside_a_transaction_is_refused_as_django_refuses_it():
    from django.db.transaction import TransactionManagementError

    with pytest.raises(TransactionManagementError):
        pgsql.select_in(ChargingStation, ("station_id", "pk"), "station_id", ["CP-1"], lock=True)
