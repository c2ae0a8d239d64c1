"""Central's entry point: run the handlers of a batch of envelopes in one transaction, a savepoint each.

One commit per message caps the pipeline near 1,000 calls/s on 2 cores (DESIGN.md, "Costs measured"), so a
node sends the envelopes of a few milliseconds as one batch and they commit together. Each envelope still gets
its own answer: a handler that fails rolls back its own savepoint only and its station gets a CALLERROR, so one
bad message never sinks another. If the batch cannot commit as a whole (a deadlock, a lost connection), every
envelope is handled again in a transaction of its own: nothing was committed, so nothing is counted twice.
Replies leave only after the commit that holds their message. Only central imports this module.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import OperationalError, transaction

from csms import router
from csms.envelope import Envelope, EnvelopeError, error_payload
from csms.exceptions import CsmsError
from stations.services import message_log

log = logging.getLogger(__name__)


@dataclass
class _Log:
    """The OCPP message log rows a transaction owes: written with one insert just before it commits."""

    exchanges: list[tuple[Envelope, Envelope | None]] = field(default_factory=list)

    def flush(self) -> None:
        exchanges, self.exchanges = self.exchanges, []
        message_log.record_exchanges(exchanges)


def handle_envelopes(envelopes: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Handle envelopes (as dicts, the wire form); one reply per input, in input order (None: nothing to answer)."""
    if len(envelopes) <= 1:
        return [_reply(handle_one(data)) for data in envelopes]
    # Stations' rows are locked in one order in every batch (stable: one station's messages keep theirs), so two
    # workers' batches never wait on each other in a cycle.
    order = sorted(range(len(envelopes)), key=lambda i: str(envelopes[i].get("station") or ""))
    replies: list[dict[str, Any] | None] = [None] * len(envelopes)
    try:
        with transaction.atomic(durable=True):
            pending = _Log()
            for i in order:
                replies[i] = _reply(_handle(envelopes[i], pending, savepoint=True))
            pending.flush()
    except Exception as exc:
        log.warning("a batch of %d envelopes could not commit (%s: %s); handling each on its own",
                    len(envelopes), type(exc).__name__, exc)
        return [_reply(handle_one(data)) for data in envelopes]
    return replies


def handle_one(data: dict[str, Any]) -> Envelope | None:
    """One envelope in a durable transaction of its own."""
    pending = _Log()
    reply = _handle(data, pending, savepoint=False)
    if pending.exchanges:  # a CALLERROR: its handler's transaction is gone, so log it in one of its own
        try:
            with transaction.atomic(durable=True):
                pending.flush()
        except Exception:  # the log must never cost the station its answer
            log.exception("could not log the answer to station=%s id=%s", data.get("station"), data.get("id"))
    return reply


def _reply(envelope: Envelope | None) -> dict[str, Any] | None:
    return envelope.to_dict() if envelope else None


def _handle(data: dict[str, Any], pending: _Log, *, savepoint: bool) -> Envelope | None:
    """Run one envelope's handler in a savepoint of the batch's transaction, or in a durable transaction."""
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
    try:
        with transaction.atomic(durable=not savepoint):
            payload = handler(envelope)
            reply = envelope.reply("result" if envelope.kind == "call" else envelope.kind, payload)
            if not savepoint:
                _log(pending, envelope, reply)
                pending.flush()  # the happy path logs in the message's own transaction
    except CsmsError as exc:
        return _log(pending, envelope, envelope.reply(
            "error", error_payload(exc.code, str(exc), {"field": exc.field} if exc.field else None)))
    except OperationalError:
        if savepoint:  # a deadlock or a lost connection: the batch is retried envelope by envelope
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
    return _log(pending, envelope, reply) if savepoint else reply


def _log(pending: _Log, envelope: Envelope, reply: Envelope) -> Envelope:
    if envelope.kind == "call":
        pending.exchanges.append((envelope, reply))
    return reply
