"""The Django admin for stations, connectors, nodes and the connection log, as a superuser sees it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stations.choices import ConnectionEvent
from stations.models import ChargingStation, ConnectionLog
from tests.support.factories import ConnectorFactory, NodeFactory, StationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(db):
    """Two stations on a node, one with a connector, and a connection log entry."""
    node = NodeFactory(node_id="node-a")
    alpha = StationFactory(station_id="CP-ALPHA", node=node, online=True, vendor="Alfen")
    StationFactory(station_id="CP-BRAVO", vendor="ABB")
    ConnectorFactory(station=alpha, evse_id=1)
    ConnectionLog.objects.create(station=alpha, station_ident="CP-ALPHA", event=ConnectionEvent.CONNECTED,
                                 node_id="node-a", conn="sock-1", ocpp_version="1.6", at=timezone.now())
    return alpha


@pytest.mark.parametrize("url_name, shows", [
    ("admin:stations_chargingstation_changelist", "CP-ALPHA"),
    ("admin:stations_connector_changelist", "CP-ALPHA"),
    ("admin:stations_node_changelist", "node-a"),
    ("admin:stations_connectionlog_changelist", "CP-ALPHA"),
], ids=["stations", "connectors", "nodes", "connection log"])
def test_a_superuser_sees_the_list(admin_client, fleet, url_name, shows):
    response = admin_client.get(reverse(url_name))

    assert response.status_code == 200
    assert shows in response.content.decode()


def test_a_superuser_sees_the_station_page(admin_client, fleet):
    response = admin_client.get(reverse("admin:stations_chargingstation_change", args=[fleet.pk]))

    assert response.status_code == 200
    assert "CP-ALPHA" in response.content.decode()


def test_searching_stations_finds_the_one_asked_for(admin_client, fleet):
    response = admin_client.get(reverse("admin:stations_chargingstation_changelist"), {"q": "BRAVO"})

    page = response.content.decode()
    assert "CP-BRAVO" in page
    assert "CP-ALPHA" not in page


def test_an_anonymous_visitor_is_sent_to_the_login(client, fleet):
    response = client.get(reverse("admin:stations_chargingstation_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))  # one login page for the portal and the admin


def stations_changelist_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("admin:stations_chargingstation_changelist")).status_code == 200
    return len(queries)


def test_the_station_list_runs_as_many_queries_for_30_stations_as_for_3(admin_client, django_assert_max_num_queries):
    node = NodeFactory()
    StationFactory.create_batch(3, node=node)
    for_3 = stations_changelist_queries(admin_client)
    StationFactory.create_batch(27, node=node)
    StationFactory.create_batch(3, node=NodeFactory())  # another node, as a filter choice and a join

    with django_assert_max_num_queries(for_3):
        assert admin_client.get(reverse("admin:stations_chargingstation_changelist")).status_code == 200


def change_form(station, **fields):
    """The station change form as the browser posts it: every editable field, no connectors."""
    return {"station_id": station.station_id, "name": station.name, "registration": station.registration,
            "enabled": "on", "latitude": "", "longitude": "", "address": "",
            "connectors-TOTAL_FORMS": "0", "connectors-INITIAL_FORMS": "0", "connectors-MIN_NUM_FORMS": "0",
            "connectors-MAX_NUM_FORMS": "1000", "_save": "Save"} | fields


def test_a_new_password_set_in_the_admin_is_stored_hashed(admin_client, station):
    url = reverse("admin:stations_chargingstation_change", args=[station.pk])

    response = admin_client.post(url, change_form(station, new_password="n3w-secret"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    station.refresh_from_db()
    assert station.password != "n3w-secret"
    assert station.check_password("n3w-secret")


def test_saving_without_a_new_password_keeps_the_old_one(admin_client):
    station = StationFactory(password="old-secret")
    url = reverse("admin:stations_chargingstation_change", args=[station.pk])

    admin_client.post(url, change_form(station, name="Renamed"))

    station.refresh_from_db()
    assert (station.name, station.check_password("old-secret")) == ("Renamed", True)


def test_clearing_the_password_in_the_admin_removes_it(admin_client):
    station = StationFactory(password="old-secret")
    url = reverse("admin:stations_chargingstation_change", args=[station.pk])

    admin_client.post(url, change_form(station, clear_password="on"))

    assert ChargingStation.objects.get(pk=station.pk).password == ""
