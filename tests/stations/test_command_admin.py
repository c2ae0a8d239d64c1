"""The admin's command pages: the Command log, a station's Send command page, quick actions, connector buttons."""

import json
import re
from html import unescape

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.urls import reverse

from stations.choices import CommandStatus
from stations.models import Command
from tests.support.factories import ConnectorFactory, NodeFactory, StationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def v16():
    """A 1.6 station that connected once and is offline now."""
    return StationFactory(station_id="CP-16", ocpp_version="1.6")


@pytest.fixture
def v201():
    return StationFactory(station_id="CP-201", ocpp_version="2.0.1")


@pytest.fixture
def answered(v16):
    return Command.objects.create(station=v16, ocpp_version="1.6", action="Reset", payload={"type": "Soft"},
                                  message_id="msg-1", requested_by="alice", status=CommandStatus.ACCEPTED,
                                  response={"status": "Accepted"})


def send_url(station) -> str:
    return reverse("admin:stations_chargingstation_send_command", args=[station.pk])


def form(**fields) -> dict:
    return {"operation": "Reset", "parameters": '{"type": "Soft"}', "queue_for": "0", "wait": "0"} | fields


def templates_on(page: str) -> dict:
    script = re.search(r'<script id="command-templates" type="application/json">(.*?)</script>', page, re.S)
    return {action: json.loads(text) for action, text in json.loads(script.group(1)).items()}


