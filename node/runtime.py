"""The node process's own life: attach to the bus, heartbeat to central, act on central's messages, report the
stations whose Heartbeat it answered, drain, stop cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading

from django.conf import settings

from csms import heap, server
from csms.bus import BusUnavailable, transport
from csms.envelope import Envelope
from node import connections, limits

log = logging.getLogger(__name__)
_heartbeat: asyncio.Task | None = None
_flusher: asyncio.Task | None = None
_drain: asyncio.Task | None = None
_drained = False
# Stations whose Heartbeat this node answered since the last report: {station id: (conn, at)}.
_seen: dict[str, tuple[str, str]] = {}
CLOSE_SERVICE_RESTART = 1012  # drain: "reconnect", which a station does through the load balancer to another node
CLOSED_WAIT = 5.0  # seconds a drain waits for closed sockets to be reported to central before it says it stops


READY_WAIT = 3.0  # seconds a command may wait for a socket central admitted but this node has not opened yet
_commands: set[asyncio.Task] = set()


async def deliver(envelope: Envelope) -> None:
    """A message from central to this node."""
    if envelope.kind == "command" and envelope.action == "Close":
        consumer = connections.get(envelope.conn)
        if consumer is not None:
            await consumer.close_for(envelope.payload.get("reason", "closed by central"))
        return
    if envelope.kind == "command" and envelope.action == "Drain":
        begin_drain("central (manage.py drain_node)")
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


def record_seen(station_id: str, conn: str, at: str) -> None:
    """The node answered this station's Heartbeat at `at`: central hears of it with the next flush."""
    _seen[station_id] = (conn, at)


async def flush_seen() -> bool:
    """Send the stations seen since the last flush as ONE `seen` envelope; on failure keep them for the next."""
    global _seen
    if not _seen:
        return True
    batch, _seen = _seen, {}
    report = Envelope(kind="seen", node=settings.NODE_ID,
                      payload={"stations": {s: {"conn": conn, "at": at} for s, (conn, at) in batch.items()}})
    try:
        [reply] = await transport().request([report], settings.OCPP_CALL_TIMEOUT)
        problem = None if reply is not None and reply.kind == "seen" else f"central answered {reply!r}"
    except BusUnavailable as exc:
        problem = str(exc)
    if problem is None:
        return True
    log.warning("stations seen (%d) not reported, kept for the next flush: %s", len(batch), problem)
    for station_id, (conn, at) in batch.items():
        newer = _seen.get(station_id)
        if newer is None or newer[1] < at:  # same-format UTC times: the later one sorts last
            _seen[station_id] = (conn, at)
    return False


async def _flushes() -> None:
    while True:
        await asyncio.sleep(settings.NODE_SEEN_FLUSH)
        try:
            await flush_seen()
        except Exception:
            log.exception("stations seen not flushed")


def begin_drain(by: str) -> asyncio.Task:
    """Start draining this node (once): see drain()."""
    global _drain
    if _drain is None:
        log.info("node %s draining, asked by %s", settings.NODE_ID, by)
        _drain = asyncio.get_running_loop().create_task(drain())
    return _drain


async def drain() -> None:
    """Refuse new stations (503), close every station socket with 1012 once the calls in flight on it are answered
    (NODE_DRAIN_TIMEOUT at most), report the stations seen, tell central this node stops, and stop the server."""
    global _drained
    connections.draining = True
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.NODE_DRAIN_TIMEOUT
    open_now = connections.all_open()
    for consumer in open_now:
        consumer.draining = True
    while open_now:
        late = loop.time() >= deadline
        if late:
            log.warning("drain: %d sockets still busy after %gs, closed anyway", sum(c.busy for c in open_now),
                        settings.NODE_DRAIN_TIMEOUT)
        ready = [c for c in open_now if late or not c.busy]
        await asyncio.gather(*(c.close_for("node draining", code=CLOSE_SERVICE_RESTART) for c in ready),
                             return_exceptions=True)
        open_now = [c for c in open_now if c not in ready]
        if open_now:
            await asyncio.sleep(0.05)
    closing_until = loop.time() + CLOSED_WAIT
    while connections.count() and loop.time() < closing_until:  # each socket's disconnect reaches central
        await asyncio.sleep(0.05)
    for task in (_heartbeat, _flusher):
        if task is not None:
            task.cancel()
    await _stopping()
    _drained = True
    log.info("node %s drained", settings.NODE_ID)
    if not server.request_exit():
        log.warning("node %s drained, but no server of ours runs in this process to stop", settings.NODE_ID)


async def _stopping() -> None:
    """The last word to central: the stations seen, then that this node stops."""
    try:
        await flush_seen()
    except Exception:
        log.exception("stations seen not flushed at stop")
    try:
        await _beat(stopping=True)
    except Exception as exc:  # central down at shutdown: liveness marks the stations later
        log.warning("could not tell central node %s is stopping: %s", settings.NODE_ID, exc)


async def start() -> None:
    global _heartbeat, _flusher
    open_files = limits.raise_open_file_limit()
    connections.set_limit(limits.max_connections(settings.NODE_MAX_CONNECTIONS, open_files))
    await transport().attach_node(settings.NODE_ID, deliver)
    _heartbeat = asyncio.create_task(_heartbeats())
    _flusher = asyncio.create_task(_flushes())
    if threading.current_thread() is threading.main_thread():  # signals reach only the main thread
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, begin_drain, "SIGUSR1")
    log.info("node %s started: at most %d stations (open files %d)", settings.NODE_ID, connections.limit(),
             open_files)


async def stop() -> None:
    """Shutdown: tell central this node's stations are gone now rather than after the liveness timeout."""
    for task in (_heartbeat, _flusher):
        if task is not None:
            task.cancel()
    if threading.current_thread() is threading.main_thread():
        asyncio.get_running_loop().remove_signal_handler(signal.SIGUSR1)
    if not _drained:
        await _stopping()
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
                heap.settle()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for _, extra_stop in also:
                    await extra_stop()
                await stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    return application
