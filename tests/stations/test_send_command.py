"""`manage.py send_command`: issue one operation from the shell; the exit code says how it went."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stations.choices import CommandStatus
from stations.models import Command
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offline():
    """A 1.6 station that connected once and is offline now."""
    return StationFactory(station_id="CP-OFF", ocpp_version="1.6", online=False)


def send(*args) -> str:
    out = StringIO()
    call_command("send_command", *args, stdout=out)
    return out.getvalue()


def send_failing(*args) -> CommandError:
    with pytest.raises(CommandError) as failure:
        send(*args)
    return failure.value


def test_a_command_to_an_offline_station_fails_at_once_with_exit_1(offline):
    error = send_failing("CP-OFF", "Reset", '{"type": "Soft"}')

    command = Command.objects.get()
    assert (command.status, command.payload, command.requested_by) == (CommandStatus.STATION_OFFLINE,
                                                                       {"type": "Soft"}, "cli")
    assert error.returncode == 1
    assert str(error) == f"command {command.pk} station_offline (station is offline)"


def test_queued_for_an_offline_station_it_is_pending_and_the_exit_code_is_0(offline):
    out = send("CP-OFF", "UnlockConnector", '{"connectorId": 2}', "--queue-for", "300", "--as", "alice")

    command = Command.objects.get()
    assert out.startswith(f"command {command.pk}: pending (UnlockConnector -> CP-OFF, message id ")
    assert (command.status, command.requested_by) == (CommandStatus.PENDING, "alice")
    assert (command.expires_at - command.created_at).total_seconds() == pytest.approx(300, abs=2)


def test_waiting_on_a_command_that_stays_queued_ends_with_exit_1(offline):
    error = send_failing("CP-OFF", "ClearCache", "--queue-for", "300", "--wait", "0.2")

    assert error.returncode == 1
    assert "pending (no answer within 0.2 s)" in str(error)


def test_parameters_that_are_not_json_are_refused_naming_the_argument(offline):
    error = send_failing("CP-OFF", "Reset", "{type: Soft}")

    assert error.returncode == 2
    assert str(error).startswith("params: not valid JSON")
    assert not Command.objects.exists()


def test_an_operation_the_version_does_not_have_is_refused_naming_the_field(offline):
    error = send_failing("CP-OFF", "GetBaseReport", "{}")

    assert (error.returncode, str(error)) == (2, "action: 'GetBaseReport' is not an operation an OCPP 1.6 CSMS sends")


def test_parameters_the_schema_refuses_are_refused_naming_the_field(offline):
    error = send_failing("CP-OFF", "Reset", json.dumps({"type": "Gentle"}))

    assert error.returncode == 2
    assert str(error) == "payload: Reset 1.6: type: 'Gentle' is not an allowed value"


def test_an_unknown_station_is_a_bad_request(db):
    error = send_failing("CP-NOPE", "ClearCache")

    assert (error.returncode, str(error)) == (2, "station: no station 'CP-NOPE'")
