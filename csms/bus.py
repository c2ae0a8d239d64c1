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


Item = tuple[Envelope, "asyncio.Future[Envelope | None]"]


class Batcher:
    """Gathers the envelopes many coroutines add into batches, each handed to one `send`.

    One task and one commit per message caps the pipeline near 1,000 calls/s on 2 cores (DESIGN.md, "Costs
    measured"); a batch shares them. A batch leaves `window` seconds after its first envelope, or at once when
    it holds `limit`, but never while `in_flight` earlier batches are still unanswered: meanwhile it keeps
    growing, so the busier central is, the larger (and cheaper per message) the batches get, and central's
    queue stays short instead of filling with tiny batches. `send` must settle every future of its batch
    (a reply, None, or an exception such as BusUnavailable) before it returns; it frees a slot when it does.
    """

    def __init__(self, send: Callable[[list[Item]], Awaitable[None]], *, window: float, limit: int,
                 in_flight: int) -> None:
        self._send, self._window, self._limit, self._in_flight = send, window, limit, in_flight
        self._queue: list[Item] = []
        self._timer: asyncio.TimerHandle | None = None
        self._due = False  # the window of the oldest queued envelope has passed
        self._running: set[asyncio.Task] = set()

    def add(self, items: list[Item]) -> None:
        self._queue.extend(items)
        if len(self._queue) >= self._limit or self._window <= 0:
            self._due = True
        elif self._timer is None and not self._due:
            self._timer = asyncio.get_running_loop().call_later(self._window, self._window_passed)
        self._pump()

    def _window_passed(self) -> None:
        self._timer, self._due = None, True
        self._pump()

    def _pump(self) -> None:
        while self._queue and self._due and len(self._running) < self._in_flight:
            batch, self._queue = self._queue[:self._limit], self._queue[self._limit:]
            self._due = len(self._queue) >= self._limit
            if self._timer is not None and not self._queue:
                self._timer.cancel()
                self._timer = None
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._running.add(task)
        if self._queue and not self._due and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._window, self._window_passed)

    async def _run(self, batch: list[Item]) -> None:
        try:
            await self._send(batch)
        except Exception as exc:  # a send that failed without settling: every caller must hear of it
            for _, future in batch:
                if not future.done():
                    future.set_exception(BusUnavailable(f"could not reach central: {exc}"))
        finally:
            self._running.discard(asyncio.current_task())
            if self._queue:
                self._due = True  # what waited for a free slot has waited long enough
            self._pump()


async def await_replies(futures: list[asyncio.Future], timeout: float) -> list[Envelope | None]:
    """The replies to one request, or BusUnavailable when central does not answer in time.

    Every call of every station waits here, so this does what asyncio.timeout and gather did for a fifth of their
    cost: one timer fails the futures still unanswered, and a single future (the usual request) is awaited as is.
    A caller cancelled meanwhile cancels its futures, as gather did.
    """
    expiry = asyncio.get_running_loop().call_later(timeout, _expire, futures, timeout)
    try:
        if len(futures) == 1:
            return [await futures[0]]
        return list(await asyncio.gather(*futures))
    finally:
        expiry.cancel()


def _expire(futures: list[asyncio.Future], timeout: float) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(BusUnavailable(f"central did not answer within {timeout}s"))


class InProcessTransport:
    """Embedded mode: central's handlers run in this process, in Django's one sync thread, a batch per call."""

    def __init__(self) -> None:
        self._nodes: dict[str, tuple[asyncio.AbstractEventLoop, Deliver]] = {}
        # One sync thread: one batch at a time, the next one gathering meanwhile.
        self._batcher = Batcher(self._handle, window=settings.BUS_BATCH_WINDOW, limit=settings.BUS_BATCH_MAX,
                                in_flight=1)

    async def request(self, envelopes: list[Envelope], timeout: float) -> list[Envelope | None]:
        loop = asyncio.get_running_loop()
        items = [(e, loop.create_future()) for e in envelopes]
        self._batcher.add(items)
        return await await_replies([future for _, future in items], timeout)

    @staticmethod
    async def _handle(items: list[Item]) -> None:
        handle = sync_to_async(import_string(settings.CENTRAL_HANDLER), thread_sensitive=True)
        replies = await handle([e.to_dict() for e, _ in items])
        for (_, future), reply in zip(items, replies, strict=True):
            if not future.done():  # its caller may have given up
                future.set_result(Envelope.from_dict(reply) if reply else None)

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
