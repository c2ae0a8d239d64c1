"""What a simulated station says, per OCPP version: its own requests and its answers to the CSMS."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ocpp.v16 import enums as v16
from ocpp.v201 import enums as v201

VERSIONS = ("1.6", "2.0.1")
VENDOR = "Simulator"
MODEL = "SIM-1"
FIRMWARE = "1.0.0"
# Both versions cap the serial number at 25 characters; the tail of the id keeps it unique.
SERIAL_MAX = 25

Payload = dict[str, Any]


def subprotocol(version: str) -> str:
    return f"ocpp{version}"


def now() -> str:
    """RFC 3339 UTC with a "Z", as both versions' examples write it."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def boot_notification(version: str, station_id: str) -> Payload:
    serial = station_id[-SERIAL_MAX:]
    if version == "1.6":
        return {
            "chargePointVendor": VENDOR,
            "chargePointModel": MODEL,
            "chargePointSerialNumber": serial,
            "firmwareVersion": FIRMWARE,
        }
    return {
        "reason": v201.BootReasonEnumType.power_up,
        "chargingStation": {
            "model": MODEL,
            "vendorName": VENDOR,
            "serialNumber": serial,
            "firmwareVersion": FIRMWARE,
        },
    }


def status_notification(version: str, connector: int, status: str | None = None) -> Payload:
    """Connector `connector` is in `status` (the version's enum; default Available).

    In 2.0.1 each connector is alone on its own EVSE.
    """
    if version == "1.6":
        return {
            "connectorId": connector,
            "errorCode": v16.ChargePointErrorCode.no_error,
            "status": status or v16.ChargePointStatus.available,
            "timestamp": now(),
        }
    return {
        "timestamp": now(),
        "connectorStatus": status or v201.ConnectorStatusEnumType.available,
        "evseId": connector,
        "connectorId": 1,
    }


def heartbeat(version: str) -> Payload:
    return {}


# Answers to the CSMS: honest for a station that has no configuration and no vendor extensions.
_ANSWERS_V16: dict[str, Callable[[Payload], Payload]] = {
    "GetConfiguration": lambda req: {"configurationKey": [], "unknownKey": req.get("key", [])},
    "ChangeConfiguration": lambda req: {"status": v16.ConfigurationStatus.not_supported},
    "TriggerMessage": lambda req: {"status": v16.TriggerMessageStatus.not_implemented},
    "DataTransfer": lambda req: {"status": v16.DataTransferStatus.unknown_vendor_id},
}
_ANSWERS_V201: dict[str, Callable[[Payload], Payload]] = {
    "GetVariables": lambda req: {
        "getVariableResult": [
            {
                "attributeStatus": v201.GetVariableStatusEnumType.unknown_component,
                "component": item["component"],
                "variable": item["variable"],
            }
            for item in req.get("getVariableData", [])
        ]
    },
    "SetVariables": lambda req: {
        "setVariableResult": [
            {
                "attributeStatus": v201.SetVariableStatusEnumType.unknown_component,
                "component": item["component"],
                "variable": item["variable"],
            }
            for item in req.get("setVariableData", [])
        ]
    },
    "TriggerMessage": lambda req: {"status": v201.TriggerMessageStatusEnumType.not_implemented},
    "DataTransfer": lambda req: {"status": v201.DataTransferStatusEnumType.unknown_vendor_id},
}
_ANSWERS = {"1.6": _ANSWERS_V16, "2.0.1": _ANSWERS_V201}
_ACTIONS = {"1.6": {a.value for a in v16.Action}, "2.0.1": {a.value for a in v201.Action}}


def answer(version: str, message_id: str, action: str, request: Payload) -> list:
    """The CALLRESULT or CALLERROR frame answering a CSMS CALL.

    An action the version defines but we do not simulate is NotSupported; one it does not
    define is NotImplemented (the meanings both specs give these codes).
    """
    make = _ANSWERS[version].get(action)
    if make is not None:
        try:
            return [3, message_id, make(request)]
        except (KeyError, TypeError, AttributeError):
            return [4, message_id, "FormationViolation", f"Malformed {action} request", {}]
    code = "NotSupported" if action in _ACTIONS[version] else "NotImplemented"
    return [4, message_id, code, f"The simulator does not handle {action}", {}]
