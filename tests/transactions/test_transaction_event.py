"""2.0.1 TransactionEvent: one session per station transactionId, built from events in whatever order they come."""

from datetime import datetime
from decimal import Decimal

import pytest

from node import schemas
from tests.support.envelopes import call, send
from tests.support.factories import StationFactory
from tests.support.transaction_factories import IdTokenFactory
from transactions.choices import AuthStatus, NoteKind, TokenStatus, TokenType, TransactionStatus
from transactions.models import IdToken, MeterValue, Transaction, TransactionEventRecord

pytestmark = pytest.mark.django_db

T0, T1, T2, T3 = "2025-03-01T10:00:00Z", "2025-03-01T10:20:00Z", "2025-03-01T10:40:00Z", "2025-03-01T11:00:00Z"
CARD = {"idToken": "CARD-1", "type": "ISO14443"}


def event(station, event_type, seq_no, *, tx="tx-1", trigger="MeterValuePeriodic", timestamp=T1, info=None,
          at=None, **extra):
    """Send one TransactionEvent; returns the answer's payload after checking it against the official schema."""
    payload = {"eventType": event_type, "timestamp": timestamp, "triggerReason": trigger, "seqNo": seq_no,
               "transactionInfo": {"transactionId": tx} | (info or {})} | extra
    schemas.validate("2.0.1", "TransactionEvent", payload)
    reply = send(call(station, "2.0.1", "TransactionEvent", payload, at=at))
    assert reply["kind"] == "result", reply
    schemas.validate("2.0.1", "TransactionEvent", reply["payload"], response=True)
    return reply["payload"]


def register(wh, timestamp, context="Sample.Periodic"):
    return [{"timestamp": timestamp, "sampledValue": [{"value": wh, "context": context}]}]


def session():
    return Transaction.objects.get()


def notes(kind=None):
    found = session().notes.all()
    return list(found.filter(kind=kind) if kind else found.values_list("kind", flat=True))


def test_a_full_session_started_updated_ended(station):
    IdTokenFactory(value="CARD-1")

    started = event(station, "Started", 0, trigger="Authorized", timestamp=T0, idToken=CARD,
                    evse={"id": 2, "connectorId": 1}, info={"chargingState": "EVConnected", "remoteStartId": 12},
                    meterValue=register(1000, T0, "Transaction.Begin"), at="2025-03-01T10:00:01Z")
    updated = event(station, "Updated", 1, trigger="ChargingStateChanged", timestamp=T1,
                    info={"chargingState": "Charging"}, meterValue=[{"timestamp": T1, "sampledValue": [
                        {"value": 5000}, {"value": 7.2, "measurand": "Power.Active.Import",
                                          "unitOfMeasure": {"unit": "kW"}}]}])
    ended = event(station, "Ended", 2, trigger="EVDeparted", timestamp=T3,
                  info={"chargingState": "Idle", "stoppedReason": "EVDisconnected"},
                  meterValue=register(9000, T3, "Transaction.End"), at="2025-03-01T11:00:02Z")

    assert (started, updated, ended) == ({"idTokenInfo": {"status": "Accepted"}}, {}, {})
    tx = session()
    assert (tx.ocpp_version, tx.station_tx_id, tx.evse_id, tx.connector_id, tx.orphan) == (
        "2.0.1", "tx-1", 2, 1, False)
    assert (tx.status, tx.started_at, tx.ended_at, tx.stop_reason) == (
        TransactionStatus.ENDED, datetime.fromisoformat(T0), datetime.fromisoformat(T3), "EVDisconnected")
    assert (tx.charging_state, tx.trigger_reason, tx.remote_start_id) == ("Idle", "EVDeparted", 12)
    assert (tx.id_token.value, tx.id_token_type, tx.auth_status) == ("CARD-1", "ISO14443", AuthStatus.ACCEPTED)
    assert (tx.energy_wh, tx.power_w) == (Decimal(8000), Decimal(7200))
    assert (tx.last_seq_no, tx.last_message_at) == (2, datetime.fromisoformat("2025-03-01T11:00:02Z"))
    assert list(tx.events.values_list("seq_no", "event_type", "trigger_reason")) == [
        (0, "Started", "Authorized"), (1, "Updated", "ChargingStateChanged"), (2, "Ended", "EVDeparted")]
    assert MeterValue.objects.filter(transaction=tx).count() == 4
    assert notes() == []


def test_an_ended_event_without_stopped_reason_is_local(station):
    event(station, "Started", 0, timestamp=T0)

    event(station, "Ended", 1, timestamp=T3)

    assert session().stop_reason == "Local"


