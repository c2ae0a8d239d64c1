"""What a simulated station says, per OCPP version: its own basic requests (answers: operations.py)."""

import json
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


def boot_notification(version: str, station_id: str, reason: str = v201.BootReasonEnumType.power_up) -> Payload:
    """`reason` is 2.0.1's; a 1.6 boot says no reason."""
    serial = station_id[-SERIAL_MAX:]
    if version == "1.6":
        return {
            "chargePointVendor": VENDOR,
            "chargePointModel": MODEL,
            "chargePointSerialNumber": serial,
            "firmwareVersion": FIRMWARE,
        }
    return {
        "reason": reason,
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


def parse_frame(text: str | bytes) -> list | None:
    """An OCPP-J frame as a list (CALL, CALLRESULT or CALLERROR, each of its length), or None if malformed."""
    try:
        frame = json.loads(text)
        kind, message_id = frame[0], frame[1]
        shaped = {2: 4, 3: 3, 4: 5}.get(kind) == len(frame) and isinstance(message_id, str)
        shaped = shaped and (kind != 2 or isinstance(frame[2], str))
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    return frame if shaped else None
