"""Webhooks: endpoints through the API, signed deliveries to a real local receiver, retries, and the events the
services emit."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone

from stations.choices import CommandStatus
from stations.models import Command
from stations.services import record_command_result
from tests.support.envelopes import call, connect, disconnect, send
from tests.support.factories import StationFactory
from tests.support.transaction_factories import TransactionFactory
from webhooks import services
from webhooks.choices import DeliveryStatus, Event
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tasks import deliver, retry_due_deliveries

pytestmark = pytest.mark.django_db

class Receiver:
    """An HTTP server on a free local port that records each POST and answers with the next queued status."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": self.headers, "body": body})  # case-insensitive
                code = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                receiver.arrived.set()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def endpoint(receiver):
    return WebhookEndpoint.objects.create(url=receiver.url, secret="s3cret-s3cret-s3cret", events=list(Event.values))


def only_delivery(event: str) -> WebhookDelivery:
    [delivery] = WebhookDelivery.objects.filter(event=event)
    return delivery


# --- the API ------------------------------------------------------------------------------------------------

def test_an_operator_registers_an_endpoint_and_sees_its_secret_once(operator_client, viewer_client):
    response = operator_client.post("/api/v1/webhooks/", {"url": "https://billing.example/hook",
                                                          "events": ["session.ended", "session.started"]},
                                    format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    stored = WebhookEndpoint.objects.get()
    assert body["secret"] == stored.secret and len(stored.secret) >= 32
    assert stored.created_by.username == "api-operator"
    listed = viewer_client.get("/api/v1/webhooks/").json()["results"]
    assert [e["events"] for e in listed] == [["session.ended", "session.started"]]
    assert "secret" not in listed[0]


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "https://x.example", "events": ["session.paused"]}, "events.0"),
    ({"url": "https://x.example", "events": []}, "events"),
    ({"url": "ftp://x.example", "events": ["session.started"]}, "url"),
    ({"url": "https://x.example", "events": ["session.started"], "secret": "short"}, "secret"),
    ({"url": "https://x.example", "events": ["session.started"], "retries": 3}, "retries"),
])
def test_a_bad_endpoint_is_a_400_naming_the_field(operator_client, body, field):
    response = operator_client.post("/api/v1/webhooks/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_viewers_read_endpoints_and_deliveries_but_cannot_change_them(viewer_client, anon_client, endpoint):
    services.emit(Event.STATION_ONLINE, {"station_id": "CP-1"})

    assert viewer_client.post("/api/v1/webhooks/", {"url": "https://x.example", "events": ["station.online"]},
                              format="json").status_code == 403
    assert viewer_client.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"active": False}, format="json").status_code == 403
    deliveries = viewer_client.get("/api/v1/webhook-deliveries/", {"event": "station.online"}).json()["results"]
    assert [(d["event"], d["status"], d["payload"]) for d in deliveries] == [
        ("station.online", "pending", {"station_id": "CP-1"})]
    assert anon_client.get("/api/v1/webhooks/").status_code == 401


def test_an_operator_deactivates_and_deletes_an_endpoint(operator_client, endpoint):
    assert operator_client.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"active": False},
                                 format="json").json()["active"] is False
    assert services.emit(Event.STATION_ONLINE, {"station_id": "CP-1"}) == []
    assert operator_client.delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 204


# --- delivery -----------------------------------------------------------------------------------------------

def test_a_delivery_is_signed_with_the_endpoint_secret(receiver, endpoint):
    [pk] = services.emit(Event.SESSION_STARTED, {"transaction_id": 7})

    delivered = services.attempt_delivery(delivery_id=pk)

    assert delivered.status == DeliveryStatus.DELIVERED and delivered.attempts == 1
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    expected = "sha256=" + hmac.new(b"s3cret-s3cret-s3cret", body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-CSMS-Signature"], expected)
    assert headers["X-CSMS-Event"] == "session.started" and headers["X-CSMS-Delivery"] == str(pk)
    assert json.loads(body) == {"id": pk, "event": "session.started", "data": {"transaction_id": 7},
                                "created_at": delivered.created_at.isoformat()}
    assert delivered.attempt_log[0]["status_code"] == 200


def test_a_failed_delivery_is_retried_after_the_backoff_and_ends_delivered(receiver, endpoint):
    receiver.statuses = [500, 200]
    [pk] = services.emit(Event.SESSION_ENDED, {"transaction_id": 7})

    deliver.apply(args=[pk])  # the Celery task: one attempt, then self.retry(countdown=10)

    delivery = WebhookDelivery.objects.get(pk=pk)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at - timezone.now() > timedelta(seconds=8)
    assert services.retry_due_deliveries() == 0  # not due yet

    assert services.retry_due_deliveries(now=timezone.now() + timedelta(seconds=11)) == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert [a["status_code"] for a in delivery.attempt_log] == [500, 200]
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]  # the same signed body again


def test_a_receiver_that_never_answers_2xx_fails_the_delivery_after_the_last_backoff(receiver, endpoint):
    receiver.statuses = [503] * 10
    [pk] = services.emit(Event.STATION_OFFLINE, {"station_id": "CP-1"})
    now = timezone.now()

    for delay in (0, *services.RETRY_DELAYS):
        now += timedelta(seconds=delay + 1)
        retry_due_deliveries.run() if delay == 0 else services.retry_due_deliveries(now=now)

    delivery = WebhookDelivery.objects.get(pk=pk)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 6, None)
    assert services.retry_due_deliveries(now=now + timedelta(days=1)) == 0


