"""The Django admin for sessions, meter values and notes, and the action that closes a session by hand."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from tests.support.envelopes import call, send
from tests.support.factories import StationFactory
from tests.support.transaction_factories import TransactionFactory
from transactions.choices import NoteKind, TransactionStatus
from transactions.models import DataQualityNote, Transaction

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:transactions_transaction_changelist"


@pytest.fixture
def sessions(station):
    """A 1.6 session with readings and a note, and an ended 2.0.1 session with its events, on other stations."""
    active = TransactionFactory(station=station, meter_start_wh=1000, id_token__value="CARD-ALPHA")
    send(call(station, "1.6", "MeterValues", {"connectorId": 1, "transactionId": active.pk, "meterValue": [
        {"timestamp": "2025-03-01T10:00:00Z", "sampledValue": [{"value": "13.5", "unit": "kWh"}, {
            "value": "7400", "unit": "W", "measurand": "Power.Active.Import"}]}]}))
    send(call(station, "1.6", "MeterValues", {"connectorId": 1, "transactionId": active.pk, "meterValue": [
        {"timestamp": "2025-03-01T09:55:00Z", "sampledValue": [{"value": "900"}]}]}))
    bravo = StationFactory(station_id="CP-BRAVO", ocpp_version="2.0.1")
    for seq_no, event_type in enumerate(["Started", "Ended"]):
        send(call(bravo, "2.0.1", "TransactionEvent", {
            "eventType": event_type, "timestamp": "2025-03-01T09:00:00Z", "triggerReason": "Authorized",
            "seqNo": seq_no, "transactionInfo": {"transactionId": "BRAVO-TX-9"}}))
    active.refresh_from_db()
    return active


@pytest.mark.parametrize("url_name, shows", [
    (CHANGELIST, "BRAVO-TX-9"),
    ("admin:transactions_metervalue_changelist", "Power.Active.Import"),
    ("admin:transactions_dataqualitynote_changelist", "meter going backwards"),
], ids=["transactions", "meter values", "notes"])
def test_a_superuser_sees_the_list(admin_client, sessions, url_name, shows):
    response = admin_client.get(reverse(url_name))

    assert response.status_code == 200
    assert shows in response.content.decode()


def test_the_transaction_list_shows_energy_in_kwh(admin_client, sessions):
    page = admin_client.get(reverse(CHANGELIST)).content.decode()

    assert "12.500" in page  # 13.5 kWh register - 1000 Wh meterStart


def test_the_transaction_list_takes_a_fixed_number_of_queries(admin_client, sessions, django_assert_max_num_queries):
    for _ in range(10):
        TransactionFactory(station=StationFactory())

    with django_assert_max_num_queries(12):
        assert admin_client.get(reverse(CHANGELIST)).status_code == 200


@pytest.mark.parametrize("query, shows, hides", [
    ({"q": "CP-BRAVO"}, "BRAVO-TX-9", "CARD-ALPHA"),
    ({"q": "CARD-ALPHA"}, "CARD-ALPHA", "BRAVO-TX-9"),
    ({"q": "BRAVO-TX"}, "BRAVO-TX-9", "CARD-ALPHA"),
    ({"status__exact": "Active"}, "CARD-ALPHA", "BRAVO-TX-9"),
    ({"ocpp_version": "2.0.1"}, "BRAVO-TX-9", "CARD-ALPHA"),
], ids=["station id", "token", "station tx id", "status", "version"])
def test_searching_and_filtering_find_the_session_asked_for(admin_client, sessions, query, shows, hides):
    page = admin_client.get(reverse(CHANGELIST), query).content.decode()

    assert shows in page
    assert hides not in page


def test_the_session_page_is_read_only_with_readings_notes_and_events(admin_client, sessions):
    bravo = Transaction.objects.get(station_tx_id="BRAVO-TX-9")

    alpha_page = admin_client.get(reverse("admin:transactions_transaction_change", args=[sessions.pk]))
    bravo_page = admin_client.get(reverse("admin:transactions_transaction_change", args=[bravo.pk]))

    assert alpha_page.status_code == bravo_page.status_code == 200
    alpha, bravo_text = alpha_page.content.decode(), bravo_page.content.decode()
    assert 'name="_save"' not in alpha
    assert "13500" in alpha and "meter going backwards" in alpha
    assert "all meter values of this session" in alpha
    assert "Started" in bravo_text and "Ended" in bravo_text


def test_the_meter_value_link_lists_the_sessions_readings(admin_client, sessions):
    response = admin_client.get(reverse("admin:transactions_metervalue_changelist"),
                                {"transaction__id__exact": sessions.pk})

    assert response.status_code == 200
    assert "Power.Active.Import" in response.content.decode()


def test_meter_values_and_notes_cannot_be_added_or_edited(admin_client, sessions):
    note = DataQualityNote.objects.first()

    assert admin_client.get(reverse("admin:transactions_metervalue_add")).status_code == 403
    response = admin_client.post(reverse("admin:transactions_dataqualitynote_change", args=[note.pk]),
                                 {"detail": "edited"})
    note.refresh_from_db()
    assert note.detail != "edited"
    assert response.status_code == 403


def close_action(admin_client, pks, **extra):
    data = {"action": "close_selected", helpers.ACTION_CHECKBOX_NAME: [str(pk) for pk in pks]} | extra
    return admin_client.post(reverse(CHANGELIST), data)


def test_closing_asks_for_a_reason_first(admin_client, sessions):
    response = close_action(admin_client, [sessions.pk])

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="reason"' in page and f"#{sessions.pk} at CP-0042" in page
    sessions.refresh_from_db()
    assert sessions.status == TransactionStatus.ACTIVE


def test_closing_without_a_reason_is_refused(admin_client, sessions):
    response = close_action(admin_client, [sessions.pk], apply="Close", reason="")

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    sessions.refresh_from_db()
    assert sessions.status == TransactionStatus.ACTIVE


def test_closing_with_a_reason_ends_the_session_and_records_who_and_why(admin_client, admin_user, sessions):
    ended = Transaction.objects.get(station_tx_id="BRAVO-TX-9")
    ended_at = ended.ended_at

    response = close_action(admin_client, [sessions.pk, ended.pk], apply="Close", reason="Station replaced")

    assert response.status_code == 302
    sessions.refresh_from_db()
    assert (sessions.status, sessions.closed_by, sessions.close_note) == (
        TransactionStatus.ENDED, admin_user.username, "Station replaced")
    assert sessions.energy_wh == Decimal(12500)
    assert sessions.notes.filter(kind=NoteKind.OPERATOR_CLOSED).exists()
    ended.refresh_from_db()
    assert (ended.closed_by, ended.ended_at) == ("", ended_at)
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["1 transaction(s) closed."]


def test_the_ended_sessions_end_time_is_the_stations(admin_client, sessions):
    ended = Transaction.objects.get(station_tx_id="BRAVO-TX-9")

    assert ended.ended_at == datetime.fromisoformat("2025-03-01T09:00:00Z")
