"""The session scenario: authorize the tag, start, a meter reading every interval, stop; N times.

Energy grows by power x time on the scenario's own schedule, not by the wall clock, so a run is
exact: each session adds power_w x session_seconds / 3600 Wh, and the register carries over, so a
session's meterStart is the previous one's meterStop. Transaction messages go through the
station's outbox (re-sent until answered, see outbox.py); Authorize and StatusNotification do not.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ocpp.v16 import enums as v16
from ocpp.v201 import enums as v201

from . import charging, payloads

if TYPE_CHECKING:
    from .station import Station

# Tolerance for float schedules: 0.15 s of 0.05 s intervals holds two readings before the stop.
EPSILON = 1e-9


@dataclass
class Session:
    connector: int
    id_tag: str
    meter_start: float
    transaction_id: int | str | None = None
    seq_no: int = 0  # 2.0.1: the next TransactionEvent's seqNo
    refused: str | None = None  # the start's answer refused the tag: stop at once, DeAuthorized


def sample_offsets(session_seconds: float, interval: float) -> list[float]:
    """Seconds after the start of the periodic readings; the stop itself carries the last one."""
    count = max(math.ceil(session_seconds / interval - EPSILON) - 1, 0)
    return [k * interval for k in range(1, count + 1)]


async def run_sessions(station: Station) -> None:
    """Run the script's sessions one after the other, then wait until every one was answered."""
    script = station.script
    energy = float(script.meter_start)
    for number in range(script.sessions):
        energy = await _session(station, number % max(script.connectors, 1) + 1, energy)
    await station.flush(until=math.inf)


async def _session(station: Station, connector: int, energy: float) -> float:
    """One session on `connector` starting at register `energy`; returns the register at its end."""
    script, tally, tag = station.script, station.tally, station.id_tag
    status = charging.token_status(await station.call(v16.Action.authorize, charging.authorize(station.version, tag)))
    if status != charging.ACCEPTED:
        tally.refused += 1
        station.stats.record_error(station.station_id, f"Authorize {tag} answered {status}: no session")
        return energy
    flow = _V16 if station.version == "1.6" else _V201
    session = Session(connector, tag, energy)
    await flow.begin(station, session)
    begun, elapsed = asyncio.get_running_loop().time(), 0.0
    for offset in sample_offsets(script.session_seconds, script.meter_interval):
        if session.refused:
            break
        await station.wait_until(begun + offset)
        if session.refused:
            break
        elapsed = offset
        flow.meter(station, session, session.meter_start + script.power_w * elapsed / 3600)
        await station.flush()
    if not session.refused:
        await station.wait_until(begun + script.session_seconds)
        elapsed = script.session_seconds
    meter_stop = session.meter_start + script.power_w * elapsed / 3600
    await flow.end(station, session, meter_stop)
    version = station.version
    tally.energy_wh += charging.register(version, meter_stop) - charging.register(version, session.meter_start)
    return meter_stop


class _V16:
    """Preparing, StartTransaction, Charging, MeterValues..., StopTransaction, Finishing, Available."""

    @staticmethod
    async def begin(station: Station, session: Session) -> None:
        await _status(station, session, v16.ChargePointStatus.preparing)
        meter_start = charging.register("1.6", session.meter_start)
        start = charging.start_transaction(session.connector, session.id_tag, meter_start)

        def started(result: payloads.Payload) -> None:
            session.transaction_id = result["transactionId"]
            station.tally.record_start(result["transactionId"])
            _check_start(station, session, charging.token_status(result))

        station.transact(v16.Action.start_transaction, lambda: start, on_result=started)
        await station.flush()
        if not session.refused:
            await _status(station, session, v16.ChargePointStatus.charging)

    @staticmethod
    def meter(station: Station, session: Session, energy: float) -> None:
        reading = charging.sample("1.6", energy, station.script.power_w, v16.ReadingContext.sample_periodic)
        station.transact(
            v16.Action.meter_values,
            lambda: charging.meter_values(session.connector, session.transaction_id, reading),
            periodic=True,
        )

    @staticmethod
    async def end(station: Station, session: Session, meter_stop: float) -> None:
        stop = charging.stop_transaction(
            id_tag=session.id_tag,
            meter_stop=charging.register("1.6", meter_stop),
            reason=v16.Reason.de_authorized if session.refused else v16.Reason.local,
            reading=charging.sample("1.6", meter_stop, None, v16.ReadingContext.transaction_end),
        )

        def build() -> payloads.Payload | None:
            # Never started as far as the CSMS knows: a StopTransaction has nothing to name.
            return None if session.transaction_id is None else stop | {"transactionId": session.transaction_id}

        station.transact(v16.Action.stop_transaction, build, on_result=lambda _: station.tally.record_end(), held=True)
        await station.flush()
        await _status(station, session, v16.ChargePointStatus.finishing)
        await _status(station, session, v16.ChargePointStatus.available)


