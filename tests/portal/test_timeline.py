"""The station timeline: one list of everything, newest first, and the hints, one rule per test."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from stations import timeline
from stations.choices import CommandStatus, ConnectionEvent, ConnectorStatus
from stations.models import Command, ConnectionLog
from tests.support.envelopes import call, send
from tests.support.factories import ConnectorFactory, StationFactory
from tests.support.transaction_factories import TransactionFactory
from transactions.choices import NoteKind, TransactionStatus
from transactions.models import DataQualityNote

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


# Reconnecting every few minutes


def test_four_connects_in_the_last_hour_is_a_connection_that_keeps_dropping():
    hint = timeline.reconnecting([NOW - timedelta(minutes=m) for m in (5, 20, 35, 50)], now=NOW)

    assert hint.rule == "reconnecting" and "connected 4 times in the last hour" in hint.text


def test_connects_spread_over_more_than_an_hour_are_no_pattern():
    assert timeline.reconnecting([NOW - timedelta(minutes=m) for m in (5, 30, 70, 90)], now=NOW) is None


# A station clock that differs from central's


def test_a_station_clock_three_minutes_behind_is_pointed_out():
    samples = [(at - timedelta(minutes=3), at) for at in (NOW, NOW - timedelta(minutes=10))]

    hint = timeline.clock_skew(samples)

    assert hint.rule == "clock_skew" and "about 3 min behind central's" in hint.text


def test_a_clock_within_two_minutes_and_one_late_message_are_no_skew():
    samples = [(NOW - timedelta(seconds=30), NOW), (NOW - timedelta(seconds=40), NOW), (NOW - timedelta(hours=5), NOW)]

    assert timeline.clock_skew(samples) is None  # the median ignores one message sent late


def test_clock_samples_come_from_logged_timestamps_and_skip_messages_sent_while_offline():
    received = NOW
    messages = [({"timestamp": "2025-03-01T11:50:00Z"}, received),
                ({"timestamp": "2025-03-01T08:00:00Z", "offline": True}, received),
                ({"timestamp": "not a time"}, received), ({}, received)]

    assert timeline.clock_samples(messages) == [(datetime(2025, 3, 1, 11, 50, tzinfo=UTC), received)]


# A connector stuck in Faulted


def test_a_connector_faulted_for_over_an_hour_is_stuck():
    hints = timeline.stuck_faulted([("Connector 1/1", ConnectorStatus.FAULTED, NOW - timedelta(hours=2)),
                                    ("Connector 2/1", ConnectorStatus.FAULTED, NOW - timedelta(minutes=10)),
                                    ("Connector 3/1", ConnectorStatus.AVAILABLE, NOW - timedelta(days=2))], now=NOW)

    assert [h.text.split(" has been")[0] for h in hints] == ["Connector 1/1"]
    assert "(2 h)" in hints[0].text


# A session that never ended


def test_an_active_session_older_than_a_day_or_flagged_stale_never_ended(db):
    long = TransactionFactory(started_at=NOW - timedelta(hours=30))
    stale = TransactionFactory(started_at=NOW - timedelta(hours=1), stale=True)
    TransactionFactory(started_at=NOW - timedelta(hours=1))
    TransactionFactory(started_at=NOW - timedelta(days=3), status=TransactionStatus.ENDED,
                       ended_at=NOW - timedelta(days=2))

    hints = timeline.unended_sessions(list(type(long).objects.all()), now=NOW)

    assert sorted(h.text.split(" never")[0] for h in hints) == sorted([f"Session #{long.pk}", f"Session #{stale.pk}"])


# Offline since


def test_an_offline_station_that_was_seen_is_offline_since_then():
    hint = timeline.offline_since(online=False, last_seen=NOW - timedelta(hours=3), now=NOW)

    assert hint.rule == "offline" and "(3 h ago)" in hint.text


def test_a_station_online_or_never_seen_gets_no_offline_hint():
    assert timeline.offline_since(online=True, last_seen=NOW, now=NOW) is None
    assert timeline.offline_since(online=False, last_seen=None, now=NOW) is None


# All rules on a real station


def test_station_hints_reads_the_stations_data(db):
    now = timezone.now()
    station = StationFactory(online=False, last_seen=now - timedelta(minutes=30), ocpp_version="1.6")
    ConnectorFactory(station=station, evse_id=9, status=ConnectorStatus.FAULTED, status_at=now - timedelta(hours=2))
    for minutes in (10, 20, 30, 40):
        ConnectionLog.objects.create(station=station, station_ident=station.station_id,
                                     event=ConnectionEvent.CONNECTED, at=now - timedelta(minutes=minutes))
    skewed = (now - timedelta(minutes=10)).isoformat()
    for connector in (1, 2):
        send(call(station, "1.6", "StatusNotification", {"connectorId": connector, "errorCode": "NoError",
                                                         "status": "Available", "timestamp": skewed}))
    TransactionFactory(station=station, started_at=now - timedelta(days=2))

    rules = [h.rule for h in timeline.station_hints(station, now=now)]

    assert rules == ["reconnecting", "clock_skew", "stuck_faulted", "unended_session", "offline"]


# The page


def test_the_timeline_lists_everything_newest_first(viewer_client):
    now = timezone.now()
    station = StationFactory(ocpp_version="1.6")
    ConnectionLog.objects.create(station=station, station_ident=station.station_id, event=ConnectionEvent.REFUSED,
                                 reason="bad_credentials", remote_addr="198.51.100.4", at=now - timedelta(hours=5))
    ConnectionLog.objects.create(station=station, station_ident=station.station_id,
                                 event=ConnectionEvent.CONNECTED, at=now - timedelta(hours=4))
    send(call(station, "1.6", "BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "X1"},
              at=(now - timedelta(hours=3, minutes=59)).isoformat()))
    send(call(station, "1.6", "StatusNotification", {"connectorId": 1, "errorCode": "GroundFailure",
                                                     "status": "Faulted"}, at=(now - timedelta(hours=3)).isoformat()))
    session = TransactionFactory(station=station, started_at=now - timedelta(hours=2),
                                 ended_at=now - timedelta(hours=1), status=TransactionStatus.ENDED,
                                 energy_wh=Decimal("7500"), stop_reason="Local")
    Command.objects.create(station=station, ocpp_version="1.6", action="Reset", payload={"type": "Soft"},
                           message_id="c-1", requested_by="ops", status=CommandStatus.REJECTED,
                           answered_at=now + timedelta(seconds=1), error_description="Rejected")
    DataQualityNote.objects.create(station=station, transaction=session, kind=NoteKind.METER_BACKWARDS,
                                   detail="meter went from 10 to 5", at=now - timedelta(minutes=90))

    response = viewer_client.get(reverse("station_timeline", args=[station.station_id]))

    texts = [e.text for e in response.context["page"]]
    assert texts == [
        "Reset: Rejected (Rejected)", "Command Reset by ops", f"Session #{session.pk} ended (Local), 7.500 kWh",
        "meter going backwards: meter went from 10 to 5",
        f"Session #{session.pk} started on EVSE 1 with token {session.id_token_value}",
        "Connector 1: Faulted (GroundFailure)", "Boot: Acme X1", "Connected (OCPP ?)",
        "Connection refused from 198.51.100.4: bad or missing credentials"]
    assert reverse("transaction_detail", args=[session.pk]) in response.content.decode()


def test_the_timeline_is_bounded_to_the_days_asked(viewer_client):
    station = StationFactory()
    ConnectionLog.objects.create(station=station, station_ident=station.station_id,
                                 event=ConnectionEvent.CONNECTED, at=timezone.now() - timedelta(days=10))

    week = viewer_client.get(reverse("station_timeline", args=[station.station_id]))
    month = viewer_client.get(reverse("station_timeline", args=[station.station_id]), {"days": 30})

    assert (len(week.context["page"]), len(month.context["page"])) == (0, 1)
