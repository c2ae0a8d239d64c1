"""One simulated charging station: connect, boot, report each connector, charge, heartbeat, hang up.

Frames are built here as plain OCPP-J JSON so the simulator shows exactly what goes on the wire
and needs nothing from the CSMS code base. Outcomes are written to a `Stats` (see stats.py).
One CALL of ours at a time is in flight, as OCPP-J asks: the script runs in one task, and the
work that follows an answer to the CSMS (operations.py) in others, each taking its `turn()`.
The CSMS's CALLs are read and answered at any time by the reader task, also while a CALL of ours
waits for its answer; the reader never waits for a CALL of ours, so crossing calls cannot deadlock.
A dropped connection is opened again up to `Script.reconnects` times; the queued transaction
messages then go out again first, and the interrupted CALL after them.
Past ~400 lines because the link (turns, reconnect, reboot) and the outbox sending share the
socket's state; splitting them would pass that state around rather than simplify it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ocpp.messages import MessageType, get_validator
from ocpp.v16.enums import Action, RegistrationStatus
from ocpp.v201 import enums as v201
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.protocol import State

from . import charging, operations, payloads
from .background import Background
from .device import HEARTBEAT_INTERVAL, Configuration, DeviceModel
from .outbox import Message, Outbox
from .script import Script
from .sessions import run_sessions
from .state import StationState

if TYPE_CHECKING:
    from .stats import SessionTally, Stats

Job = Callable[[], Awaitable[None]]


class StationError(Exception):
    """Ends one station's script; the message goes into the summary."""


class Disconnected(StationError):
    """The connection closed before a CALL was answered."""


# CALLERROR codes after which a transaction message is sent again (both specs name InternalError).
RETRIED_ERRORS = {"InternalError"}
# Seconds a reset station stays off the line before it connects again.
REBOOT_PAUSE = 0.2


