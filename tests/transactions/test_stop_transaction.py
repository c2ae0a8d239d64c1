"""1.6 StopTransaction: closes the session once; re-sends, unknown ids and late meter values are stored and noted."""

from datetime import datetime
from decimal import Decimal

import pytest

from node import schemas
from tests.support.envelopes import call, send
from tests.support.factories import StationFactory
from tests.support.transaction_factories import IdTokenFactory, TransactionFactory
from transactions.choices import NoteKind, TokenStatus, TransactionStatus
from transactions.models import DataQualityNote, MeterValue, Transaction

pytestmark = pytest.mark.django_db

STARTED, STOPPED, RECEIVED = "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z", "2025-03-01T11:00:02Z"


def stop(station, transaction_id, *, meter=11000, timestamp=STOPPED, at=RECEIVED, **extra):
    payload = {"transactionId": transaction_id, "meterStop": meter, "timestamp": timestamp} | extra
    schemas.validate("1.6", "StopTransaction", payload)
    reply = send(call(station, "1.6", "StopTransaction", payload, at=at))
    assert reply["kind"] == "result", reply
    schemas.validate("1.6", "StopTransaction", reply["payload"], response=True)
    return reply["payload"]


@pytest.fixture
def session(station):
    return TransactionFactory(station=station, evse_id=1, meter_start_wh=1000,
                              started_at=datetime.fromisoformat(STARTED))


def notes(kind=None):
    found = DataQualityNote.objects.all()
    return list(found.filter(kind=kind) if kind else found.values_list("kind", flat=True))


def test_a_stop_closes_the_session_with_its_meter_time_reason_and_energy(station, session):
    stop(station, session.pk, reason="EVDisconnected")

    session.refresh_from_db()
    assert (session.status, session.meter_stop_wh, session.ended_at, session.stop_reason) == (
        TransactionStatus.ENDED, Decimal(11000), datetime.fromisoformat(STOPPED), "EVDisconnected")
    assert session.energy_wh == Decimal(10000)
    assert session.last_message_at == datetime.fromisoformat(RECEIVED)
    assert notes() == []


def test_a_stop_without_reason_is_local(station, session):
    stop(station, session.pk)

    session.refresh_from_db()
    assert session.stop_reason == "Local"


def test_a_stop_without_id_tag_is_answered_without_id_tag_info(station, session):
    assert stop(station, session.pk) == {}


def test_a_stop_with_an_id_tag_answers_its_standing_and_records_it(station, session):
    IdTokenFactory(value="STOPPER", status=TokenStatus.BLOCKED)

    assert stop(station, session.pk, idTag="STOPPER") == {"idTagInfo": {"status": "Blocked"}}
    session.refresh_from_db()
    assert session.stop_id_token_value == "STOPPER"


def test_the_starting_tag_stopping_its_own_session_is_accepted(station, session):
    assert stop(station, session.pk, idTag=session.id_token_value) == {"idTagInfo": {"status": "Accepted"}}


def test_transaction_data_is_stored_on_the_session(station, session):
    data = [{"timestamp": STARTED, "sampledValue": [{"value": "1000", "context": "Transaction.Begin"}]},
            {"timestamp": STOPPED, "sampledValue": [{"value": "11.0", "unit": "kWh", "context": "Transaction.End"}]}]

    stop(station, session.pk, transactionData=data)

    assert list(session.meter_values.values_list("context", "value", "unit")) == [
        ("Transaction.Begin", Decimal(1000), "Wh"), ("Transaction.End", Decimal(11000), "Wh")]


def test_a_re_sent_stop_changes_nothing_and_is_noted_as_duplicate(station, session):
    data = [{"timestamp": STOPPED, "sampledValue": [{"value": "11000"}]}]
    stop(station, session.pk, transactionData=data)

    stop(station, session.pk, meter=11000, transactionData=data, at="2025-03-01T11:05:00Z")

    session.refresh_from_db()
    assert (session.meter_stop_wh, session.energy_wh, session.ended_at) == (
        Decimal(11000), Decimal(10000), datetime.fromisoformat(STOPPED))
    assert MeterValue.objects.count() == 1
    assert notes() == [NoteKind.DUPLICATE]


