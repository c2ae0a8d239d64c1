"""1.6 StartTransaction: every start is recorded with a real transactionId, whatever the token's standing."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connections

from node import schemas
from tests.support.envelopes import call, send
from tests.support.factories import StationFactory
from tests.support.transaction_factories import IdTokenFactory, TransactionFactory
from transactions.choices import AuthStatus, NoteKind, TokenStatus, TransactionStatus
from transactions.models import DataQualityNote, Transaction

pytestmark = pytest.mark.django_db

STARTED, RECEIVED = "2025-03-01T10:00:00Z", "2025-03-01T10:00:01.500Z"


def start(station, *, tag="TAG-1", connector=1, meter=1000, timestamp=STARTED, at=RECEIVED, **extra):
    payload = {"connectorId": connector, "idTag": tag, "meterStart": meter, "timestamp": timestamp} | extra
    schemas.validate("1.6", "StartTransaction", payload)
    return send(call(station, "1.6", "StartTransaction", payload, at=at))


def answer(reply):
    assert reply["kind"] == "result", reply
    schemas.validate("1.6", "StartTransaction", reply["payload"], response=True)
    return reply["payload"]


def test_a_start_is_stored_and_answered_with_its_positive_transaction_id(station):
    IdTokenFactory(value="TAG-1")

    payload = answer(start(station, connector=2, meter=1234, reservationId=77))

    transaction = Transaction.objects.get()
    assert payload == {"transactionId": transaction.pk, "idTagInfo": {"status": "Accepted"}}
    assert transaction.pk > 0
    assert (transaction.station, transaction.ocpp_version, transaction.evse_id, transaction.connector_id) == (
        station, "1.6", 2, 1)
    assert (transaction.meter_start_wh, transaction.started_at, transaction.reservation_id) == (
        Decimal(1234), datetime.fromisoformat(STARTED), 77)
    assert (transaction.status, transaction.auth_status, transaction.id_token.value) == (
        TransactionStatus.ACTIVE, AuthStatus.ACCEPTED, "TAG-1")
    assert transaction.last_message_at == datetime.fromisoformat(RECEIVED)


def expired_token():
    return IdTokenFactory(value="TAG-1", expiry=datetime.fromisoformat("2025-01-01T00:00:00Z"))


def busy_token():
    token = IdTokenFactory(value="TAG-1")
    TransactionFactory(id_token=token, station=StationFactory())
    return token


@pytest.mark.parametrize("make_token, answered, stored", [
    (lambda: None, "Invalid", AuthStatus.UNKNOWN),
    (lambda: IdTokenFactory(value="TAG-1", status=TokenStatus.BLOCKED), "Blocked", AuthStatus.BLOCKED),
    (lambda: IdTokenFactory(value="TAG-1", status=TokenStatus.EXPIRED), "Expired", AuthStatus.EXPIRED),
    (expired_token, "Expired", AuthStatus.EXPIRED),
    (lambda: IdTokenFactory(value="TAG-1", status=TokenStatus.INVALID), "Invalid", AuthStatus.INVALID),
    (busy_token, "ConcurrentTx", AuthStatus.CONCURRENT_TX),
], ids=["unknown", "blocked", "expired by status", "past its expiry", "invalid", "in another session"])
def test_a_start_with_a_refused_token_is_still_recorded_with_a_real_id(station, make_token, answered, stored):
    make_token()

    payload = answer(start(station))

    transaction = Transaction.objects.get(station=station)
    assert payload["transactionId"] == transaction.pk
    assert payload["idTagInfo"]["status"] == answered
    assert (transaction.auth_status, transaction.status) == (stored, TransactionStatus.ACTIVE)
    assert DataQualityNote.objects.get(transaction=transaction).kind == NoteKind.UNKNOWN_TOKEN


def test_the_session_being_started_does_not_count_against_its_own_token(station):
    IdTokenFactory(value="TAG-1", max_concurrent=1)

    payload = answer(start(station))

    assert payload["idTagInfo"]["status"] == "Accepted"
    assert not DataQualityNote.objects.exists()


def test_a_token_with_room_for_two_sessions_accepts_the_second(station):
    token = IdTokenFactory(value="TAG-1", max_concurrent=2)
    TransactionFactory(id_token=token, station=StationFactory())

    assert answer(start(station))["idTagInfo"]["status"] == "Accepted"


def test_the_answer_carries_the_tokens_expiry_and_group(station):
    group = IdTokenFactory(value="FLEET-1")
    IdTokenFactory(value="TAG-1", parent=group, expiry=datetime.fromisoformat("2030-01-01T00:00:00Z"))

    info = answer(start(station))["idTagInfo"]

    assert info == {"status": "Accepted", "expiryDate": "2030-01-01T00:00:00Z", "parentIdTag": "FLEET-1"}


def test_a_re_sent_start_returns_the_same_transaction_id_and_stores_one_session(station):
    IdTokenFactory(value="TAG-1")
    first = answer(start(station))

    again = answer(start(station, at="2025-03-01T10:00:30Z"))

    assert again == first
    transaction = Transaction.objects.get()
    assert transaction.last_message_at == datetime.fromisoformat("2025-03-01T10:00:30Z")
    assert list(DataQualityNote.objects.values_list("kind", flat=True)) == [NoteKind.DUPLICATE]


def test_a_re_sent_start_gets_the_answer_it_first_got_even_if_the_token_changed_since(station):
    token = IdTokenFactory(value="TAG-1")
    first = answer(start(station))
    token.status = TokenStatus.BLOCKED
    token.save()

    assert answer(start(station)) == first


def test_a_re_sent_start_after_the_stop_still_returns_the_same_id(station):
    first = answer(start(station))
    send(call(station, "1.6", "StopTransaction", {"transactionId": first["transactionId"], "meterStop": 2000,
                                                   "timestamp": "2025-03-01T11:00:00Z"}))

    assert answer(start(station))["transactionId"] == first["transactionId"]
    assert Transaction.objects.get().status == TransactionStatus.ENDED


@pytest.mark.parametrize("change", [{"timestamp": "2025-03-01T10:05:00Z"}, {"meter": 1001}, {"connector": 2},
                                    {"tag": "TAG-2"}], ids=["later", "other meter", "other connector", "other tag"])
def test_a_start_that_differs_in_any_key_field_is_a_new_session(station, change):
    first = answer(start(station))

    second = answer(start(station, **change))

    assert second["transactionId"] != first["transactionId"]
    assert Transaction.objects.count() == 2


def test_two_stations_starting_at_the_same_moment_get_different_ids(station):
    other = StationFactory(station_id="CP-0043")

    ids = {answer(start(s))["transactionId"] for s in (station, other)}

    assert len(ids) == 2
    assert set(Transaction.objects.values_list("pk", flat=True)) == ids


def test_a_start_clears_nothing_on_other_sessions_of_the_station(station):
    ongoing = TransactionFactory(station=station, evse_id=2)

    answer(start(station, connector=1))

    ongoing.refresh_from_db()
    assert ongoing.status == TransactionStatus.ACTIVE


def test_a_start_on_connector_0_is_recorded_and_noted(station):
    answer(start(station, connector=0))

    transaction = Transaction.objects.get()
    assert (transaction.evse_id, transaction.connector_id) == (0, 0)
    assert transaction.notes.get(kind=NoteKind.CONFLICT)


def test_a_start_from_an_unknown_station_is_a_security_error(db):
    reply = start("CP-NOBODY")

    assert (reply["kind"], reply["payload"]["code"]) == ("error", "SecurityError")
    assert not Transaction.objects.exists()


def test_a_start_received_late_keeps_the_stations_time(station):
    answer(start(station, at=(datetime.fromisoformat(STARTED) + timedelta(hours=3)).isoformat()))

    assert Transaction.objects.get().started_at == datetime.fromisoformat(STARTED)


def at_once(*stations):
    """Start on each station from its own thread and connection, released together."""
    barrier = threading.Barrier(len(stations))

    def run(station):
        barrier.wait()
        try:
            return answer(start(station))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(stations)) as pool:
        return list(pool.map(run, stations))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_start_sent_twice_at_once_gets_one_id():
    station = StationFactory()

    first, second = at_once(station, station)

    assert first["transactionId"] == second["transactionId"]
    assert Transaction.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_stations_starting_at_once_get_different_ids():

    replies = at_once(*StationFactory.create_batch(4))

    assert len({r["transactionId"] for r in replies}) == 4
