"""The OCPP message log: both directions recorded through central's real entry points, the page, and the prune job."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from csms.envelope import Envelope
from stations import services, tasks
from stations.choices import MessageDirection, MessageKind
from stations.models import OcppMessage
from stations.services import message_log
from tests.support.envelopes import call, send
from tests.support.factories import NodeFactory, StationFactory

pytestmark = pytest.mark.django_db


def queries(view) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert view().status_code == 200
    return len(captured)


def logged(station):
    return list(OcppMessage.objects.filter(station=station).order_by("at", "id")
                .values_list("direction", "kind", "action", "message_id", "error_code"))


def test_a_station_call_and_centrals_result_are_logged_with_their_payloads(station):
    reply = send(call(station, "1.6", "Heartbeat", {}, message_id="hb-1"))

    assert logged(station) == [("in", "call", "Heartbeat", "hb-1", ""), ("out", "result", "Heartbeat", "hb-1", "")]
    out = OcppMessage.objects.get(direction="out")
    assert out.payload == reply["payload"] and "currentTime" in out.payload


def test_a_call_answered_with_a_callerror_is_logged_with_the_error_code(station):
    send(call(station, "1.6", "FrobnicateNotification", {"x": 1}, message_id="f-1"))

    assert logged(station) == [("in", "call", "FrobnicateNotification", "f-1", ""),
                               ("out", "error", "FrobnicateNotification", "f-1", "NotSupported")]


def test_calls_of_a_station_central_does_not_know_are_not_logged(db):
    send(call("CP-NOBODY", "1.6", "Heartbeat", {}))

    assert not OcppMessage.objects.exists()


@pytest.fixture
def online(monkeypatch):
    monkeypatch.setattr("csms.bus.reaches_nodes", lambda: True)  # as in the server process, which holds the node
    return StationFactory(ocpp_version="1.6", online=True, node=NodeFactory(), conn="sock-1")


def answer(command, outcome, **payload):
    return send(Envelope(kind="command_result", station=command.station.station_id, node="node-a", conn="sock-1",
                         ocpp="1.6", id=command.message_id, payload={"outcome": outcome, **payload}))


def test_a_commands_call_is_logged_when_sent_and_the_stations_answer_when_reported(online):
    command = services.issue_command(station_id=online.station_id, action="Reset", payload={"type": "Soft"})
    answer(command, "result", response={"status": "Accepted"})

    assert logged(online) == [("out", "call", "Reset", command.message_id, ""),
                              ("in", "result", "Reset", command.message_id, "")]
    assert [m.payload for m in OcppMessage.objects.order_by("at", "id")] == [{"type": "Soft"}, {"status": "Accepted"}]


def test_a_commands_callerror_is_logged_and_a_timeout_is_not_a_message(online):
    failed = services.issue_command(station_id=online.station_id, action="ClearCache", payload={})
    silent = services.issue_command(station_id=online.station_id, action="ClearCache", payload={})
    answer(failed, "error", code="NotImplemented", description="no cache")
    answer(silent, "timeout")

    answers = OcppMessage.objects.filter(direction="in")
    assert [(m.kind, m.message_id, m.error_code, m.payload["description"]) for m in answers] == [
        ("error", failed.message_id, "NotImplemented", "no cache")]


def test_a_command_queued_for_an_offline_station_is_logged_only_when_it_goes_out(db):
    station = StationFactory(ocpp_version="1.6", online=False)
    services.issue_command(station_id=station.station_id, action="ClearCache", payload={},
                           queue_for=timedelta(minutes=5))

    assert logged(station) == []


# The page


def page(client, station, **query):
    return client.get(reverse("station_messages", args=[station.station_id]), query)


def test_the_page_shows_both_directions_and_searches_action_message_id_and_payload(viewer_client, station):
    send(call(station, "1.6", "Heartbeat", {}, message_id="hb-7"))
    send(call(station, "1.6", "Authorize", {"idTag": "CARD-XYZ"}, message_id="auth-1"))

    everything = page(viewer_client, station)
    by_payload = page(viewer_client, station, q="card-xyz")
    by_id = page(viewer_client, station, q="hb-7")
    by_action = page(viewer_client, station, q="authoriz", direction="in")

    assert everything.context["page"].paginator.count == 4
    assert {(m.action, m.direction) for m in by_payload.context["page"]} == {("Authorize", "in")}
    assert {(m.message_id, m.kind) for m in by_id.context["page"]} == {("hb-7", "call"), ("hb-7", "result")}
    assert [(m.action, m.kind) for m in by_action.context["page"]] == [("Authorize", "call")]
    assert "CARD-XYZ" in by_payload.content.decode()


def test_the_page_filters_by_kind_and_is_paginated(viewer_client, station):
    for n in range(30):
        send(call(station, "1.6", "Heartbeat", {}, message_id=f"hb-{n}"))
    send(call(station, "1.6", "NoSuchAction", {}, message_id="bad"))

    errors = page(viewer_client, station, kind="error")
    second = page(viewer_client, station, page=2)

    assert [m.message_id for m in errors.context["page"]] == ["bad"]
    assert second.context["page"].number == 2 and len(second.context["page"]) == 12


def test_the_page_reads_the_same_number_of_queries_for_few_and_many_messages(viewer_client, station):
    send(call(station, "1.6", "Heartbeat", {}))
    few = queries(lambda: page(viewer_client, station))
    for _ in range(30):
        send(call(station, "1.6", "Heartbeat", {}))

    assert queries(lambda: page(viewer_client, station)) == few <= 8


# Pruning


def message(station, at):
    return OcppMessage.objects.create(station=station, direction="in", kind="call", action="Heartbeat",
                                      message_id="m", payload={}, at=at)


def test_prune_deletes_one_bounded_batch_of_the_oldest_rows(station):
    old = [message(station, datetime(2025, 1, 1, 0, n, tzinfo=UTC)) for n in range(5)]
    recent = message(station, datetime(2025, 3, 1, tzinfo=UTC))

    assert message_log.prune_messages(before=datetime(2025, 2, 1, tzinfo=UTC), batch_size=3) == 3

    assert set(OcppMessage.objects.values_list("pk", flat=True)) == {old[3].pk, old[4].pk, recent.pk}


def test_the_prune_job_keeps_the_retention_days_and_deletes_in_batches(station, settings, monkeypatch):
    settings.OCPP_LOG_RETENTION_DAYS = 10
    monkeypatch.setattr(tasks, "PRUNE_BATCH", 2)
    now = timezone.now()
    for _ in range(5):
        message(station, now - timedelta(days=11))
    kept = message(station, now - timedelta(days=9))

    assert tasks.prune_message_log() == 5

    assert list(OcppMessage.objects.values_list("pk", flat=True)) == [kept.pk]


def test_the_prune_job_is_on_beats_schedule():
    from csms.celery import app

    assert app.conf.beat_schedule["prune-message-log"]["task"] == "stations.prune_message_log"


@pytest.mark.parametrize("value", ["0", "-3", "thirty"])
def test_a_retention_that_is_not_a_positive_whole_number_stops_start_up(value):
    from tests.test_settings import start

    started = start({"OCPP_LOG_RETENTION_DAYS": value})

    assert started.returncode != 0 and "OCPP_LOG_RETENTION_DAYS" in started.stderr


def test_the_message_log_is_browsable_read_only_in_the_admin(admin_client):
    message = OcppMessage.objects.create(station=StationFactory(), direction=MessageDirection.IN,
                                         kind=MessageKind.CALL, action="Heartbeat", message_id="m-1", payload={},
                                         at=timezone.now())

    assert admin_client.get(reverse("admin:stations_ocppmessage_changelist") + "?q=m-1").status_code == 200
    page = admin_client.get(reverse("admin:stations_ocppmessage_change", args=[message.pk]))
    assert page.status_code == 200 and b"Heartbeat" in page.content
    assert admin_client.get(reverse("admin:stations_ocppmessage_add")).status_code == 403
