"""The bus between nodes and central, behind one interface whatever carries it.

A node calls `transport().request(envelopes)` and gets central's replies; central
calls `publish_to_node(node_id, envelope)` to reach the node holding a socket.
Embedded (no BROKER_URL): both ends live in this process and a request runs
central's handler in Django's sync thread. Distributed: RabbitMQ (csms.amqp).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils.module_loading import import_string

from csms.envelope import Envelope

log = logging.getLogger(__name__)
Deliver = Callable[[Envelope], Awaitable[None]]


class BusUnavailable(Exception):
    """Central could not be reached or did not answer in time: the station must not be told 'accepted'."""


class Transport(Protocol):
    async def request(self, envelopes: list[Envelope], timeout: float) -> list[Envelope | None]:
        """Send envelopes to central and await one reply each, or raise BusUnavailable."""

    async def attach_node(self, node_id: str, deliver: Deliver) -> None:
        """Start consuming the messages central sends this node."""

    async def detach_node(self) -> None:
        """Stop consuming (shutdown)."""


class Batcher:
    """Gathers what many coroutines submit within `window` seconds (at most `limit` envelopes) into one `send`.

    One task and one commit per message caps the pipeline near 1,000 calls/s on 2 cores (DESIGN.md, "Costs
    measured"); a batch shares them. `send` gets the batch in submission order and returns one reply per
    envelope (or None when replies arrive another way); each submitter gets its own slice, or `send`'s exception.
    """

    def __init__(self, send: Callable[[list[Envelope]], Awaitable[list[Envelope | None] | None]], *,
                 window: float, limit: int) -> None:
        self._send, self._window, self._limit = send, window, limit
        self._open: list[Envelope] | None = None
        self._done: asyncio.Future | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._running: set[asyncio.Task] = set()

    async def submit(self, envelopes: list[Envelope]) -> list[Envelope | None] | None:
        loop = asyncio.get_running_loop()
        if self._open is None:
            self._open, self._done = [], loop.create_future()
            self._done.add_done_callback(_retrieved)  # submitters that timed out no longer read an error
            if self._window > 0:
                self._timer = loop.call_later(self._window, self._flush)
        batch, done, start = self._open, self._done, len(self._open)
        batch.extend(envelopes)
        if len(batch) >= self._limit or self._window <= 0:
            self._flush()
        replies = await asyncio.shield(done)  # a cancelled submitter must not cancel the others' batch
        return None if replies is None else replies[start:start + len(envelopes)]

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, done, self._open, self._done = self._open, self._done, None, None
        if batch:
            task = asyncio.get_running_loop().create_task(self._run(batch, done))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _run(self, batch: list[Envelope], done: asyncio.Future) -> None:
        try:
            replies = await self._send(batch)
        except BaseException as exc:  # noqa: BLE001 - every submitter must hear of it, whatever it is
            done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            done.set_result(replies)


def _retrieved(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()


class InProcessTransport:
    """Embedded mode: central's handlers run in this process, in Django's one sync thread, a batch per call."""

    def __init__(self) -> None:
        self._nodes: dict[str, tuple[asyncio.AbstractEventLoop, Deliver]] = {}
        self._batcher = Batcher(self._handle, window=settings.BUS_BATCH_WINDOW, limit=settings.BUS_BATCH_MAX)

    async def request(self, envelopes: list[Envelope], timeout: float) -> list[Envelope | None]:
        try:
            async with asyncio.timeout(timeout):
                return await self._batcher.submit(envelopes)
        except TimeoutError as exc:
            raise BusUnavailable(f"central did not answer within {timeout}s") from exc

    @staticmethod
    async def _handle(envelopes: list[Envelope]) -> list[Envelope | None]:
        handle = sync_to_async(import_string(settings.CENTRAL_HANDLER), thread_sensitive=True)
        replies = await handle([e.to_dict() for e in envelopes])
        return [Envelope.from_dict(r) if r else None for r in replies]

    async def attach_node(self, node_id: str, deliver: Deliver) -> None:
        self._nodes[node_id] = (asyncio.get_running_loop(), deliver)

    async def detach_node(self) -> None:
        self._nodes.clear()

    def holds_nodes(self) -> bool:
        """Is a node attached in this process (the server), or is this another process (a command)?"""
        return bool(self._nodes)

    def publish(self, node_id: str, envelope: Envelope) -> None:
        target = self._nodes.get(node_id)
        if target is None:
            log.warning("no node %s in this process for %s %s", node_id, envelope.kind, envelope.action)
            return
        loop, deliver = target
        # Called from central's sync thread: hand the message to the node's event loop, in a fresh context so
        # the node's own calls to central are not taken for calls nested in that thread (asgiref would refuse).
        loop.call_soon_threadsafe(lambda: loop.create_task(deliver(envelope)), context=contextvars.Context())


_transport: Transport | None = None


def transport() -> Transport:
    """The transport this process uses, chosen once from settings."""
    global _transport
    if _transport is None:
        _transport = InProcessTransport() if not settings.BROKER_URL else import_string("csms.amqp.AmqpTransport")()
    return _transport


def reaches_nodes() -> bool:
    """Can this process hand a message to a node? Distributed: always (RabbitMQ). Embedded: only the server
    process holds the node; a management command in another process cannot reach it directly."""
    if settings.BROKER_URL:
        return True
    current = transport()
    return isinstance(current, InProcessTransport) and current.holds_nodes()


def publish_to_node(node_id: str, envelope: Envelope) -> None:
    """Central -> the node that holds a socket (call from transaction.on_commit)."""
    if settings.BROKER_URL:
        import_string("csms.amqp.publish_to_node")(node_id, envelope)
    else:
        transport().publish(node_id, envelope)
