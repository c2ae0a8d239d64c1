"""The station's WebSocket: handshake, OCPP-J framing, relaying calls to central in order.

Async end to end and free of the ORM: central is reached only through the bus.
Calls from one station are answered in the order it sent them (one queue and
one worker task per socket); answers to our own calls (CALLRESULT/CALLERROR)
are read while a station call is in flight, so a crossing command never deadlocks.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from csms.bus import BusUnavailable, transport
from csms.envelope import Envelope
from node import connections, rpc, schemas
from node.handshake import SUPPORTED, basic_credentials, negotiate, peer

log = logging.getLogger(__name__)

CLOSE_PROTOCOL_ERROR = 1002
CLOSE_MESSAGE_TOO_BIG = 1009
CLOSE_GOING_AWAY = 1001
QUEUE_LIMIT = 64  # calls a station may have waiting; a compliant station has one
REMEMBERED_IDS = 256  # message ids kept per socket to refuse reuse
MAX_STATION_ID = 48  # OCPP 2.0.1 identity length; longer ids are never provisioned


class Denial:
    """Refuse a handshake with an HTTP status (ASGI WebSocket Denial Response), or 403 where unsupported."""

    async def _deny(self, status: int, reason: str) -> None:
        if "websocket.http.response" not in self.scope.get("extensions", {}):
            return await self.close()  # the server can only say 403
        headers = [(b"content-type", b"text/plain; charset=utf-8")]
        if status == 401:
            headers.append((b"www-authenticate", b'Basic realm="OCPP", charset="UTF-8"'))
        await self.base_send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await self.base_send({"type": "websocket.http.response.body", "body": reason.encode()})


class NotFoundConsumer(Denial, AsyncWebsocketConsumer):
    """Any WebSocket path other than /ocpp/<station id>."""

    async def connect(self) -> None:
        await self._deny(404, "stations connect at /ocpp/<station id>")


class OcppConsumer(Denial, AsyncWebsocketConsumer):
    station_id: str
    conn: str
    version: str | None = None
    accepted = False

    async def connect(self) -> None:
        self.station_id = self.scope["url_route"]["kwargs"]["station_id"]
        if len(self.station_id) > MAX_STATION_ID:
            return await self._deny(404, "no such station")
        self.conn = uuid.uuid4().hex
        offered = list(self.scope.get("subprotocols") or [])
        subprotocol = negotiate(offered)
        self.version = SUPPORTED.get(subprotocol) if subprotocol else None
        username, password = basic_credentials(self.scope.get("headers", []))
        ask = Envelope(kind="connect", station=self.station_id, node=settings.NODE_ID, conn=self.conn,
                       ocpp=self.version, payload={"offered": offered, "username": username, "password": password,
                                                   "remote": peer(self.scope)})
        try:
            [answer] = await transport().request([ask], settings.OCPP_CALL_TIMEOUT)
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
        self.boot_accepted = bool(decision.get("boot_accepted"))
        self.calls: asyncio.Queue[rpc.Call | rpc.RpcError] = asyncio.Queue(QUEUE_LIMIT)
        self.seen_ids: deque[str] = deque(maxlen=REMEMBERED_IDS)
        self.outgoing = asyncio.Lock()  # one command in flight per socket
        self.awaiting: dict[str, asyncio.Future] = {}
        connections.add(self)
        self.accepted = True
        await self.accept(subprotocol=subprotocol)
        self.worker = asyncio.create_task(self._serve_calls())

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = text_data if text_data is not None else bytes_data or b""
        if len(frame) > settings.OCPP_MAX_FRAME_BYTES:
            return await self.close(code=CLOSE_MESSAGE_TOO_BIG)
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
        waiter = self.awaiting.get(message.message_id)
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

    async def _admit_call(self, call: rpc.Call) -> None:
        refusal = None
        if call.message_id in self.seen_ids:
            refusal = _error("ProtocolError" if self.version == "1.6" else "RpcFrameworkError", call,
                             "message id already used on this connection")
        elif self.version == "2.0.1" and not self.boot_accepted and call.action != "BootNotification":
            refusal = _error("SecurityError", call, "station is not Accepted: send BootNotification first")
        elif self.calls.full():
            refusal = _error("GenericError", call, "too many calls in flight")
        if refusal and self.calls.full():
            return await self.send(text_data=rpc.call_error(refusal, self.version))
        self.seen_ids.append(call.message_id)
        # A refusal waits its turn too: answers leave in the order the calls came, so a station that reused
        # an id is never handed the refusal before the answer to the original.
        self.calls.put_nowait(refusal or call)

    async def _serve_calls(self) -> None:
        while True:
            item = await self.calls.get()
            try:
                if isinstance(item, rpc.RpcError):
                    await self.send(text_data=rpc.call_error(item, self.version))
                else:
                    await self.send(text_data=await self._relay(item))
            except Exception:  # never let one call end the loop of a live station
                log.exception("%s: failed to answer %s", self.station_id, item)

    async def _relay(self, call: rpc.Call) -> str:
        envelope = Envelope(kind="call", station=self.station_id, node=settings.NODE_ID, conn=self.conn,
                            ocpp=self.version, id=call.message_id, action=call.action, payload=call.payload)
        try:
            [reply] = await transport().request([envelope], settings.OCPP_CALL_TIMEOUT)
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
            self.boot_accepted = reply.payload.get("status") == "Accepted"
        return rpc.call_result(call.message_id, reply.payload)

    async def disconnect(self, code: int) -> None:
        if not self.accepted:
            return
        self.accepted = False
        connections.remove(self)
        self.worker.cancel()
        for waiter in self.awaiting.values():  # commands in flight end now, as offline
            if not waiter.done():
                waiter.set_exception(ConnectionError("station disconnected"))
        bye = Envelope(kind="disconnect", station=self.station_id, node=settings.NODE_ID, conn=self.conn,
                       ocpp=self.version, payload={"reason": f"closed with code {code}"})
        try:
            await transport().request([bye], settings.OCPP_CALL_TIMEOUT)
        except BusUnavailable:
            log.warning("%s: central did not hear of disconnect %s; node liveness will catch up", self.station_id,
                        self.conn)

    async def close_for(self, reason: str, code: int = 1000) -> None:
        """Central asked to close this socket (takeover by a newer connection, drain)."""
        log.info("closing %s (%s): %s", self.station_id, self.conn, reason)
        await self.close(code=code)


def _error(code: str, call: rpc.Call, description: str) -> rpc.RpcError:
    return rpc.RpcError(code, description, message_id=call.message_id)
