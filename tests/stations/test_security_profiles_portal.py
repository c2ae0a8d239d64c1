"""The station page's security part: operators set the profile and send a new password (shown once); viewers can't."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from csms.roles import OPERATOR, VIEWER
from stations.choices import CommandStatus
from stations.models import Command
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db
OLD = "old-password-0123"


def _client(client, group):
    user = User.objects.create_user(group.lower(), password="pw")
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


@pytest.fixture
def operator_client(client):
    return _client(client, OPERATOR)


@pytest.fixture
def viewer_client(client):
    return _client(client, VIEWER)


@pytest.fixture
def station(db):
    return StationFactory(station_id="CP-S", ocpp_version="1.6", password=OLD)


def page(station):
    return reverse("station_detail", args=[station.station_id])


def test_an_operator_sets_the_security_profile(operator_client, station):
    response = operator_client.post(page(station), {"security_profile": "2"})

    assert response.status_code == 200 and "Security profile saved." in response.text
    station.refresh_from_db()
    assert station.security_profile == 2


def test_a_profile_that_needs_a_password_is_refused_on_the_page(operator_client, db):
    station = StationFactory(station_id="CP-NOPW", ocpp_version="1.6")
    response = operator_client.post(page(station), {"security_profile": "1"})

    assert "needs a password" in response.text
    station.refresh_from_db()
    assert station.security_profile == 0


def test_a_generated_password_is_shown_once_and_sent_to_the_station(operator_client, station):
    response = operator_client.post(page(station), {"rotate": "1", "new_password": ""})

    command = Command.objects.get()
    password = bytes.fromhex(command.payload["value"]).decode()
    assert command.status == CommandStatus.PENDING  # the station is offline: queued
    assert f"<code>{password}</code>" in response.text and len(password) == 20
    assert password not in operator_client.get(page(station)).text


def test_a_password_the_station_cannot_take_is_refused_on_the_page(operator_client, station):
    response = operator_client.post(page(station), {"rotate": "1", "new_password": "short"})

    assert "the password must have 16 to 20 characters" in response.text
    assert not Command.objects.exists()


def test_a_viewer_sees_no_security_forms_and_cannot_post_them(viewer_client, station):
    assert 'name="security_profile"' not in viewer_client.get(page(station)).text
    assert viewer_client.post(page(station), {"security_profile": "0"}).status_code == 403
    assert viewer_client.post(page(station), {"rotate": "1", "new_password": ""}).status_code == 403
    assert not Command.objects.exists()