def test_a_second_different_stop_keeps_the_first_and_is_noted_as_conflict(station, session):
    stop(station, session.pk, meter=11000)

    stop(station, session.pk, meter=12000, timestamp="2025-03-01T11:30:00Z")

    session.refresh_from_db()
    assert (session.meter_stop_wh, session.ended_at) == (Decimal(11000), datetime.fromisoformat(STOPPED))
    assert notes() == [NoteKind.CONFLICT]


def test_a_stop_for_an_unknown_id_is_accepted_and_recorded_as_an_orphan(station):
    assert stop(station, 987654, idTag="TAG-X") == {"idTagInfo": {"status": "Invalid"}}

    orphan = Transaction.objects.get()
    assert (orphan.orphan, orphan.station_tx_id, orphan.status, orphan.meter_stop_wh) == (
        True, "987654", TransactionStatus.ENDED, Decimal(11000))
    assert notes() == [NoteKind.UNKNOWN_TRANSACTION]


def test_a_re_sent_orphan_stop_counts_once(station):
    stop(station, 987654)

    stop(station, 987654)
    stop(station, 987654)

    orphan = Transaction.objects.get()
    assert orphan.status == TransactionStatus.ENDED
    assert sorted(notes()) == sorted([NoteKind.UNKNOWN_TRANSACTION, NoteKind.DUPLICATE, NoteKind.DUPLICATE])


def test_an_orphan_stop_with_a_begin_reading_gets_its_energy_from_it(station):
    data = [{"timestamp": STARTED, "sampledValue": [{"value": "4000", "context": "Transaction.Begin"}]}]

    stop(station, 555, meter=9000, transactionData=data)

    assert Transaction.objects.get().energy_wh == Decimal(5000)


def test_a_stop_naming_another_stations_session_does_not_close_it(station, session):
    other = StationFactory(station_id="CP-OTHER")

    stop(other, session.pk)

    session.refresh_from_db()
    assert session.status == TransactionStatus.ACTIVE
    assert Transaction.objects.get(station=other).orphan


def test_meter_values_after_the_stop_are_stored_but_do_not_change_the_energy(station, session):
    stop(station, session.pk, meter=11000)

    send(call(station, "1.6", "MeterValues", {
        "connectorId": 1, "transactionId": session.pk,
        "meterValue": [{"timestamp": "2025-03-01T11:10:00Z", "sampledValue": [{"value": "15000"}]}]}))

    session.refresh_from_db()
    assert session.energy_wh == Decimal(10000)
    assert session.meter_values.get().value == Decimal(15000)
    assert notes() == [NoteKind.AFTER_END]


def test_the_stations_stop_after_an_operator_closed_the_session_fills_in_the_meter(station, session):
    session.status, session.closed_by, session.close_note = TransactionStatus.ENDED, "alice", "stuck"
    session.save()

    stop(station, session.pk, meter=11000)

    session.refresh_from_db()
    assert (session.meter_stop_wh, session.energy_wh, session.closed_by) == (Decimal(11000), Decimal(10000), "alice")
    assert notes() == [NoteKind.AFTER_END]


def test_a_stop_clears_the_stale_flag(station, session):
    session.stale = True
    session.save()

    stop(station, session.pk)

    session.refresh_from_db()
    assert not session.stale


def test_a_stop_from_an_unknown_station_is_a_security_error(db):
    reply = send(call("CP-NOBODY", "1.6", "StopTransaction", {"transactionId": 1, "meterStop": 1,
                                                               "timestamp": STOPPED}))

    assert (reply["kind"], reply["payload"]["code"]) == ("error", "SecurityError")


@pytest.mark.parametrize("transaction_id", [0, -7, 2**70], ids=["zero", "negative", "past any key"])
def test_a_stop_for_an_id_that_cannot_be_a_key_is_an_orphan_too(station, transaction_id):
    stop(station, transaction_id)

    assert Transaction.objects.get().station_tx_id == str(transaction_id)
