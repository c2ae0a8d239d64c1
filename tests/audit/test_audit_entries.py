"""Every front-end's operator action lands one audit entry: who, through what, from where, what, with what result."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from audit.context import os_user
from audit.models import AuditEntry
from audit.services.entries import REDACTED
from stations.choices import CommandStatus
from stations.models import ChargingStation
from stations.services import StationSpec, issue_command, provision_station
from tests.support.factories import StationFactory
from tests.support.transaction_factories import TransactionFactory
from transactions.choices import TransactionStatus
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def only_entry() -> AuditEntry:
    [entry] = AuditEntry.objects.all()
    return entry


def test_a_portal_command_lands_one_entry_with_user_address_and_the_command(operator_client):
    StationFactory(station_id="CP-A", ocpp_version="1.6")

    operator_client.post(reverse("station_command", args=["CP-A"]),
                         {"operation": "Reset", "parameters": '{"type": "Soft"}', "queue_for": "0"})

    entry = only_entry()
    assert (entry.actor, entry.user.username, entry.via, entry.ip) == ("olga", "olga", "portal", "192.0.2.7")
    assert (entry.action, entry.target_type, entry.target, entry.station_id) == (
        "issue_command", "station", "CP-A", "CP-A")
    assert entry.params["action"] == "Reset" and entry.params["payload"] == {"type": "Soft"}
    assert entry.ok and entry.command.status == CommandStatus.STATION_OFFLINE == entry.outcome


def test_a_refused_portal_command_is_recorded_with_its_error_after_the_rollback(operator_client):
    StationFactory(station_id="CP-A", ocpp_version="1.6")

    operator_client.post(reverse("station_command", args=["CP-A"]),
                         {"operation": "Reset", "parameters": '{"type": "Gentle"}', "queue_for": "0"})

    entry = only_entry()
    assert not entry.ok and entry.command is None
    assert entry.error.startswith("payload: Reset 1.6: type:") and "Gentle" in entry.error


def test_an_api_token_change_lands_one_entry_naming_the_token_owner(api_operator):
    response = api_operator.post("/api/v1/id-tokens/", {"value": "CARD-1", "owner": "Ann"}, format="json")
    assert response.status_code == 201

    entry = only_entry()
    assert (entry.actor, entry.via, entry.token_auth, entry.ip) == ("integrator", "api", True, "198.51.100.9")
    assert (entry.action, entry.target_type, entry.target, entry.outcome) == (
        "provision_token", "id_token", "CARD-1", "created")
    assert entry.params["owner"] == "Ann"


def test_an_api_close_lands_one_entry_on_the_transaction_and_its_station(api_operator):
    session = TransactionFactory(station=StationFactory(station_id="CP-T"), status=TransactionStatus.ACTIVE)

    response = api_operator.post(f"/api/v1/transactions/{session.pk}/close/", {"reason": "stuck"}, format="json")
    assert response.status_code == 200, response.content

    entry = only_entry()
    assert (entry.action, entry.target_type, entry.target, entry.station_id) == (
        "close_transaction", "transaction", str(session.pk), "CP-T")
    assert entry.params == {"transaction_id": session.pk, "reason": "stuck"}


def test_an_admin_bulk_action_lands_one_entry_per_selected_station(superuser_client):
    stations = [StationFactory(station_id=f"CP-{n}", enabled=True) for n in (1, 2)]

    superuser_client.post(reverse("admin:stations_chargingstation_changelist"),
                          {"action": "disable", "_selected_action": [s.pk for s in stations]})

    entries = AuditEntry.objects.order_by("station_id")
    assert [(e.actor, e.via, e.action, e.station_id) for e in entries] == [
        ("root", "admin", "admin_disable_stations", "CP-1"), ("root", "admin", "admin_disable_stations", "CP-2")]


def test_an_admin_change_form_lands_one_entry_without_the_new_password(superuser_client):
    station = StationFactory(station_id="CP-E")
    url = reverse("admin:stations_chargingstation_change", args=[station.pk])
    form = superuser_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"name": "Renamed", "new_password": "hunter22", "connectors-TOTAL_FORMS": "0",
                 "connectors-INITIAL_FORMS": "0"})

    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""

    entry = only_entry()
    assert (entry.action, entry.target_type, entry.station_id, entry.via) == (
        "admin_change", "stations.chargingstation", "CP-E", "admin")
    assert "hunter22" not in json.dumps(entry.params)


def test_a_management_command_records_the_os_user():
    call_command("add_station", "CP-CLI", stdout=StringIO())

    entry = only_entry()
    assert (entry.actor, entry.via, entry.user, entry.ip) == (os_user(), "command", None, None)
    assert (entry.action, entry.station_id, entry.outcome) == ("provision_station", "CP-CLI", "created")


def test_a_station_password_is_never_stored():
    provision_station(StationSpec(station_id="CP-P", password="s3cret-pw"))

    assert only_entry().params["password"] == REDACTED


@pytest.mark.parametrize(("version", "action", "payload", "secret"), [
    ("1.6", "ChangeConfiguration", {"key": "AuthorizationKey", "value": "0011AABB"}, "0011AABB"),
    ("2.0.1", "SetVariables", {"setVariableData": [{"attributeValue": "pa55word-0123456", "component": {
        "name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}}]}, "pa55word-0123456"),
    ("1.6", "GetDiagnostics", {"location": "ftp://diag:hunter22@files.example/up"}, "hunter22"),
])
def test_secrets_in_command_parameters_are_redacted(version, action, payload, secret):
    StationFactory(station_id="CP-S", ocpp_version=version)

    issue_command(station_id="CP-S", action=action, payload=payload)

    stored = json.dumps(only_entry().params)
    assert secret not in stored and REDACTED in stored


def test_a_webhook_endpoint_made_through_the_api_lands_one_entry_without_its_secret(api_operator):
    response = api_operator.post("/api/v1/webhooks/", {"url": "https://hooks.example/x",
                                                                "events": ["session.started"]}, format="json")
    assert response.status_code == 201, response.content
    secret = WebhookEndpoint.objects.get().secret

    entry = only_entry()
    assert (entry.actor, entry.action, entry.outcome) == ("integrator", "webhook_endpoint_add", "created")
    assert secret not in json.dumps(entry.params)


def test_a_refused_provisioning_is_recorded_once_with_the_field_at_fault():
    with pytest.raises(Exception, match="station id"):
        provision_station(StationSpec(station_id="bad/id"))

    entry = only_entry()
    assert not entry.ok and entry.error.startswith("station_id: station id may hold printable ASCII")
    assert not ChargingStation.objects.exists()
