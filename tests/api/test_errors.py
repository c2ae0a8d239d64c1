"""The API's one error shape, its authentication and its place outside the portal's login."""

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from csms.api.errors import _flatten
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db


def error(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "fields"}
    assert body["error"]["status"] == response.status_code
    return body["error"]


def test_anonymous_request_gets_401_json_not_a_login_redirect(anon_client):
    response = anon_client.get("/api/v1/stations/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error(response)["code"] == "not_authenticated"


def test_a_wrong_token_is_401_authentication_failed(anon_client):
    anon_client.credentials(HTTP_AUTHORIZATION="Token not-a-key")

    response = anon_client.get("/api/v1/stations/")

    assert response.status_code == 401
    assert error(response)["code"] == "authentication_failed"


def test_a_token_without_a_session_is_enough(viewer_client):
    response = viewer_client.get("/api/v1/stations/")

    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def test_the_portal_session_works_too(client, viewer):
    client.force_login(viewer)

    assert client.get("/api/v1/stations/").status_code == 200


def test_a_user_without_a_role_is_refused_403(db):
    user = User.objects.create_user("nobody", password="pw")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    response = client.get("/api/v1/stations/")

    assert response.status_code == 403
    assert error(response)["code"] == "permission_denied"


def test_an_inactive_user_token_is_refused(viewer, viewer_client):
    viewer.is_active = False
    viewer.save()

    assert viewer_client.get("/api/v1/stations/").status_code == 401


def test_a_superuser_without_groups_may_read_and_act(db):
    user = User.objects.create_superuser("root", password="pw")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    assert client.get("/api/v1/stations/").status_code == 200
    assert client.post("/api/v1/stations/", {"station_id": "CP-R"}).status_code == 201


def test_an_unknown_api_url_is_a_json_404_even_for_anonymous(anon_client):
    response = anon_client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_an_unknown_object_is_a_json_404(viewer_client):
    response = viewer_client.get("/api/v1/stations/CP-NONE/")

    assert response.status_code == 404
    assert error(response) == {"status": 404, "code": "not_found", "message": "Not found.", "fields": {}}


def test_an_unknown_field_is_a_400_naming_it(operator_client):
    response = operator_client.post("/api/v1/stations/", {"station_id": "CP-1", "nmae": "typo"})

    assert response.status_code == 400
    body = error(response)
    assert body["code"] == "invalid"
    assert body["fields"] == {"nmae": ["Unknown field."]}
    assert body["message"] == "nmae: Unknown field."


def test_a_read_only_field_in_a_body_is_a_400_naming_it(operator_client):
    StationFactory(station_id="CP-1")

    response = operator_client.patch("/api/v1/stations/CP-1/", {"online": True})

    assert response.status_code == 400
    assert error(response)["fields"] == {"online": ["Unknown field."]}


def test_a_wrong_type_is_a_400_naming_the_field(operator_client):
    response = operator_client.post("/api/v1/commands/", {"station": "CP-1", "action": "Reset", "payload": [1],
                                                          "queue_for": "soon"})

    assert response.status_code == 400
    assert set(error(response)["fields"]) == {"payload", "queue_for"}


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "42", "null"])
def test_a_body_that_is_not_an_object_is_a_400(operator_client, body):
    response = operator_client.post("/api/v1/commands/", body, content_type="application/json")

    assert response.status_code == 400
    assert error(response)["code"] == "invalid"


def test_malformed_json_is_a_400_parse_error(operator_client):
    response = operator_client.post("/api/v1/commands/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert error(response)["code"] == "parse_error"


def test_a_bad_filter_value_is_a_400_naming_the_parameter(viewer_client):
    response = viewer_client.get("/api/v1/commands/", {"status": "bogus"})

    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["status"]


def test_a_method_not_offered_is_a_405_in_the_same_shape(operator_client):
    StationFactory(station_id="CP-1")

    response = operator_client.delete("/api/v1/stations/CP-1/")

    assert response.status_code == 405
    assert error(response)["code"] == "method_not_allowed"


def test_a_bug_is_a_500_in_the_same_shape_and_is_logged(operator_client, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("stations.api.views.issue_command", broken)
    StationFactory(station_id="CP-1", ocpp_version="1.6")

    response = operator_client.post("/api/v1/commands/", {"station": "CP-1", "action": "ClearCache"})

    assert response.status_code == 500
    assert error(response) == {"status": 500, "code": "server_error",
                               "message": "Internal server error; it has been logged.", "fields": {}}
    assert "boom" in caplog.text


def test_nested_errors_are_named_by_dotted_paths():
    detail = {"items": [{}, {"value": ["Too long."]}], "non_field_errors": ["Pick one."], "name": ["Required."]}

    assert _flatten(detail) == {"items.1.value": ["Too long."], "": ["Pick one."], "name": ["Required."]}
