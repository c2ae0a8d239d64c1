"""Payload validation against the compiled OCPP schemas: strict where jsonschema alone is lax."""

import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import ocpp
import pytest

from node import rpc, schemas

V16, V201 = "1.6", "2.0.1"
SCHEMA_DIRS = {V16: "v16", V201: "v201"}
_opened: list | None = None


def _record_open(event: str, args: tuple) -> None:
    if event == "open" and _opened is not None:
        _opened.append(args[0])


sys.addaudithook(_record_open)  # audit hooks cannot be removed; this one only records inside


@contextmanager
def files_opened():
    global _opened
    _opened = []
    try:
        yield _opened
    finally:
        _opened = None


def violation(version: str, action: str, payload, *, response: bool = False) -> tuple:
    with pytest.raises(rpc.RpcError) as caught:
        schemas.validate(version, action, payload, response=response)
    return caught.value.code, caught.value.description, caught.value.details


@pytest.mark.parametrize("version", [V16, V201])
def test_every_request_and_response_schema_on_disk_is_loaded(version):
    on_disk = list((Path(ocpp.__file__).parent / SCHEMA_DIRS[version] / "schemas").glob("*.json"))
    assert len(on_disk) == 2 * len(schemas.ACTIONS[version])
    assert {"BootNotification", "Heartbeat", "StatusNotification"} <= schemas.ACTIONS[version]


def test_each_version_knows_its_own_actions():
    assert "StartTransaction" in schemas.ACTIONS[V16] - schemas.ACTIONS[V201]
    assert "TransactionEvent" in schemas.ACTIONS[V201] - schemas.ACTIONS[V16]


def test_validating_every_schema_opens_no_file():
    with files_opened() as opened:
        for version, actions in schemas.ACTIONS.items():
            for action in actions:
                for response in (False, True):
                    for payload in ({}, {"timestamp": "2026", "status": "Broken", "x": 1}):
                        try:
                            schemas.validate(version, action, payload, response=response)
                        except rpc.RpcError:
                            pass
    assert opened == []


def test_unknown_action_is_not_implemented():
    assert violation(V16, "FooBar", {}) == ("NotImplemented", "action not defined in OCPP 1.6", {})


def test_string_heartbeat_interval_is_a_type_constraint_violation():
    response = {"status": "Accepted", "currentTime": "2026-11-25T10:00:00Z", "interval": "300"}
    assert violation(V16, "BootNotification", response, response=True) == (
        "TypeConstraintViolation",
        "interval: expected integer, got string",
        {"field": "interval"},
    )


@pytest.mark.parametrize("connector_id", [1.5, 1.0, "1", True, None])
def test_integer_field_takes_only_a_json_integer_in_16(connector_id):
    payload = {"connectorId": connector_id, "errorCode": "NoError", "status": "Available"}
    code, _, details = violation(V16, "StatusNotification", payload)
    assert (code, details) == ("TypeConstraintViolation", {"field": "connectorId"})


@pytest.mark.parametrize("evse_id", [1.5, 1.0, "1", False])
def test_integer_field_takes_only_a_json_integer_in_201(evse_id):
    payload = {"timestamp": "2026-11-25T10:00:00Z", "connectorStatus": "Available", "evseId": evse_id, "connectorId": 1}
    code, _, details = violation(V201, "StatusNotification", payload)
    assert (code, details) == ("TypeConstraintViolation", {"field": "evseId"})


def charging_profile(limit: float) -> dict:
    return {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
            },
        },
    }


@pytest.mark.parametrize("limit", [21.4, 16, 0.3, 1e300])
def test_limit_that_is_a_multiple_of_a_tenth_is_accepted_despite_float_rounding(limit):
    schemas.validate(V16, "SetChargingProfile", charging_profile(limit))


def test_limit_finer_than_a_tenth_is_a_property_constraint_violation():
    field = "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit"
    assert violation(V16, "SetChargingProfile", charging_profile(4.11)) == (
        "PropertyConstraintViolation",
        f"{field}: 4.11 is not a multiple of 0.1",
        {"field": field},
    )


def test_nested_field_in_a_list_is_named_by_its_path():
    payload = {
        "connectorId": 1,
        "meterValue": [{"timestamp": "2026-11-25T10:00:00Z", "sampledValue": [{"value": "1"}, {"unit": "Wh"}]}],
    }
    field = "meterValue[0].sampledValue[1].value"
    assert violation(V16, "MeterValues", payload) == (
        "OccurrenceConstraintViolation",
        f"{field}: required property missing",
        {"field": field},
    )


def test_of_several_violations_the_shallowest_and_most_severe_is_reported():
    payload = {"chargePointModel": "x" * 30, "extra": 1, "meterType": 5}
    assert violation(V16, "BootNotification", payload) == (
        "OccurrenceConstraintViolation",
        "chargePointVendor: required property missing",
        {"field": "chargePointVendor"},
    )


def test_payload_that_is_not_an_object_is_named_payload():
    assert violation(V201, "Heartbeat", []) == (
        "TypeConstraintViolation",
        "payload: expected object, got array",
        {"field": ""},
    )


def test_station_input_is_cut_short_in_the_description():
    payload = {"connectorId": 1, "errorCode": "NoError", "status": "B" * 100}
    assert violation(V16, "StatusNotification", payload)[1] == f"status: '{'B' * 36}... is not an allowed value"


def test_unexpected_property_name_is_cut_short_and_kept_utf_8():
    name = "\ud800" + "x" * 100
    code, description, details = violation(V201, "Heartbeat", {name: 1})
    assert (code, details) == ("FormatViolation", {"field": "\\ud800" + "x" * 36 + "..."})
    description.encode("utf-8")


ACCEPTED_DATE_TIMES = [
    "2026-11-25T10:00:00Z",
    "2026-11-25T10:00:00.123+01:00",
    "2026-11-25T10:00:00.123456789Z",
    "2024-02-29T23:59:59-05:30",
]


@pytest.mark.parametrize("version", [V16, V201])
@pytest.mark.parametrize("stamp", ACCEPTED_DATE_TIMES)
def test_rfc_3339_date_time_is_accepted_and_parses_in_python(stamp, version):
    schemas.validate(version, "Heartbeat", {"currentTime": stamp}, response=True)
    assert datetime.fromisoformat(stamp).tzinfo is not None


@pytest.mark.parametrize("version", [V16, V201])
@pytest.mark.parametrize(
    "stamp",
    [
        "2026-11-25 10:00:00",
        "2026-11-25T10:00:00",
        "2026-11-25T10:00Z",
        "2026-11-25",
        "20261125T100000Z",
        "2026-13-01T10:00:00Z",
        "2026-02-29T10:00:00Z",
        "2026-11-25T24:00:00Z",
        "2026-11-25T10:60:00Z",
        "2026-11-25T10:00:60Z",
        "2026-11-25T10:00:00+24:00",
        "2026-11-25T10:00:00+0100",
        "2026-11-25t10:00:00z",
        "2026-11-25T10:00:00.Z",
        "2026-11-25T10:00:00Z\n",
        "٢٠٢٦-11-25T10:00:00Z",
    ],
)
def test_date_time_that_is_not_rfc_3339_is_a_type_constraint_violation(stamp, version):
    code, _, details = violation(version, "Heartbeat", {"currentTime": stamp}, response=True)
    assert (code, details) == ("TypeConstraintViolation", {"field": "currentTime"})
