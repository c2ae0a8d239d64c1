"""Queries per message on a boot storm's paths (connect, BootNotification, StatusNotification): the worker's CPU per
message follows them, so a count going up here is a throughput regression.

A connect reads the station locked (with its node and whether commands wait for it) and stores the new owner with its
connection log row: two statements (three on SQLite, which has no data-modifying WITH). Boots and statuses of a batch
are stored set-based: the same few statements whatever the batch's size. Inside a batch the node's row, the webhook
endpoints and the stations' pks are read once (csms.batchscope), so the counts below are what each further message
costs.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from csms import batchscope
from csms.dispatch import handle_envelopes
from stations.choices import ConnectionEvent
from stations.models import ConnectionLog, Connector
from stations.ocpp import lifecycle, v16, v201
from stations.services.locks import lock_stations
from tests.support.envelopes import call, connect
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db

T1, T2 = "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z"
BOOT = {"1.6": {"chargePointVendor": "V", "chargePointModel": "M"},
        "2.0.1": {"reason": "PowerUp", "chargingStation": {"vendorName": "V", "model": "M"}}}
versions = pytest.mark.parametrize("version", ["1.6", "2.0.1"])
STEPS = ("connect", "boot", "status 1", "status 2")  # a station's part in a boot storm


def owner_and_log() -> int:
    """Statements that store a connect's owner and log row: one on PostgreSQL, two elsewhere."""
    return 1 if connection.vendor == "postgresql" else 2


def status(station, version, number, state="Available", timestamp=T1):
    if version == "1.6":
        payload = {"connectorId": number, "errorCode": "NoError", "status": state, "timestamp": timestamp}
    else:
        payload = {"timestamp": timestamp, "connectorStatus": state, "evseId": number, "connectorId": 1}
    return call(station, version, "StatusNotification", payload)


def handlers(version):
    return v16 if version == "1.6" else v201


@pytest.fixture
def batch():
    """A batch's scope as csms.dispatch opens it: its stations locked first, then each handler."""
    with batchscope.scope():
        yield lock_stations


def test_an_admitted_connect_costs_a_locked_read_and_one_write(batch, django_assert_num_queries):
    first, station = StationFactory(), StationFactory()
    batch([first.station_id, station.station_id])
    lifecycle.on_connect(connect(first))  # the batch's first connect reads the node's row and the webhook endpoints

    with django_assert_num_queries(1 + owner_and_log()):
        reply = lifecycle.on_connect(connect(station, conn="sock-2"))

    assert reply["accepted"] is True
    station.refresh_from_db()
    assert (station.conn, station.online, station.node.node_id) == ("sock-2", True, "node-a")


def test_a_takeover_costs_no_more_than_a_first_connect(batch, django_assert_num_queries):
    first, station = StationFactory(), StationFactory()
    lifecycle.on_connect(connect(station, conn="old-sock"))
    batch([first.station_id, station.station_id])
    lifecycle.on_connect(connect(first))

    with django_assert_num_queries(1 + owner_and_log()):  # the replaced socket's log row goes in the same INSERT
        lifecycle.on_connect(connect(station, conn="new-sock"))

    assert list(ConnectionLog.objects.filter(station=station).values_list("event", "conn")) == [
        (ConnectionEvent.REPLACED, "old-sock"), (ConnectionEvent.CONNECTED, "new-sock"),
        (ConnectionEvent.CONNECTED, "old-sock")]


def test_a_refused_connect_costs_a_read_and_its_log_row(db, django_assert_num_queries):
    with django_assert_num_queries(2):
        reply = lifecycle.on_connect(connect("CP-STRANGER"))

    assert (reply["accepted"], reply["reason"]) == (False, "unknown_station")
    assert ConnectionLog.objects.get().event == ConnectionEvent.REFUSED


@versions
def test_a_batch_of_boots_costs_two_queries_whatever_its_size(batch, version, django_assert_num_queries):
    stations = [StationFactory() for _ in range(5)]
    batch([s.station_id for s in stations])

    with django_assert_num_queries(2):  # read the registrations (locked), write every station
        replies = handlers(version).on_boot_notifications([call(s, version, "BootNotification", BOOT[version])
                                                           for s in stations])

    assert {r["status"] for r in replies} == {"Accepted"}


@versions
def test_one_boot_costs_two_queries(station, version, django_assert_num_queries):
    with django_assert_num_queries(2):  # read the registration locked, write the station
        reply = handlers(version).on_boot_notification(call(station, version, "BootNotification", BOOT[version]))

    assert reply["status"] == "Accepted"


