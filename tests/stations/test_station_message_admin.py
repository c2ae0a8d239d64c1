"""The admin for stored station messages, and what the station page shows of notifications."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stations.choices import FirmwareStatus
from stations.models import StationMessage
from tests.support.envelopes import call, send
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def messages(db):
    """A tamper alert from CP-ALPHA (1.6) and a report page from CP-BRAVO (2.0.1), sent as stations send them."""
    alpha, bravo = StationFactory(station_id="CP-ALPHA"), StationFactory(station_id="CP-BRAVO")
    send(call(alpha, "1.6", "SecurityEventNotification",
              {"type": "TamperDetectionActivated", "timestamp": "2025-03-01T10:00:00Z", "techInfo": "lid <open>"}))
    send(call(bravo, "2.0.1", "NotifyReport", {"requestId": 7, "generatedAt": "2025-03-01T10:00:00Z", "seqNo": 0}))
    return alpha, bravo


def test_the_list_shows_station_action_and_summary(admin_client, messages):
    page = admin_client.get(reverse("admin:stations_stationmessage_changelist")).content.decode()

    assert "CP-ALPHA" in page and "SecurityEventNotification" in page and "TamperDetectionActivated" in page
    assert "CP-BRAVO" in page and "request 7, seqNo 0" in page


@pytest.mark.parametrize("query, shows, hides", [
    ({"action": "NotifyReport"}, "CP-BRAVO", "CP-ALPHA"),
    ({"ocpp_version": "1.6"}, "CP-ALPHA", "CP-BRAVO"),
    ({"q": "ALPHA"}, "CP-ALPHA", "CP-BRAVO"),
    ({"q": "Tamper"}, "CP-ALPHA", "CP-BRAVO"),
], ids=["filter by action", "filter by version", "search station id", "search summary"])
def test_filters_and_search_find_the_messages_asked_for(admin_client, messages, query, shows, hides):
    page = admin_client.get(reverse("admin:stations_stationmessage_changelist"), query).content.decode()

    assert shows in page
    assert hides not in page


def test_a_message_page_shows_the_payload_pretty_printed_and_escaped(admin_client, messages):
    message = StationMessage.objects.get(action="SecurityEventNotification")

    page = admin_client.get(reverse("admin:stations_stationmessage_change", args=[message.pk])).content.decode()

    assert '<pre>{\n  &quot;techInfo&quot;: &quot;lid &lt;open&gt;&quot;,' in page


def test_messages_cannot_be_added_or_edited_in_the_admin(admin_client, messages):
    message = StationMessage.objects.first()

    assert admin_client.get(reverse("admin:stations_stationmessage_add")).status_code == 403
    response = admin_client.post(reverse("admin:stations_stationmessage_change", args=[message.pk]), {"summary": "x"})
    assert response.status_code == 403
    assert StationMessage.objects.get(pk=message.pk).summary != "x"


def test_the_station_page_links_to_its_messages_and_shows_the_latest(admin_client, messages):
    alpha, _ = messages

    page = admin_client.get(reverse("admin:stations_chargingstation_change", args=[alpha.pk])).content.decode()

    assert f'{reverse("admin:stations_stationmessage_changelist")}?station__id__exact={alpha.pk}' in page
    assert "SecurityEventNotification TamperDetectionActivated: lid &lt;open&gt;" in page


def test_the_link_from_the_station_page_lists_only_that_stations_messages(admin_client, messages):
    alpha, _ = messages

    page = admin_client.get(reverse("admin:stations_stationmessage_changelist"),
                            {"station__id__exact": alpha.pk}).content.decode()

    assert "TamperDetectionActivated" in page
    assert "request 7" not in page


def test_the_station_page_shows_firmware_status(admin_client):
    station = StationFactory(firmware_status=FirmwareStatus.INSTALL_REBOOTING)

    page = admin_client.get(reverse("admin:stations_chargingstation_change", args=[station.pk])).content.decode()

    assert "Rebooting to install" in page


def test_the_message_list_runs_as_many_queries_for_30_messages_as_for_3(admin_client, django_assert_max_num_queries):
    url = reverse("admin:stations_stationmessage_changelist")
    for _ in range(3):
        send(call(StationFactory(), "1.6", "FirmwareStatusNotification", {"status": "Downloading"}))
    with CaptureQueriesContext(connection) as for_3:
        assert admin_client.get(url).status_code == 200
    for _ in range(27):
        send(call(StationFactory(), "2.0.1", "FirmwareStatusNotification", {"status": "Installed"}))

    with django_assert_max_num_queries(len(for_3)):
        assert admin_client.get(url).status_code == 200
