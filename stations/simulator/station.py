"""One simulated charging station: connect, boot, report each connector, heartbeat, hang up.

Frames are built here as plain OCPP-J JSON so the simulator shows exactly what goes on the wire
and needs nothing from the CSMS code base. Outcomes are written to a `Stats` (see fleet.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ocpp.messages import MessageType, get_validator
from ocpp.v16.enums import Action, RegistrationStatus
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from . import payloads

if TYPE_CHECKING:
    from .fleet import Stats


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


class StationError(Exception):
    """Ends one station's script; the message goes into the summary."""


class Station:
    def __init__(self, station_id: str, version: str, script: Script, stats: Stats) -> None:
        self.station_id = station_id
        self.version = version
        self.script = script
        self.stats = stats
        self._pending: dict[str, asyncio.Future[list]] = {}

    @property
    def url(self) -> str:
        return self.script.url.rstrip("/") + "/" + quote(self.station_id, safe="")

    async def run(self, gate: asyncio.Semaphore) -> None:
        """Run the script once; every outcome lands in stats, nothing is raised but bugs.

        `gate` bounds how many stations are in their opening handshake at once.
        """
        try:
            async with gate:
                ws = await self._connect()
        except InvalidStatus as exc:
            self.stats.record_refusal(self.station_id, exc.response.status_code)
            return
        except (OSError, TimeoutError, WebSocketException) as exc:
            self.stats.record_connect_failure(self.station_id, exc)
            return
        self.stats.connected += 1
        reader = asyncio.create_task(self._read(ws))
        try:
            if ws.subprotocol != payloads.subprotocol(self.version):
                raise StationError(f"CSMS agreed subprotocol {ws.subprotocol!r}")
            await self._script(ws)
            self.stats.completed += 1
        except StationError as exc:
            self.stats.record_error(self.station_id, str(exc))
        except ConnectionClosed as exc:
            self.stats.record_error(self.station_id, f"connection closed: {exc}")
        finally:
            reader.cancel()
            await ws.close()

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

    async def _script(self, ws: ClientConnection) -> None:
        script, version = self.script, self.version
        for _ in range(script.boots):
            boot = payloads.boot_notification(version, self.station_id)
            result = await self.call(ws, Action.boot_notification, boot)
            if result.get("status") != RegistrationStatus.accepted:
                raise StationError(f"boot answered {result.get('status')!r}")
        self.stats.booted += 1
        for connector in range(1, script.connectors + 1):
            status = payloads.status_notification(version, connector)
            await self.call(ws, Action.status_notification, status)
        for _ in range(script.heartbeats):
            await asyncio.sleep(script.heartbeat_interval)
            await self.call(ws, Action.heartbeat, payloads.heartbeat(version))

    async def call(self, ws: ClientConnection, action: str, payload: dict[str, Any]) -> dict:
        """Send one CALL and return the CALLRESULT payload; anything else raises StationError."""
        action = str(action)
        message_id = str(uuid.uuid4())
        answer = asyncio.get_running_loop().create_future()
        self._pending[message_id] = answer
        started = time.perf_counter()
        try:
            await ws.send(json.dumps([MessageType.Call, message_id, action, payload]))
            self.stats.calls += 1
            frame = await asyncio.wait_for(answer, self.script.call_timeout)
        except TimeoutError:
            self.stats.record_answer(action, "timeout")
            raise StationError(f"{action}: no answer in {self.script.call_timeout}s") from None
        finally:
            del self._pending[message_id]
        latency = time.perf_counter() - started
        if frame[0] == MessageType.CallError:
            self.stats.record_answer(action, f"CALLERROR {frame[2]}", latency)
            raise StationError(f"{action}: CALLERROR {frame[2]} {frame[3]!r}")
        result = frame[2]
        problem = self._invalid(MessageType.CallResult, action, result)
        if problem:
            self.stats.record_answer(action, "invalid", latency)
            raise StationError(f"{action}: invalid CALLRESULT: {problem}")
        self.stats.record_answer(action, str(result.get("status", "answered")), latency)
        return result

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
                    answer.set_exception(StationError("connection closed awaiting an answer"))

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