@versions
def test_a_batch_of_statuses_costs_three_queries_whatever_its_size(batch, version, django_assert_num_queries):
    stations = [StationFactory() for _ in range(5)]
    batch([s.station_id for s in stations])
    handlers(version).on_status_notifications([status(StationFactory(), version, 1)])  # reads the webhook endpoints

    with django_assert_num_queries(3):  # read the stations' connectors, write the stations, insert the connectors
        handlers(version).on_status_notifications([status(s, version, 1) for s in stations])
    with django_assert_num_queries(3):  # read the stations' connectors, write the stations, update the connectors
        handlers(version).on_status_notifications([status(s, version, 1, timestamp=T2) for s in stations])

    assert Connector.objects.filter(status_at=T2).count() == 5


@versions
def test_one_status_costs_five_queries_and_three_inside_its_batch(station, version, django_assert_num_queries):
    # lock the station, read its connectors, read the webhook endpoints, write the station, insert the connector
    with django_assert_num_queries(5):
        handlers(version).on_status_notification(status(station, version, 1))
    with batchscope.scope():
        lock_stations([station.station_id])
        handlers(version).on_status_notification(status(station, version, 1, "Faulted", T2))
        with django_assert_num_queries(3):  # its batch locked the station and read the endpoints already
            handlers(version).on_status_notification(status(station, version, 1, "Unavailable", T2))

    assert Connector.objects.get().status == "Unavailable"


def test_a_status_of_the_station_itself_costs_three_queries(station, django_assert_num_queries):
    with django_assert_num_queries(3):  # read the station's status locked, read the webhook endpoints, write it
        v16.on_status_notification(status(station, "1.6", 0, "Unavailable"))

    station.refresh_from_db()
    assert station.status == "Unavailable"


def test_a_storm_batch_costs_the_same_queries_for_two_stations_as_for_twenty():
    def queries(count, kind):
        stations = [StationFactory(station_id=f"{kind}-{count}-{i}") for i in range(count)]
        for step in STEPS[:STEPS.index(kind)]:  # the stations' earlier steps, one batch each as in a storm
            handle_envelopes([envelope(s, step) for s in stations])
        with CaptureQueriesContext(connection) as ctx:
            replies = handle_envelopes([envelope(s, kind) for s in stations])
        assert {r["kind"] for r in replies} == {"connect" if kind == "connect" else "result"}
        return len(ctx.captured_queries)

    def envelope(station, step):
        version = "1.6" if station.pk % 2 else "2.0.1"
        if step == "connect":
            return connect(station, version).to_dict()
        if step == "boot":
            return call(station, version, "BootNotification", BOOT[version]).to_dict()
        return status(station, version, int(step[-1])).to_dict()

    queries(1, "connect")  # the node's row is made at its first handshake ever, not at each batch's
    for kind in STEPS:  # a connect too: a batch's handshakes are admitted together
        assert queries(2, kind) == queries(20, kind), kind


# The same on PostgreSQL, where a connect's owner and log row are one statement and batches write with
# UPDATE ... FROM unnest(...) (./dev test's second pass runs these).
@pytest.mark.postgres
def test_on_postgresql_an_admitted_connect_costs_a_locked_read_and_one_write(batch, django_assert_num_queries):
    test_an_admitted_connect_costs_a_locked_read_and_one_write(batch, django_assert_num_queries)


@pytest.mark.postgres
def test_on_postgresql_a_takeover_costs_no_more_than_a_first_connect(batch, django_assert_num_queries):
    test_a_takeover_costs_no_more_than_a_first_connect(batch, django_assert_num_queries)


@pytest.mark.postgres
@versions
def test_on_postgresql_a_batch_of_boots_costs_two_queries(batch, version, django_assert_num_queries):
    test_a_batch_of_boots_costs_two_queries_whatever_its_size(batch, version, django_assert_num_queries)


@pytest.mark.postgres
@versions
def test_on_postgresql_a_batch_of_statuses_costs_three_queries(batch, version, django_assert_num_queries):
    test_a_batch_of_statuses_costs_three_queries_whatever_its_size(batch, version, django_assert_num_queries)


@pytest.mark.postgres
def test_on_postgresql_a_storm_batch_costs_the_same_queries_for_two_stations_as_for_twenty():
    test_a_storm_batch_costs_the_same_queries_for_two_stations_as_for_twenty()
