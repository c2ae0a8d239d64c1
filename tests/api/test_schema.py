"""The OpenAPI schema drf-spectacular generates, and its docs page (served without any CDN)."""

from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(public=True)


def test_the_schema_is_valid_openapi_without_warnings():
    out = StringIO()

    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)

    assert '"openapi": "3.0.3"' in out.getvalue()


def test_the_schema_endpoint_serves_it_to_anyone(anon_client):
    response = anon_client.get("/api/v1/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["info"]["title"] == "CSMS integrator API"
    for path in ["/api/v1/stations/", "/api/v1/stations/{station_id}/", "/api/v1/commands/", "/api/v1/nodes/",
                 "/api/v1/connectors/", "/api/v1/configuration-keys/", "/api/v1/device-variables/",
                 "/api/v1/connection-log/"]:
        assert path in schema["paths"], path
    assert "/api/v1/schema/" not in schema["paths"]


def test_every_operation_documents_the_error_shape(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code in ("400", "401", "403", "404"):
                content = operation["responses"][code]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/Error"}, (method, path, code)


def test_token_authentication_is_in_the_schema(schema):
    assert schema["components"]["securitySchemes"]["tokenAuth"]["type"] == "apiKey"
    assert {"tokenAuth": []} in schema["paths"]["/api/v1/stations/"]["get"]["security"]


def test_the_docs_page_uses_local_assets_only(anon_client):
    response = anon_client.get("/api/v1/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower()
