"""The map: vendored Leaflet, configurable tiles, one marker per located station coloured by status."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stations.choices import ConnectorStatus
from stations.views.overview import MARKER_COLOURS
from tests.support.factories import ConnectorFactory, StationFactory
from tests.support.transaction_factories import TransactionFactory
from tests.test_settings import start

PAGE, DATA = reverse("station_map"), reverse("station_map_data")


@pytest.mark.parametrize("url", [PAGE, DATA])
def test_anonymous_is_sent_to_the_login_page(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_the_page_loads_leaflet_from_our_static_files_and_the_configured_tiles(viewer_client, settings):
    settings.MAP_TILE_URL = "https://tiles.example.com/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Example"

    page = viewer_client.get(PAGE).content.decode()

    assert "/static/vendor/leaflet/leaflet.js" in page and "/static/vendor/leaflet/leaflet.css" in page
    assert "/static/js/map.js" in page
    assert '"tile_url": "https://tiles.example.com/{z}/{x}/{y}.png"' in page
    assert '"data_url": "/map/stations.json"' in page
    assert "unpkg" not in page and "cdn" not in page.lower()


def test_no_tile_url_means_no_tile_layer(viewer_client, settings):
    settings.MAP_TILE_URL = ""

    assert '"tile_url": ""' in viewer_client.get(PAGE).content.decode()


def test_the_page_counts_stations_without_a_location(viewer_client):
    StationFactory(latitude=None, longitude=None)

    assert "1 station without a location" in viewer_client.get(PAGE).content.decode()


def test_each_located_station_is_a_marker_coloured_by_status_and_linking_to_its_page(viewer_client):
    def placed(station_id, **fields):
        return StationFactory(station_id=station_id, name=f"name {station_id}", latitude=Decimal("52.5"),
                              longitude=Decimal("13.4"), **fields)

    placed("ON", online=True)
    TransactionFactory(station=placed("CHG", online=True))
    ConnectorFactory(station=placed("FLT", online=True), status=ConnectorStatus.FAULTED)
    placed("OFF", online=False)
    StationFactory(station_id="NOWHERE", online=True)

    data = viewer_client.get(DATA).json()

    assert data["type"] == "FeatureCollection"
    markers = {f["properties"]["id"]: f for f in data["features"]}
    assert set(markers) == {"ON", "CHG", "FLT", "OFF"}
    assert {i: (m["properties"]["status"], m["properties"]["colour"]) for i, m in markers.items()} == {
        "ON": ("online", "#12a150"), "CHG": ("charging", "#1463ff"), "FLT": ("faulted", "#d92d20"),
        "OFF": ("offline", "#98a2b3")}
    on = markers["ON"]
    assert on["geometry"] == {"type": "Point", "coordinates": [13.4, 52.5]}
    assert on["properties"] == {"id": "ON", "name": "name ON", "lat": 52.5, "lon": 13.4, "status": "online",
                                     "colour": MARKER_COLOURS["online"], "url": reverse("station_detail",
                                                                                        args=["ON"])}


def _data_queries(client, count: int) -> int:
    for n in range(count):
        station = StationFactory(latitude=n % 90, longitude=n % 180, online=bool(n % 2))
        ConnectorFactory(station=station, status=ConnectorStatus.FAULTED if n % 3 == 0 else ConnectorStatus.CHARGING)
        TransactionFactory(station=station)
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get(DATA).json()["features"]) > 0
    return len(queries)


def test_the_data_is_one_query_whatever_the_number_of_stations(viewer_client):
    few = _data_queries(viewer_client, 5)
    many = _data_queries(viewer_client, 50)

    assert few == many == 3  # session, user, stations


@pytest.mark.parametrize("value", ["ftp://tiles/{z}/{x}/{y}.png", "https://tiles.example.com/static.png"])
def test_a_bad_tile_url_stops_start_up_naming_it(value):
    started = start({"MAP_TILE_URL": value})

    assert started.returncode != 0
    assert "MAP_TILE_URL:" in started.stderr


def test_an_empty_tile_url_is_accepted():
    started = start({"MAP_TILE_URL": ""}, then="from django.conf import settings; assert settings.MAP_TILE_URL == ''")

    assert started.returncode == 0, started.stderr
