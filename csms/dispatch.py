"""Central's entry point: run the handlers of a batch of envelopes in one transaction.

One commit per message caps the pipeline near 1,000 calls/s on 2 cores (DESIGN.md, "Costs measured"), so a
node sends the envelopes of a few milliseconds as one batch and they commit together. Each envelope still gets
its own answer: when a handler fails, the batch runs again with a savepoint per envelope, so only the failing
one's writes are rolled back and its station gets a CALLERROR; one bad message never sinks another. If the
batch cannot commit as a whole (a deadlock, a lost connection), every envelope is handled again in a
transaction of its own: nothing of a rolled-back attempt was committed, so nothing is counted twice.
Replies leave only after the commit that holds their message. Only central imports this module.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import OperationalError, transaction

from csms import batchscope, router
from csms.envelope import Envelope, EnvelopeError, error_payload
from csms.exceptions import CsmsError
from stations.services import message_log
from stations.services.locks import lock_stations

log = logging.getLogger(__name__)


@dataclass
class _Log:
    """The OCPP message log rows a transaction owes: written with one insert just before it commits."""

    exchanges: list[tuple[Envelope, Envelope | None]] = field(default_factory=list)

    def flush(self) -> None:
        exchanges, self.exchanges = self.exchanges, []
        message_log.record_exchanges(exchanges)


def handle_envelopes(envelopes: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Handle envelopes (as dicts, the wire form); one reply per input, in input order (None: nothing to answer).

    A batch is tried first without savepoints (two round trips fewer per message); if any handler fails, that
    attempt is rolled back whole and the batch runs again with a savepoint per envelope; if that cannot commit
    either, each envelope runs in a transaction of its own.
    """
    if len(envelopes) <= 1:
        return [_reply(handle_one(data)) for data in envelopes]
    # Stations' rows are locked in one order in every batch (stable: one station's messages keep theirs), so two
    # workers' batches never wait on each other in a cycle.
    order = sorted(range(len(envelopes)), key=lambda i: str(envelopes[i].get("station") or ""))
    for savepoints in (False, True):
        try:
            return _batch(envelopes, order, savepoints=savepoints)
        except Exception as exc:
            log_level = logging.INFO if not savepoints else logging.WARNING
            log.log(log_level, "a batch of %d envelopes could not commit %s savepoints (%s: %s)", len(envelopes),
                    "with" if savepoints else "without", type(exc).__name__, exc)
    return [_reply(handle_one(data)) for data in envelopes]


def _batch(envelopes: list[dict[str, Any]], order: list[int], *, savepoints: bool) -> list[dict[str, Any] | None]:
    replies: list[dict[str, Any] | None] = [None] * len(envelopes)
    with batchscope.scope(), transaction.atomic(durable=True):
        lock_stations(station for data in envelopes for station in _stations_written(data))
        pending = _Log()
        done = {} if savepoints else _batched(envelopes, pending)
        for i in order:
            replies[i] = done[i] if i in done else _reply(
                _handle(envelopes[i], pending, mode=SAVEPOINT if savepoints else SHARED))
        pending.flush()
    return replies


def _stations_written(data: dict[str, Any]) -> Iterable[str]:
    """The stations whose rows an envelope's handler may lock: its own and, for a node's `seen` report, each it
    names. All are locked up front in one pk-ordered pass; one taken later, after others, could close a cycle with
    another worker's batch (PostgreSQL then waits deadlock_timeout, a second, before it breaks it)."""
    yield str(data.get("station") or "")
    if data.get("kind") == "seen":
        stations = (data.get("payload") or {}).get("stations")
        if isinstance(stations, dict):
            yield from map(str, stations)


