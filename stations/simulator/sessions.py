"""Charging sessions: the scripted scenario (--sessions) and those the CSMS starts remotely.

The scenario: authorize the tag, start, a meter reading every interval, stop; N times. Energy grows
by power x time on the scenario's own schedule, not by the wall clock, so a run is exact: each
session adds power_w x session_seconds / 3600 Wh, and the register carries over, so a session's
meterStart is the previous one's meterStop. A remote start (operations.py) runs until a remote
stop, unlock or reset ends it, metering at the configured interval by the clock. The register is
one per station: sessions that overlap each count from the register at their own start.
Transaction messages go through the station's outbox (re-sent until answered, see outbox.py);
Authorize and StatusNotification do not.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ocpp.v16 import enums as v16
from ocpp.v201 import enums as v201

from . import charging, payloads
from .device import AUTHORIZE_REMOTE, METER_INTERVAL

if TYPE_CHECKING:
    from .station import Station

# Tolerance for float schedules: 0.15 s of 0.05 s intervals holds two readings before the stop.
EPSILON = 1e-9


@dataclass(frozen=True)
class StopCause:
    """Why a session ends before its time: the 1.6 stop reason, the 2.0.1 trigger and stopped reason."""

    v16_reason: str
    trigger: str
    stopped_reason: str


REMOTE_STOP = StopCause(v16.Reason.remote, v201.TriggerReasonEnumType.remote_stop, v201.ReasonEnumType.remote)
UNLOCK = StopCause(v16.Reason.unlock_command, v201.TriggerReasonEnumType.unlock_command, v201.ReasonEnumType.other)
HARD_RESET = StopCause(
    v16.Reason.hard_reset, v201.TriggerReasonEnumType.reset_command, v201.ReasonEnumType.immediate_reset
)
SOFT_RESET = StopCause(
    v16.Reason.soft_reset, v201.TriggerReasonEnumType.reset_command, v201.ReasonEnumType.immediate_reset
)


@dataclass
class Session:
    connector: int
    id_tag: str
    meter_start: float
    transaction_id: int | str | None = None
    seq_no: int = 0  # 2.0.1: the next TransactionEvent's seqNo
    refused: str | None = None  # the start's answer refused the tag: stop at once, DeAuthorized
    remote_start_id: int | None = None  # 2.0.1: the RequestStartTransaction's, in TransactionEvent Started
    reservation_id: int | None = None  # the reservation the session uses (state.StationState.claim)
    token_type: str = v201.IdTokenEnumType.iso14443  # 2.0.1: the idToken's type
    stopped: StopCause | None = None  # ended early by the CSMS (remote stop, unlock, reset)
    stopping: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def stop(self, cause: StopCause) -> None:
        self.stopped = self.stopped or cause
        self.stopping.set()

    @property
    def over(self) -> bool:
        return self.refused is not None or self.stopped is not None


def sample_offsets(session_seconds: float, interval: float) -> list[float]:
    """Seconds after the start of the periodic readings; the stop itself carries the last one."""
    count = max(math.ceil(session_seconds / interval - EPSILON) - 1, 0)
    return [k * interval for k in range(1, count + 1)]


async def run_sessions(station: Station) -> None:
    """Run the script's sessions one after the other, then wait until every one was answered."""
    script = station.script
    for number in range(script.sessions):
        await _session(station, number % max(script.connectors, 1) + 1)
    await station.flush(until=math.inf)


async def _session(station: Station, number: int) -> None:
    """One scripted session on connector `number`, from the station's register."""
    script, tally, tag = station.script, station.session_tally(), station.id_tag
    connector = station.state.connector(number)
    if not connector.takes(tag):
        station.stats.record_error(station.station_id, f"connector {number} not free: scripted session skipped")
        return
    status = charging.token_status(await station.call(v16.Action.authorize, charging.authorize(station.version, tag)))
    if status != charging.ACCEPTED:
        tally.refused += 1
        station.stats.record_error(station.station_id, f"Authorize {tag} answered {status}: no session")
        return
    flow = _V16 if station.version == "1.6" else _V201
    session = Session(number, tag, station.energy)
    station.state.claim(connector, session)
    await flow.begin(station, session)
    begun, elapsed = asyncio.get_running_loop().time(), 0.0
    for offset in sample_offsets(script.session_seconds, script.meter_interval):
        if session.over:
            break
        await station.wait_until(begun + offset)
        if session.over:
            break
        elapsed = offset
        flow.meter(station, session, session.meter_start + script.power_w * elapsed / 3600)
        await station.flush()
    if not session.over:
        await station.wait_until(begun + script.session_seconds)
        elapsed = script.session_seconds
    await _end(station, session, flow, session.meter_start + script.power_w * elapsed / 3600)


async def remote_session(station: Station, session: Session) -> None:
    """A session the CSMS started on a connector already claimed for it: runs until stopped."""
    loop, power = asyncio.get_running_loop(), station.script.power_w
    if station.device.setting(AUTHORIZE_REMOTE) == "true":
        answer = await station.call(v16.Action.authorize, charging.authorize(station.version, session.id_tag))
        if (status := charging.token_status(answer)) != charging.ACCEPTED:
            station.session_tally().refused += 1
            station.stats.record_error(station.station_id, f"Authorize {session.id_tag} answered {status}: no session")
            station.state.release(session)
            return
    flow = _V16 if station.version == "1.6" else _V201
    session.meter_start = station.energy
    await flow.begin(station, session)
    begun = loop.time()
    while not session.over:
        interval = float(station.device.setting(METER_INTERVAL))
        try:
            await asyncio.wait_for(session.stopping.wait(), interval if interval > 0 else None)
        except TimeoutError:
            flow.meter(station, session, session.meter_start + power * (loop.time() - begun) / 3600)
            await station.flush()
    await _end(station, session, flow, session.meter_start + power * (loop.time() - begun) / 3600)


