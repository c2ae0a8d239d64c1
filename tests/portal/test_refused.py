"""Refused connection attempts by station id, and admitting an unknown station (operators only)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from stations.choices import ConnectionEvent, RefusalReason
from stations.models import ChargingStation, ConnectionLog
from tests.support.envelopes import connect, send
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db


def refused(ident, reason, *, minutes_ago, remote="203.0.113.7"):
    return ConnectionLog.objects.create(station_ident=ident, event=ConnectionEvent.REFUSED, reason=reason,
                                        remote_addr=remote, at=timezone.now() - timedelta(minutes=minutes_ago))


def test_attempts_are_grouped_by_station_id_with_count_last_time_reason_and_address(viewer_client):
    refused("CP-NEW", RefusalReason.UNKNOWN_STATION, minutes_ago=50, remote="198.51.100.1")
    refused("CP-NEW", RefusalReason.UNKNOWN_STATION, minutes_ago=5, remote="198.51.100.2")
    known = StationFactory(station_id="CP-KNOWN")
    refused("CP-KNOWN", RefusalReason.BAD_CREDENTIALS, minutes_ago=20)
    refused("CP-OLD", RefusalReason.UNKNOWN_STATION, minutes_ago=60 * 24 * 8)  # outside the window

    response = viewer_client.get(reverse("refused_list"))

    groups = [(g["station_ident"], g["count"], g["reason_text"], g["remote_addr"], g["known"])
              for g in response.context["groups"]]
    assert groups == [("CP-NEW", 2, "unknown station", "198.51.100.2", False),
                      ("CP-KNOWN", 1, "bad or missing credentials", "203.0.113.7", True)]
    assert reverse("station_detail", args=[known.station_id]) in response.content.decode()


def test_a_viewer_sees_no_admit_button_and_is_refused_admitting(viewer_client):
    refused("CP-NEW", RefusalReason.UNKNOWN_STATION, minutes_ago=5)

    page = viewer_client.get(reverse("refused_list")).content.decode()
    response = viewer_client.post(reverse("refused_admit"), {"station_id": "CP-NEW"})

    assert "Admit</button>" not in page
    assert response.status_code == 403
    assert not ChargingStation.objects.exists()


def test_admitting_an_unknown_station_creates_it_and_its_next_attempt_connects(operator_client):
    refused("CP-NEW", RefusalReason.UNKNOWN_STATION, minutes_ago=5)
    assert "Admit</button>" in operator_client.get(reverse("refused_list")).content.decode()

    response = operator_client.post(reverse("refused_admit"), {"station_id": "CP-NEW"}, follow=True)

    assert response.redirect_chain == [(reverse("refused_list"), 302)]
    assert "Station CP-NEW admitted: it can connect now" in response.content.decode()
    assert ChargingStation.objects.get().station_id == "CP-NEW"
    assert send(connect("CP-NEW"))["payload"]["accepted"] is True


def test_an_invalid_station_id_is_not_admitted_and_says_why(operator_client):
    response = operator_client.post(reverse("refused_admit"), {"station_id": "bad/id"}, follow=True)

    assert "not admitted: station id may hold printable ASCII only" in response.content.decode()
    assert not ChargingStation.objects.exists()