def _batched(envelopes: list[dict[str, Any]], pending: _Log) -> dict[int, dict[str, Any]]:
    """Replies of the calls and node events a batch handler took as a set (router.handles_batch,
    handles_event_batch), by input index.

    Offered only envelopes of a station with no other message in the batch: nothing then depends on the order they are
    handled in. A batch handler's failure fails the attempt like any handler's; the retry has no batch handlers.
    """
    per_station = Counter(data.get("station") for data in envelopes)
    groups: dict[router.BatchHandler, list[tuple[int, Envelope]]] = {}
    for i, data in enumerate(envelopes):
        kind = data.get("kind")
        handler = (router.batch_handler(str(data.get("ocpp")), str(data.get("action"))) if kind == "call"
                   else router.event_batch_handler(str(kind)))
        if handler is None or per_station[data.get("station")] != 1:
            continue
        try:
            groups.setdefault(handler, []).append((i, Envelope.from_dict(data)))
        except EnvelopeError:
            continue  # the ordinary path logs and drops it
    done = {}
    for handler, items in groups.items():
        for (i, envelope), payload in zip(items, handler([e for _, e in items]), strict=True):
            if payload is not None:
                kind = "result" if envelope.kind == "call" else envelope.kind
                done[i] = _reply(_log(pending, envelope, envelope.reply(kind, payload)))
    return done


def handle_one(data: dict[str, Any]) -> Envelope | None:
    """One envelope in a durable transaction of its own."""
    pending = _Log()
    reply = _handle(data, pending, mode=OWN)
    if pending.exchanges:  # a CALLERROR: its handler's transaction is gone, so log it in one of its own
        try:
            with transaction.atomic(durable=True):
                pending.flush()
        except Exception:  # the log must never cost the station its answer
            log.exception("could not log the answer to station=%s id=%s", data.get("station"), data.get("id"))
    return reply


def _reply(envelope: Envelope | None) -> dict[str, Any] | None:
    return envelope.to_dict() if envelope else None


SHARED, SAVEPOINT, OWN = "shared", "savepoint", "own"  # how a handler's writes are bounded, see _handle


def _handle(data: dict[str, Any], pending: _Log, *, mode: str) -> Envelope | None:
    """Run one envelope's handler: SHARED, in the batch's transaction as is (any failure aborts the attempt);
    SAVEPOINT, in a savepoint of the batch's transaction; OWN, in a durable transaction of its own."""
    try:
        envelope = Envelope.from_dict(data)
    except EnvelopeError as exc:
        log.error("dropped an invalid envelope: %s (%r)", exc, data)
        return None
    if envelope.kind == "call":
        handler = router.call_handler(envelope.ocpp or "", envelope.action)
        if handler is None:
            return _log(pending, envelope, envelope.reply("error", error_payload(
                "NotSupported", f"{envelope.action} is not supported by this CSMS")))
    else:
        handler = router.event_handler(envelope.kind)
        if handler is None:
            log.error("no handler for %s envelope from node %s", envelope.kind, envelope.node)
            return None
    if mode == SHARED:  # no try: a failure must roll the whole attempt back, its writes are mixed with the others'
        payload = handler(envelope)
        return _log(pending, envelope, envelope.reply("result" if envelope.kind == "call" else envelope.kind, payload))
    try:
        with transaction.atomic(durable=mode == OWN):
            payload = handler(envelope)
            reply = envelope.reply("result" if envelope.kind == "call" else envelope.kind, payload)
            if mode == OWN:
                _log(pending, envelope, reply)
                pending.flush()  # the happy path logs in the message's own transaction
    except CsmsError as exc:
        return _log(pending, envelope, envelope.reply(
            "error", error_payload(exc.code, str(exc), {"field": exc.field} if exc.field else None)))
    except OperationalError:
        if mode == SAVEPOINT:  # a deadlock or a lost connection: the batch is retried envelope by envelope
            raise
        log.exception("database unavailable: station=%s id=%s action=%s", envelope.station, envelope.id,
                      envelope.action)
        return _log(pending, envelope, envelope.reply(
            "error", error_payload("InternalError", "the CSMS could not store this message now")))
    except Exception:
        log.exception("handler failed: station=%s id=%s kind=%s action=%s",
                      envelope.station, envelope.id, envelope.kind, envelope.action)
        return _log(pending, envelope, envelope.reply(
            "error", error_payload("InternalError", "the CSMS could not process this message")))
    return _log(pending, envelope, reply) if mode == SAVEPOINT else reply


def _log(pending: _Log, envelope: Envelope, reply: Envelope) -> Envelope:
    if envelope.kind == "call":
        pending.exchanges.append((envelope, reply))
    return reply
