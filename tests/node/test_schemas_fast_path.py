"""The compiled fast check only ever says "valid" where the full check would: same verdict on the cases where the
two libraries' rules differ, and the full check still decides (and names the fault) whenever the fast one refuses."""

import pytest

from node import rpc, schemas

BOOT_16 = {"chargePointVendor": "V", "chargePointModel": "M"}
METER_16 = {"connectorId": 1, "meterValue": [{"timestamp": "2025-03-01T10:15:00Z", "sampledValue": [{"value": "1"}]}]}
PROFILE_16 = {"connectorId": 1, "csChargingProfiles": {
    "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute", "chargingSchedule": {
        "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 21.4}]}}}


def full_verdict(version, action, payload, response=False):
    """What the jsonschema-based check alone says: None for valid, else the error code and field."""
    validator = schemas._VALIDATORS[version][action, response]
    faults = [f for error in validator.iter_errors(payload) for f in schemas._faults(error)]
    return (min(faults)[3], min(faults)[2]) if faults else None


def verdict(version, action, payload, response=False):
    try:
        schemas.validate(version, action, payload, response=response)
    except rpc.RpcError as exc:
        return exc.code, exc.details["field"]
    return None


def with_timestamp(value):
    return {**METER_16, "meterValue": [{**METER_16["meterValue"][0], "timestamp": value}]}


CASES = [
    ("1.6", "BootNotification", BOOT_16),
    ("1.6", "BootNotification", {**BOOT_16, "extra": 1}),
    ("1.6", "MeterValues", METER_16),
    ("1.6", "MeterValues", {**METER_16, "connectorId": 1.0}),  # a float is not an integer, here or in draft-06
    ("1.6", "MeterValues", {**METER_16, "connectorId": True}),
    ("1.6", "MeterValues", with_timestamp("2025-03-01t10:15:00z")),  # lower-case: RFC 3339 allows, we do not
    ("1.6", "MeterValues", with_timestamp("2025-03-01T10:15:60Z")),  # a leap second Python cannot hold
    ("1.6", "MeterValues", with_timestamp("2025-02-30T10:15:00Z")),
    ("1.6", "MeterValues", with_timestamp("2025-03-01T10:15:00.123+01:00")),
    ("1.6", "SetChargingProfile", PROFILE_16),  # 21.4 is a multiple of 0.1, exactly
    ("1.6", "SetChargingProfile", {**PROFILE_16, "connectorId": -1}),
    ("2.0.1", "Heartbeat", {}),
    ("2.0.1", "Heartbeat", {"customData": {"vendorId": "X", "anything": [1, 2]}}),
    ("2.0.1", "StatusNotification", {"timestamp": "2025-03-01T10:15:00Z", "connectorStatus": "Occupied",
                                     "evseId": 1, "connectorId": 1}),
    ("2.0.1", "StatusNotification", {"timestamp": "2025-03-01T10:15:00Z", "connectorStatus": "Busy",
                                     "evseId": 1, "connectorId": 1}),
    ("2.0.1", "TransactionEvent", {"eventType": "Updated", "timestamp": "2025-03-01T10:15:00Z",
                                   "triggerReason": "MeterValuePeriodic", "seqNo": 1,
                                   "transactionInfo": {"transactionId": "t" * 37}}),
]


@pytest.mark.parametrize(("version", "action", "payload"), CASES)
def test_the_fast_path_gives_the_full_checks_verdict(version, action, payload):
    assert verdict(version, action, payload) == full_verdict(version, action, payload)


def test_a_payload_the_fast_check_refuses_but_the_full_one_accepts_is_accepted():
    # fastjsonschema checks format "uri", which the full check leaves alone (module docstring)
    with pytest.raises(schemas.fastjsonschema.JsonSchemaException):
        schemas._fast("1.6", "UpdateFirmware", False)({"location": "not a uri", "retrieveDate": "2025-03-01T10:00:00Z"})
    assert verdict("1.6", "UpdateFirmware", {"location": "not a uri", "retrieveDate": "2025-03-01T10:00:00Z"}) is None


def test_the_fast_check_never_fills_defaults_into_the_payload():
    payload = {"chargePointVendor": "V", "chargePointModel": "M"}
    schemas.validate("1.6", "BootNotification", payload)
    assert payload == {"chargePointVendor": "V", "chargePointModel": "M"}