def test_the_command_list_shows_who_asked_what(admin_client, answered):
    response = admin_client.get(reverse("admin:stations_command_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "CP-16" in page and "alice" in page and "Reset" in page


def test_the_command_list_runs_as_many_queries_for_30_commands_as_for_3(admin_client, django_assert_max_num_queries):
    def add(count):
        for _ in range(count):
            station = StationFactory(ocpp_version="1.6")
            Command.objects.create(station=station, ocpp_version="1.6", action="ClearCache", payload={},
                                   message_id=f"m-{station.pk}", requested_by=f"user-{station.pk % 3}")

    add(3)
    with django_assert_max_num_queries(1000) as for_3:
        admin_client.get(reverse("admin:stations_command_changelist"))
    add(27)

    with django_assert_max_num_queries(len(for_3)):
        assert admin_client.get(reverse("admin:stations_command_changelist")).status_code == 200


def test_a_command_page_shows_request_and_answer_read_only(admin_client, answered):
    response = admin_client.get(reverse("admin:stations_command_change", args=[answered.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert '&quot;type&quot;: &quot;Soft&quot;' in page and '&quot;status&quot;: &quot;Accepted&quot;' in page
    assert 'name="_save"' not in page


def test_the_station_page_links_send_command_and_lists_its_commands(admin_client, answered):
    response = admin_client.get(reverse("admin:stations_chargingstation_change", args=[answered.station.pk]))

    page = response.content.decode()
    assert f'href="{send_url(answered.station)}"' in page
    assert reverse("admin:stations_command_change", args=[answered.pk]) in page
    assert f"?station__id__exact={answered.station.pk}" in unescape(page)


def test_the_commands_link_of_a_station_lists_only_its_commands(admin_client, answered):
    other = StationFactory(station_id="CP-OTHER", ocpp_version="1.6")
    Command.objects.create(station=other, ocpp_version="1.6", action="ClearCache", payload={}, message_id="m-2")

    response = admin_client.get(reverse("admin:stations_command_changelist"),
                                {"station__id__exact": answered.station.pk})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [answered]


@pytest.mark.parametrize("version, operations, example", [
    ("1.6", 26, ("UnlockConnector", {"connectorId": 1})),
    ("2.0.1", 40, ("GetBaseReport", {"requestId": 1, "reportBase": "ConfigurationInventory"})),
])
def test_the_send_command_form_offers_the_versions_operations_with_templates(admin_client, version, operations,
                                                                             example):
    station = StationFactory(ocpp_version=version)

    response = admin_client.get(send_url(station))

    page = response.content.decode()
    assert response.status_code == 200
    assert len(response.context["form"].fields["operation"].choices) == operations
    action, payload = example
    assert templates_on(page)[action] == payload
    assert response.context["form"]["operation"].value() == "Reset"


def test_a_link_can_prefill_operation_and_parameters(admin_client, v16):
    response = admin_client.get(send_url(v16), {"operation": "UnlockConnector", "parameters": '{"connectorId": 2}'})

    bound = response.context["form"]
    assert (bound["operation"].value(), bound["parameters"].value()) == ("UnlockConnector", '{"connectorId": 2}')


def test_sending_to_an_offline_station_shows_station_offline(admin_client, v16):
    response = admin_client.post(send_url(v16), form())

    command = Command.objects.get()
    page = response.content.decode()
    assert (command.status, command.requested_by, command.payload) == (CommandStatus.STATION_OFFLINE, "admin",
                                                                       {"type": "Soft"})
    assert '<strong id="command-status">station_offline</strong>' in page
    assert reverse("admin:stations_command_change", args=[command.pk]) in page


def test_a_command_to_an_online_station_is_shown_sent_until_it_is_answered(admin_client, monkeypatch):
    monkeypatch.setattr("csms.bus.reaches_nodes", lambda: True)  # as in the server process, which holds the node
    station = StationFactory(ocpp_version="2.0.1", online=True, node=NodeFactory(), conn="sock-1")

    response = admin_client.post(send_url(station), form(parameters='{"type": "OnIdle"}'))

    assert Command.objects.get().status == CommandStatus.SENT
    assert "No final answer yet" in response.content.decode()


def test_parameters_the_schema_refuses_are_shown_on_the_parameters_field(admin_client, v16):
    response = admin_client.post(send_url(v16), form(parameters='{"type": "Gentle"}'))

    assert response.context["form"].errors == {"parameters": ["Reset 1.6: type: 'Gentle' is not an allowed value"]}
    assert not Command.objects.exists()


def test_parameters_that_are_not_a_json_object_are_refused(admin_client, v16):
    response = admin_client.post(send_url(v16), form(parameters="[1, 2]"))

    assert response.context["form"].errors == {"parameters": ["Give a JSON object: {...}."]}


def test_a_station_that_never_connected_has_no_form(admin_client):
    station = StationFactory()

    response = admin_client.get(send_url(station))

    assert response.context["form"] is None
    assert "never connected" in response.content.decode()


def test_a_user_without_the_add_command_permission_is_refused(client, v16):
    user = User.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_chargingstation"))
    client.force_login(user)

    assert client.get(send_url(v16)).status_code == 403
    assert client.post(send_url(v16), form()).status_code == 403
    assert not Command.objects.exists()
    changelist = client.get(reverse("admin:stations_chargingstation_changelist")).content.decode()
    assert 'value="reset_soft"' not in changelist and 'value="send_command"' not in changelist


def run_action(client, action, *stations):
    return client.post(reverse("admin:stations_chargingstation_changelist"),
                       {"action": action, "_selected_action": [station.pk for station in stations]}, follow=True)


@pytest.mark.parametrize("action, sent", [
    ("reset_soft", {"CP-16": ("Reset", {"type": "Soft"}), "CP-201": ("Reset", {"type": "OnIdle"})}),
    ("reset_hard", {"CP-16": ("Reset", {"type": "Hard"}), "CP-201": ("Reset", {"type": "Immediate"})}),
    ("clear_cache", {"CP-16": ("ClearCache", {}), "CP-201": ("ClearCache", {})}),
    ("trigger_heartbeat", {"CP-16": ("TriggerMessage", {"requestedMessage": "Heartbeat"}),
                           "CP-201": ("TriggerMessage", {"requestedMessage": "Heartbeat"})}),
])
def test_a_changelist_action_sends_each_station_its_versions_request(admin_client, v16, v201, action, sent):
    response = run_action(admin_client, action, v16, v201)

    commands = {c.station.station_id: (c.action, c.payload) for c in Command.objects.select_related("station")}
    assert commands == sent
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert len(shown) == 2 and all("station offline" in message for message in shown)


def test_get_configuration_asks_a_201_station_for_its_full_inventory(admin_client, v16, v201):
    run_action(admin_client, "get_configuration", v16, v201)

    by_station = {c.station.station_id: c for c in Command.objects.select_related("station")}
    assert (by_station["CP-16"].action, by_station["CP-16"].payload) == ("GetConfiguration", {})
    assert by_station["CP-201"].action == "GetBaseReport"
    assert by_station["CP-201"].payload["reportBase"] == "FullInventory"


def test_a_changelist_action_reports_a_station_that_never_connected(admin_client):
    StationFactory(station_id="CP-NEW")

    response = run_action(admin_client, "clear_cache", *StationFactory._meta.model.objects.all())

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "CP-NEW: Clear cache not sent: the station never connected, its OCPP version is unknown."]


def test_the_send_command_action_opens_the_page_for_one_station(admin_client, v16, v201):
    response = run_action(admin_client, "send_command", v16)
    assert response.redirect_chain == [(send_url(v16), 302)]

    response = run_action(admin_client, "send_command", v16, v201)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Select exactly one station to send it a command."]


@pytest.mark.parametrize("version, unlock, inoperative", [
    ("1.6", {"connectorId": 2}, {"connectorId": 2, "type": "Inoperative"}),
    ("2.0.1", {"evseId": 2, "connectorId": 1},
     {"operationalStatus": "Inoperative", "evse": {"id": 2, "connectorId": 1}}),
])
def test_the_connector_page_opens_send_command_prefilled_for_the_connector(admin_client, version, unlock,
                                                                          inoperative):
    connector = ConnectorFactory(station=StationFactory(ocpp_version=version), evse_id=2)

    response = admin_client.get(reverse("admin:stations_connector_change", args=[connector.pk]))

    buttons = dict(response.context["command_buttons"])
    assert set(buttons) == {"Unlock", "Set operative", "Set inoperative"}
    for label, operation, payload in [("Unlock", "UnlockConnector", unlock),
                                      ("Set inoperative", "ChangeAvailability", inoperative)]:
        prefilled = admin_client.get(buttons[label]).context["form"]
        assert prefilled["operation"].value() == operation
        assert json.loads(prefilled["parameters"].value()) == payload
