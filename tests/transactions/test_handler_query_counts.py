"""Queries per message on the paths every charging session repeats: the worker's CPU per message follows them.

MeterValues (both versions) and TransactionEvent Updated lock the station and the session in one query, store
their samples and event record with one INSERT ... ON CONFLICT DO NOTHING each, and write back only the
session's changed columns. A count going up here is a throughput regression.
"""

from decimal import Decimal

import pytest
from django.db import connection

from tests.support.envelopes import call
from tests.support.transaction_factories import TransactionFactory
from transactions.choices import NoteKind
from transactions.models import DataQualityNote, MeterValue, TransactionEventRecord
from transactions.ocpp import v16, v201

pytestmark = pytest.mark.django_db

T1, T2 = "2025-03-01T10:15:00Z", "2025-03-01T10:30:00Z"
SAMPLES_16 = [{"value": "3000"}, {"value": "7000", "measurand": "Power.Active.Import", "unit": "W"}]
SAMPLES_201 = [{"value": 3000}, {"value": 7000, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}}]


@pytest.fixture
def session_16(station):
    return TransactionFactory(station=station, meter_start_wh=0)


@pytest.fixture
def session_201(station):
    return TransactionFactory(station=station, ocpp_version="2.0.1", station_tx_id="tx-1", last_seq_no=0)


def meter_values_16(station, session, sampled=SAMPLES_16, timestamp=T1):
    return call(station, "1.6", "MeterValues", {"connectorId": 1, "transactionId": session.pk, "meterValue": [
        {"timestamp": timestamp, "sampledValue": sampled}]})


def updated_201(station, seq_no, timestamp=T1):
    return call(station, "2.0.1", "TransactionEvent", {
        "eventType": "Updated", "timestamp": timestamp, "triggerReason": "MeterValuePeriodic", "seqNo": seq_no,
        "transactionInfo": {"transactionId": "tx-1", "chargingState": "Charging"},
        "meterValue": [{"timestamp": timestamp, "sampledValue": SAMPLES_201}]})


def test_meter_values_16_on_a_session_cost_three_queries(station, session_16, django_assert_num_queries):
    with django_assert_num_queries(3):  # lock station + session, insert samples, update session
        v16.on_meter_values(meter_values_16(station, session_16))

    session_16.refresh_from_db()
    assert (session_16.energy_wh, session_16.power_w) == (Decimal(3000), Decimal(7000))
    assert MeterValue.objects.filter(transaction=session_16).count() == 2


def test_meter_values_201_on_the_evses_session_cost_three_queries(station, session_201, django_assert_num_queries):
    envelope = call(station, "2.0.1", "MeterValues", {"evseId": 1, "meterValue": [
        {"timestamp": T1, "sampledValue": SAMPLES_201}]})

    with django_assert_num_queries(3):  # lock station + session, insert samples, update session
        v201.on_meter_values(envelope)

    assert MeterValue.objects.filter(transaction=session_201).count() == 2


def test_transaction_event_updated_costs_four_queries(station, session_201, django_assert_num_queries):
    with django_assert_num_queries(4):  # lock station + session, insert event, insert samples, update session
        v201.on_transaction_event(updated_201(station, 1))

    session_201.refresh_from_db()
    assert (session_201.last_seq_no, session_201.charging_state, session_201.power_w) == (1, "Charging", Decimal(7000))
    assert TransactionEventRecord.objects.filter(transaction=session_201, seq_no=1).exists()


def test_a_re_sent_transaction_event_is_found_without_a_savepoint(station, session_201, django_assert_num_queries):
    envelope = updated_201(station, 1)
    v201.on_transaction_event(envelope)

    # lock, insert event (skipped), read the first to compare, load the station for the note, note, update session
    with django_assert_num_queries(6) as captured:
        v201.on_transaction_event(envelope)

    assert not any("SAVEPOINT" in q["sql"] for q in captured.captured_queries)
    assert DataQualityNote.objects.get().kind == NoteKind.DUPLICATE


def test_the_session_update_writes_only_the_columns_the_message_changed(station, session_16,
                                                                       django_assert_num_queries):
    with django_assert_num_queries(3) as captured:
        v16.on_meter_values(meter_values_16(station, session_16))

    [update] = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert "last_register_wh" in update and "last_message_at" in update
    assert "id_token_value" not in update and "meter_start_wh" not in update


def test_a_partly_replayed_message_stores_and_counts_only_its_new_samples(station, session_16):
    v16.on_meter_values(meter_values_16(station, session_16, sampled=[{"value": "3000"}], timestamp=T1))
    replay = call(station, "1.6", "MeterValues", {"connectorId": 1, "transactionId": session_16.pk, "meterValue": [
        {"timestamp": T1, "sampledValue": [{"value": "3000"}]},
        {"timestamp": T2, "sampledValue": [{"value": "4500"}]}]})

    v16.on_meter_values(replay)

    assert MeterValue.objects.count() == 2
    session_16.refresh_from_db()
    assert (session_16.last_register_wh, session_16.energy_wh) == (Decimal(4500), Decimal(4500))
    assert DataQualityNote.objects.get().detail == "1 meter value(s) already stored"


def test_a_database_without_insert_returning_still_stores_each_sample_once(station, session_16, monkeypatch):
    # SQLite before 3.35: inserts go one row at a time and the row count tells which were new.
    if connection.vendor != "sqlite":
        pytest.skip("a fallback for SQLite before 3.35; PostgreSQL always has INSERT ... RETURNING")
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    v16.on_meter_values(meter_values_16(station, session_16))

    v16.on_meter_values(meter_values_16(station, session_16))

    assert MeterValue.objects.count() == 2
    assert DataQualityNote.objects.get().detail == "2 meter value(s) already stored"


@pytest.mark.postgres
def test_the_station_row_is_locked_inside_the_query_that_locks_the_session(station, session_16,
                                                                         django_assert_num_queries):
    with django_assert_num_queries(3) as captured:
        v16.on_meter_values(meter_values_16(station, session_16))

    lock = captured.captured_queries[0]["sql"]
    # The station's FOR UPDATE sits in the subquery, so it is taken before the top level's lock of the session.
    assert connection.vendor == "postgresql"
    assert lock.count("FOR UPDATE") == 2 and lock.endswith('FOR UPDATE OF "transactions_transaction"')
