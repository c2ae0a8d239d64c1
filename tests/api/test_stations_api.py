"""Stations, connectors, nodes, configuration keys, device variables and the connection log through /api/v1/."""

import datetime as dt

import pytest
from django.utils import timezone

from stations.choices import ConnectionEvent, ConnectorStatus, Registration
from stations.models import ChargingStation, ConfigurationKey, ConnectionLog, DeviceVariable
from tests.support.factories import ConnectorFactory, NodeFactory, StationFactory
from tests.support.transaction_factories import TransactionFactory

pytestmark = pytest.mark.django_db

READ_ONLY_LISTS = ["/api/v1/stations/", "/api/v1/connectors/", "/api/v1/nodes/", "/api/v1/configuration-keys/",
                   "/api/v1/device-variables/", "/api/v1/connection-log/", "/api/v1/commands/"]


def ids(response, key="station_id") -> list:
    assert response.status_code == 200, response.content
    return [row[key] for row in response.json()["results"]]


@pytest.fixture
def fleet(db):
    """CP-A online on node-1 and charging, CP-B online with a faulted connector, CP-C offline (2.0.1, other vendor)."""
    node = NodeFactory(node_id="node-1")
    a = StationFactory(station_id="CP-A", vendor="Alfen", ocpp_version="1.6", online=True, node=node, conn="c1",
                       last_seen=timezone.now())
    ConnectorFactory(station=a, evse_id=1, status=ConnectorStatus.CHARGING)
    ConnectorFactory(station=a, evse_id=2)
    TransactionFactory(station=a)
    b = StationFactory(station_id="CP-B", vendor="Alfen", ocpp_version="1.6", online=True, node=node, conn="c2")
    ConnectorFactory(station=b, evse_id=1, status=ConnectorStatus.FAULTED, error_code="GroundFailure")
    StationFactory(station_id="CP-C", vendor="ABB", ocpp_version="2.0.1", name="Depot gate")
    return node


@pytest.mark.parametrize("url", READ_ONLY_LISTS)
def test_anonymous_is_refused_401_on_every_list(anon_client, url):
    assert anon_client.get(url).status_code == 401


@pytest.mark.parametrize("url", READ_ONLY_LISTS)
def test_a_viewer_can_read_every_list(viewer_client, url):
    assert viewer_client.get(url).status_code == 200


def test_station_list_shows_connectors_and_live_state(viewer_client, fleet):
    rows = {row["station_id"]: row for row in viewer_client.get("/api/v1/stations/").json()["results"]}

    a = rows["CP-A"]
    assert (a["online"], a["status"], a["node"], a["current_sessions"]) == (True, "charging", "node-1", 1)
    assert [(c["evse_id"], c["status"]) for c in a["connectors"]] == [(1, "Charging"), (2, "Available")]
    assert rows["CP-B"]["status"] == "faulted"
    assert (rows["CP-C"]["status"], rows["CP-C"]["node"], rows["CP-C"]["current_sessions"]) == ("offline", None, 0)
    assert "password" not in a


def test_station_list_runs_a_fixed_number_of_queries(viewer_client, fleet, django_assert_max_num_queries):
    for n in range(10):
        ConnectorFactory(station=StationFactory(station_id=f"CP-X{n}"), evse_id=1)

    with django_assert_max_num_queries(6):  # token + user groups + count + page + connectors
        assert viewer_client.get("/api/v1/stations/").status_code == 200


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "online"}, ["CP-A", "CP-B"]),
    ({"status": "charging"}, ["CP-A"]),
    ({"status": "faulted"}, ["CP-B"]),
    ({"status": "offline"}, ["CP-C"]),
    ({"online": "false"}, ["CP-C"]),
    ({"node": "node-1"}, ["CP-A", "CP-B"]),
    ({"node": "-"}, ["CP-C"]),
    ({"ocpp_version": "2.0.1"}, ["CP-C"]),
    ({"vendor": "Alfen"}, ["CP-A", "CP-B"]),
    ({"search": "depot"}, ["CP-C"]),
    ({"ordering": "-station_id"}, ["CP-C", "CP-B", "CP-A"]),
])
def test_stations_filter_search_and_order(viewer_client, fleet, params, expected):
    assert ids(viewer_client.get("/api/v1/stations/", params)) == expected