def test_an_unreachable_receiver_is_an_attempt_with_its_error(endpoint):
    endpoint.url = "http://127.0.0.1:9/nothing"  # discard port: nothing listens
    endpoint.save()
    [pk] = services.emit(Event.STATION_ONLINE, {"station_id": "CP-1"})

    delivery = services.attempt_delivery(delivery_id=pk)

    assert delivery.status == "pending" and delivery.last_status_code is None and delivery.last_error


@pytest.mark.django_db(transaction=True)
def test_embedded_mode_sends_after_commit_without_a_worker(receiver, endpoint, settings):
    settings.BROKER_URL = ""
    with transaction.atomic():
        [pk] = services.emit(Event.STATION_ONLINE, {"station_id": "CP-1"})
        assert not receiver.arrived.is_set()  # nothing announced before the commit

    assert receiver.arrived.wait(5)
    for _ in range(50):
        if WebhookDelivery.objects.get(pk=pk).status == DeliveryStatus.DELIVERED:
            break
        time.sleep(0.05)
    assert WebhookDelivery.objects.get(pk=pk).status == DeliveryStatus.DELIVERED


# --- events from the services -------------------------------------------------------------------------------

def test_a_session_start_and_stop_from_a_station_emit_started_and_ended(endpoint, station):
    reply = send(call(station, "1.6", "StartTransaction", {"connectorId": 1, "idTag": "TAG-1", "meterStart": 1000,
                                                           "timestamp": "2025-03-01T10:00:00Z"}))
    transaction_id = reply["payload"]["transactionId"]
    send(call(station, "1.6", "StartTransaction", {"connectorId": 1, "idTag": "TAG-1", "meterStart": 1000,
                                                   "timestamp": "2025-03-01T10:00:00Z"}))  # a re-send: no news
    send(call(station, "1.6", "StopTransaction", {"transactionId": transaction_id, "meterStop": 5000,
                                                  "timestamp": "2025-03-01T11:00:00Z"}))

    started = only_delivery("session.started").payload
    assert (started["transaction_id"], started["station_id"], started["id_token"]) == (transaction_id, "CP-0042",
                                                                                       "TAG-1")
    ended = only_delivery("session.ended").payload
    assert (ended["energy_wh"], ended["ended_at"]) == ("4000.000", "2025-03-01T11:00:00Z")


def test_a_201_session_emits_started_and_ended(endpoint, station):
    def event(kind, seq, **extra):
        payload = {"eventType": kind, "timestamp": f"2025-03-01T10:0{seq}:00Z", "triggerReason": "Authorized",
                   "seqNo": seq, "transactionInfo": {"transactionId": "tx-9"}, **extra}
        send(call(station, "2.0.1", "TransactionEvent", payload))

    event("Started", 0, idToken={"idToken": "TAG-1", "type": "ISO14443"}, evse={"id": 1, "connectorId": 1})
    event("Updated", 1)
    event("Ended", 2)

    assert only_delivery("session.started").payload["station_tx_id"] == "tx-9"
    assert only_delivery("session.ended").payload["status"] == "Ended"


def test_an_operator_close_emits_ended(operator_client, endpoint):
    session = TransactionFactory()

    operator_client.post(f"/api/v1/transactions/{session.pk}/close/", {"reason": "stuck"}, format="json")

    assert only_delivery("session.ended").payload["closed_by"] == "api-operator"


def test_connecting_and_disconnecting_emit_online_and_offline(endpoint, station):
    send(connect(station))
    send(connect(station, conn="conn-2"))  # replaces the socket: still online, no news
    send(disconnect(station, conn="conn-2", reason="closed with code 1006"))

    assert only_delivery("station.online").payload["station_id"] == "CP-0042"
    assert only_delivery("station.offline").payload["reason"] == "closed with code 1006"


def test_a_status_change_is_emitted_once(endpoint, station):
    def status(value, at):
        send(call(station, "1.6", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": value,
                                                         "timestamp": at}))

    status("Available", "2025-03-01T10:00:00Z")
    status("Available", "2025-03-01T10:01:00Z")  # the same status again: no news
    status("Charging", "2025-03-01T10:02:00Z")

    changes = [d.payload for d in WebhookDelivery.objects.filter(event="station.status_changed").order_by("id")]
    assert [(c["previous_status"], c["status"]) for c in changes] == [("", "Available"), ("Available", "Charging")]


def test_an_answered_command_is_emitted(endpoint):
    station = StationFactory(station_id="CP-C")
    command = Command.objects.create(station=station, ocpp_version="1.6", action="Reset", payload={"type": "Soft"},
                                     message_id="m-1", status=CommandStatus.SENT)

    with transaction.atomic():
        record_command_result(message_id="m-1", outcome="result", response={"status": "Rejected"},
                              at=timezone.now())

    payload = only_delivery("command.answered").payload
    assert (payload["command_id"], payload["station_id"], payload["status"]) == (command.pk, "CP-C", "rejected")


def test_without_endpoints_nothing_is_stored(station):
    send(connect(station))

    assert not WebhookDelivery.objects.exists()


def test_endpoint_and_delivery_lists_cost_constant_queries(viewer_client, endpoint, django_assert_num_queries):
    for n in range(5):
        services.emit(Event.STATION_ONLINE, {"station_id": f"CP-{n}"})

    with django_assert_num_queries(4):  # token + role lookup, count, page
        assert len(viewer_client.get("/api/v1/webhook-deliveries/").json()["results"]) == 5
    with django_assert_num_queries(4):
        assert len(viewer_client.get("/api/v1/webhooks/").json()["results"]) == 1