async def _end(station: Station, session: Session, flow: type, meter_stop: float) -> None:
    await flow.end(station, session, meter_stop)
    version = station.version
    tally = station.session_tally()
    tally.energy_wh += charging.register(version, meter_stop) - charging.register(version, session.meter_start)
    station.energy = max(station.energy, meter_stop)


class _V16:
    """Preparing, StartTransaction, Charging, MeterValues..., StopTransaction, Finishing, Available."""

    @staticmethod
    async def begin(station: Station, session: Session) -> None:
        await _status(station, session, v16.ChargePointStatus.preparing)
        meter_start = charging.register("1.6", session.meter_start)
        start = charging.start_transaction(session.connector, session.id_tag, meter_start, session.reservation_id)

        def started(result: payloads.Payload) -> None:
            session.transaction_id = result["transactionId"]
            station.session_tally().record_start(result["transactionId"])
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
            reason=_v16_reason(session),
            reading=charging.sample("1.6", meter_stop, None, v16.ReadingContext.transaction_end),
        )

        def build() -> payloads.Payload | None:
            # Never started as far as the CSMS knows: a StopTransaction has nothing to name.
            return None if session.transaction_id is None else stop | {"transactionId": session.transaction_id}

        tally = station.session_tally()
        station.transact(v16.Action.stop_transaction, build, on_result=lambda _: tally.record_end(), held=True)
        await station.flush()
        await _status(station, session, v16.ChargePointStatus.finishing)
        await _idle(station, session)


class _V201:
    """Occupied, TransactionEvent Started, Updated..., Ended, Available."""

    @staticmethod
    async def begin(station: Station, session: Session) -> None:
        await _status(station, session, v201.ConnectorStatusEnumType.occupied)
        session.transaction_id = str(uuid.uuid4())
        transaction_id, remote = session.transaction_id, session.remote_start_id is not None

        def started(result: payloads.Payload) -> None:
            station.session_tally().record_start(transaction_id)
            _check_start(station, session, charging.token_status(result))

        reading = charging.sample("2.0.1", session.meter_start, None, v201.ReadingContextEnumType.transaction_begin)
        _event(
            station,
            session,
            v201.TransactionEventEnumType.started,
            v201.TriggerReasonEnumType.remote_start if remote else v201.TriggerReasonEnumType.authorized,
            reading,
            id_tag=session.id_tag,
            on_result=started,
            remote_start_id=session.remote_start_id,
            reservation_id=session.reservation_id,
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
        refused, cause = session.refused is not None, session.stopped
        if refused:
            trigger, reason = v201.TriggerReasonEnumType.deauthorized, v201.ReasonEnumType.de_authorized
        elif cause is not None:
            trigger, reason = cause.trigger, cause.stopped_reason
        else:
            trigger, reason = v201.TriggerReasonEnumType.stop_authorized, v201.ReasonEnumType.local
        reading = charging.sample("2.0.1", meter_stop, None, v201.ReadingContextEnumType.transaction_end)
        tally = station.session_tally()
        _event(
            station,
            session,
            v201.TransactionEventEnumType.ended,
            trigger,
            reading,
            id_tag=None if refused or cause else session.id_tag,
            stopped_reason=reason,
            on_result=lambda _: tally.record_end(),
            charging_state=v201.ChargingStateEnumType.ev_connected,
        )
        await station.flush()
        await _idle(station, session)


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
        token_type=session.token_type,
        **fields,
    )
    session.seq_no += 1
    station.transact(v201.Action.transaction_event, lambda: event, on_result=on_result, periodic=periodic)


def triggered_event(station: Station, session: Session) -> None:
    """2.0.1 TriggerMessage TransactionEvent: an Updated event with the register, queued like the others."""
    reading = charging.sample("2.0.1", station.energy, None, v201.ReadingContextEnumType.trigger)
    _event(station, session, v201.TransactionEventEnumType.updated, v201.TriggerReasonEnumType.trigger, reading)


def _check_start(station: Station, session: Session, status: str | None) -> None:
    """A start answered with the tag refused ends the session at once (1.6 StopTransactionOnInvalidId)."""
    if status is not None and status != charging.ACCEPTED:
        session.refused = status
        station.stats.record_error(station.station_id, f"start of {session.id_tag} answered {status}: stopped")


def _v16_reason(session: Session) -> str:
    if session.refused:
        return v16.Reason.de_authorized
    return session.stopped.v16_reason if session.stopped else v16.Reason.local


async def _idle(station: Station, session: Session) -> None:
    """Free the connector and say what it is now: Available, or Unavailable / Reserved meanwhile."""
    connector = station.state.release(session)
    if connector is not None:
        await _status(station, session, connector.status(station.version))


async def _status(station: Station, session: Session, status: str) -> None:
    """Both versions spell these two actions alike; the payloads differ."""
    notification = payloads.status_notification(station.version, session.connector, status)
    await station.call(v16.Action.status_notification, notification)
