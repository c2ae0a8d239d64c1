"""The bus over RabbitMQ (distributed mode): node -> central as Celery tasks, central -> node on per-node queues.

Node side: `AmqpTransport` publishes envelopes as `csms.handle_envelopes` tasks
(persistent, publisher-confirmed, with an expiry equal to the node's wait so a
worker never handles what the station was already told failed) and consumes its
own durable queue `csms.node.<NODE_ID>` in a thread of its own: kombu blocks, the
event loop must not. Replies are matched to waiting requests by (conn, id).

Central side: `publish_to_node` / `publish_replies` send to the direct exchange
`csms.nodes` with the node id as routing key; `broadcast` uses the fanout
exchange `csms.broadcast`, bound to every node queue, for what every node must see.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from django.conf import settings
from kombu import Connection, Exchange, Queue, binding

from csms.bus import Batcher, BusUnavailable, Deliver, Item, await_replies
from csms.envelope import Envelope, EnvelopeError

log = logging.getLogger(__name__)

NODES = Exchange("csms.nodes", type="direct", durable=True)
BROADCAST = Exchange("csms.broadcast", type="fanout", durable=True)
TASK = "csms.handle_envelopes"
REPLY_TTL_MS = 120_000  # a reply nobody waits for any more is worthless
QUEUE_EXPIRES_MS = 24 * 3600_000  # the queue of a node gone for a day is removed
RETRY = {"max_retries": 3, "interval_start": 0, "interval_step": 0.3, "interval_max": 1}


def node_queue(node_id: str) -> Queue:
    return Queue(f"csms.node.{node_id}", durable=True,
                 bindings=[binding(NODES, routing_key=node_id), binding(BROADCAST)],
                 queue_arguments={"x-message-ttl": REPLY_TTL_MS, "x-expires": QUEUE_EXPIRES_MS})


# --- central side -------------------------------------------------------------

def _publish(body: dict[str, Any], *, exchange: Exchange, routing_key: str) -> None:
    from csms.celery import app

    with app.producer_or_acquire() as producer:
        producer.publish(body, exchange=exchange, routing_key=routing_key, serializer="json", delivery_mode=2,
                         declare=[exchange], retry=True, retry_policy=RETRY)


def publish_to_node(node_id: str, envelope: Envelope) -> None:
    _publish(envelope.to_dict(), exchange=NODES, routing_key=node_id)


def publish_replies(replies: list[dict[str, Any]]) -> None:
    """A batch's replies: one message (a JSON list) per node, so one publish and one confirm each."""
    by_node: dict[str, list[dict[str, Any]]] = {}
    for reply in replies:
        by_node.setdefault(reply["node"], []).append(reply)
    for node_id, bodies in by_node.items():
        _publish(bodies if len(bodies) > 1 else bodies[0], exchange=NODES, routing_key=node_id)


def broadcast(envelope: Envelope) -> None:
    _publish(envelope.to_dict(), exchange=BROADCAST, routing_key="")


# --- node side ----------------------------------------------------------------

