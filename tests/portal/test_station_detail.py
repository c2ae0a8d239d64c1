"""The station page: what everyone sees, the live fragment, and the command form operators (only) use."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from csms.actions import COMMAND_ACTIONS
from stations.choices import CommandStatus, ConnectionEvent, ConnectorStatus
from stations.models import Command, ConfigurationKey, ConnectionLog
from stations.views import detail
from tests.support.envelopes import call, send
from tests.support.factories import ConnectorFactory, NodeFactory, StationFactory
from tests.support.transaction_factories import TransactionFactory
from transactions.choices import TransactionStatus

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def v16(db):
    """A 1.6 station that connected once and is offline now, with two connectors."""
    station = StationFactory(station_id="CP-16", ocpp_version="1.6", vendor="Acme", model="X1", online=False)
    ConnectorFactory(station=station, evse_id=1, status=ConnectorStatus.CHARGING)
    ConnectorFactory(station=station, evse_id=2, status=ConnectorStatus.AVAILABLE)
    return station


def url(name, station):
    return reverse(name, args=[station.station_id])


def command_post(client, station, data, **extra):
    return client.post(url("station_command", station), data, **(HTMX | extra))


def test_the_page_shows_identity_connectors_and_the_current_sessions_energy_and_power(viewer_client, v16):
    session = TransactionFactory(station=v16, energy_wh=Decimal("12345"), power_w=Decimal("7200"))
    ConnectionLog.objects.create(station=v16, station_ident="CP-16", event=ConnectionEvent.CONNECTED,
                                 remote_addr="192.0.2.9", at=timezone.now())
    ConfigurationKey.objects.create(station=v16, key="HeartbeatInterval", value="300", updated_at=timezone.now())

    page = viewer_client.get(url("station_detail", v16)).content.decode()

    assert "Acme X1" in page
    assert 'id="connector-1-1"' in page and ">Charging<" in page and ">Available<" in page
    assert ">12.345<" in page.replace(" ", "") and "7.20" in page  # kWh and kW
    assert reverse("transaction_detail", args=[session.pk]) in page
    assert "HeartbeatInterval" in page and "192.0.2.9" in page
    assert url("station_messages", v16) in page and url("station_timeline", v16) in page


def test_a_viewer_sees_no_command_form_and_is_refused_a_command(viewer_client, v16):
    page = viewer_client.get(url("station_detail", v16)).content.decode()
    refused = command_post(viewer_client, v16, {"quick": "reset_soft"})

    assert 'id="station-command"' not in page and "command-templates" not in page
    assert refused.status_code == 403
    assert not Command.objects.exists()


def test_an_operator_gets_the_versions_operations_with_their_example_parameters(operator_client, v16):
    response = operator_client.get(url("station_detail", v16))

    page = response.content.decode()
    assert [value for value, _ in response.context["form"].fields["operation"].choices] == sorted(
        COMMAND_ACTIONS["1.6"])
    assert 'id="command-templates"' in page and '"UnlockConnector": "{\\n  \\"connectorId\\": 1\\n}"' in page
    assert "Unlock connector 2" in page and "Reset (hard)" in page


def test_a_command_to_an_offline_station_comes_back_with_its_status(operator_client, v16):
    response = command_post(operator_client, v16, {"operation": "Reset", "parameters": '{"type": "Hard"}',
                                                   "queue_for": "0"})

    command = Command.objects.get()
    assert (command.action, command.payload, command.requested_by, command.status) == (
        "Reset", {"type": "Hard"}, "operator", CommandStatus.STATION_OFFLINE)
    assert response.templates[0].name == "stations/_detail_command.html"
    assert "station offline" in response.content.decode()


def test_parameters_the_schema_refuses_are_shown_next_to_the_parameters_field(operator_client, v16):
    response = command_post(operator_client, v16, {"operation": "Reset", "parameters": '{"type": "Gentle"}',
                                                   "queue_for": "0"})

    assert response.context["form"].errors == {"parameters": ["Reset 1.6: type: 'Gentle' is not an allowed value"]}
    assert 'data-field="parameters">Reset 1.6: type: &#x27;Gentle&#x27; is not an allowed value' in (
        response.content.decode())
    assert not Command.objects.exists()


def test_a_queued_command_is_pending_after_the_wait(operator_client, v16, monkeypatch):
    monkeypatch.setattr(detail, "COMMAND_WAIT", 0.0)

    response = command_post(operator_client, v16, {"operation": "ClearCache", "parameters": "{}",
                                                   "queue_for": "600"})

    assert Command.objects.get().status == CommandStatus.PENDING
    assert "no answer within 0 s yet" in response.content.decode()


@pytest.mark.parametrize("data, action, payload", [
    ({"quick": "reset_soft"}, "Reset", {"type": "Soft"}),
    ({"quick": "reset_hard"}, "Reset", {"type": "Hard"}),
    ({"quick": "unlock", "evse_id": "2", "connector_id": "1"}, "UnlockConnector", {"connectorId": 2}),
    ({"quick": "remote_start", "id_token": "CARD-1", "evse_id": "1"}, "RemoteStartTransaction",
     {"idTag": "CARD-1", "connectorId": 1}),
    ({"quick": "get_configuration"}, "GetConfiguration", {}),
    ({"quick": "trigger_status"}, "TriggerMessage", {"requestedMessage": "StatusNotification"}),
])
def test_quick_buttons_build_the_request_for_the_stations_version(operator_client, v16, data, action, payload):
    command_post(operator_client, v16, data)

    command = Command.objects.get()
    assert (command.action, command.payload) == (action, payload)


def test_remote_stop_stops_the_current_session(operator_client, v16):
    session = TransactionFactory(station=v16)

    command_post(operator_client, v16, {"quick": "remote_stop", "transaction": str(session.pk)})

    assert Command.objects.get().payload == {"transactionId": session.pk}


def test_a_quick_command_that_cannot_be_built_says_why(operator_client, v16):
    response = command_post(operator_client, v16, {"quick": "remote_start", "id_token": ""})

    assert "Remote start not sent: give the id token to start with" in response.content.decode()
    assert not Command.objects.exists()


def test_without_htmx_the_outcome_is_a_message_after_a_redirect(operator_client, v16):
    response = operator_client.post(url("station_command", v16), {"quick": "reset_soft"}, follow=True)

    assert response.redirect_chain == [(url("station_detail", v16), 302)]
    assert "Reset: station offline (station is offline)" in response.content.decode()


def test_a_station_that_never_connected_has_no_command_form(operator_client):
    station = StationFactory()

    page = operator_client.get(url("station_detail", station)).content.decode()

    assert "never connected" in page and 'id="station-command"' not in page


def test_the_live_fragment_shows_a_status_the_station_just_reported(viewer_client, v16):
    before = viewer_client.get(url("station_live", v16)).content.decode()
    send(call(v16, "1.6", "StatusNotification", {"connectorId": 2, "errorCode": "NoError", "status": "Preparing"}))

    after = viewer_client.get(url("station_live", v16)).content.decode()

    assert 'hx-trigger="every 3s"' in before and ">Preparing<" not in before
    assert ">Preparing<" in after


def test_an_unknown_station_is_404(viewer_client):
    assert viewer_client.get(reverse("station_detail", args=["CP-NONE"])).status_code == 404


def queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def fill(station, n):
    """n more of everything the page lists."""
    now = timezone.now()
    for _ in range(n):
        ConnectorFactory(station=station)
        TransactionFactory(station=station, status=TransactionStatus.ENDED, ended_at=now)
        TransactionFactory(station=station)
        Command.objects.create(station=station, ocpp_version="1.6", action="Reset", payload={"type": "Soft"},
                               message_id=str(Command.objects.count()) + station.station_id,
                               status=CommandStatus.ACCEPTED, response={"status": "Accepted"}, answered_at=now)
        ConnectionLog.objects.create(station=station, station_ident=station.station_id,
                                     event=ConnectionEvent.CONNECTED, at=now - timedelta(hours=3))
        send(call(station, "1.6", "Heartbeat", {}))


@pytest.mark.parametrize("page", ["station_detail", "station_live"])
def test_the_page_reads_the_same_number_of_queries_however_much_the_station_holds(operator_client, page):
    station = StationFactory(ocpp_version="1.6", online=True, node=NodeFactory(), conn="c")
    fill(station, 1)
    few = queries(operator_client, url(page, station))
    fill(station, 8)

    assert queries(operator_client, url(page, station)) == few


def test_a_201_station_shows_its_device_model_collapsed_and_its_operations(operator_client):
    from stations.models import DeviceVariable

    station = StationFactory(ocpp_version="2.0.1")
    DeviceVariable.objects.create(station=station, component="OCPPCommCtrlr", variable="HeartbeatInterval",
                                  value="300", updated_at=timezone.now())

    response = operator_client.get(url("station_detail", station))

    page = response.content.decode()
    assert "<details><summary>1 device-model variable" in page and "OCPPCommCtrlr.HeartbeatInterval" in page
    assert "RequestStartTransaction" in page
