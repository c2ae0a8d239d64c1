"""The admin's security parts: the profile on the change form, and the action that sends new passwords."""

import pytest
from django.urls import reverse

from stations.models import ChargingStation, Command
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db


def change_form(station, **fields):
    return {"station_id": station.station_id, "name": station.name, "registration": station.registration,
            "enabled": "on", "latitude": "", "longitude": "", "address": "", "security_profile": "0",
            "connectors-TOTAL_FORMS": "0", "connectors-INITIAL_FORMS": "0", "connectors-MIN_NUM_FORMS": "0",
            "connectors-MAX_NUM_FORMS": "1000", "_save": "Save"} | fields


def test_profile_2_with_a_new_password_is_saved_from_the_change_form(admin_client, station):
    url = reverse("admin:stations_chargingstation_change", args=[station.pk])
    response = admin_client.post(url, change_form(station, security_profile="2", new_password="a-new-secret-pw"))

    assert response.status_code == 302
    station.refresh_from_db()
    assert station.security_profile == 2 and station.check_password("a-new-secret-pw")


def test_profile_1_without_any_password_is_refused_on_the_change_form(admin_client, station):
    url = reverse("admin:stations_chargingstation_change", args=[station.pk])
    response = admin_client.post(url, change_form(station, security_profile="1"))

    assert response.status_code == 200
    assert "needs a password" in str(response.context["adminform"].form.errors["security_profile"])


def test_the_send_new_password_action_shows_each_password_once_and_queues_the_command(admin_client, db):
    StationFactory(station_id="CP-A", ocpp_version="1.6", password="old-password-0123")
    response = admin_client.post(reverse("admin:stations_chargingstation_changelist"), {
        "action": "send_new_password", "_selected_action": [ChargingStation.objects.get().pk]}, follow=True)

    command = Command.objects.get()
    password = bytes.fromhex(command.payload["value"]).decode()
    [message] = [m.message for m in response.context["messages"]]
    assert message.startswith(f"CP-A: new password {password} (pending")
