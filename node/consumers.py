"""The station's WebSocket: handshake, OCPP-J framing, relaying calls to central in order.

Async end to end and free of the ORM: central is reached only through the bus.
Calls from one station are answered in the order it sent them (one queue and one
worker task per socket, both made when a call arrives and dropped when the last is
answered: an idle socket holds neither); answers to our own calls (CALLRESULT/CALLERROR)
are read while a station call is in flight, so a crossing command never deadlocks.
Once a station is boot-accepted on its socket, the node answers its Heartbeat itself
and reports it to central in bulk (node.runtime.record_seen).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings

from csms.bus import BusUnavailable, transport
from csms.envelope import Envelope, utc_now
from node import connections, rpc, runtime, schemas
from node.handshake import SUPPORTED, basic_credentials, negotiate, peer
from node.limits import ThrottledLog, TokenBucket

log = logging.getLogger(__name__)

CLOSE_PROTOCOL_ERROR = 1002
CLOSE_MESSAGE_TOO_BIG = 1009
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY_VIOLATION = 1008
RETRY_AFTER = 10  # seconds, in the 503 of a full or draining node
QUEUE_LIMIT = 64  # calls a station may have waiting; a compliant station has one
REMEMBERED_IDS = 256  # message ids kept per socket to refuse reuse
MAX_STATION_ID = 48  # OCPP 2.0.1 identity length; longer ids are never provisioned
# The id of a CALL read without parsing the frame: a station over its rate gets its CALLERROR for the cost of a match.
CALL_ID = re.compile(rf'\s*\[\s*2\s*,\s*"([^"\\]{{1,{rpc.MAX_MESSAGE_ID_LEN}}})"')
refused_full = ThrottledLog(log)  # a connection storm on a full node must not become a log storm


class Limits(NamedTuple):
    """The settings read on every message, copied at the handshake: a read of Django's settings object is a
    Python call, an attribute here is not. One object shared by every socket while the settings stay the same."""

    node_id: str
    call_timeout: float
    max_frame: int
    rate: float
    burst: int


_limits: Limits | None = None


def current_limits() -> Limits:
    global _limits
    now = Limits(settings.NODE_ID, settings.OCPP_CALL_TIMEOUT, settings.OCPP_MAX_FRAME_BYTES,
                 settings.NODE_STATION_RATE, settings.NODE_STATION_BURST)
    if now != _limits:
        _limits = now
    return _limits


@functools.cache
def shares_database() -> bool:
    """The embedded server: central shares this process and its database connections (a node has no database)."""
    return bool(settings.DATABASES)


class Denial:
    """Refuse a handshake with an HTTP status (ASGI WebSocket Denial Response), or 403 where unsupported."""

    async def _deny(self, status: int, reason: str) -> None:
        if "websocket.http.response" not in self.scope.get("extensions", {}):
            return await self.close()  # the server can only say 403
        headers = [(b"content-type", b"text/plain; charset=utf-8")]
        if status == 401:
            headers.append((b"www-authenticate", b'Basic realm="OCPP", charset="UTF-8"'))
        if status == 503:
            headers.append((b"retry-after", str(RETRY_AFTER).encode()))
        await self.base_send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await self.base_send({"type": "websocket.http.response.body", "body": reason.encode()})


class NotFoundConsumer(Denial, AsyncWebsocketConsumer):
    """Any WebSocket path other than /ocpp/<station id>."""

    async def connect(self) -> None:
        await self._deny(404, "stations connect at /ocpp/<station id>")


class OcppConsumer(Denial, AsyncWebsocketConsumer):
    # Class defaults, so an idle socket's instance holds only what differs (memory per connection, README).
    station_id: str
    conn: str
    version: str | None = None
    accepted = False
    boot_accepted = False
    draining = False  # the node is draining: no new calls are taken on this socket
    calls: deque[rpc.Call | rpc.RpcError] | None = None  # waiting and being answered; None when idle
    worker: asyncio.Task | None = None  # answers `calls` in order; None when idle
    seen_ids: RecentIds | None = None
    outgoing: asyncio.Lock | None = None  # one command in flight per socket
    awaiting: dict[str, asyncio.Future] | None = None
    bucket: TokenBucket
    limits: Limits

    async def connect(self) -> None:
        self.station_id = self.scope["url_route"]["kwargs"]["station_id"]
        if len(self.station_id) > MAX_STATION_ID:
            return await self._deny(404, "no such station")
        if connections.draining:
            return await self._deny(503, "this node is draining, connect again")
        # Decided before central is asked: a full node must not pass a connection storm on to central.
        if not connections.reserve():
            refused_full.warning("refused %s: node full (%d stations, limit %d)", self.station_id,
                                 connections.count(), connections.limit())
            return await self._deny(503, "node full, retry later")
        try:
            await self._handshake()
        finally:
            connections.release()

    async def _handshake(self) -> None:
        self.conn, self.limits = uuid.uuid4().hex, current_limits()
        offered = list(self.scope.get("subprotocols") or [])
        subprotocol = negotiate(offered)
        self.version = SUPPORTED.get(subprotocol) if subprotocol else None
        username, password = basic_credentials(self.scope.get("headers", []))
        ask = Envelope(kind="connect", station=self.station_id, node=self.limits.node_id, conn=self.conn,
                       ocpp=self.version, payload={"offered": offered, "username": username, "password": password,
                                                   "remote": peer(self.scope)})
        try:
            [answer] = await transport().request([ask], self.limits.call_timeout)
        except BusUnavailable as exc:
            log.warning("refused %s: central unavailable (%s)", self.station_id, exc)
            return await self._deny(503, "central unavailable, retry later")
        decision = answer.payload if answer and answer.kind == "connect" else {}
        if self.version is None:
            # RFC 6455: answer without Sec-WebSocket-Protocol; OCPP-J: then close.
            await self.accept()
            return await self.close(code=CLOSE_PROTOCOL_ERROR)
        if not decision.get("accepted"):
            return await self._deny(decision.get("http_status", 403), decision.get("reason", "refused"))
        if connections.draining:  # began while central was asked
            return await self._deny(503, "this node is draining, connect again")
        if decision.get("boot_accepted"):
            self.boot_accepted = True
        self.bucket = TokenBucket(self.limits.burst, asyncio.get_running_loop().time())
        connections.add(self)
        self.accepted = True
        await self.accept(subprotocol=subprotocol)

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]],
                       send: Callable[[dict], Awaitable[None]]) -> None:
        if get_channel_layer(self.channel_layer_alias) is not None:
            return await super().__call__(scope, receive, send)
        # No channel layer (none is configured): the socket is the only source of messages, so each is awaited
        # here, not through Channels' await_many_dispatch, which makes a task and an asyncio.wait per message.
        self.scope, self.channel_layer, self.base_send = scope, None, send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message: dict) -> None:
        if shares_database():
            return await super().dispatch(message)
        # Channels closes stale database connections before every message, a hop to Django's sync thread each
        # time; a node process has no database, so its messages go straight to their handler.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    @property
    def busy(self) -> bool:
        """Calls of the station not answered yet, or a command of central's awaiting the station's answer."""
        return self.worker is not None or (self.outgoing is not None and self.outgoing.locked())

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = text_data if text_data is not None else bytes_data or b""
        limits = self.limits
        if len(frame) > limits.max_frame:
            return await self.close(code=CLOSE_MESSAGE_TOO_BIG)
        if not self.bucket.take(limits.rate, limits.burst, asyncio.get_running_loop().time()):
            return await self._over_rate(frame)
        try:
            message = rpc.parse(frame, self.version)
        except rpc.RpcError as exc:
            log.info("%s sent a malformed frame: %s %s", self.station_id, exc.code, exc.description)
            return await self.send(text_data=rpc.call_error(exc, self.version))
        if isinstance(message, rpc.Call):
            return await self._admit_call(message)
        if message is None:
            log.info("%s: ignored a frame of unknown type", self.station_id)
            return
        waiter = self.awaiting.get(message.message_id) if self.awaiting else None
        if waiter is None or waiter.done():
            log.info("%s: answer %s matches no command in flight", self.station_id, message.message_id)
            return
        waiter.set_result(message)

    async def send_command(self, message_id: str, action: str, payload: dict, timeout: float) -> dict:
        """Send central's CALL and wait for the station's answer; returns the command_result payload.

        OCPP allows one CSMS call in flight per connection: commands to one station take turns. The
        station's own calls keep flowing meanwhile (a crossing call is answered, never deadlocked).
        """
        loop = asyncio.get_running_loop()
        if self.outgoing is None:
            self.outgoing, self.awaiting = asyncio.Lock(), {}
        try:
            async with asyncio.timeout(timeout):
                async with self.outgoing:
                    if not self.accepted:
                        return {"outcome": "offline", "description": "the station disconnected"}
                    waiter = self.awaiting[message_id] = loop.create_future()
                    try:
                        await self.send(text_data=rpc.call(message_id, action, payload))
                        answer = await waiter
                    finally:
                        self.awaiting.pop(message_id, None)
        except TimeoutError:
            return {"outcome": "timeout", "description": f"no answer within {timeout:g}s"}
        except ConnectionError:
            return {"outcome": "offline", "description": "the station disconnected"}
        if isinstance(answer, rpc.CallError):
            return {"outcome": "error", "code": answer.code[:32], "description": answer.description[:255]}
        try:
            schemas.validate(self.version, action, answer.payload, response=True)
        except rpc.RpcError as exc:
            return {"outcome": "invalid", "response": answer.payload, "description": exc.description[:255]}
        return {"outcome": "result", "response": answer.payload}

    async def _over_rate(self, frame: str | bytes) -> None:
        """A message beyond the station's rate: a CALL is refused here, without reaching central; others dropped."""
        if self.bucket.flooding(self.limits.burst):
            log.warning("closing %s (%s): it keeps sending past %g messages/s", self.station_id, self.conn,
                        self.limits.rate)
            return await self.close(code=CLOSE_POLICY_VIOLATION)
        head = frame[:64] if isinstance(frame, str) else frame[:64].decode("utf-8", "replace")
        if match := CALL_ID.match(head):
            # OCPP has no "too many requests" code. GenericError ("any other error") it is: InternalError would
            # blame the CSMS and SecurityError an authorization the station lacks. Sent at once, not queued:
            # an over-rate station must not make the node hold more on its behalf.
            refusal = rpc.RpcError("GenericError", f"rate limit: at most {self.limits.rate:g} messages/s",
                                   message_id=match.group(1))
            await self.send(text_data=rpc.call_error(refusal, self.version))

    async def _admit_call(self, call: rpc.Call) -> None:
        if self.draining:
            # Left unanswered on purpose: the socket closes (1012) once the calls before it are answered, and the
            # station sends what was not answered again on its next connection, to another node.
            return
        if self.seen_ids is None:
            self.seen_ids = RecentIds()
        waiting = len(self.calls) if self.calls else 0
        refusal = None
        if call.message_id in self.seen_ids:
            refusal = _error("ProtocolError" if self.version == "1.6" else "RpcFrameworkError", call,
                             "message id already used on this connection")
        elif self.version == "2.0.1" and not self.boot_accepted and call.action != "BootNotification":
            refusal = _error("SecurityError", call, "station is not Accepted: send BootNotification first")
        elif waiting >= QUEUE_LIMIT:
            refusal = _error("GenericError", call, "too many calls in flight")
        if refusal and waiting >= QUEUE_LIMIT:
            return await self.send(text_data=rpc.call_error(refusal, self.version))
        self.seen_ids.add(call.message_id)
        if refusal is None and self.worker is None and (local := self._answer_locally(call)):
            return await self.send(text_data=local)  # nothing ahead of it: no task, no queue
        # A refusal waits its turn too: answers leave in the order the calls came, so a station that reused
        # an id is never handed the refusal before the answer to the original.
        if self.calls is None:
            self.calls = deque()
        self.calls.append(refusal or call)
        if self.worker is None:
            self.worker = asyncio.create_task(self._serve_calls())

    async def _serve_calls(self) -> None:
        calls = self.calls
        try:
            while calls:
                item = calls.popleft()
                try:
                    if isinstance(item, rpc.RpcError):
                        await self.send(text_data=rpc.call_error(item, self.version))
                    else:
                        await self.send(text_data=self._answer_locally(item) or await self._relay(item))
                except Exception:  # never let one call end the loop of a live station
                    log.exception("%s: failed to answer %s", self.station_id, item)
        finally:
            # Nothing awaits between the last check of `calls` and here: a call admitted later starts a new worker.
            self.worker = None
            if self.calls is calls and not calls:
                self.calls = None

    def _answer_locally(self, call: rpc.Call) -> str | None:
        """Heartbeat of a boot-accepted station: answered by the node, reported to central in bulk (not logged)."""
        if call.action != "Heartbeat" or not self.boot_accepted:
            return None
        now = utc_now()
        runtime.record_seen(self.station_id, self.conn, now)
        return rpc.call_result(call.message_id, {"currentTime": now})

    async def _relay(self, call: rpc.Call) -> str:
        envelope = Envelope(kind="call", station=self.station_id, node=self.limits.node_id, conn=self.conn,
                            ocpp=self.version, id=call.message_id, action=call.action, payload=call.payload)
        try:
            [reply] = await transport().request([envelope], self.limits.call_timeout)
        except BusUnavailable as exc:
            log.warning("%s %s %s unanswered by central: %s", self.station_id, call.action, call.message_id, exc)
            reply = None
        if reply is None or reply.kind not in ("result", "error"):
            return rpc.call_error(_error("InternalError", call, "the CSMS could not process this message now"),
                                  self.version)
        if reply.kind == "error":
            p = reply.payload
            code = p.get("code") if p.get("code") in rpc.CODES else "InternalError"
            return rpc.call_error(rpc.RpcError(code, p.get("description", ""), message_id=call.message_id,
                                               details=p.get("details") or {}), self.version)
        if call.action == "BootNotification":
            self.boot_accepted = reply.payload.get("status") == "Accepted"  # decides where Heartbeats go
        return rpc.call_result(call.message_id, reply.payload)

    async def disconnect(self, code: int) -> None:
        if not self.accepted:
            return
        self.accepted = False
        connections.remove(self)
        if self.worker is not None:
            self.worker.cancel()
        for waiter in (self.awaiting or {}).values():  # commands in flight end now, as offline
            if not waiter.done():
                waiter.set_exception(ConnectionError("station disconnected"))
        bye = Envelope(kind="disconnect", station=self.station_id, node=self.limits.node_id, conn=self.conn,
                       ocpp=self.version, payload={"reason": f"closed with code {code}"})
        try:
            await transport().request([bye], self.limits.call_timeout)
        except BusUnavailable:
            log.warning("%s: central did not hear of disconnect %s; node liveness will catch up", self.station_id,
                        self.conn)

    async def close_for(self, reason: str, code: int = 1000) -> None:
        """Central asked to close this socket (takeover by a newer connection, drain)."""
        log.info("closing %s (%s): %s", self.station_id, self.conn, reason)
        await self.close(code=code)


