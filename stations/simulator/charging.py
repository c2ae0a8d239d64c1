"""What a simulated station says about a charging session, per OCPP version: payloads only.

Energy is a float in Wh inside the simulator; 1.6 writes the register as whole Wh (meterStart and
meterStop are integers there), 2.0.1 as a number with at most ENERGY_DECIMALS decimals.
"""

from typing import Any

from ocpp.v16 import enums as v16
from ocpp.v201 import enums as v201

from .payloads import Payload, now

ENERGY_DECIMALS = 3
ACCEPTED = v16.AuthorizationStatus.accepted  # spelled the same in 2.0.1


def register(version: str, energy_wh: float) -> int | float:
    """The energy register as the version writes it."""
    return round(energy_wh) if version == "1.6" else round(energy_wh, ENERGY_DECIMALS)


def id_token(id_tag: str, kind: str = v201.IdTokenEnumType.iso14443) -> Payload:
    """2.0.1: by default the tag is an RFID card, like a 1.6 idTag; a remote start says its own type."""
    return {"idToken": id_tag, "type": kind}


def authorize(version: str, id_tag: str) -> Payload:
    return {"idTag": id_tag} if version == "1.6" else {"idToken": id_token(id_tag)}


def token_status(result: Payload) -> str | None:
    """The status in an answer's idTagInfo (1.6) or idTokenInfo (2.0.1); None without one."""
    info = result.get("idTagInfo") or result.get("idTokenInfo")
    return str(info.get("status")) if isinstance(info, dict) else None


def sample(version: str, energy_wh: float, power_w: int | None, context: str) -> Payload:
    """One meterValue: the register, and the power when `power_w` is given."""
    if version == "1.6":
        values = [
            _v16_value(
                str(register(version, energy_wh)),
                v16.Measurand.energy_active_import_register,
                v16.UnitOfMeasure.wh,
                context,
            )
        ]
        if power_w is not None:
            values.append(_v16_value(str(power_w), v16.Measurand.power_active_import, v16.UnitOfMeasure.w, context))
        return {"timestamp": now(), "sampledValue": values}
    values = [
        _v201_value(register(version, energy_wh), v201.MeasurandEnumType.energy_active_import_register, "Wh", context)
    ]
    if power_w is not None:
        values.append(_v201_value(power_w, v201.MeasurandEnumType.power_active_import, "W", context))
    return {"timestamp": now(), "sampledValue": values}


def _v16_value(value: str, measurand: str, unit: str, context: str) -> Payload:
    return {"value": value, "context": context, "measurand": measurand, "unit": unit}


def _v201_value(value: float, measurand: str, unit: str, context: str) -> Payload:
    return {"value": value, "context": context, "measurand": measurand, "unitOfMeasure": {"unit": unit}}


def start_transaction(connector: int, id_tag: str, meter_start: int, reservation_id: int | None = None) -> Payload:
    """1.6 only; `reservation_id` when the session uses a reservation (ReserveNow)."""
    payload = {"connectorId": connector, "idTag": id_tag, "meterStart": meter_start, "timestamp": now()}
    if reservation_id is not None:
        payload["reservationId"] = reservation_id
    return payload


def meter_values(connector: int, transaction_id: int | None, reading: Payload) -> Payload:
    """1.6 only; without a transactionId while the StartTransaction is still unanswered."""
    payload: Payload = {"connectorId": connector, "meterValue": [reading]}
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    return payload


def stop_transaction(*, id_tag: str, meter_stop: int, reason: str, reading: Payload) -> Payload:
    """1.6 only, without the transactionId: the station adds it when it sends (see sessions.py)."""
    return {
        "idTag": id_tag,
        "meterStop": meter_stop,
        "timestamp": now(),
        "reason": reason,
        "transactionData": [reading],
    }


def transaction_event(
    event_type: str,
    *,
    transaction_id: str,
    seq_no: int,
    trigger: str,
    charging_state: str,
    connector: int,
    reading: Payload,
    id_tag: str | None = None,
    stopped_reason: str | None = None,
    remote_start_id: int | None = None,
    reservation_id: int | None = None,
    token_type: str = v201.IdTokenEnumType.iso14443,
) -> Payload:
    """2.0.1 only; each connector is alone on its own EVSE, as in status_notification.

    `remote_start_id` links a Started event to the RequestStartTransaction that asked for it.
    """
    info: dict[str, Any] = {"transactionId": transaction_id, "chargingState": charging_state}
    if stopped_reason is not None:
        info["stoppedReason"] = stopped_reason
    if remote_start_id is not None:
        info["remoteStartId"] = remote_start_id
    payload: Payload = {
        "eventType": event_type,
        "timestamp": now(),
        "triggerReason": trigger,
        "seqNo": seq_no,
        "transactionInfo": info,
        "evse": {"id": connector, "connectorId": 1},
        "meterValue": [reading],
    }
    if id_tag is not None:
        payload["idToken"] = id_token(id_tag, token_type)
    if reservation_id is not None:
        payload["reservationId"] = reservation_id
    return payload
