"""The station list: search, filters, order, 50 a page, live table fragment, constant queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stations.choices import ConnectorStatus
from stations.models import ChargingStation
from tests.support.factories import ConnectorFactory, NodeFactory, StationFactory
from tests.support.transaction_factories import TransactionFactory

URL = reverse("station_list")


def ids(response) -> list[str]:
    return [station.station_id for station in response.context["page"]]


def test_anonymous_is_sent_to_the_login_page(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_a_viewer_sees_each_station_with_its_details_and_a_link(viewer_client):
    node = NodeFactory(node_id="node-a")
    station = StationFactory(station_id="CP-1", name="Depot", vendor="ACME", model="X1", firmware_version="1.2.3",
                             ocpp_version="2.0.1", online=True, node=node, last_seen=timezone.now())
    ConnectorFactory(station=station, evse_id=1, status=ConnectorStatus.AVAILABLE)
    ConnectorFactory(station=station, evse_id=2, status=ConnectorStatus.AVAILABLE)
    ConnectorFactory(station=station, evse_id=3, status=ConnectorStatus.CHARGING)

    response = viewer_client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="{reverse("station_detail", args=["CP-1"])}"' in page
    for text in ("Depot", "ACME / X1", "1.2.3", "2.0.1", "node-a", "2 Available", "1 Charging", "online"):
        assert text in page, text


@pytest.mark.parametrize("query", ["cp-7", "depot", "acme", "x-9", "SN-77", "BOX-1", "main street"])
def test_search_matches_id_name_vendor_model_serials_and_address(viewer_client, query):
    StationFactory(station_id="CP-7", name="Depot", vendor="Acme", model="X-9", serial_number="SN-77",
                   charge_box_serial_number="BOX-1", address="1 Main Street")
    StationFactory(station_id="OTHER")

    assert ids(viewer_client.get(URL, {"q": query})) == ["CP-7"]


@pytest.fixture
def fleet(db):
    """One station per display status, plus an offline station with a faulted connector."""
    online = StationFactory(station_id="ONLINE", online=True)
    charging = StationFactory(station_id="CHARGING", online=True)
    TransactionFactory(station=charging)
    faulted = StationFactory(station_id="FAULTED", online=True)
    ConnectorFactory(station=faulted, status=ConnectorStatus.FAULTED)
    station_faulted = StationFactory(station_id="STATION-FAULTED", online=True, status=ConnectorStatus.FAULTED)
    offline = StationFactory(station_id="OFFLINE", online=False)
    offline_faulted = StationFactory(station_id="OFFLINE-FAULTED", online=False)
    ConnectorFactory(station=offline_faulted, status=ConnectorStatus.FAULTED)
    stale = StationFactory(station_id="STALE-SESSION", online=True)
    TransactionFactory(station=stale, stale=True)
    return online, charging, faulted, station_faulted, offline, offline_faulted


@pytest.mark.parametrize("status, expected", [
    ("online", ["CHARGING", "FAULTED", "ONLINE", "STALE-SESSION", "STATION-FAULTED"]),
    ("offline", ["OFFLINE", "OFFLINE-FAULTED"]),
    ("faulted", ["FAULTED", "OFFLINE-FAULTED", "STATION-FAULTED"]),
    ("charging", ["CHARGING"]),
    ("bogus", ["CHARGING", "FAULTED", "OFFLINE", "OFFLINE-FAULTED", "ONLINE", "STALE-SESSION", "STATION-FAULTED"]),
])
def test_status_filter(viewer_client, fleet, status, expected):
    assert ids(viewer_client.get(URL, {"status": status})) == expected


def test_each_row_shows_one_status_faults_first_then_offline_then_charging(viewer_client, fleet):
    shown = {s.station_id: s.display_status for s in viewer_client.get(URL).context["page"]}

    assert shown == {"ONLINE": "online", "CHARGING": "charging", "FAULTED": "faulted", "STATION-FAULTED": "faulted",
                     "OFFLINE": "offline", "OFFLINE-FAULTED": "faulted", "STALE-SESSION": "online"}


def test_node_protocol_and_vendor_filters(viewer_client):
    a, b = NodeFactory(node_id="node-a"), NodeFactory(node_id="node-b")
    StationFactory(station_id="A16", node=a, ocpp_version="1.6", vendor="ABB")
    StationFactory(station_id="A201", node=a, ocpp_version="2.0.1", vendor="Alfen")
    StationFactory(station_id="B16", node=b, ocpp_version="1.6", vendor="ABB")
    StationFactory(station_id="NONE", node=None)

    assert ids(viewer_client.get(URL, {"node": "node-a"})) == ["A16", "A201"]
    assert ids(viewer_client.get(URL, {"node": "-"})) == ["NONE"]
    assert ids(viewer_client.get(URL, {"ocpp_version": "1.6"})) == ["A16", "B16"]
    assert ids(viewer_client.get(URL, {"vendor": "ABB", "node": "node-b"})) == ["B16"]
    page = viewer_client.get(URL).content.decode()
    assert '<option value="Alfen">' in page and '<option value="node-b">' in page


def test_sort_by_a_column_and_reverse(viewer_client):
    now = timezone.now()
    StationFactory(station_id="S1", name="b", last_seen=now - dt.timedelta(hours=1))
    StationFactory(station_id="S2", name="c", last_seen=None)
    StationFactory(station_id="S3", name="a", last_seen=now)

    assert ids(viewer_client.get(URL, {"sort": "name"})) == ["S3", "S1", "S2"]
    assert ids(viewer_client.get(URL, {"sort": "-name"})) == ["S2", "S1", "S3"]
    assert ids(viewer_client.get(URL, {"sort": "-last_seen"})) == ["S3", "S1", "S2"]  # never seen: last
    assert ids(viewer_client.get(URL, {"sort": "password"})) == ["S1", "S2", "S3"]  # not a column: by id


def test_fifty_stations_a_page_and_the_pager_keeps_the_filters(viewer_client):
    ChargingStation.objects.bulk_create(ChargingStation(station_id=f"CP-{n:03d}", vendor="ABB") for n in range(120))

    first = viewer_client.get(URL, {"vendor": "ABB"})
    last = viewer_client.get(URL, {"vendor": "ABB", "page": 3})

    assert len(ids(first)) == 50 and ids(first)[0] == "CP-000"
    assert ids(last) == [f"CP-{n:03d}" for n in range(100, 120)]
    assert "page 1 of 3" in first.content.decode()
    assert "?vendor=ABB&amp;page=2" in first.content.decode()
    assert ids(viewer_client.get(URL, {"page": 99})) == ids(last)  # out of range: the last page


def test_the_table_fragment_refreshes_the_same_page_alone(viewer_client):
    ChargingStation.objects.bulk_create(ChargingStation(station_id=f"CP-{n:03d}", online=True) for n in range(60))

    full = viewer_client.get(URL, {"status": "online", "page": 2}).content.decode()
    fragment = viewer_client.get(URL, {"status": "online", "page": 2, "fragment": "table"}).content.decode()

    assert 'hx-get="?status=online&amp;page=2&amp;fragment=table"' in full
    assert "<html" not in fragment
    assert 'id="station-table"' in fragment and "CP-059" in fragment and "CP-000" not in fragment


def _list_queries(client, count: int) -> int:
    node = NodeFactory()
    for n in range(count):
        station = StationFactory(online=bool(n % 2), node=node, status=ConnectorStatus.AVAILABLE)
        ConnectorFactory(station=station, status=ConnectorStatus.FAULTED if n % 3 == 0 else ConnectorStatus.CHARGING)
        ConnectorFactory(station=station)
        TransactionFactory(station=station)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    with CaptureQueriesContext(connection) as fragment_queries:
        assert client.get(URL, {"fragment": "table"}).status_code == 200
    return len(queries), len(fragment_queries)


def test_the_number_of_queries_does_not_grow_with_the_stations(viewer_client):
    few = _list_queries(viewer_client, 5)
    many = _list_queries(viewer_client, 45)

    assert few == many
    assert many[0] <= 10  # session, user, 2 permissions (can_operate), count, page, connectors, 3 filter choices
