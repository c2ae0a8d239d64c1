"""The refused-stations page names the refusals of security profiles 2 and 3 in words, not codes."""

import pytest
from django.urls import reverse

from tests.support.envelopes import connect, send
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db


def test_tls_and_client_certificate_refusals_are_shown_with_their_labels(viewer_client):
    StationFactory(station_id="CP-2", security_profile=2, password="station-password-1")
    StationFactory(station_id="CP-3", security_profile=3)
    StationFactory(station_id="CP-3B", security_profile=3)
    send(connect("CP-2", username="CP-2", password="station-password-1", remote="203.0.113.7:5000"))
    send(connect("CP-3", remote="203.0.113.8:5000 tls"))
    send(connect("CP-3B", remote="203.0.113.9:5000 tls cert cn=CP-3"))

    response = viewer_client.get(reverse("refused_list"))

    reasons = {g["station_ident"]: g["reason_text"] for g in response.context["groups"]}
    assert reasons == {"CP-2": "TLS required by the station's security profile",
                       "CP-3": "client certificate required (security profile 3)",
                       "CP-3B": "client certificate is for another station"}
    assert "client certificate is for another station" in response.content.decode()