def test_an_exact_re_send_is_ignored_and_noted_as_duplicate(station):
    event(station, "Started", 0, timestamp=T0, meterValue=register(1000, T0))
    event(station, "Updated", 1, info={"chargingState": "Charging"}, meterValue=register(3000, T1))

    event(station, "Updated", 1, info={"chargingState": "Charging"}, meterValue=register(3000, T1))

    assert session().events.count() == 2
    assert MeterValue.objects.count() == 2
    assert notes() == [NoteKind.DUPLICATE]


def test_a_seq_no_re_used_with_other_content_keeps_the_first_and_is_noted(station):
    event(station, "Started", 0, timestamp=T0, info={"chargingState": "EVConnected"})

    event(station, "Updated", 0, info={"chargingState": "Charging"})

    tx = session()
    assert (tx.charging_state, tx.events.get().event_type) == ("EVConnected", "Started")
    assert notes() == [NoteKind.CONFLICT]


def test_ended_re_sent_three_times_counts_once(station):
    event(station, "Started", 0, timestamp=T0, meterValue=register(1000, T0))

    for received in ("2025-03-01T11:00:01Z", "2025-03-01T11:01:00Z", "2025-03-01T11:02:00Z"):
        assert event(station, "Ended", 1, timestamp=T3, meterValue=register(4000, T3), at=received) == {}

    tx = session()
    assert (tx.status, tx.ended_at, tx.energy_wh, tx.events.count()) == (
        TransactionStatus.ENDED, datetime.fromisoformat(T3), Decimal(3000), 2)
    assert notes() == [NoteKind.DUPLICATE, NoteKind.DUPLICATE]


def test_a_second_ended_with_a_new_seq_no_keeps_the_first_end(station):
    event(station, "Ended", 0, timestamp=T2, info={"stoppedReason": "Remote"})

    event(station, "Ended", 1, timestamp=T3, info={"stoppedReason": "Local"})

    tx = session()
    assert (tx.ended_at, tx.stop_reason, tx.events.count()) == (datetime.fromisoformat(T2), "Remote", 2)
    assert NoteKind.DUPLICATE in notes()


def test_a_gap_in_seq_no_is_noted(station):
    event(station, "Started", 0, timestamp=T0)

    event(station, "Updated", 3)

    assert [n.detail for n in notes(NoteKind.SEQ_GAP)] == ["seqNo 1..2 not received before seqNo 3"]


def test_a_late_seq_no_is_stored_and_noted_out_of_order(station):
    event(station, "Started", 0, timestamp=T0)
    event(station, "Updated", 2, timestamp=T2, info={"chargingState": "SuspendedEV"})

    event(station, "Updated", 1, timestamp=T1, info={"chargingState": "Charging"})

    tx = session()
    assert (tx.last_seq_no, tx.charging_state, tx.events.count()) == (2, "SuspendedEV", 3)
    assert sorted(notes()) == [NoteKind.OUT_OF_ORDER, NoteKind.SEQ_GAP]


def test_an_update_before_the_start_creates_the_session_and_the_start_completes_it(station):
    event(station, "Updated", 1, timestamp=T1, evse={"id": 1}, meterValue=register(3000, T1))
    tx = session()
    assert (tx.orphan, tx.status, tx.started_at, tx.evse_id) == (True, TransactionStatus.ACTIVE, None, 1)

    event(station, "Started", 0, timestamp=T0, evse={"id": 1, "connectorId": 1}, meterValue=register(1000, T0))

    tx = session()
    assert (tx.orphan, tx.started_at, tx.connector_id, tx.energy_wh) == (
        False, datetime.fromisoformat(T0), 1, Decimal(2000))
    assert sorted(notes()) == [NoteKind.OUT_OF_ORDER, NoteKind.OUT_OF_ORDER, NoteKind.SEQ_GAP]


def test_an_end_before_the_start_stays_ended(station):
    event(station, "Ended", 1, timestamp=T3)

    event(station, "Started", 0, timestamp=T0)

    tx = session()
    assert (tx.status, tx.started_at, tx.ended_at) == (
        TransactionStatus.ENDED, datetime.fromisoformat(T0), datetime.fromisoformat(T3))


def test_an_update_after_the_end_is_stored_but_does_not_reopen_the_session(station):
    event(station, "Started", 0, timestamp=T0)
    event(station, "Ended", 1, timestamp=T2, info={"chargingState": "Idle"})

    event(station, "Updated", 2, timestamp=T3, info={"chargingState": "Charging"})

    tx = session()
    assert (tx.status, tx.charging_state, tx.events.count()) == (TransactionStatus.ENDED, "Idle", 3)
    assert notes() == [NoteKind.AFTER_END]


def test_late_samples_still_give_the_right_energy(station):
    event(station, "Started", 0, timestamp=T0, meterValue=register(1000, T0))
    event(station, "Ended", 2, timestamp=T3, meterValue=register(9000, T3))

    event(station, "Updated", 1, timestamp=T1, meterValue=register(5000, T1))

    tx = session()
    assert (tx.energy_wh, tx.first_register_wh, tx.last_register_wh) == (Decimal(8000), Decimal(1000), Decimal(9000))