def test_an_unknown_station_status_filter_is_a_400(viewer_client):
    response = viewer_client.get("/api/v1/stations/", {"status": "sleeping"})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["status"]


def test_pages_have_a_size_and_links(viewer_client, fleet):
    body = viewer_client.get("/api/v1/stations/", {"page_size": 2}).json()

    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"].endswith("page=2&page_size=2")


def test_station_retrieve_by_station_id(viewer_client, fleet):
    response = viewer_client.get("/api/v1/stations/CP-A/")

    assert response.status_code == 200
    assert response.json()["vendor"] == "Alfen"


def test_an_operator_provisions_a_station(operator_client):
    response = operator_client.post("/api/v1/stations/", {"station_id": "CP-NEW", "name": "Yard", "password": "s3cret",
                                                          "latitude": "52.1", "longitude": "4.3"})

    assert response.status_code == 201, response.content
    assert response.json()["station_id"] == "CP-NEW"
    assert response.json()["status"] == "offline"
    station = ChargingStation.objects.get(station_id="CP-NEW")
    assert station.name == "Yard" and station.check_password("s3cret")


def test_provisioning_an_existing_station_is_a_409(operator_client):
    StationFactory(station_id="CP-1")

    response = operator_client.post("/api/v1/stations/", {"station_id": "CP-1"})

    assert response.status_code == 409
    assert list(response.json()["error"]["fields"]) == ["station_id"]


@pytest.mark.parametrize("station_id", ["CP 1", "CP/1", "x" * 49])
def test_a_bad_station_id_is_a_400_naming_it(operator_client, station_id):
    response = operator_client.post("/api/v1/stations/", {"station_id": station_id})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["station_id"]


def test_an_operator_changes_a_station(operator_client):
    StationFactory(station_id="CP-1", name="Old")

    response = operator_client.patch("/api/v1/stations/CP-1/", {"name": "New", "registration": "Pending"})

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "New"
    assert ChargingStation.objects.get(station_id="CP-1").registration == Registration.PENDING


