"""Commands through /api/v1/commands/: POST issues any remote operation (operators), GET lists and polls."""

import pytest
from django.test import Client

from csms import bus
from stations.choices import CommandStatus
from stations.models import Command
from tests.support.factories import NodeFactory, StationFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/commands/"


@pytest.fixture
def offline(db):
    """A 1.6 station that connected once and is offline now."""
    return StationFactory(station_id="CP-OFF", ocpp_version="1.6", online=False)


def fields(response) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


def test_a_command_to_an_offline_station_is_201_with_status_station_offline(operator_client, offline):
    response = operator_client.post(URL, {"station": "CP-OFF", "action": "Reset", "payload": {"type": "Soft"}})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["station"], body["action"], body["status"], body["final"]) == ("CP-OFF", "Reset",
                                                                                 "station_offline", True)
    assert Command.objects.get().requested_by == "api-operator"


def test_a_queued_command_waited_on_is_still_pending_when_the_wait_is_over(operator_client, offline):
    response = operator_client.post(f"{URL}?wait=0.3", {"station": "CP-OFF", "action": "ClearCache",
                                                        "queue_for": 300})

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["final"]) == ("pending", False)
    assert response.json()["expires_at"] is not None


def test_a_command_to_an_online_station_is_sent_to_its_node_after_commit(operator_client, monkeypatch,
                                                                         django_capture_on_commit_callbacks):
    published = []
    monkeypatch.setattr(bus, "reaches_nodes", lambda: True)
    monkeypatch.setattr(bus, "publish_to_node", lambda node_id, envelope: published.append((node_id, envelope)))
    StationFactory(station_id="CP-ON", ocpp_version="2.0.1", online=True, node=NodeFactory(node_id="node-7"),
                   conn="conn-1")

    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(URL, {"station": "CP-ON", "action": "Reset", "payload": {"type": "Immediate"}})

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["node_id"]) == ("sent", "node-7")
    assert [(node, env.action, env.payload) for node, env in published] == [("node-7", "Reset", {"type": "Immediate"})]


@pytest.mark.parametrize(("body", "field"), [
    ({"station": "CP-NONE", "action": "Reset", "payload": {"type": "Soft"}}, "station"),
    ({"station": "CP-OFF", "action": "RequestStartTransaction", "payload": {}}, "action"),  # a 2.0.1 action
    ({"station": "CP-OFF", "action": "Reset", "payload": {"type": "Sideways"}}, "payload"),
    ({"station": "CP-OFF", "action": "Reset", "payload": {"type": "Soft"}, "queue_for": -1}, "queue_for"),
    ({"station": "CP-OFF", "action": "Reset", "payload": {"type": "Soft"}, "queue_for": 10**9}, "queue_for"),
    ({"station": "CP-OFF", "payload": {"type": "Soft"}}, "action"),
    ({"action": "Reset"}, "station"),
])
def test_invalid_command_parameters_are_a_400_naming_the_field(operator_client, offline, body, field):
    response = operator_client.post(URL, body)

    assert list(fields(response)) == [field]
    assert not Command.objects.exists()


def test_a_station_that_never_connected_cannot_be_commanded(operator_client):
    StationFactory(station_id="CP-NEW")

    response = operator_client.post(URL, {"station": "CP-NEW", "action": "Reset", "payload": {"type": "Soft"}})

    assert response.json()["error"]["code"] == "invalid_command"
    assert list(fields(response)) == ["station"]


@pytest.mark.parametrize("wait", ["61", "-1", "soon", "nan"])
def test_a_bad_wait_is_a_400_naming_it(operator_client, offline, wait):
    response = operator_client.post(f"{URL}?wait={wait}", {"station": "CP-OFF", "action": "ClearCache"})

    assert list(fields(response)) == ["wait"]
    assert not Command.objects.exists()


def test_a_viewer_cannot_send_commands(viewer_client, offline):
    response = viewer_client.post(URL, {"station": "CP-OFF", "action": "ClearCache"})

    assert response.status_code == 403
    assert not Command.objects.exists()


def test_anonymous_cannot_send_commands(anon_client, offline):
    assert anon_client.post(URL, {"station": "CP-OFF", "action": "ClearCache"}).status_code == 401


def test_a_session_user_must_send_the_csrf_token(operator, offline):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(operator)

    response = csrf_client.post(URL, {"station": "CP-OFF", "action": "ClearCache"}, content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]


def test_commands_list_filters_by_station_status_and_action(viewer_client, offline, operator_client):
    other = StationFactory(station_id="CP-2", ocpp_version="1.6")
    for station, action in [(offline, "Reset"), (offline, "ClearCache"), (other, "ClearCache")]:
        Command.objects.create(station=station, ocpp_version="1.6", action=action, payload={},
                               message_id=f"{station.station_id}-{action}", status=CommandStatus.STATION_OFFLINE)
    Command.objects.filter(message_id="CP-OFF-Reset").update(status=CommandStatus.ACCEPTED)

    def listed(**params):
        response = viewer_client.get(URL, params)
        assert response.status_code == 200, response.content
        return sorted(row["message_id"] for row in response.json()["results"])

    assert listed(station="CP-OFF") == ["CP-OFF-ClearCache", "CP-OFF-Reset"]
    assert listed(status="accepted") == ["CP-OFF-Reset"]
    assert listed(action="ClearCache") == ["CP-2-ClearCache", "CP-OFF-ClearCache"]
    assert listed(station="CP-OFF", status=["accepted", "station_offline"]) == ["CP-OFF-ClearCache", "CP-OFF-Reset"]


def test_a_command_can_be_polled_and_waited_on(viewer_client, operator_client, offline):
    created = operator_client.post(URL, {"station": "CP-OFF", "action": "ClearCache", "queue_for": 60}).json()

    polled = viewer_client.get(f"{URL}{created['id']}/")
    waited = viewer_client.get(f"{URL}{created['id']}/?wait=0.2")

    assert polled.status_code == waited.status_code == 200
    assert polled.json()["status"] == waited.json()["status"] == "pending"
    assert viewer_client.get(f"{URL}{created['id']}/?wait=100").status_code == 400


def test_commands_list_runs_a_fixed_number_of_queries(viewer_client, offline, django_assert_max_num_queries):
    for n in range(10):
        Command.objects.create(station=offline, ocpp_version="1.6", action="ClearCache", payload={},
                               message_id=f"m{n}")

    with django_assert_max_num_queries(4):  # token + groups + count + page
        assert viewer_client.get(URL).status_code == 200
