"""The API's security parts: the profile on a station, and POST /stations/{id}/password/ (operators only)."""

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from csms.roles import OPERATOR, VIEWER
from stations.choices import CommandStatus
from stations.models import ChargingStation, Command
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db
OLD = "old-password-0123"


def _token_client(group: str) -> APIClient:
    user = User.objects.create_user(f"api-{group.lower()}", password="pw")
    user.groups.add(Group.objects.get(name=group))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def operator_client(db):
    return _token_client(OPERATOR)


@pytest.fixture
def viewer_client(db):
    return _token_client(VIEWER)


@pytest.fixture
def station(db):
    return StationFactory(station_id="CP-API", ocpp_version="2.0.1", password=OLD)


def test_a_station_is_provisioned_with_a_password_and_profile_2_in_one_request(operator_client):
    response = operator_client.post("/api/v1/stations/", {"station_id": "CP-NEW", "password": "pw-0123456789abc",
                                                           "security_profile": 2}, format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["security_profile"], response.json()["password_change_pending"]) == (2, False)
    assert "password" not in response.json()


def test_profile_1_without_a_password_is_a_400_naming_the_field_and_creates_nothing(operator_client):
    response = operator_client.post("/api/v1/stations/", {"station_id": "CP-NEW", "security_profile": 1},
                                    format="json")

    assert response.status_code == 400
    assert "security_profile" in response.json()["error"]["fields"]
    assert not ChargingStation.objects.exists()


def test_the_password_action_returns_the_new_password_once_and_the_command(operator_client, station):
    response = operator_client.post("/api/v1/stations/CP-API/password/", {}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    [data] = Command.objects.get().payload["setVariableData"]
    assert body["password"] == data["attributeValue"] and len(body["password"]) == 40
    assert body["command"]["status"] == CommandStatus.PENDING
    assert operator_client.get("/api/v1/stations/CP-API/").json()["password_change_pending"] is True


def test_a_password_the_station_cannot_take_is_a_400_naming_password(operator_client, station):
    response = operator_client.post("/api/v1/stations/CP-API/password/", {"password": "x" * 41}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()["error"]["fields"]


def test_a_viewer_cannot_send_a_password(viewer_client, station):
    response = viewer_client.post("/api/v1/stations/CP-API/password/", {}, format="json")

    assert response.status_code == 403
    assert not Command.objects.exists()
