"""The dashboard: fleet figures, energy per day, nodes, latest events, the live fragment, constant queries."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stations import selectors
from stations.choices import ConnectionEvent, ConnectorStatus
from stations.models import ConnectionLog
from tests.support.factories import ConnectorFactory, NodeFactory, StationFactory
from tests.support.transaction_factories import TransactionFactory
from transactions.choices import TransactionStatus

URL = reverse("dashboard")


def test_anonymous_is_sent_to_the_login_page(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_an_empty_system_renders(viewer_client):
    response = viewer_client.get(URL)

    assert response.status_code == 200
    assert "No node has reported yet." in response.content.decode()
    assert "Nothing has happened yet." in response.content.decode()


@pytest.fixture
def fleet(db):
    now = timezone.now()
    node_a, node_b = NodeFactory(node_id="node-a", last_heartbeat=now), NodeFactory(node_id="node-b")
    node_b.last_heartbeat = now - dt.timedelta(hours=1)
    node_b.save()
    online = StationFactory(station_id="ON", online=True, node=node_a)
    ConnectorFactory(station=online, status=ConnectorStatus.AVAILABLE)
    charging = StationFactory(station_id="CHG", online=True, node=node_a)
    ConnectorFactory(station=charging, status=ConnectorStatus.CHARGING)
    TransactionFactory(station=charging, energy_wh=Decimal("1500"))
    faulted = StationFactory(station_id="FLT", online=True, node=node_b)
    ConnectorFactory(station=faulted, evse_id=1, status=ConnectorStatus.FAULTED, error_code="GroundFailure")
    StationFactory(station_id="OFF-FLT", online=False, node=node_b, status=ConnectorStatus.FAULTED,
                   status_at=now - dt.timedelta(minutes=5))
    StationFactory(station_id="OFF", online=False)
    TransactionFactory(station=online, status=TransactionStatus.ENDED, energy_wh=Decimal("2500"),
                       started_at=now - dt.timedelta(minutes=30), ended_at=now - dt.timedelta(minutes=1))
    TransactionFactory(station=online, status=TransactionStatus.ENDED, energy_wh=Decimal("7000"),
                       started_at=now - dt.timedelta(days=3), ended_at=now - dt.timedelta(days=3))
    ConnectionLog.objects.create(station=online, station_ident="ON", event=ConnectionEvent.CONNECTED, at=now,
                                 remote_addr="10.0.0.1", node_id="node-a")
    ConnectionLog.objects.create(station_ident="STRANGER", event=ConnectionEvent.REFUSED, at=now,
                                 reason="unknown_station")
    return now


def test_the_figures_count_stations_connectors_sessions_and_energy(fleet):
    summary = selectors.dashboard_summary(fleet)

    assert (summary.stations, summary.online, summary.offline, summary.faulted, summary.charging) == (5, 3, 2, 2, 1)
    assert summary.connectors == {"Available": 1, "Charging": 1, "Faulted": 1}
    assert summary.sessions_active == 1
    assert summary.energy_today_wh == Decimal("4000")
    nodes = {node.node_id: (node.stations_online, node.stations_total, node.silent) for node in summary.nodes}
    assert nodes == {"node-a": (2, 2, False), "node-b": (1, 2, True)}


def test_the_page_shows_the_figures_and_links_them_to_the_filtered_list(viewer_client, fleet):
    page = viewer_client.get(URL).content.decode()

    assert re.search(r'status=faulted"><div class="stat error">2</div>', page)
    assert re.search(r'status=online"><div class="stat">3</div>', page)
    assert "4.0</div><div class=\"stat-label\">kWh today" in page
    assert '<span class="badge Faulted">1 Faulted</span>' in page
    assert "node-b</a> <span class=\"badge offline\">silent</span>" in page


def test_the_chart_has_thirty_days_of_energy_ending_today(viewer_client, fleet):
    page = viewer_client.get(URL).content.decode()

    data = json.loads(re.search(r'<script id="energy-data" type="application/json">(.*?)</script>', page).group(1))
    today = timezone.localdate(fleet)
    assert len(data["labels"]) == len(data["kwh"]) == 30
    assert data["labels"][-1] == today.isoformat()
    assert data["kwh"][-1] == 4.0 and data["kwh"][-4] == 7.0 and sum(data["kwh"]) == 11.0
    assert "vendor/chartjs/chart.umd.min.js" in page


def test_energy_is_counted_on_the_local_day_the_session_started(db, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    with timezone.override("Europe/Berlin"):
        late = timezone.make_aware(dt.datetime(2024, 5, 1, 23, 30))  # 21:30 UTC
        TransactionFactory(started_at=late, energy_wh=Decimal("100"))
        TransactionFactory(started_at=late + dt.timedelta(hours=1), energy_wh=Decimal("10"))
        TransactionFactory(started_at=late + dt.timedelta(hours=1), energy_wh=None)

        days = selectors.energy_by_day(dt.date(2024, 4, 30), dt.date(2024, 5, 2))

    assert days == [(dt.date(2024, 4, 30), 0), (dt.date(2024, 5, 1), 100), (dt.date(2024, 5, 2), 10)]


def test_latest_events_merge_connections_faults_and_sessions_newest_first(viewer_client, fleet):
    events = selectors.latest_events(15)

    kinds = [(event.kind, event.station_id) for event in events]
    assert set(kinds) == {("connected", "ON"), ("refused", "STRANGER"), ("fault", "FLT"), ("fault", "OFF-FLT"),
                          ("session_started", "CHG"), ("session_started", "ON"), ("session_ended", "ON")}
    assert [event.at for event in events] == sorted((event.at for event in events), reverse=True)
    assert len(selectors.latest_events(3)) == 3
    page = viewer_client.get(URL).content.decode()
    assert "unknown station" in page and "EVSE 1/1 faulted: GroundFailure" in page
    assert f'href="{reverse("station_detail", args=["FLT"])}"' in page
    assert '<a href="/stations/STRANGER/"' not in page  # a refused identity has no page


def test_the_live_fragment_has_the_figures_and_the_events_out_of_band(viewer_client, fleet):
    full = viewer_client.get(URL).content.decode()
    fragment = viewer_client.get(URL, {"fragment": "live"}).content.decode()

    assert 'hx-get="/?fragment=live" hx-trigger="every 5s"' in full
    assert "<html" not in fragment and "energy-chart" not in fragment
    assert 'id="dashboard-live"' in fragment and "stations online" in fragment
    assert 'id="dashboard-events" hx-swap-oob="true"' in fragment and "STRANGER" in fragment


def _dashboard_queries(client, count: int) -> tuple[int, int]:
    now = timezone.now()
    node = NodeFactory()
    for n in range(count):
        station = StationFactory(online=bool(n % 2), node=node)
        ConnectorFactory(station=station, status=ConnectorStatus.FAULTED if n % 3 == 0 else ConnectorStatus.CHARGING)
        TransactionFactory(station=station, energy_wh=n, started_at=now - dt.timedelta(days=n % 40))
        TransactionFactory(station=station, status=TransactionStatus.ENDED, ended_at=now, energy_wh=n)
        ConnectionLog.objects.create(station=station, station_ident=station.station_id,
                                     event=ConnectionEvent.CONNECTED, at=now)
    with CaptureQueriesContext(connection) as page:
        assert client.get(URL).status_code == 200
    with CaptureQueriesContext(connection) as fragment:
        assert client.get(URL, {"fragment": "live"}).status_code == 200
    return len(page), len(fragment)


def test_the_number_of_queries_does_not_grow_with_the_data(viewer_client):
    few = _dashboard_queries(viewer_client, 5)
    many = _dashboard_queries(viewer_client, 40)

    assert few == many
    assert many[0] <= 16 + 30  # 30: one range sum per day of the energy chart
