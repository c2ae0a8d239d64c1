"""A batch's plain session readings (1.6 MeterValues, 2.0.1 TransactionEvent Updated) are stored set-based, and
store exactly what the per-message path stores; whatever is not plain still gets its note, nothing twice."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from csms.dispatch import handle_envelopes, handle_one
from stations.models import OcppMessage
from tests.support.envelopes import call
from tests.support.factories import StationFactory
from tests.support.transaction_factories import TransactionFactory
from transactions.choices import NoteKind, TransactionStatus
from transactions.models import DataQualityNote, MeterValue, Transaction, TransactionEventRecord
from transactions.services import bulk_readings, metering

pytestmark = pytest.mark.django_db

COMPARED = ["status", "evse_id", "connector_id", "first_register_wh", "first_register_at", "last_register_wh",
            "last_register_at", "energy_wh", "power_w", "power_at", "last_seq_no", "trigger_reason", "charging_state",
            "offline_events", "stale", "last_message_at"]


def _ts(minute):
    return f"2025-03-01T10:{minute:02d}:00Z"


def _values(wh, power, minute):
    return [{"timestamp": _ts(minute), "sampledValue": [
        {"value": str(wh), "context": "Sample.Periodic"},
        {"value": str(power), "measurand": "Power.Active.Import", "unit": "W"},
        {"value": "16", "measurand": "Current.Import", "phase": "L1", "unit": "A"}]}]


def meter_16(session, wh, minute, **extra):
    payload = {"connectorId": session.evse_id, "transactionId": session.pk, "meterValue": _values(wh, 7000, minute)}
    return call(session.station, "1.6", "MeterValues", payload | extra, at=_ts(minute))


def updated_201(session, seq_no, wh, minute, **extra):
    payload = {"eventType": "Updated", "timestamp": _ts(minute), "triggerReason": "MeterValuePeriodic",
               "seqNo": seq_no, "offline": minute % 2 == 0,
               "transactionInfo": {"transactionId": session.station_tx_id, "chargingState": "Charging"},
               "meterValue": _values(wh, 11000, minute)} | extra
    return call(session.station, "2.0.1", "TransactionEvent", payload, at=_ts(minute))


def sessions_pair(name):
    """Two identical stations' sessions of each version: one fed message by message, one in batches."""
    made = {}
    for way in ("one", "batch"):
        s16 = TransactionFactory(station=StationFactory(station_id=f"{name}-16-{way}"), evse_id=1, connector_id=1)
        s201 = TransactionFactory(station=StationFactory(station_id=f"{name}-201-{way}"), ocpp_version="2.0.1",
                                  station_tx_id=f"tx-{name}-{way}", evse_id=2, connector_id=1, last_seq_no=0,
                                  meter_start_wh=None)
        made[way] = (s16, s201)
    return made


def fields(session):
    session.refresh_from_db()
    return {name: getattr(session, name) for name in COMPARED}


def readings(session):
    return sorted(session.meter_values.values_list("timestamp", "measurand", "phase", "value", "unit"))


@pytest.fixture
def taken(monkeypatch):
    """How many messages the set-based path stored."""
    counted = []
    real = bulk_readings.record

    def counting(readings):
        stored = real(readings)
        counted.append(sum(stored))
        return stored

    monkeypatch.setattr(bulk_readings, "record", counting)
    return counted


def test_a_batch_of_plain_readings_stores_what_the_message_by_message_path_stores(taken):
    pair = sessions_pair("eq")
    for minute, wh in ((1, 100), (2, 250), (3, 240)):  # 240: the meter ran backwards, a note either way
        one16, one201 = pair["one"]
        for envelope in (meter_16(one16, wh, minute), updated_201(one201, minute, wh, minute)):
            assert handle_one(envelope.to_dict()).kind == "result"
        batch16, batch201 = pair["batch"]
        replies = handle_envelopes([meter_16(batch16, wh, minute).to_dict(),
                                    updated_201(batch201, minute, wh, minute).to_dict()])
        assert [r["kind"] for r in replies] == ["result", "result"]
        assert [r["payload"] for r in replies] == [{}, {}]

    for one, batch in zip(pair["one"], pair["batch"], strict=True):
        assert fields(batch) == fields(one)
        assert readings(batch) == readings(one)
        assert list(batch.notes.values_list("kind", flat=True)) == list(one.notes.values_list("kind", flat=True))
    assert fields(pair["batch"][1])["last_seq_no"] == 3
    assert TransactionEventRecord.objects.filter(transaction=pair["batch"][1]).count() == 3
    assert OcppMessage.objects.filter(station__station_id="eq-16-batch").count() == 6  # each CALL and its answer
    assert taken == [2, 2, 2]


def test_a_batch_of_plain_readings_costs_the_same_few_queries_whatever_its_size():
    def queries(count, minute):
        batch = []
        for i in range(count):
            s16 = TransactionFactory(station=StationFactory(station_id=f"q{minute}-16-{i}"), evse_id=1)
            s201 = TransactionFactory(station=StationFactory(station_id=f"q{minute}-201-{i}"), ocpp_version="2.0.1",
                                      station_tx_id=f"q{minute}-{i}", last_seq_no=0)
            batch += [meter_16(s16, 100, minute).to_dict(), updated_201(s201, 1, 100, minute).to_dict()]
        with CaptureQueriesContext(connection) as ctx:
            replies = handle_envelopes(batch)
        assert {r["kind"] for r in replies} == {"result"}
        return len(ctx.captured_queries)

    assert queries(2, 1) == queries(20, 2) <= 12
    assert MeterValue.objects.count() == (2 + 20) * 2 * 3


