"""Sockets and nodes going away: a station is offline only when its own socket closed or its node stopped."""

from datetime import datetime

import pytest

from csms import bus
from stations.choices import ConnectionEvent, ConnectorStatus
from stations.models import ChargingStation, ConnectionLog, Connector, Node
from tests.support.envelopes import connect, disconnect, node_heartbeat, send
from tests.support.factories import ConnectorFactory, NodeFactory, StationFactory

pytestmark = pytest.mark.django_db
EARLY, LATE = "2025-03-01T09:00:00.000Z", "2025-03-01T09:00:10.000Z"


@pytest.fixture(autouse=True)
def no_node_in_this_process(monkeypatch):
    """A takeover asks the old node to close its socket; here no node listens."""
    monkeypatch.setattr(bus, "publish_to_node", lambda node_id, envelope: None)


@pytest.fixture
def connected(station):
    """CP-0042 online through node-a / sock-1, with two connectors in use."""
    send(connect(station, node="node-a", conn="sock-1"))
    ConnectorFactory(station=station, evse_id=1, status=ConnectorStatus.CHARGING)
    ConnectorFactory(station=station, evse_id=2, status=ConnectorStatus.AVAILABLE)
    return station


def test_the_owner_socket_closing_takes_the_station_offline(connected):
    reply = send(disconnect(connected, node="node-a", conn="sock-1"))

    assert reply["payload"] == {"marked_offline": True}
    connected.refresh_from_db()
    assert (connected.online, connected.node, connected.conn) == (False, None, "")


def test_the_owner_socket_closing_makes_its_connectors_unavailable(connected):
    send(disconnect(connected, node="node-a", conn="sock-1"))

    assert set(Connector.objects.values_list("status", flat=True)) == {ConnectorStatus.UNAVAILABLE}


def test_a_disconnect_is_logged_with_its_reason(connected):
    send(disconnect(connected, node="node-a", conn="sock-1", reason="closed with code 1006", at=LATE))

    entry = ConnectionLog.objects.get(event=ConnectionEvent.DISCONNECTED)
    assert (entry.station, entry.station_ident, entry.node_id, entry.conn, entry.reason, entry.at) == (
        connected, "CP-0042", "node-a", "sock-1", "closed with code 1006", datetime.fromisoformat(LATE))


def test_a_late_disconnect_of_a_replaced_socket_changes_nothing(connected):
    send(connect(connected, node="node-b", conn="sock-2"))

    reply = send(disconnect(connected, node="node-a", conn="sock-1"))

    assert reply["payload"] == {"marked_offline": False}
    connected.refresh_from_db()
    assert (connected.online, connected.node.node_id, connected.conn) == (True, "node-b", "sock-2")
    assert Connector.objects.get(evse_id=1).status == ConnectorStatus.CHARGING


def test_a_late_disconnect_of_a_replaced_socket_is_still_logged(connected):
    send(connect(connected, node="node-b", conn="sock-2"))

    send(disconnect(connected, node="node-a", conn="sock-1"))

    assert ConnectionLog.objects.filter(event=ConnectionEvent.DISCONNECTED, node_id="node-a", conn="sock-1").exists()


def test_a_disconnect_of_an_unknown_station_is_logged_without_a_station(db):
    reply = send(disconnect("CP-STRANGER", conn="sock-9"))

    assert reply["payload"] == {"marked_offline": False}
    entry = ConnectionLog.objects.get()
    assert (entry.station, entry.station_ident, entry.event) == (None, "CP-STRANGER", ConnectionEvent.DISCONNECTED)


def test_a_stopping_node_takes_all_its_stations_offline(db):
    on_a = [StationFactory() for _ in range(2)]
    on_b = StationFactory()
    for number, station in enumerate(on_a):
        send(connect(station, node="node-a", conn=f"sock-a{number}"))
    send(connect(on_b, node="node-b", conn="sock-b"))

    reply = send(node_heartbeat("node-a", stopping=True))

    assert reply["payload"] == {"marked_offline": 2}
    assert dict(ChargingStation.objects.values_list("station_id", "online")) == {
        on_a[0].station_id: False, on_a[1].station_id: False, on_b.station_id: True}


def test_a_node_heartbeat_that_is_not_stopping_leaves_stations_online(connected):
    reply = send(node_heartbeat("node-a"))

    assert reply["payload"] == {}
    connected.refresh_from_db()
    assert connected.online is True


def test_a_first_node_heartbeat_creates_the_node(db):
    send(node_heartbeat("node-c", at=EARLY))

    node = Node.objects.get(node_id="node-c")
    assert node.first_heartbeat == node.last_heartbeat == datetime.fromisoformat(EARLY)


def test_a_later_node_heartbeat_refreshes_only_the_last_heartbeat(db):
    NodeFactory(node_id="node-c", first_heartbeat=datetime.fromisoformat(EARLY))

    send(node_heartbeat("node-c", at=LATE))

    node = Node.objects.get(node_id="node-c")
    assert (node.first_heartbeat, node.last_heartbeat) == (datetime.fromisoformat(EARLY), datetime.fromisoformat(LATE))