class RecentIds:
    """The last REMEMBERED_IDS message ids of a socket, as 8-byte hashes in one buffer: 2 KiB at most, where the
    ids themselves would take about 24 KiB per busy socket. A false "already used" needs a 64-bit collision."""

    __slots__ = ("hashes", "next")

    def __init__(self) -> None:
        self.hashes, self.next = bytearray(), 0

    @staticmethod
    def _key(message_id: str) -> bytes:
        return (hash(message_id) & 0xFFFF_FFFF_FFFF_FFFF).to_bytes(8, "little")

    def __contains__(self, message_id: str) -> bool:
        key, at = self._key(message_id), 0
        while (at := self.hashes.find(key, at)) != -1:
            if at % 8 == 0:  # a match straddling two hashes is no match
                return True
            at += 1
        return False

    def add(self, message_id: str) -> None:
        if len(self.hashes) < 8 * REMEMBERED_IDS:
            self.hashes += self._key(message_id)
        else:  # full: overwrite the oldest
            self.hashes[8 * self.next:8 * self.next + 8] = self._key(message_id)
            self.next = (self.next + 1) % REMEMBERED_IDS


def _error(code: str, call: rpc.Call, description: str) -> rpc.RpcError:
    return rpc.RpcError(code, description, message_id=call.message_id)
