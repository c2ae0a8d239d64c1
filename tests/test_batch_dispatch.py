"""Central handles a node's batch in one transaction, a savepoint each, and nothing is lost or counted twice."""

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from csms.dispatch import handle_envelopes
from stations import services
from stations.models import OcppMessage
from stations.services import message_log
from tests.support.envelopes import call
from tests.support.factories import StationFactory
from tests.support.transaction_factories import TransactionFactory
from transactions.models import MeterValue

pytestmark = pytest.mark.django_db


def meter(station, value, *, timestamp="2025-03-01T10:15:00Z", message_id=None):
    payload = {"connectorId": 1, "meterValue": [{"timestamp": timestamp, "sampledValue": [{"value": str(value)}]}]}
    return call(station, "1.6", "MeterValues", payload, message_id=message_id).to_dict()


@pytest.fixture
def stations(db):
    return [StationFactory(station_id=f"CP-B{i}") for i in range(3)]


def test_a_batch_answers_each_envelope_in_the_order_it_came_whatever_the_station_order(stations):
    batch = [call(s, "1.6", "Heartbeat", {}, message_id=f"m-{s.station_id}").to_dict() for s in reversed(stations)]

    replies = handle_envelopes(batch)

    assert [r["id"] for r in replies] == [e["id"] for e in batch]
    assert {r["kind"] for r in replies} == {"result"}


def test_a_batch_stores_every_message_and_logs_each_exchange_once(stations):
    for s in stations:
        TransactionFactory(station=s, evse_id=1, meter_start_wh=0)
    batch = [meter(s, 100 + i) for i, s in enumerate(stations)]

    replies = handle_envelopes(batch)

    assert [r["kind"] for r in replies] == ["result"] * 3
    assert sorted(MeterValue.objects.values_list("value", flat=True)) == [100, 101, 102]
    assert OcppMessage.objects.filter(action="MeterValues").count() == 6  # a CALL and its CALLRESULT each


def test_a_failing_handler_in_a_batch_rolls_back_only_its_own_writes(stations, monkeypatch):
    real = services.record_heartbeat

    def fails_for_one(**kwargs):
        real(**kwargs)  # writes, then fails: the savepoint must take the write back
        if kwargs["station_id"] == "CP-B1":
            raise RuntimeError("bug")

    monkeypatch.setattr(services, "record_heartbeat", fails_for_one)
    before = {s.station_id: s.last_seen for s in stations}

    replies = handle_envelopes([call(s, "1.6", "Heartbeat", {}).to_dict() for s in stations])

    assert [r["kind"] for r in replies] == ["result", "error", "result"]
    assert replies[1]["payload"]["code"] == "InternalError"
    for s in stations:
        s.refresh_from_db()
    assert stations[1].last_seen == before["CP-B1"]
    assert stations[0].last_seen != before["CP-B0"] and stations[2].last_seen != before["CP-B2"]
    errors = OcppMessage.objects.filter(kind="error")
    assert [m.station.station_id for m in errors] == ["CP-B1"]  # the CALLERROR is in the log too


def test_a_batch_that_cannot_commit_is_handled_again_envelope_by_envelope_counting_each_once(stations, monkeypatch):
    for s in stations:
        TransactionFactory(station=s, evse_id=1, meter_start_wh=0)
    real = message_log.record_exchanges
    calls = []

    def fails_for_the_whole_batch(exchanges):
        calls.append(len(exchanges))
        if len(exchanges) > 1:  # the batch's one insert: as if the connection dropped before the commit
            raise OperationalError("server closed the connection unexpectedly")
        return real(exchanges)

    monkeypatch.setattr(message_log, "record_exchanges", fails_for_the_whole_batch)

    replies = handle_envelopes([meter(s, 7) for s in stations])

    assert [r["kind"] for r in replies] == ["result"] * 3
    assert calls == [3, 3, 1, 1, 1]  # without savepoints, with savepoints, then one by one
    assert MeterValue.objects.count() == 3  # the rolled-back batch left nothing behind
    assert OcppMessage.objects.filter(action="MeterValues", kind="call").count() == 3


def test_a_failing_handler_sends_the_batch_round_again_with_savepoints_and_the_others_are_stored_once(
        stations, monkeypatch):
    for s in stations:
        TransactionFactory(station=s, evse_id=1, meter_start_wh=0)

    def fails(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(services, "record_heartbeat", fails)
    batch = [meter(stations[0], 5), call(stations[1], "1.6", "Heartbeat", {}).to_dict(), meter(stations[2], 6)]

    replies = handle_envelopes(batch)

    assert [r["kind"] for r in replies] == ["result", "error", "result"]
    assert sorted(MeterValue.objects.values_list("value", flat=True)) == [5, 6]
    assert OcppMessage.objects.filter(kind="call").count() == 3


def test_a_deadlock_in_one_handler_retries_the_batch_one_by_one(stations, monkeypatch):
    real = services.record_heartbeat
    failed = []

    def deadlocks_once(**kwargs):
        if kwargs["station_id"] == "CP-B2" and not failed:
            failed.append(1)
            raise OperationalError("deadlock detected")
        return real(**kwargs)

    monkeypatch.setattr(services, "record_heartbeat", deadlocks_once)

    replies = handle_envelopes([call(s, "1.6", "Heartbeat", {}).to_dict() for s in stations])

    assert [r["kind"] for r in replies] == ["result"] * 3  # the retry succeeded; no station saw an error
    assert OcppMessage.objects.filter(action="Heartbeat", kind="call").count() == 3


def test_a_database_outage_answers_internal_error_and_stores_nothing(station, monkeypatch):
    def down(**kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(services, "record_heartbeat", down)

    [reply] = handle_envelopes([call(station, "1.6", "Heartbeat", {}).to_dict()])

    assert (reply["kind"], reply["payload"]["code"]) == ("error", "InternalError")


def test_a_batch_writes_its_message_log_with_one_insert(stations, monkeypatch):
    real = message_log.record_exchanges
    calls = []
    monkeypatch.setattr(message_log, "record_exchanges", lambda exchanges: (calls.append(len(exchanges)),
                                                                            real(exchanges))[1])

    handle_envelopes([call(s, "1.6", "Heartbeat", {}).to_dict() for s in stations])

    assert calls == [3]


def test_a_batch_reads_the_active_webhook_endpoints_once(stations):
    batch = [call(s, "1.6", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": status})
             .to_dict() for s in stations for status in ("Preparing", "Charging")]

    with CaptureQueriesContext(connection) as queries:
        replies = handle_envelopes(batch)

    assert {r["kind"] for r in replies} == {"result"}
    assert sum("webhooks_webhookendpoint" in q["sql"] for q in queries.captured_queries) == 1
