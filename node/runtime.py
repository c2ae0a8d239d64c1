"""The node process's own life: attach to the bus, heartbeat to central, act on central's messages, stop cleanly."""

from __future__ import annotations

import asyncio
import logging

from django.conf import settings

from csms.bus import BusUnavailable, transport
from csms.envelope import Envelope
from node import connections

log = logging.getLogger(__name__)
_heartbeat: asyncio.Task | None = None


READY_WAIT = 3.0  # seconds a command may wait for a socket central admitted but this node has not opened yet
_commands: set[asyncio.Task] = set()


async def deliver(envelope: Envelope) -> None:
    """A message from central to this node."""
    if envelope.kind == "command" and envelope.action == "Close":
        consumer = connections.get(envelope.conn)
        if consumer is not None:
            await consumer.close_for(envelope.payload.get("reason", "closed by central"))
        return
    if envelope.kind == "command":
        # Each command runs on its own: a slow station never holds up the others.
        task = asyncio.create_task(_run_command(envelope))
        _commands.add(task)
        task.add_done_callback(_commands.discard)
        return
    log.warning("ignored %s %s from central", envelope.kind, envelope.action)


async def _run_command(envelope: Envelope) -> None:
    consumer = await _ready(envelope.conn)
    if consumer is None:
        report = {"outcome": "offline", "description": "the station's socket is not on this node any more"}
    else:
        report = await consumer.send_command(envelope.id, envelope.action, envelope.payload,
                                             settings.OCPP_CALL_TIMEOUT)
    result = Envelope(kind="command_result", station=envelope.station, node=settings.NODE_ID, conn=envelope.conn,
                      ocpp=envelope.ocpp, id=envelope.id, action=envelope.action, payload=report)
    for attempt in range(3):  # central's expiry job times the command out if every attempt fails
        try:
            await transport().request([result], settings.OCPP_CALL_TIMEOUT)
            return
        except BusUnavailable as exc:
            log.warning("result of command %s not delivered (attempt %d): %s", envelope.id, attempt + 1, exc)
            await asyncio.sleep(1 + attempt)


async def _ready(conn: str):
    """The consumer of `conn`; central admits a socket before this node has finished opening it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_WAIT
    while (consumer := connections.get(conn)) is None and loop.time() < deadline:
        await asyncio.sleep(0.05)
    return consumer


async def _beat(stopping: bool = False) -> None:
    beat = Envelope(kind="node_heartbeat", node=settings.NODE_ID,
                    payload={"stations": connections.count(), "stopping": stopping})
    await transport().request([beat], settings.OCPP_CALL_TIMEOUT)


async def _heartbeats() -> None:
    while True:
        try:
            await _beat()
        except BusUnavailable as exc:
            log.warning("node heartbeat not delivered: %s", exc)
        except Exception:
            log.exception("node heartbeat failed")
        await asyncio.sleep(settings.NODE_HEARTBEAT_INTERVAL)


async def start() -> None:
    global _heartbeat
    await transport().attach_node(settings.NODE_ID, deliver)
    _heartbeat = asyncio.create_task(_heartbeats())
    log.info("node %s started", settings.NODE_ID)


async def stop() -> None:
    """Shutdown: tell central this node's stations are gone now rather than after the liveness timeout."""
    if _heartbeat is not None:
        _heartbeat.cancel()
    try:
        await _beat(stopping=True)
    except Exception as exc:  # central down at shutdown: liveness marks the stations later
        log.warning("could not tell central node %s is stopping: %s", settings.NODE_ID, exc)
    await transport().detach_node()


def with_lifespan(app, *, also=()):
    """Wrap an ASGI app so the server's lifespan events start and stop the node runtime.

    `also`: (start, stop) coroutine-function pairs of the hosting process, run after the node starts and
    before it stops (the embedded mode runs central's periodic jobs this way).
    """

    async def application(scope, receive, send):
        if scope["type"] != "lifespan":
            return await app(scope, receive, send)
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await start()
                    for extra_start, _ in also:
                        await extra_start()
                except Exception as exc:
                    log.exception("node start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for _, extra_stop in also:
                    await extra_stop()
                await stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    return application