def test_a_replayed_sample_in_a_batch_sends_every_message_through_the_noting_path_once():
    pair = sessions_pair("re")
    s16, s201 = pair["batch"]
    handle_envelopes([meter_16(s16, 100, 1).to_dict(), updated_201(s201, 1, 100, 1).to_dict()])

    replay = meter_16(s16, 100, 1)  # the same samples again, after a reconnect
    replies = handle_envelopes([replay.to_dict(), updated_201(s201, 2, 300, 2).to_dict()])

    assert [r["kind"] for r in replies] == ["result", "result"]
    assert s16.meter_values.count() == 3 and s201.meter_values.count() == 6
    assert list(s16.notes.values_list("kind", flat=True)) == [NoteKind.DUPLICATE]
    assert fields(s201)["last_register_wh"] == 300 and fields(s201)["last_seq_no"] == 2


def test_what_is_not_plain_goes_through_the_ordinary_handlers_beside_a_batch():
    ended = TransactionFactory(station=StationFactory(station_id="np-ended"), status=TransactionStatus.ENDED,
                               ended_at=timezone.now() - timedelta(minutes=5))
    gap = TransactionFactory(station=StationFactory(station_id="np-gap"), ocpp_version="2.0.1", station_tx_id="g",
                             last_seq_no=0)
    plain = TransactionFactory(station=StationFactory(station_id="np-plain"), evse_id=1)
    stranger = StationFactory(station_id="np-stranger")  # names another station's transaction id
    foreign = meter_16(plain, 500, 4, connectorId=1).payload | {"transactionId": plain.pk}

    replies = handle_envelopes([
        meter_16(ended, 100, 1).to_dict(),
        updated_201(gap, 3, 100, 1).to_dict(),
        meter_16(plain, 200, 2).to_dict(),
        call(stranger, "1.6", "MeterValues", foreign).to_dict(),
    ])

    assert [r["kind"] for r in replies] == ["result"] * 4
    assert list(ended.notes.values_list("kind", flat=True)) == [NoteKind.AFTER_END]
    assert list(gap.notes.values_list("kind", flat=True)) == [NoteKind.SEQ_GAP]
    assert fields(plain)["last_register_wh"] == 200 and not plain.notes.exists()
    orphan = Transaction.objects.get(station=stranger)
    assert orphan.orphan and orphan.station_tx_id == str(plain.pk)
    assert plain.meter_values.count() == 3  # the stranger's readings are not on it


def test_two_messages_of_one_station_in_a_batch_are_handled_in_their_order():
    session = TransactionFactory(station=StationFactory(station_id="two"), ocpp_version="2.0.1",
                                 station_tx_id="t2", last_seq_no=0)

    replies = handle_envelopes([updated_201(session, 1, 100, 1).to_dict(), updated_201(session, 2, 180, 2).to_dict()])

    assert [r["kind"] for r in replies] == ["result", "result"]
    assert fields(session)["last_seq_no"] == 2 and fields(session)["last_register_wh"] == 180
    assert not DataQualityNote.objects.exists()


def test_the_service_declines_without_writing_what_needs_a_note():
    ended = TransactionFactory(station=StationFactory(station_id="sv-ended"), status=TransactionStatus.ENDED)
    reading = bulk_readings.Reading(station_id="sv-ended", at=timezone.now(), message_id="m1",
                                    transaction_id=ended.pk, evse_id=1, connector_id=1)
    unknown = bulk_readings.Reading(station_id="sv-none", at=timezone.now(), message_id="m2", transaction_id=1)

    assert bulk_readings.record([reading, unknown]) == [False, False]
    assert not MeterValue.objects.exists() and not DataQualityNote.objects.exists()


def test_a_16_id_finds_only_its_own_stations_non_orphan_16_session():
    station = StationFactory(station_id="sv-own")
    v201 = TransactionFactory(station=station, ocpp_version="2.0.1", station_tx_id="t-own", evse_id=1)
    orphan = TransactionFactory(station=station, orphan=True, station_tx_id="77", evse_id=1)
    own = TransactionFactory(station=station, evse_id=1)
    now = timezone.now()
    read = [bulk_readings.Reading(station_id="sv-own", at=now, message_id=f"m{n}", transaction_id=session.pk,
                                  evse_id=1, connector_id=1, samples=[metering.Sample(timestamp=now, value="5")])
            for n, session in enumerate((v201, orphan, own))]

    assert bulk_readings.record(read) == [False, False, True]
    assert list(MeterValue.objects.values_list("transaction_id", flat=True)) == [own.pk]


# The same on PostgreSQL, where the sessions are written with one UPDATE ... FROM unnest(...) (./dev test's
# second pass runs these).
@pytest.mark.postgres
def test_on_postgresql_a_batch_of_plain_readings_stores_what_the_message_by_message_path_stores(taken):
    test_a_batch_of_plain_readings_stores_what_the_message_by_message_path_stores(taken)


@pytest.mark.postgres
def test_on_postgresql_a_batch_of_plain_readings_costs_the_same_few_queries_whatever_its_size():
    test_a_batch_of_plain_readings_costs_the_same_few_queries_whatever_its_size()


@pytest.mark.postgres
def test_on_postgresql_a_replayed_sample_in_a_batch_goes_through_the_noting_path_once():
    test_a_replayed_sample_in_a_batch_sends_every_message_through_the_noting_path_once()


@pytest.mark.postgres
def test_on_postgresql_what_is_not_plain_goes_through_the_ordinary_handlers_beside_a_batch():
    test_what_is_not_plain_goes_through_the_ordinary_handlers_beside_a_batch()


@pytest.mark.postgres
def test_on_postgresql_a_16_id_finds_only_its_own_stations_non_orphan_16_session():
    test_a_16_id_finds_only_its_own_stations_non_orphan_16_session()
