"""One simulated charging station: connect, boot, report each connector, charge, heartbeat, hang up.

Frames are built here as plain OCPP-J JSON so the simulator shows exactly what goes on the wire
and needs nothing from the CSMS code base. Outcomes are written to a `Stats` (see stats.py).
One CALL at a time is in flight, as OCPP-J asks: the script and its re-sends run in one task.
A dropped connection is opened again up to `Script.reconnects` times; the queued transaction
messages then go out again first, and the interrupted CALL after them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ocpp.messages import MessageType, get_validator
from ocpp.v16.enums import Action, RegistrationStatus
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from . import charging, payloads
from .outbox import Message, Outbox
from .sessions import run_sessions

if TYPE_CHECKING:
    from .stats import Stats


@dataclass(frozen=True)
class Script:
    """Where a station connects and what it does there; the same for every station in a fleet."""

    url: str = "ws://127.0.0.1:8000/ocpp/"
    password: str | None = None
    compression: bool = True
    open_timeout: float = 10.0
    call_timeout: float = 30.0
    max_size: int = 1024 * 1024
    boots: int = 1
    connectors: int = 2
    heartbeats: int = 3
    heartbeat_interval: float = 1.0
    # The session scenario (sessions.py); none by default.
    sessions: int = 0
    session_seconds: float = 30.0
    meter_interval: float = 10.0
    power_w: int = 11_000
    meter_start: int = 0  # Wh on each station's register before its first session
    id_tag: str | None = None  # None: each station its own, see FleetConfig.id_tag_of
    # Re-sending transaction messages, and opening a dropped connection again.
    tx_attempts: int = 3
    retry_interval: float = 1.0
    tx_queue: int = 100
    reconnects: int = 0


class StationError(Exception):
    """Ends one station's script; the message goes into the summary."""


class Disconnected(StationError):
    """The connection closed before a CALL was answered."""


# CALLERROR codes after which a transaction message is sent again (both specs name InternalError).
RETRIED_ERRORS = {"InternalError"}


class Station:
    def __init__(self, station_id: str, version: str, script: Script, stats: Stats, *, id_tag: str = "") -> None:
        self.station_id = station_id
        self.version = version
        self.script = script
        self.stats = stats
        self.id_tag = script.id_tag or id_tag
        self.outbox = Outbox(limit=script.tx_queue, attempts=script.tx_attempts)
        self.tally = stats.tally(station_id, version, self.id_tag) if script.sessions else None
        self._pending: dict[str, asyncio.Future[list]] = {}
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task | None = None
        self._gate: asyncio.Semaphore | None = None
        self._reconnects_left = script.reconnects

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
        except StationError as exc:
            self.stats.record_error(self.station_id, str(exc))
        finally:
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
        """Open the connection again, at most `reconnects` times in the run; else `why` ends the station."""
        while self._reconnects_left > 0:
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
            return
        raise StationError(why)

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
            boot = payloads.boot_notification(version, self.station_id)
            result = await self.call(Action.boot_notification, boot)
            if result.get("status") != RegistrationStatus.accepted:
                raise StationError(f"boot answered {result.get('status')!r}")
        self.stats.booted += 1
        for connector in range(1, script.connectors + 1):
            status = payloads.status_notification(version, connector)
            await self.call(Action.status_notification, status)
        if script.sessions:
            await run_sessions(self)
        for _ in range(script.heartbeats):
            await asyncio.sleep(script.heartbeat_interval)
            await self.call(Action.heartbeat, payloads.heartbeat(version))

    async def call(self, action: str, payload: dict[str, Any]) -> dict:
        """Send one CALL and return the CALLRESULT payload; anything else raises StationError.

        A dropped connection is opened again (the queued transaction messages go first) and the
        CALL sent once more, as long as reconnects are left.
        """
        for _ in range(self.script.reconnects + 1):
            try:
                frame, latency = await self._exchange(action, payload)
                break
            except Disconnected as exc:
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
        """
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
        action = str(action)
        message_id = str(uuid.uuid4())
        answer = asyncio.get_running_loop().create_future()
        self._pending[message_id] = answer
        started = time.perf_counter()
        try:
            try:
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
        try:
            frame = json.loads(text)
            kind, message_id = frame[0], frame[1]
            shaped = {2: 4, 3: 3, 4: 5}.get(kind) == len(frame) and isinstance(message_id, str)
            shaped = shaped and (kind != MessageType.Call or isinstance(frame[2], str))
        except (ValueError, TypeError, KeyError, IndexError):
            shaped = False
        if not shaped:
            self.stats.record_error(self.station_id, f"malformed frame {str(text)[:80]!r}")
            return
        if kind == MessageType.Call:
            action, request = frame[2], frame[3]
            reply = payloads.answer(self.version, message_id, action, request)
            self.stats.incoming[(str(action), "answered" if reply[0] == 3 else reply[2])] += 1
            await ws.send(json.dumps(reply))
            return
        answer = self._pending.get(message_id)
        if answer is None or answer.done():
            self.stats.record_error(self.station_id, f"answer to no pending call {message_id!r}")
        else:
            answer.set_result(frame)