class Station:
    def __init__(self, station_id: str, version: str, script: Script, stats: Stats, *, id_tag: str = "") -> None:
        self.station_id = station_id
        self.version = version
        self.script = script
        self.stats = stats
        self.id_tag = script.id_tag or id_tag
        self.outbox = Outbox(limit=script.tx_queue, attempts=script.tx_attempts)
        self.state = StationState.with_connectors(script.connectors)
        self.device = Configuration(script) if version == "1.6" else DeviceModel(script, self.state.availability)
        self.energy = float(script.meter_start)  # Wh on the register (sessions.py)
        self.staying = False  # the script is done and --stay keeps the station connected
        self._tally: SessionTally | None = stats.tally(station_id, version, self.id_tag) if script.sessions else None
        self._pending: dict[str, asyncio.Future[list]] = {}
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task | None = None
        self._gate: asyncio.Semaphore | None = None
        self._reconnects_left = script.reconnects
        self._turn = asyncio.Lock()
        self._turn_holder: asyncio.Task | None = None
        self._flushing = asyncio.Lock()
        self._background = Background(self.station_id, stats, StationError)
        self._after_answer: list[tuple[str, Job]] = []

    @property
    def url(self) -> str:
        return self.script.url.rstrip("/") + "/" + quote(self.station_id, safe="")

    async def run(self, gate: asyncio.Semaphore) -> None:
        """Run the script once; every outcome lands in stats, nothing is raised but bugs.

        `gate` bounds how many stations are in their opening handshake at once.
        """
        self._gate = gate
        try:
            await self._open()
        except InvalidStatus as exc:
            self.stats.record_refusal(self.station_id, exc.response.status_code)
            return
        except (OSError, TimeoutError, WebSocketException) as exc:
            self.stats.record_connect_failure(self.station_id, exc)
            return
        self.stats.connected += 1
        try:
            self._check_subprotocol()
            await self._script()
            self.stats.completed += 1
            if self.script.stay:
                self.staying = True
                await self._stay()
        except StationError as exc:
            self.stats.record_error(self.station_id, str(exc))
        finally:
            await self._background.cancel()
            if len(self.outbox):
                unsent = ", ".join(self.outbox.actions())
                self.stats.record_error(self.station_id, f"transaction messages never answered: {unsent}")
            await self._close()

    async def _open(self) -> None:
        async with self._gate:
            self._ws = await self._connect()
        self._reader = asyncio.create_task(self._read(self._ws))

    def _check_subprotocol(self) -> None:
        if self._ws.subprotocol != payloads.subprotocol(self.version):
            raise StationError(f"CSMS agreed subprotocol {self._ws.subprotocol!r}")

    async def _close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._ws is not None:
            await self._ws.close()

    async def _reconnect(self, why: str) -> None:
        """Open the connection again, at most `reconnects` times in the run; else `why` ends the station.

        Several tasks may see the same drop: the first to take its turn reconnects, the others find it open.
        """
        async with self.turn():
            while self._ws is None or self._ws.state is not State.OPEN:
                if self._reconnects_left <= 0:
                    raise StationError(why)
                self._reconnects_left -= 1
                await self._close()
                await asyncio.sleep(self.script.retry_interval)
                try:
                    await self._open()
                except InvalidStatus as exc:
                    why = f"reconnect refused with HTTP {exc.response.status_code}"
                    continue
                except (OSError, TimeoutError, WebSocketException) as exc:
                    why = f"reconnect failed: {type(exc).__name__}: {exc}"
                    continue
                self.stats.reconnects += 1
                self._check_subprotocol()
                self.outbox.due_now(asyncio.get_running_loop().time())

    async def reboot(self, reason: str = v201.BootReasonEnumType.remote_reset) -> None:
        """Hang up, connect again and boot (after a Reset): no other CALL of ours goes out meanwhile."""
        async with self.turn():
            await self._close()
            await asyncio.sleep(REBOOT_PAUSE)
            try:
                await self._open()
            except (OSError, TimeoutError, WebSocketException) as exc:
                raise StationError(f"reconnect after reset failed: {type(exc).__name__}: {exc}") from None
            self._check_subprotocol()
            await self.boot(reason)
            await self.report_connectors()
        self.outbox.due_now(asyncio.get_running_loop().time())

    async def _connect(self) -> ClientConnection:
        headers = {}
        if self.script.password is not None:
            secret = f"{self.station_id}:{self.script.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(secret).decode()
        return await connect(
            self.url,
            subprotocols=[payloads.subprotocol(self.version)],
            additional_headers=headers,
            compression="deflate" if self.script.compression else None,
            open_timeout=self.script.open_timeout,
            max_size=self.script.max_size,
            # A load test measures the CSMS, not a proxy that happens to be in the environment.
            proxy=None,
        )

    async def _script(self) -> None:
        script, version = self.script, self.version
        for _ in range(script.boots):
            await self.boot()
        self.stats.booted += 1
        await self.report_connectors()
        if script.sessions:
            await run_sessions(self)
        for _ in range(script.heartbeats):
            await asyncio.sleep(script.heartbeat_interval)
            await self.call(Action.heartbeat, payloads.heartbeat(version))

    async def boot(self, reason: str = v201.BootReasonEnumType.power_up) -> None:
        """One BootNotification (`reason` in 2.0.1); the heartbeat interval becomes the one answered."""
        boot = payloads.boot_notification(self.version, self.station_id, reason)
        result = await self.call(Action.boot_notification, boot, reconnect=False)
        if result.get("status") != RegistrationStatus.accepted:
            raise StationError(f"boot answered {result.get('status')!r}")
        if result.get("interval", 0) > 0:
            self.device.assign(HEARTBEAT_INTERVAL, str(result["interval"]))

    async def report_connectors(self, numbers: list[int] | None = None) -> None:
        """A StatusNotification for each connector (or those numbered) with its present status."""
        for number in numbers or list(self.state.connectors):
            status = self.state.connectors[number].status(self.version)
            await self.call(Action.status_notification, payloads.status_notification(self.version, number, status))

    async def _stay(self) -> None:
        """Heartbeat at the configured interval (read each second, so a change applies) until cancelled."""
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            interval = float(self.device.setting(HEARTBEAT_INTERVAL)) or self.script.heartbeat_interval
            if loop.time() >= last + interval:
                await self.call(Action.heartbeat, payloads.heartbeat(self.version))
                last = loop.time()
            else:
                await self.wait_until(min(last + interval, loop.time() + 1.0))

    def session_tally(self) -> SessionTally:
        if self._tally is None:
            self._tally = self.stats.tally(self.station_id, self.version, self.id_tag)
        return self._tally

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """While held, no other task sends a CALL of ours (re-entrant within one task)."""
        task = asyncio.current_task()
        if self._turn_holder is task:
            yield
            return
        async with self._turn:
            self._turn_holder = task
            try:
                yield
            finally:
                self._turn_holder = None

    def after_answer(self, what: str, job: Job) -> None:
        """Run `job` in its own task once the answer to the CSMS CALL being handled is sent."""
        self._after_answer.append((what, job))

    def later(self, what: str, job: Job) -> None:
        """Run `job` in its own task now; a StationError it raises goes into the stats after `what`."""
        self._background.start(what, job)

    async def call(self, action: str, payload: dict[str, Any], *, reconnect: bool = True) -> dict:
        """Send one CALL and return the CALLRESULT payload; anything else raises StationError.

        A dropped connection is opened again (the queued transaction messages go first) and the
        CALL sent once more, as long as reconnects are left and `reconnect` allows it.
        """
        for _ in range(self.script.reconnects + 1):
            try:
                frame, latency = await self._exchange(action, payload)
                break
            except Disconnected as exc:
                if not reconnect:
                    raise StationError(f"{action}: {exc}") from None
                await self._reconnect(f"{action}: {exc}")
                await self.flush()
            except TimeoutError:
                raise StationError(f"{action}: no answer in {self.script.call_timeout}s") from None
        else:
            raise StationError(f"{action}: no connection left")
        result, problem = self._judge(action, frame, latency)
        if problem:
            raise StationError(f"{action}: {problem}")
        return result

    def transact(self, action: str, build: Callable[[], dict | None], **options: Any) -> None:
        """Queue a transaction message (see outbox.Message for `options`); flush() sends it."""
        message = Message(str(action), build, **options)
        dropped = self.outbox.add(message)
        if dropped is not None:
            self.stats.dropped[dropped.action] += 1
            self.stats.record_error(self.station_id, f"{dropped.action} dropped: {self.script.tx_queue} queued")

    async def flush(self, *, until: float = 0.0) -> None:
        """Send queued transaction messages oldest first, each once answered or given up.

        Returns at the first one whose re-send is due after `until` (loop time): by default as
        soon as one must wait, with math.inf only when the queue is empty. Bounded: each turn
        answers, drops, or counts an attempt of the head, and attempts are capped (outbox.py).
        One task flushes at a time, so the head is never sent twice at once.
        """
        async with self._flushing:
            await self._flush(until)

    async def _flush(self, until: float) -> None:
        loop = asyncio.get_running_loop()
        while (head := self.outbox.head()) is not None:
            if head.due > loop.time():
                if head.due > until:
                    return
                await asyncio.sleep(head.due - loop.time())
            payload = head.build()
            if payload is None:
                self.outbox.pop()
                self.stats.dropped[head.action] += 1
                self.stats.record_error(self.station_id, f"{head.action} dropped: its transaction never started")
                continue
            try:
                frame, latency = await self._exchange(head.action, payload)
            except TimeoutError:
                why = "no answer"
            except Disconnected as exc:
                self._retry(head, str(exc))
                await self._reconnect(f"{head.action}: {exc}")
                continue
            else:
                result, problem = self._judge(head.action, frame, latency)
                if not problem:
                    self.outbox.pop()
                    if head.on_result:
                        head.on_result(result)
                    continue
                if frame[0] != MessageType.CallError or frame[2] not in RETRIED_ERRORS:
                    self.outbox.pop()
                    self.stats.dropped[head.action] += 1
                    self.stats.record_error(self.station_id, f"{head.action} dropped: {problem}")
                    continue
                why = problem
            self._retry(head, why)

    def _retry(self, message: Message, why: str) -> None:
        retry_at = asyncio.get_running_loop().time() + self.script.retry_interval
        if self.outbox.failed(message, retry_at=retry_at):
            self.stats.retries[message.action] += 1
        else:
            self.stats.dropped[message.action] += 1
            self.stats.record_error(self.station_id, f"{message.action} dropped after {message.attempts} sends: {why}")

    async def wait_until(self, moment: float) -> None:
        """Sleep until loop time `moment`, sending the re-sends that fall due meanwhile."""
        await self.flush(until=moment)
        delay = moment - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _exchange(self, action: str, payload: dict[str, Any]) -> tuple[list, float]:
        """Send one CALL, return its answer frame and latency; raise TimeoutError or Disconnected."""
        async with self.turn():
            return await self._exchange_now(str(action), payload)

    async def _exchange_now(self, action: str, payload: dict[str, Any]) -> tuple[list, float]:
        message_id = str(uuid.uuid4())
        answer = asyncio.get_running_loop().create_future()
        self._pending[message_id] = answer
        started = time.perf_counter()
        try:
            try:
                if self._reader is None or self._reader.done():
                    raise ConnectionClosed(None, None)
                await self._ws.send(json.dumps([MessageType.Call, message_id, action, payload]))
            except ConnectionClosed as exc:
                raise Disconnected(f"connection closed: {exc}") from None
            self.stats.calls += 1
            frame = await asyncio.wait_for(answer, self.script.call_timeout)
        except TimeoutError:
            self.stats.record_answer(action, "timeout")
            raise
        except Disconnected:
            self.stats.record_answer(action, "disconnected")
            raise
        finally:
            del self._pending[message_id]
        return frame, time.perf_counter() - started

    def _judge(self, action: str, frame: list, latency: float) -> tuple[dict, str | None]:
        """Count the answer; return the CALLRESULT payload and what is wrong with the answer, if anything."""
        action = str(action)
        if frame[0] == MessageType.CallError:
            self.stats.record_answer(action, f"CALLERROR {frame[2]}", latency)
            return {}, f"CALLERROR {frame[2]} {frame[3]!r}"
        result = frame[2]
        problem = self._invalid(MessageType.CallResult, action, result)
        if problem:
            self.stats.record_answer(action, "invalid", latency)
            return {}, f"invalid CALLRESULT: {problem}"
        outcome = charging.token_status(result) or str(result.get("status", "answered"))
        self.stats.record_answer(action, outcome, latency)
        return result, None

    def _invalid(self, kind: int, action: str, payload: Any) -> str | None:
        if not isinstance(payload, dict):
            return f"payload is {type(payload).__name__}, not an object"
        error = next(get_validator(kind, action, self.version).iter_errors(payload), None)
        return error.message if error else None

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for text in ws:
                await self._on_frame(ws, text)
        except ConnectionClosed:
            pass
        finally:
            for answer in self._pending.values():
                if not answer.done():
                    answer.set_exception(Disconnected("connection closed awaiting an answer"))

    async def _on_frame(self, ws: ClientConnection, text: str | bytes) -> None:
        frame = payloads.parse_frame(text)
        if frame is None:
            self.stats.record_error(self.station_id, f"malformed frame {str(text)[:80]!r}")
            return
        kind, message_id = frame[0], frame[1]
        if kind == MessageType.Call:
            action = frame[2]
            reply = await operations.answer(self, message_id, action, frame[3])
            outcome = reply[2].get("status", "answered") if reply[0] == MessageType.CallResult else reply[2]
            self.stats.incoming[(action, str(outcome))] += 1
            jobs, self._after_answer = self._after_answer, []
            with contextlib.suppress(ConnectionClosed):
                await ws.send(json.dumps(reply))
                for what, job in jobs:
                    self.later(what, job)
            return
        answer = self._pending.get(message_id)
        if answer is None or answer.done():
            self.stats.record_error(self.station_id, f"answer to no pending call {message_id!r}")
        else:
            answer.set_result(frame)
