"""A password rotation is settled the moment the station answers: the new password works at once, and the password
itself is left nowhere in the database (command, message log, configuration, device model, webhook, audit log)."""

import json
from datetime import UTC, datetime

import pytest
from django.apps import apps

from audit.models import AuditEntry
from node import schemas
from stations import services
from stations.choices import MessageKind
from stations.models import ChargingStation, ConfigurationKey, DeviceVariable, OcppMessage
from stations.services import security
from tests.support.envelopes import connect, send
from tests.support.factories import NodeFactory, StationFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db
AT = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
OLD, NEW = "old-password-0123", "new-password-4567"
PASSWORD = {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}}
HEARTBEAT = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}


@pytest.fixture(autouse=True)
def webhook(db):
    return WebhookEndpoint.objects.create(url="https://hooks.example.invalid/csms", events=["command.answered"])


def online(station_id: str, version: str) -> ChargingStation:
    return StationFactory(station_id=station_id, ocpp_version=version, security_profile=1, password=OLD, online=True,
                          node=NodeFactory(node_id="embedded"), conn="c-1")


def sent_rotation(station_id: str, password: str = NEW):
    """Rotate, then send as the embedded server does, so the CALL is in the message log before the answer."""
    rotation = security.rotate_password(station_id=station_id, password=password, requested_by="olga")
    assert services.send_waiting_commands(at=AT) == 1
    return rotation


def answer(command, response: dict):
    schemas.validate(command.ocpp_version, command.action, response, response=True)
    return services.record_command_result(message_id=command.message_id, outcome="result", response=response, at=AT)


def admitted(station_id: str, password: str, version: str) -> bool:
    reply = send(connect(station_id, version, username=station_id, password=password))
    return reply["payload"]["accepted"]


def rows_holding(*secrets: str) -> list[str]:
    """Every row of every table whose text holds one of `secrets`, as "model: row"."""
    found = []
    for model in apps.get_models():
        for row in model.objects.values():
            text = json.dumps(row, default=str)
            if any(secret in text for secret in secrets):
                found.append(f"{model._meta.label}: {text}")
    return found


def settled(station_id: str) -> ChargingStation:
    """The station row as the answer left it, before any connect could settle anything."""
    station = ChargingStation.objects.get(station_id=station_id)
    assert (station.pending_password, station.password_command_id) == ("", None)
    return station


def test_an_accepted_16_key_is_the_password_as_soon_as_the_answer_is_stored(db):
    online("CP-16", "1.6")
    rotation = sent_rotation("CP-16")

    answer(rotation.command, {"status": "Accepted"})

    station = settled("CP-16")
    assert station.check_password(NEW) and not station.check_password(OLD)
    assert admitted("CP-16", NEW, "1.6") and not admitted("CP-16", OLD, "1.6")


def test_an_accepted_16_key_is_stored_nowhere_in_the_database(webhook):
    station = online("CP-16", "1.6")
    rotation = sent_rotation("CP-16")
    assert rows_holding(NEW.encode().hex())  # the command holds it until the answer: it must reach the station
    sent = OcppMessage.objects.get(message_id=rotation.command.message_id, kind=MessageKind.CALL)
    assert sent.payload["value"] == security.REDACTED  # the message log never holds it

    answered = answer(rotation.command, {"status": "Accepted"})

    assert rows_holding(NEW, NEW.encode().hex()) == []
    # ...and each place it could have been is there, blanked; so is the command record_command_result returns.
    call = OcppMessage.objects.get(message_id=answered.message_id, kind=MessageKind.CALL)
    assert call.payload == answered.payload == {"key": "AuthorizationKey", "value": security.REDACTED}
    assert ConfigurationKey.objects.get(station=station, key="AuthorizationKey").value is None
    delivery = WebhookDelivery.objects.get(endpoint=webhook)
    assert (delivery.event, delivery.payload["status"]) == ("command.answered", "accepted")
    assert AuditEntry.objects.filter(action="issue_command", station_id="CP-16").exists()


def test_a_rejected_16_key_keeps_the_old_password_and_is_blanked_too(db):
    station = online("CP-16", "1.6")
    rotation = sent_rotation("CP-16")

    answer(rotation.command, {"status": "Rejected"})

    assert settled("CP-16").check_password(OLD)
    assert admitted("CP-16", OLD, "1.6") and not admitted("CP-16", NEW, "1.6")
    assert rows_holding(NEW, NEW.encode().hex()) == []
    assert not ConfigurationKey.objects.filter(station=station).exists()  # not taken: nothing to record


def test_an_authorization_key_sent_by_hand_is_blanked_when_answered(db):
    station = online("CP-16", "1.6")
    command = services.issue_command(station_id="CP-16", action="ChangeConfiguration",
                                     payload={"key": "AuthorizationKey", "value": NEW.encode().hex()})
    services.send_waiting_commands(at=AT)

    answer(command, {"status": "Accepted"})

    assert rows_holding(NEW, NEW.encode().hex()) == []
    station.refresh_from_db()
    assert station.check_password(OLD)  # no rotation: central adopts no password it did not choose


def test_an_accepted_201_password_is_the_password_at_once_and_stored_nowhere(webhook):
    station = online("CP-20", "2.0.1")
    rotation = sent_rotation("CP-20")
    assert rows_holding(NEW)

    answer(rotation.command, {"setVariableResult": [{"attributeStatus": "Accepted", **PASSWORD}]})

    assert settled("CP-20").check_password(NEW)
    assert admitted("CP-20", NEW, "2.0.1") and not admitted("CP-20", OLD, "2.0.1")
    assert rows_holding(NEW) == []
    assert DeviceVariable.objects.get(station=station, component="SecurityCtrlr",
                                      variable="BasicAuthPassword").value is None
    assert WebhookDelivery.objects.get(endpoint=webhook).payload["response"]["setVariableResult"][0][
        "attributeStatus"] == "Accepted"


def test_a_201_password_the_station_rejected_keeps_the_old_one_and_is_blanked(db):
    online("CP-20", "2.0.1")
    rotation = sent_rotation("CP-20")

    answer(rotation.command, {"setVariableResult": [{"attributeStatus": "Rejected", **PASSWORD}]})

    assert settled("CP-20").check_password(OLD)
    assert admitted("CP-20", OLD, "2.0.1") and not admitted("CP-20", NEW, "2.0.1")
    assert rows_holding(NEW) == []


def test_variables_set_beside_the_201_password_keep_their_values(db):
    station = online("CP-20", "2.0.1")
    command = services.issue_command(station_id="CP-20", action="SetVariables", payload={"setVariableData": [
        {"attributeValue": NEW, **PASSWORD}, {"attributeValue": "300", **HEARTBEAT}]})
    services.send_waiting_commands(at=AT)

    answer(command, {"setVariableResult": [{"attributeStatus": "Accepted", **PASSWORD},
                                           {"attributeStatus": "Accepted", **HEARTBEAT}]})

    assert rows_holding(NEW) == []
    command.refresh_from_db()
    assert [d["attributeValue"] for d in command.payload["setVariableData"]] == [security.REDACTED, "300"]
    assert DeviceVariable.objects.get(station=station, variable="HeartbeatInterval").value == "300"