class AmqpTransport:
    """A node's end of the bus. Thread-safe hand-offs only: futures are resolved on the event loop."""

    def __init__(self) -> None:
        self._pending: dict[tuple[str, str], asyncio.Future] = {}
        self._publisher = ThreadPoolExecutor(max_workers=4, thread_name_prefix="bus-publish")
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deliver: Deliver | None = None
        self._batcher = Batcher(self._publish_batch, window=settings.BUS_BATCH_WINDOW, limit=settings.BUS_BATCH_MAX,
                                in_flight=settings.BUS_BATCHES_IN_FLIGHT)
        self._wait = settings.OCPP_CALL_TIMEOUT  # read once: the settings object is slow on a path run per batch

    async def request(self, envelopes: list[Envelope], timeout: float) -> list[Envelope | None]:
        if not self._ready.is_set():
            raise BusUnavailable("not connected to the broker")
        loop = asyncio.get_running_loop()
        envelopes = [e if e.id else replace(e, id=uuid.uuid4().hex) for e in envelopes]
        items = []
        for e in envelopes:
            future = self._pending[(e.conn, e.id)] = loop.create_future()
            items.append((e, future))
        try:
            self._batcher.add(items)
            return await await_replies([future for _, future in items], timeout)
        finally:
            for e in envelopes:
                self._pending.pop((e.conn, e.id), None)

    async def _publish_batch(self, items: list[Item]) -> None:
        """One task for the whole batch: one publish, one confirm, one commit at central. Returns when every
        reply is in (or the wait is over), which is what frees the batch's slot (csms.bus.Batcher)."""
        bodies = [e.to_dict() for e, _ in items]
        try:
            await asyncio.get_running_loop().run_in_executor(self._publisher, self._send, bodies, self._wait)
        except Exception as exc:  # broker refused or unreachable after retries
            for _, future in items:
                if not future.done():
                    future.set_exception(BusUnavailable(f"could not publish to the broker: {exc}"))
            return
        await asyncio.wait([future for _, future in items], timeout=self._wait)

    @staticmethod
    def _send(bodies: list[dict[str, Any]], expires: float) -> None:
        from csms.celery import app

        # expires: a worker never handles what the station was already told failed. argsrepr: else Celery writes a
        # repr of the whole batch into the headers (for monitoring), which costs more than the rest of the publish.
        app.send_task(TASK, args=[bodies], queue=settings.CENTRAL_QUEUE, expires=expires, retry=True,
                      retry_policy=RETRY, argsrepr=f"[<{len(bodies)} envelopes>]", kwargsrepr="{}")

    async def attach_node(self, node_id: str, deliver: Deliver) -> None:
        self._loop, self._deliver = asyncio.get_running_loop(), deliver
        self._thread = threading.Thread(target=self._consume, args=(node_id,), name="bus-consume", daemon=True)
        self._thread.start()
        # Serve stations only once replies can arrive; a broker that is down only delays this.
        await asyncio.to_thread(self._ready.wait, 30)
        if not self._ready.is_set():
            log.error("node %s: broker unreachable at start-up; stations are refused until it answers", node_id)

    async def detach_node(self) -> None:
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5)
        self._publisher.shutdown(wait=False)

    def _consume(self, node_id: str) -> None:
        queue = node_queue(node_id)
        while not self._stop.is_set():
            try:
                with Connection(settings.BROKER_URL, heartbeat=10) as conn:
                    conn.ensure_connection(max_retries=1)
                    with conn.Consumer([queue], callbacks=[self._on_message], accept=["json"], prefetch_count=200):
                        self._ready.set()
                        log.info("node %s consuming %s", node_id, queue.name)
                        while not self._stop.is_set():
                            try:
                                conn.drain_events(timeout=1)
                            except TimeoutError:
                                conn.heartbeat_check()
            except Exception as exc:  # connection lost: keep trying until stopped
                self._ready.clear()
                if not self._stop.is_set():
                    log.warning("node %s lost the broker (%s); reconnecting", node_id, exc)
                    self._stop.wait(1)

    def _on_message(self, body: Any, message: Any) -> None:
        message.ack()  # a lost reply costs a station re-send, never data: no need to hold it
        envelopes = []
        for item in body if isinstance(body, list) else [body]:  # a list: a batch's replies to this node
            try:
                envelopes.append(Envelope.from_dict(item))
            except EnvelopeError as exc:
                log.error("dropped an invalid envelope from the broker: %s", exc)
        assert self._loop is not None
        if envelopes:
            self._loop.call_soon_threadsafe(self._dispatch_all, envelopes)

    def _dispatch_all(self, envelopes: list[Envelope]) -> None:
        for envelope in envelopes:
            self._dispatch(envelope)

    def _dispatch(self, envelope: Envelope) -> None:
        if envelope.kind == "command":
            assert self._deliver is not None
            self._loop.create_task(self._deliver(envelope))
            return
        future = self._pending.get((envelope.conn, envelope.id))
        if future is None or future.done():
            log.info("late or unknown reply %s for %s/%s dropped", envelope.kind, envelope.conn, envelope.id)
            return
        future.set_result(envelope)
