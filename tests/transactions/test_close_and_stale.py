"""Sessions the station never ends: an operator closes them; a periodic job flags the silent ones once."""

from datetime import datetime, timedelta

import pytest
from django.db import transaction as db_transaction

from csms.celery import app
from tests.support.envelopes import call, send
from tests.support.transaction_factories import TransactionFactory
from tests.test_settings import start
from transactions import tasks
from transactions.choices import NoteKind, TransactionStatus
from transactions.services.sessions import close_transaction, flag_stale_transactions

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2025-03-02T12:00:00Z")
DAY = timedelta(days=1)


def close(session, *, by="alice", reason="station replaced", at=NOW):
    with db_transaction.atomic():
        return close_transaction(transaction_id=session.pk, by=by, reason=reason, at=at)


def test_an_operator_closes_an_active_session_with_a_reason(station):
    session = TransactionFactory(station=station)

    closed = close(session)

    session.refresh_from_db()
    assert closed == session
    assert (session.status, session.ended_at, session.closed_by, session.close_note) == (
        TransactionStatus.ENDED, NOW, "alice", "station replaced")
    note = session.notes.get()
    assert (note.kind, note.detail) == (NoteKind.OPERATOR_CLOSED, "closed by alice: station replaced")


def test_closing_an_ended_session_changes_nothing(station):
    session = TransactionFactory(station=station, status=TransactionStatus.ENDED, ended_at=NOW - DAY)

    assert close(session) is None

    session.refresh_from_db()
    assert (session.ended_at, session.closed_by) == (NOW - DAY, "")
    assert not session.notes.exists()


def test_closing_keeps_the_energy_read_so_far(station):
    session = TransactionFactory(station=station, meter_start_wh=1000)
    send(call(station, "1.6", "MeterValues", {"connectorId": 1, "transactionId": session.pk, "meterValue": [
        {"timestamp": "2025-03-01T10:00:00Z", "sampledValue": [{"value": "4000"}]}]}))

    close(session)

    session.refresh_from_db()
    assert session.energy_wh == 3000


def test_a_silent_active_session_is_flagged_stale_with_one_note(station):
    silent = TransactionFactory(station=station, last_message_at=NOW - DAY - timedelta(seconds=1))

    flagged = flag_stale_transactions(now=NOW, silent_for=DAY)
    flag_stale_transactions(now=NOW + DAY, silent_for=DAY)

    silent.refresh_from_db()
    assert flagged == [silent]
    assert silent.stale
    assert list(silent.notes.values_list("kind", flat=True)) == [NoteKind.STALE]


@pytest.mark.parametrize("fields", [
    {"last_message_at": NOW - DAY + timedelta(seconds=1)},
    {"last_message_at": NOW - 2 * DAY, "status": TransactionStatus.ENDED},
], ids=["heard from recently", "ended"])
def test_recent_and_ended_sessions_are_not_flagged(station, fields):
    session = TransactionFactory(station=station, **fields)

    assert flag_stale_transactions(now=NOW, silent_for=DAY) == []
    session.refresh_from_db()
    assert not session.stale


def test_a_new_message_clears_the_flag_and_a_later_silence_flags_it_again(station):
    session = TransactionFactory(station=station, last_message_at=NOW - 2 * DAY)
    flag_stale_transactions(now=NOW, silent_for=DAY)

    send(call(station, "1.6", "MeterValues", {"connectorId": 1, "transactionId": session.pk, "meterValue": [
        {"timestamp": "2025-03-02T12:00:00Z", "sampledValue": [{"value": "10"}]}]}, at="2025-03-02T12:00:00Z"))
    session.refresh_from_db()
    assert not session.stale

    flag_stale_transactions(now=NOW + 2 * DAY, silent_for=DAY)
    session.refresh_from_db()
    assert session.stale
    assert session.notes.filter(kind=NoteKind.STALE).count() == 2


def test_the_periodic_task_uses_the_setting(station, settings):
    settings.TRANSACTION_STALE_AFTER = 60
    session = TransactionFactory(station=station, last_message_at=datetime.now().astimezone() - timedelta(minutes=5))

    assert tasks.flag_stale_transactions.run() == 1

    session.refresh_from_db()
    assert session.stale


def test_the_job_is_scheduled_in_beat():
    tasks_scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}

    assert "transactions.flag_stale_transactions" in tasks_scheduled


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_a_bad_stale_threshold_stops_start_up_naming_the_variable(value):
    started = start({"TRANSACTION_STALE_AFTER": value})

    assert started.returncode != 0
    assert "TRANSACTION_STALE_AFTER:" in started.stderr


@pytest.mark.django_db
def test_the_periodic_job_expires_reservations_past_their_time():
    from datetime import timedelta

    from django.utils import timezone

    from tests.support.factories import StationFactory
    from transactions.choices import ReservationStatus
    from transactions.models import Reservation
    from transactions.tasks import expire_reservations

    station = StationFactory()
    now = timezone.now()
    fields = {"station": station, "id_token_value": "T", "status": ReservationStatus.ACCEPTED}
    old = Reservation.objects.create(reservation_id=1, expires_at=now - timedelta(minutes=1), **fields)
    live = Reservation.objects.create(reservation_id=2, expires_at=now + timedelta(hours=1), **fields)

    assert expire_reservations() == 1
    old.refresh_from_db(), live.refresh_from_db()
    assert (old.status, live.status) == (ReservationStatus.EXPIRED, ReservationStatus.ACCEPTED)