class _V201:
    """Occupied, TransactionEvent Started, Updated..., Ended, Available."""

    @staticmethod
    async def begin(station: Station, session: Session) -> None:
        await _status(station, session, v201.ConnectorStatusEnumType.occupied)
        session.transaction_id = str(uuid.uuid4())
        transaction_id = session.transaction_id

        def started(result: payloads.Payload) -> None:
            station.tally.record_start(transaction_id)
            _check_start(station, session, charging.token_status(result))

        reading = charging.sample("2.0.1", session.meter_start, None, v201.ReadingContextEnumType.transaction_begin)
        _event(
            station,
            session,
            v201.TransactionEventEnumType.started,
            v201.TriggerReasonEnumType.authorized,
            reading,
            id_tag=session.id_tag,
            on_result=started,
        )
        await station.flush()

    @staticmethod
    def meter(station: Station, session: Session, energy: float) -> None:
        reading = charging.sample("2.0.1", energy, station.script.power_w, v201.ReadingContextEnumType.sample_periodic)
        _event(
            station,
            session,
            v201.TransactionEventEnumType.updated,
            v201.TriggerReasonEnumType.meter_value_periodic,
            reading,
            periodic=True,
        )

    @staticmethod
    async def end(station: Station, session: Session, meter_stop: float) -> None:
        refused = session.refused is not None
        reading = charging.sample("2.0.1", meter_stop, None, v201.ReadingContextEnumType.transaction_end)
        _event(
            station,
            session,
            v201.TransactionEventEnumType.ended,
            v201.TriggerReasonEnumType.deauthorized if refused else v201.TriggerReasonEnumType.stop_authorized,
            reading,
            id_tag=None if refused else session.id_tag,
            stopped_reason=v201.ReasonEnumType.de_authorized if refused else v201.ReasonEnumType.local,
            on_result=lambda _: station.tally.record_end(),
            charging_state=v201.ChargingStateEnumType.ev_connected,
        )
        await station.flush()
        await _status(station, session, v201.ConnectorStatusEnumType.available)


def _event(
    station,
    session,
    event_type,
    trigger,
    reading,
    *,
    periodic=False,
    on_result=None,
    charging_state=v201.ChargingStateEnumType.charging,
    **fields,
) -> None:
    """Queue the session's next TransactionEvent: its seqNo is taken now, so a re-send keeps it."""
    event = charging.transaction_event(
        event_type,
        transaction_id=session.transaction_id,
        seq_no=session.seq_no,
        trigger=trigger,
        charging_state=charging_state,
        connector=session.connector,
        reading=reading,
        **fields,
    )
    session.seq_no += 1
    station.transact(v201.Action.transaction_event, lambda: event, on_result=on_result, periodic=periodic)


def _check_start(station: Station, session: Session, status: str | None) -> None:
    """A start answered with the tag refused ends the session at once (1.6 StopTransactionOnInvalidId)."""
    if status is not None and status != charging.ACCEPTED:
        session.refused = status
        station.stats.record_error(station.station_id, f"start of {session.id_tag} answered {status}: stopped")


async def _status(station: Station, session: Session, status: str) -> None:
    """Both versions spell these two actions alike; the payloads differ."""
    notification = payloads.status_notification(station.version, session.connector, status)
    await station.call(v16.Action.status_notification, notification)
