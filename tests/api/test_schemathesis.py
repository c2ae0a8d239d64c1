"""schemathesis against the API's own OpenAPI schema, in-process (WSGI): no 5xx, every answer as documented,
for reads (as a viewer) and writes (as an operator).

Every GET operation in the schema (other apps' endpoints too, once registered) gets up to MAX_EXAMPLES generated
requests with a viewer's token, over a small fleet so that some lookups find rows. Derandomized: the same
examples on every run, so a failure reproduces.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from stations.choices import CommandStatus, ConnectorStatus
from stations.models import Command
from tests.support.factories import ConnectorFactory, NodeFactory, StationFactory
from tests.support.transaction_factories import TransactionFactory

pytestmark = pytest.mark.django_db
MAX_EXAMPLES = 20
WRITE_EXAMPLES = 25  # POST/PUT/PATCH/DELETE, as an operator


@pytest.fixture
def fleet(db):
    station = StationFactory(station_id="CP-1", ocpp_version="1.6", online=True, node=NodeFactory(node_id="node-1"),
                             conn="c1")
    ConnectorFactory(station=station, evse_id=1, status=ConnectorStatus.CHARGING)
    TransactionFactory(station=station)
    # Final only: a pending command would make `?wait=` really wait.
    Command.objects.create(station=station, ocpp_version="1.6", action="ClearCache", payload={}, message_id="m1",
                           status=CommandStatus.ACCEPTED, response={"status": "Accepted"})


@pytest.fixture
def wsgi_app():
    """The project as a WSGI app that keeps the test's database connection (as Django's test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_every_get_operation_answers_as_its_schema_says(wsgi_app, viewer, fleet):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_app)
    headers = {"Authorization": f"Token {Token.objects.create(user=viewer).key}"}
    failures, operations = [], 0

    for result in schema.include(method="GET").get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        try:
            check()
        except Exception as exc:  # one operation's failure must not hide the others'
            failures.append(f"{operation.label}: {exc}")

    assert operations >= 14  # the stations app's own GET operations
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def offline_fleet(db):
    """Writes: the station is offline, so a generated command is final at once (no `?wait=` really waits)."""
    station = StationFactory(station_id="CP-1", ocpp_version="1.6")
    ConnectorFactory(station=station, evse_id=1)
    TransactionFactory(station=station)


def test_every_write_operation_never_answers_a_server_error(wsgi_app, operator, offline_fleet):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_app)
    headers = {"Authorization": f"Token {Token.objects.create(user=operator).key}"}
    failures, operations = [], 0

    for result in schema.exclude(method="GET").get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=WRITE_EXAMPLES, deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        try:
            check()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")

    assert operations >= 8
    assert not failures, "\n\n".join(failures)