def test_offline_events_keep_their_own_timestamps_and_are_counted(station):
    event(station, "Started", 0, timestamp=T0, offline=True, at="2025-03-01T12:00:00Z")
    event(station, "Updated", 1, timestamp=T1, offline=True, at="2025-03-01T12:00:00Z")
    event(station, "Updated", 2, timestamp=T2, at="2025-03-01T12:00:01Z")

    tx = session()
    assert (tx.offline_events, tx.started_at) == (2, datetime.fromisoformat(T0))
    assert list(tx.events.values_list("timestamp", "offline")) == [
        (datetime.fromisoformat(T0), True), (datetime.fromisoformat(T1), True), (datetime.fromisoformat(T2), False)]


def test_the_event_history_keeps_each_request_as_received(station):
    event(station, "Started", 0, timestamp=T0, idToken=CARD)

    record = TransactionEventRecord.objects.get()
    assert record.payload["idToken"] == CARD
    assert record.message_id.startswith("msg-")


def test_a_token_seen_as_local_in_authorize_and_iso14443_here_is_one_token(station):
    IdTokenFactory(value="CARD-1", type=TokenType.LOCAL)

    assert event(station, "Started", 0, idToken=CARD) == {"idTokenInfo": {"status": "Accepted"}}

    tx = session()
    assert (tx.id_token.value, tx.id_token.type, tx.id_token_type) == ("CARD-1", "Local", "ISO14443")
    assert IdToken.objects.count() == 1


@pytest.mark.parametrize("make_token, answered", [
    (lambda: None, "Unknown"),
    (lambda: IdTokenFactory(value="CARD-1", status=TokenStatus.BLOCKED), "Blocked"),
    (lambda: IdTokenFactory(value="CARD-1", status=TokenStatus.EXPIRED), "Expired"),
], ids=["unknown", "blocked", "expired"])
def test_a_refused_token_is_answered_and_the_session_still_recorded(station, make_token, answered):
    make_token()

    assert event(station, "Started", 0, idToken=CARD) == {"idTokenInfo": {"status": answered}}

    assert session().auth_status == answered
    assert notes() == [NoteKind.UNKNOWN_TOKEN]


def test_id_token_info_is_answered_whenever_the_event_carries_a_token(station):
    IdTokenFactory(value="CARD-1")
    event(station, "Started", 0, timestamp=T0)

    assert event(station, "Updated", 1, trigger="Authorized", idToken=CARD) == {
        "idTokenInfo": {"status": "Accepted"}}
    assert event(station, "Updated", 1, trigger="Authorized", idToken=CARD) == {
        "idTokenInfo": {"status": "Accepted"}}
    assert session().id_token_value == "CARD-1"


def test_a_different_token_ending_the_session_is_recorded_as_the_stopper(station):
    event(station, "Started", 0, timestamp=T0, idToken=CARD)

    event(station, "Ended", 1, trigger="StopAuthorized", idToken={"idToken": "MASTER", "type": "ISO14443"})

    tx = session()
    assert (tx.id_token_value, tx.stop_id_token_value) == ("CARD-1", "MASTER")


def test_a_no_authorization_token_is_accepted(station):
    reply = event(station, "Started", 0, idToken={"idToken": "", "type": "NoAuthorization"})

    assert reply == {"idTokenInfo": {"status": "Accepted"}}


def test_the_same_transaction_id_at_two_stations_is_two_sessions(station):
    event(station, "Started", 0)
    event(StationFactory(station_id="CP-0043"), "Started", 0)

    assert Transaction.objects.filter(station_tx_id="tx-1").count() == 2


def test_reservation_is_recorded(station):
    event(station, "Started", 0, reservationId=5)

    assert session().reservation_id == 5


def test_an_event_clears_the_stale_flag(station):
    event(station, "Started", 0, timestamp=T0)
    Transaction.objects.update(stale=True)

    event(station, "Updated", 1)

    assert not session().stale


def test_an_event_from_an_unknown_station_is_a_security_error(db):
    payload = {"eventType": "Started", "timestamp": T0, "triggerReason": "Authorized", "seqNo": 0,
               "transactionInfo": {"transactionId": "tx-1"}}

    reply = send(call("CP-NOBODY", "2.0.1", "TransactionEvent", payload))

    assert (reply["kind"], reply["payload"]["code"]) == ("error", "SecurityError")


def test_a_negative_seq_no_is_stored_and_noted_not_refused(station):
    event(station, "Started", 0, timestamp=T0)

    event(station, "Updated", -1)

    assert session().events.count() == 2
    assert notes() == [NoteKind.OUT_OF_ORDER]
