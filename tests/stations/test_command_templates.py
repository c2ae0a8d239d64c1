"""Example parameters for the Send command page: generated from the request schema, valid as they are."""

from datetime import UTC, datetime

import pytest

from csms.actions import COMMAND_ACTIONS
from node import schemas
from stations.services.command_templates import command_template

EVERY_COMMAND = [(version, action) for version, actions in sorted(COMMAND_ACTIONS.items())
                 for action in sorted(actions)]
NOW = datetime(2026, 12, 2, 18, 30, 15, 123456, tzinfo=UTC)


@pytest.mark.parametrize("version, action", EVERY_COMMAND, ids=[f"{v}-{a}" for v, a in EVERY_COMMAND])
def test_every_template_passes_its_schema(version, action):
    schemas.validate(version, action, command_template(version, action, now=NOW))


def test_only_required_properties_are_filled():
    assert command_template("1.6", "GetConfiguration") == {}
    assert command_template("2.0.1", "ClearCache") == {}


def test_enums_take_their_first_value_and_integers_one():
    assert command_template("1.6", "UnlockConnector") == {"connectorId": 1}
    assert command_template("2.0.1", "GetBaseReport") == {"requestId": 1, "reportBase": "ConfigurationInventory"}


def test_date_times_are_now_in_rfc_3339_to_the_second():
    template = command_template("1.6", "UpdateFirmware", now=NOW)

    assert template == {"location": "", "retrieveDate": "2026-12-02T18:30:15Z"}


def test_nested_types_and_required_arrays_get_one_filled_item():
    assert command_template("2.0.1", "GetVariables") == {
        "getVariableData": [{"component": {"name": ""}, "variable": {"name": ""}}]}


def test_a_charging_schedule_starts_at_period_0_on_stack_level_0():
    profile = command_template("1.6", "SetChargingProfile", now=NOW)["csChargingProfiles"]

    assert profile["stackLevel"] == 0
    assert profile["chargingSchedule"]["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 0}]


def test_an_action_the_version_does_not_define_is_a_key_error():
    with pytest.raises(KeyError):
        command_template("1.6", "GetBaseReport")
