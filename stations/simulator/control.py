"""Answers to the CSMS about sessions and connectors: remote start / stop, availability, unlock,
reservations, reset, trigger message and transaction status (see operations.py).

1.6 names a connector, 2.0.1 an EVSE; here each EVSE has one connector, so both are "connector n".
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ocpp.v16 import enums as v16
from ocpp.v201 import enums as v201

from . import charging, payloads, sessions
from .sessions import HARD_RESET, REMOTE_STOP, SOFT_RESET, UNLOCK, Session
from .state import Connector, Reservation

if TYPE_CHECKING:
    from .station import Station

Payload = dict[str, Any]
ACCEPTED, REJECTED = "Accepted", "Rejected"  # spelled alike in every status enum below
# How often a Reset waits to see the sessions it stopped end.
IDLE_POLL = 0.05


def _v16(station: Station) -> bool:
    return station.version == "1.6"


# Remote start and stop


def _connector_for(station: Station, number: Any, id_tag: str) -> Connector | None:
    if number is None:
        return station.state.free(id_tag)
    connector = station.state.connector(number)
    return connector if connector is not None and connector.takes(id_tag) else None


def _start(station: Station, connector: Connector, session: Session) -> Payload:
    station.state.claim(connector, session)
    station.after_answer("remote start", lambda: sessions.remote_session(station, session))
    return {"status": ACCEPTED}


async def on_remote_start_transaction(station: Station, request: Payload) -> Payload:
    """1.6: a session for idTag on the connector named, or the first free one."""
    connector = _connector_for(station, request.get("connectorId"), request["idTag"])
    if connector is None:
        return {"status": REJECTED}
    return _start(station, connector, Session(connector.number, request["idTag"], station.energy))


async def on_request_start_transaction(station: Station, request: Payload) -> Payload:
    """2.0.1: as 1.6, and the TransactionEvent Started carries the remoteStartId."""
    token = request["idToken"]
    connector = _connector_for(station, request.get("evseId"), token["idToken"])
    if connector is None:
        return {"status": REJECTED}
    session = Session(
        connector.number,
        token["idToken"],
        station.energy,
        remote_start_id=request["remoteStartId"],
        token_type=token["type"],
    )
    return _start(station, connector, session)


async def on_remote_stop_transaction(station: Station, request: Payload) -> Payload:
    session = station.state.session(request["transactionId"])
    if session is None:
        return {"status": REJECTED}
    session.stop(REMOTE_STOP)
    return {"status": ACCEPTED}


on_request_stop_transaction = on_remote_stop_transaction


async def on_get_transaction_status(station: Station, request: Payload) -> Payload:
    """2.0.1: whether TransactionEvents of the transaction (or any) wait in the outbox."""
    wanted = request.get("transactionId")
    queued = [m.build() or {} for m in station.outbox if m.action == v201.Action.transaction_event]
    ids = {event.get("transactionInfo", {}).get("transactionId") for event in queued}
    result: Payload = {"messagesInQueue": bool(ids) if wanted is None else wanted in ids}
    if wanted is not None:
        result["ongoingIndicator"] = station.state.session(wanted) is not None
    return result


# Availability and unlock


def _targets(station: Station, number: Any) -> list[Connector] | None:
    """The connectors a request names: all for 0 or none named, None when it names an unknown one."""
    if number in (None, 0):
        return list(station.state.connectors.values())
    connector = station.state.connector(number)
    return [connector] if connector else None


async def on_change_availability(station: Station, request: Payload) -> Payload:
    """Accepted and a StatusNotification per connector changed; Scheduled where a session runs."""
    if _v16(station):
        number, operative = request["connectorId"], request["type"] == v16.AvailabilityType.operative
    else:
        number = (request.get("evse") or {}).get("id")
        operative = request["operationalStatus"] == v201.OperationalStatusEnumType.operative
    targets = _targets(station, number)
    if targets is None:
        return {"status": REJECTED}
    changed, scheduled = [], False
    for connector in targets:
        if connector.session is not None:
            connector.scheduled, scheduled = operative, True
        elif connector.operative != operative:
            connector.operative = operative
            changed.append(connector.number)
    if changed:
        station.after_answer("availability", lambda: station.report_connectors(changed))
    return {"status": "Scheduled" if scheduled else ACCEPTED}


async def on_unlock_connector(station: Station, request: Payload) -> Payload:
    """1.6 ends a session on the connector first; 2.0.1 refuses while one runs, as its spec says."""
    if _v16(station):
        connector = station.state.connector(request["connectorId"])
        if connector is None:
            return {"status": v16.UnlockStatus.unlock_failed}
        if connector.session is not None:
            connector.session.stop(UNLOCK)
        return {"status": v16.UnlockStatus.unlocked}
    connector = station.state.connector(request["evseId"])
    if connector is None or request["connectorId"] != 1:
        return {"status": v201.UnlockStatusEnumType.unknown_connector}
    if connector.session is not None:
        return {"status": v201.UnlockStatusEnumType.ongoing_authorized_transaction}
    return {"status": v201.UnlockStatusEnumType.unlocked}


# Reservations


async def on_reserve_now(station: Station, request: Payload) -> Payload:
    """Accepted on a free connector (Occupied when busy or reserved, Unavailable when inoperative)."""
    if _v16(station):
        reservation_id, number, tag = request["reservationId"], request["connectorId"], request["idTag"]
        expiry = request["expiryDate"]
    else:
        reservation_id, number, tag = request["id"], request.get("evseId"), request["idToken"]["idToken"]
        expiry = request["expiryDateTime"]
    previous = station.state.reservation(reservation_id)
    if previous is not None:  # the same id again replaces that reservation
        previous.reservation = None
    connector = station.state.free(tag) if number is None else station.state.connector(number)
    if connector is None:
        return {"status": REJECTED if number is not None else "Occupied"}
    if not connector.operative:
        return {"status": "Unavailable"}
    if connector.session is not None or connector.reservation is not None:
        return {"status": "Occupied"}
    reservation = connector.reservation = Reservation(reservation_id, connector.number, tag)
    moved = [previous.number] if previous is not None and previous is not connector else []
    station.after_answer("reservation", lambda: _hold(station, connector, reservation, expiry, moved))
    return {"status": ACCEPTED}


async def _hold(station: Station, connector: Connector, reservation: Reservation, expiry: str, moved: list) -> None:
    """Say Reserved, and make the connector free again when the reservation expires unused."""
    await station.report_connectors([*moved, connector.number])
    await asyncio.sleep(max(_seconds_until(expiry), 0))
    if connector.reservation is not reservation:
        return
    connector.reservation = None
    await station.report_connectors([connector.number])
    if not _v16(station):
        expired = v201.ReservationUpdateStatusEnumType.expired
        update = {"reservationId": reservation.id, "reservationUpdateStatus": expired}
        await station.call(v201.Action.reservation_status_update, update)


def _seconds_until(moment: str) -> float:
    when = datetime.fromisoformat(moment)
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return (when - datetime.now(UTC)).total_seconds()


async def on_cancel_reservation(station: Station, request: Payload) -> Payload:
    connector = station.state.reservation(request["reservationId"])
    if connector is None:
        return {"status": REJECTED}
    connector.reservation = None
    station.after_answer("cancel reservation", lambda: station.report_connectors([connector.number]))
    return {"status": ACCEPTED}


# Reset


async def on_reset(station: Station, request: Payload) -> Payload:
    """Accepted, then the sessions end (1.6 Hard/SoftReset, 2.0.1 ImmediateReset), the station closes,
    connects again and boots (2.0.1 reason RemoteReset). 2.0.1 OnIdle with sessions running is
    Scheduled: the reset waits for them to end. Resetting one 2.0.1 EVSE is not simulated: Rejected.
    """
    if _v16(station):
        cause = HARD_RESET if request["type"] == v16.ResetType.hard else SOFT_RESET
    elif request.get("evseId") is not None:
        return {"status": REJECTED}
    else:
        cause = None if request["type"] == v201.ResetEnumType.on_idle else HARD_RESET
    station.after_answer("reset", lambda: _reset(station, cause))
    return {"status": "Scheduled" if cause is None and station.state.sessions() else ACCEPTED}


async def _reset(station: Station, cause: sessions.StopCause | None) -> None:
    for session in station.state.sessions() if cause else ():
        session.stop(cause)
    while station.state.sessions():
        await asyncio.sleep(IDLE_POLL)
    await station.flush()
    await station.reboot()


# Trigger message


async def on_trigger_message(station: Station, request: Payload) -> Payload:
    """Accepted, then the message asked for; NotImplemented for certificate signing and the like.

    Also 1.6 ExtendedTriggerMessage, whose answer has the same shape.
    """
    wanted = request["requestedMessage"]
    number = request.get("connectorId") if _v16(station) else (request.get("evse") or {}).get("id")
    targets = _targets(station, number)
    send = _TRIGGERED.get(wanted)
    if send is None:
        return {"status": "NotImplemented"}
    if targets is None:
        return {"status": REJECTED}
    if wanted == v201.MessageTriggerEnumType.transaction_event:
        running = [c.session for c in targets if c.session is not None and c.session.transaction_id is not None]
        if not running:
            return {"status": REJECTED}
        targets = running
    numbers = None if number in (None, 0) else [c.number for c in targets]
    station.after_answer(f"triggered {wanted}", lambda: send(station, numbers, targets))
    return {"status": ACCEPTED}


async def _trigger_boot(station: Station, numbers: list[int] | None, targets: list) -> None:
    await station.boot(v201.BootReasonEnumType.triggered)


async def _trigger_heartbeat(station: Station, numbers: list[int] | None, targets: list) -> None:
    await station.call(v16.Action.heartbeat, payloads.heartbeat(station.version))


async def _trigger_status(station: Station, numbers: list[int] | None, targets: list) -> None:
    await station.report_connectors(numbers)


async def _trigger_meter_values(station: Station, numbers: list[int] | None, targets: list) -> None:
    """The register of each connector asked for, as a Trigger reading."""
    for connector in targets:
        context = v16.ReadingContext.trigger  # spelled alike in 2.0.1
        reading = charging.sample(station.version, station.energy, None, context)
        if _v16(station):
            session = connector.session
            payload = charging.meter_values(connector.number, session and session.transaction_id, reading)
        else:
            payload = {"evseId": connector.number, "meterValue": [reading]}
        await station.call(v16.Action.meter_values, payload)


async def _trigger_firmware_status(station: Station, numbers: list[int] | None, targets: list) -> None:
    await station.call(v16.Action.firmware_status_notification, _with_request_id(station, "firmware"))


async def _trigger_diagnostics_status(station: Station, numbers: list[int] | None, targets: list) -> None:
    await station.call(v16.Action.diagnostics_status_notification, {"status": station.state.upload_status})


async def _trigger_log_status(station: Station, numbers: list[int] | None, targets: list) -> None:
    await station.call(v201.Action.log_status_notification, _with_request_id(station, "log"))


async def _trigger_transaction_event(station: Station, numbers: list[int] | None, targets: list) -> None:
    for session in targets:
        sessions.triggered_event(station, session)
    await station.flush()


def _with_request_id(station: Station, kind: str) -> Payload:
    """The last status of a firmware update / log upload, with its requestId when there is one."""
    state = station.state
    payload: Payload = {"status": state.firmware_status if kind == "firmware" else state.upload_status}
    request_id = state.request_ids.get(kind)
    if request_id is not None and not (_v16(station) and kind == "firmware"):
        payload["requestId"] = request_id
    return payload


_TRIGGERED = {
    "BootNotification": _trigger_boot,
    "Heartbeat": _trigger_heartbeat,
    "StatusNotification": _trigger_status,
    "MeterValues": _trigger_meter_values,
    "FirmwareStatusNotification": _trigger_firmware_status,
    "DiagnosticsStatusNotification": _trigger_diagnostics_status,
    "LogStatusNotification": _trigger_log_status,
    "TransactionEvent": _trigger_transaction_event,
}
