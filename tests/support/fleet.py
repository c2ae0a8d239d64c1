"""A small fleet of scripted charging stations for fault tests: real OCPP-J WebSocket clients, 1.6 and 2.0.1.

Each station boots, then charges `Plan.sessions` times: Authorize, start (1.6 StartTransaction, 2.0.1
TransactionEvent Started), a meter reading every `Plan.interval`, stop. Like a real station it keeps each
message until a CALLRESULT answers it and sends it again, in order, after a CALLERROR InternalError, a
timeout or a reconnect; when its socket drops it connects to the next URL of its list. It keeps every
CALLRESULT it got (`Fleet.told`) and the sessions and energy it believes it delivered; the tests compare
them with the database (tests/support/reconcile.py).

Unlike the spec, which asks this only of transaction messages, Authorize is kept until answered too: a
station that gave one up would skip a session, and the counts would depend on when the fault struck.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

Payload = dict[str, Any]
TRANSACTION_ACTIONS = ("StartTransaction", "StopTransaction", "MeterValues", "TransactionEvent")
REGISTER = "Energy.Active.Import.Register"


@dataclass(frozen=True)
class Plan:
    """What every station of a fleet does, and how patiently."""

    sessions: int = 3
    meters: int = 4  # periodic readings per session, between start and stop
    interval: float = 0.4  # seconds between readings
    wh_per_interval: int = 150  # the register grows by this much each interval (times the station's number)
    call_timeout: float = 6.0  # no answer in this long: send the message again
    retry_interval: float = 0.5  # after a CALLERROR InternalError
    reconnect_pause: float = 0.3  # between connection attempts
    open_timeout: float = 3.0


@dataclass(frozen=True)
class Told:
    """A CALLRESULT a station received: what it had sent and what it was answered."""

    station: str
    version: str
    action: str
    payload: Payload
    result: Payload


@dataclass
class Session:
    """One session as the station sees it; `transaction_id` is central's (1.6) or the station's own (2.0.1)."""

    meter_start: int
    transaction_id: int | str | None = None
    meter_stop: int | None = None
    started: bool = False  # its start was answered with a CALLRESULT
    ended: bool = False  # its stop was answered with a CALLRESULT
    samples: list[str] = field(default_factory=list)  # timestamps of the register readings sent in it
    seq_no: int = 0  # 2.0.1: the next TransactionEvent's

    @property
    def energy_wh(self) -> int:
        return self.meter_stop - self.meter_start


@dataclass(eq=False)
class _Message:
    action: str
    build: Callable[[], Payload]  # at send time: a 1.6 MeterValues learns its transactionId from the start
    done: asyncio.Future
    on_result: Callable[[Payload], None] | None = None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FleetStation:
    def __init__(self, station_id: str, version: str, urls: list[str], id_tag: str, plan: Plan, told: list[Told],
                 *, number: int = 1) -> None:
        self.station_id, self.version, self.urls, self.id_tag, self.plan = station_id, version, urls, id_tag, plan
        self.told = told
        self.register = 10_000 * number  # Wh: each station its own, so a mix-up between stations shows
        self.step = plan.wh_per_interval * number
        self.sessions: list[Session] = []
        self.problems: list[str] = []  # answers a station would not retry: the tests expect none
        self.connected_to: list[str] = []  # the URL of each connection opened, in order
        self.connect_failures = self.timeouts = self.internal_errors = self.sends = 0
        self._outbox: deque[_Message] = deque()
        self._more = asyncio.Event()
        self._ws: ClientConnection | None = None
        self._next_url = 0

    @property
    def queued(self) -> list[str]:
        """The actions still waiting for their answer, oldest first."""
        return [m.action for m in self._outbox]

    @property
    def reconnects(self) -> int:
        return max(len(self.connected_to) - 1, 0)

    async def run(self) -> None:
        script = asyncio.create_task(self._script())
        sender = asyncio.create_task(self._send_loop())
        try:
            # The sender never ends but by a bug, which would leave the script waiting forever: raise it instead.
            await asyncio.wait({script, sender}, return_when=asyncio.FIRST_COMPLETED)
            if sender.done():
                sender.result()
            await script
        finally:
            for task in (script, sender):
                task.cancel()
            await asyncio.gather(script, sender, return_exceptions=True)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    # The script: what a station does, one session after the other.

    async def _script(self) -> None:
        boot = await self._request("BootNotification", self._boot())
        if boot.get("status") != "Accepted":
            self.problems.append(f"boot answered {boot}")
            return
        for _ in range(self.plan.sessions):
            if not await self._session():
                return

    async def _session(self) -> bool:
        answer = await self._request("Authorize", self._authorize())
        status = (answer.get("idTagInfo") or answer.get("idTokenInfo") or {}).get("status")
        if status != "Accepted":
            self.problems.append(f"Authorize answered {answer}")
            return False
        session = Session(meter_start=self.register)
        self.sessions.append(session)
        self._start(session)
        for _ in range(self.plan.meters):
            await asyncio.sleep(self.plan.interval)
            self.register += self.step
            self._meter(session)
        await asyncio.sleep(self.plan.interval)
        self.register += self.step
        session.meter_stop = self.register
        await self._stop(session)  # the connector is free again once central has the stop
        return True

    def _start(self, session: Session) -> None:
        at = now()
        if self.version == "1.6":
            payload = {"connectorId": 1, "idTag": self.id_tag, "meterStart": session.meter_start, "timestamp": at}

            def started(result: Payload) -> None:
                session.transaction_id, session.started = result["transactionId"], True

            self._queue("StartTransaction", lambda: payload, started)
            return
        session.transaction_id = str(uuid.uuid4())
        event = self._event(session, "Started", "Authorized", "Transaction.Begin", at,
                            idToken={"idToken": self.id_tag, "type": "ISO14443"})
        self._queue("TransactionEvent", lambda: event, lambda _: setattr(session, "started", True))

    def _meter(self, session: Session) -> None:
        at = now()
        if self.version == "1.6":
            reading = {"timestamp": at, "sampledValue": [self._sample(self.register, "Sample.Periodic")]}
            session.samples.append(at)
            self._queue("MeterValues", lambda: {"connectorId": 1, "transactionId": session.transaction_id,
                                                "meterValue": [reading]})
            return
        event = self._event(session, "Updated", "MeterValuePeriodic", "Sample.Periodic", at)
        self._queue("TransactionEvent", lambda: event)

    async def _stop(self, session: Session) -> None:
        at = now()
        if self.version == "1.6":
            stop = {"meterStop": session.meter_stop, "timestamp": at, "reason": "Local", "idTag": self.id_tag}
            done = self._queue("StopTransaction", lambda: stop | {"transactionId": session.transaction_id},
                               lambda _: setattr(session, "ended", True))
        else:
            event = self._event(session, "Ended", "StopAuthorized", "Transaction.End", at,
                                stoppedReason="Local")
            done = self._queue("TransactionEvent", lambda: event, lambda _: setattr(session, "ended", True))
        await done

    def _event(self, session: Session, event_type: str, trigger: str, context: str, at: str, **extra) -> Payload:
        """A TransactionEvent with the register at `at`; its seqNo is taken now, so a re-send keeps it."""
        info = {"transactionId": session.transaction_id,
                "chargingState": "EVConnected" if event_type == "Ended" else "Charging"}
        if "stoppedReason" in extra:
            info["stoppedReason"] = extra.pop("stoppedReason")
        session.samples.append(at)
        event = {"eventType": event_type, "timestamp": at, "triggerReason": trigger, "seqNo": session.seq_no,
                 "transactionInfo": info, "evse": {"id": 1, "connectorId": 1},
                 "meterValue": [{"timestamp": at, "sampledValue": [self._sample(self.register, context)]}], **extra}
        session.seq_no += 1
        return event

    def _sample(self, wh: int, context: str) -> Payload:
        if self.version == "1.6":
            return {"value": str(wh), "context": context, "measurand": REGISTER, "unit": "Wh"}
        return {"value": float(wh), "context": context, "measurand": REGISTER, "unitOfMeasure": {"unit": "Wh"}}

    def _boot(self) -> Payload:
        if self.version == "1.6":
            return {"chargePointVendor": "Fleet", "chargePointModel": "F-1", "firmwareVersion": "1.0"}
        return {"reason": "PowerUp", "chargingStation": {"vendorName": "Fleet", "model": "F-1"}}

    def _authorize(self) -> Payload:
        if self.version == "1.6":
            return {"idTag": self.id_tag}
        return {"idToken": {"idToken": self.id_tag, "type": "ISO14443"}}

    # The link: one CALL in flight, each message kept until a CALLRESULT answers it.

    def _queue(self, action: str, build: Callable[[], Payload], on_result=None) -> asyncio.Future:
        done = asyncio.get_running_loop().create_future()
        self._outbox.append(_Message(action, build, done, on_result))
        self._more.set()
        return done

    async def _request(self, action: str, payload: Payload) -> Payload:
        return await self._queue(action, lambda: payload)

    async def _send_loop(self) -> None:
        while True:
            if not self._outbox:
                self._more.clear()
                await self._more.wait()
                continue
            message = self._outbox[0]
            result = await self._deliver(message)
            self._outbox.popleft()
            if result is not None and message.on_result:
                message.on_result(result)
            message.done.set_result(result or {})

    async def _deliver(self, message: _Message) -> Payload | None:
        """Send until a CALLRESULT comes (returned) or a CALLERROR that is not worth a retry (None)."""
        payload = message.build()
        while True:
            ws = await self._connection()
            message_id = str(uuid.uuid4())  # each send its own id: a late answer to an old one is not this one's
            try:
                await ws.send(json.dumps([2, message_id, message.action, payload]))
                self.sends += 1
                frame = await self._answer(ws, message_id)
            except (ConnectionClosed, OSError):
                await self._dropped()
                continue
            except TimeoutError:
                self.timeouts += 1
                continue
            if frame[0] == 4:
                if frame[2] == "InternalError":
                    self.internal_errors += 1
                    await asyncio.sleep(self.plan.retry_interval)
                    continue
                self.problems.append(f"{message.action} answered {frame[2:]}")
                return None
            if message.action in TRANSACTION_ACTIONS:
                self.told.append(Told(self.station_id, self.version, message.action, payload, frame[2]))
            return frame[2]

    async def _answer(self, ws: ClientConnection, message_id: str) -> list:
        async with asyncio.timeout(self.plan.call_timeout):
            while True:
                frame = json.loads(await ws.recv())
                if frame[0] == 2:  # the CSMS asks something: not part of this script
                    await ws.send(json.dumps([4, frame[1], "NotSupported", "", {}]))
                elif frame[1] == message_id:
                    return frame

    async def _connection(self) -> ClientConnection:
        while self._ws is None:
            url = self.urls[self._next_url % len(self.urls)]
            try:
                self._ws = await connect(url + self.station_id, subprotocols=[f"ocpp{self.version}"],
                                         open_timeout=self.plan.open_timeout, close_timeout=2)
            except (OSError, TimeoutError, WebSocketException):
                self.connect_failures += 1
                self._next_url += 1
                await asyncio.sleep(self.plan.reconnect_pause)
                continue
            self.connected_to.append(url)
        return self._ws

    async def _dropped(self) -> None:
        """The socket dropped: the next connection goes to the next URL of the list."""
        with contextlib.suppress(Exception):
            await self._ws.close()
        self._ws = None
        self._next_url += 1


class Fleet:
    """Stations that run their plan at the same time; `told` holds every CALLRESULT to a transaction message."""

    def __init__(self) -> None:
        self.stations: list[FleetStation] = []
        self.told: list[Told] = []

    def add(self, station_id: str, version: str, urls: list[str], id_tag: str, plan: Plan) -> FleetStation:
        station = FleetStation(station_id, version, urls, id_tag, plan, self.told, number=len(self.stations) + 1)
        self.stations.append(station)
        return station

    async def run(self, timeout: float) -> None:
        """Run every station's plan; raise TimeoutError naming what is left after `timeout` seconds."""
        tasks = [asyncio.create_task(s.run()) for s in self.stations]
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            task.result()  # a bug in a station surfaces here
        if pending:
            raise TimeoutError(f"fleet unfinished after {timeout}s: {self.summary()}")

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in self.stations))

    def spread(self, station_ids: list[str], node_urls: list[str], id_tag: str, plan: Plan) -> None:
        """Station i starts on node i mod n and moves on in the list's order; each node gets both versions."""
        n = len(node_urls)
        for i, station_id in enumerate(station_ids):
            urls = node_urls[i % n:] + node_urls[:i % n]
            self.add(station_id, "1.6" if (i // n) % 2 == 0 else "2.0.1", urls, id_tag, plan)

    async def wait(self, predicate: Callable[[Fleet], bool], timeout: float, what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate(self):
            if loop.time() > deadline:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}: {self.summary()}")
            await asyncio.sleep(0.05)

    @property
    def started(self) -> int:
        return sum(s.started for st in self.stations for s in st.sessions)

    @property
    def ended(self) -> int:
        return sum(s.ended for st in self.stations for s in st.sessions)

    @property
    def problems(self) -> list[str]:
        return [f"{s.station_id}: {p}" for s in self.stations for p in s.problems]

    def summary(self) -> str:
        return "; ".join(
            f"{s.station_id} {s.version} sessions {sum(x.ended for x in s.sessions)}/{s.plan.sessions} "
            f"queued {s.queued} reconnects {s.reconnects} timeouts {s.timeouts} "
            f"internal errors {s.internal_errors} connect failures {s.connect_failures}" for s in self.stations)