def test_the_station_id_cannot_be_changed(operator_client):
    StationFactory(station_id="CP-1")

    response = operator_client.patch("/api/v1/stations/CP-1/", {"station_id": "CP-2"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"station_id": ["Unknown field."]}


def test_an_out_of_range_latitude_is_a_400(operator_client):
    StationFactory(station_id="CP-1")

    response = operator_client.patch("/api/v1/stations/CP-1/", {"latitude": 91})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["latitude"]


def test_a_viewer_cannot_provision_or_change_stations(viewer_client):
    StationFactory(station_id="CP-1")

    assert viewer_client.post("/api/v1/stations/", {"station_id": "CP-2"}).status_code == 403
    assert viewer_client.patch("/api/v1/stations/CP-1/", {"name": "x"}).status_code == 403
    assert not ChargingStation.objects.filter(station_id="CP-2").exists()


def test_anonymous_cannot_provision(anon_client):
    assert anon_client.post("/api/v1/stations/", {"station_id": "CP-2"}).status_code == 401


def test_connectors_filter_by_station_and_status(viewer_client, fleet):
    response = viewer_client.get("/api/v1/connectors/", {"status": "Faulted"})

    assert [(c["station"], c["evse_id"], c["error_code"]) for c in response.json()["results"]] == [
        ("CP-B", 1, "GroundFailure")]
    assert len(viewer_client.get("/api/v1/connectors/", {"station": "CP-A"}).json()["results"]) == 2


def test_nodes_show_station_counts(viewer_client, fleet):
    NodeFactory(node_id="node-2", last_heartbeat=timezone.now() - dt.timedelta(hours=1))

    rows = {row["node_id"]: row for row in viewer_client.get("/api/v1/nodes/").json()["results"]}

    assert (rows["node-1"]["stations_total"], rows["node-1"]["stations_online"], rows["node-1"]["silent"]) == (
        2, 2, False)
    assert (rows["node-2"]["stations_total"], rows["node-2"]["silent"]) == (0, True)
    assert viewer_client.get("/api/v1/nodes/node-1/").json()["stations_total"] == 2


def test_nodes_are_read_only(operator_client, fleet):
    assert operator_client.post("/api/v1/nodes/", {"node_id": "n"}).status_code == 405


def test_configuration_keys_per_station(viewer_client, fleet):
    now = timezone.now()
    a, c = ChargingStation.objects.get(station_id="CP-A"), ChargingStation.objects.get(station_id="CP-C")
    ConfigurationKey.objects.create(station=a, key="HeartbeatInterval", value="300", updated_at=now)
    ConfigurationKey.objects.create(station=c, key="MeterValueSampleInterval", value="60", updated_at=now)

    response = viewer_client.get("/api/v1/configuration-keys/", {"station": "CP-A"})

    assert [(r["station"], r["key"], r["value"]) for r in response.json()["results"]] == [
        ("CP-A", "HeartbeatInterval", "300")]


def test_device_variables_per_station(viewer_client, fleet):
    c = ChargingStation.objects.get(station_id="CP-C")
    DeviceVariable.objects.create(station=c, component="OCPPCommCtrlr", variable="HeartbeatInterval", value="60",
                                  updated_at=timezone.now())

    response = viewer_client.get("/api/v1/device-variables/", {"station": "CP-C", "component": "OCPPCommCtrlr"})

    assert [(r["variable"], r["value"], r["attribute_type"]) for r in response.json()["results"]] == [
        ("HeartbeatInterval", "60", "Actual")]
    assert viewer_client.get("/api/v1/device-variables/", {"station": "CP-A"}).json()["results"] == []


def test_connection_log_filters_by_station_event_and_date(viewer_client, fleet):
    now = timezone.now()
    a = ChargingStation.objects.get(station_id="CP-A")
    ConnectionLog.objects.create(station=a, station_ident="CP-A", event=ConnectionEvent.CONNECTED,
                                 at=now - dt.timedelta(days=2))
    ConnectionLog.objects.create(station=a, station_ident="CP-A", event=ConnectionEvent.DISCONNECTED, at=now)
    ConnectionLog.objects.create(station_ident="EVIL", event=ConnectionEvent.REFUSED, reason="unknown_station",
                                 at=now)

    def events(**params):
        response = viewer_client.get("/api/v1/connection-log/", params)
        assert response.status_code == 200, response.content
        return [(r["station"], r["event"]) for r in response.json()["results"]]

    assert events(station="CP-A") == [("CP-A", "disconnected"), ("CP-A", "connected")]
    assert events(event="refused") == [("EVIL", "refused")]
    assert events(station="CP-A", since=(now - dt.timedelta(days=1)).isoformat()) == [("CP-A", "disconnected")]
    assert events(until=(now - dt.timedelta(days=1)).isoformat()) == [("CP-A", "connected")]
    assert viewer_client.get("/api/v1/connection-log/", {"since": "yesterday"}).status_code == 400


def test_connection_log_pages_by_cursor(viewer_client):
    now = timezone.now()
    for n in range(3):
        ConnectionLog.objects.create(station_ident=f"X{n}", event=ConnectionEvent.REFUSED,
                                     at=now - dt.timedelta(minutes=n))

    first = viewer_client.get("/api/v1/connection-log/", {"page_size": 2}).json()
    second = viewer_client.get(first["next"]).json()

    assert [r["station"] for r in first["results"]] + [r["station"] for r in second["results"]] == ["X0", "X1", "X2"]
    assert second["next"] is None
