"""Central's entry point: run the handler of each envelope in its own durable transaction.

Takes a list from the start so a batch of messages can share one call (the
performance work commits batches); each envelope still gets its own answer and
one bad message never sinks another. Only central imports this module.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from csms import router
from csms.envelope import Envelope, EnvelopeError, error_payload
from csms.exceptions import CsmsError
from stations.services import message_log

log = logging.getLogger(__name__)


def handle_envelopes(envelopes: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Handle envelopes (as dicts, the wire form) in order; one reply per input (None: nothing to answer)."""
    return [_reply(handle_one(data)) for data in envelopes]


def _reply(envelope: Envelope | None) -> dict[str, Any] | None:
    return envelope.to_dict() if envelope else None


def handle_one(data: dict[str, Any]) -> Envelope | None:
    try:
        envelope = Envelope.from_dict(data)
    except EnvelopeError as exc:
        log.error("dropped an invalid envelope: %s (%r)", exc, data)
        return None
    if envelope.kind == "call":
        handler = router.call_handler(envelope.ocpp or "", envelope.action)
        if handler is None:
            return _logged_apart(envelope, envelope.reply("error", error_payload(
                "NotSupported", f"{envelope.action} is not supported by this CSMS")))
    else:
        handler = router.event_handler(envelope.kind)
        if handler is None:
            log.error("no handler for %s envelope from node %s", envelope.kind, envelope.node)
            return None
    try:
        with transaction.atomic(durable=True):
            payload = handler(envelope)
            reply = envelope.reply("result" if envelope.kind == "call" else envelope.kind, payload)
            if envelope.kind == "call":  # the happy path logs in the message's own transaction: one insert
                message_log.record_exchange(call=envelope, reply=reply)
    except CsmsError as exc:
        return _logged_apart(envelope, envelope.reply(
            "error", error_payload(exc.code, str(exc), {"field": exc.field} if exc.field else None)))
    except Exception:
        log.exception("handler failed: station=%s id=%s kind=%s action=%s",
                      envelope.station, envelope.id, envelope.kind, envelope.action)
        return _logged_apart(envelope, envelope.reply(
            "error", error_payload("InternalError", "the CSMS could not process this message")))
    return reply


def _logged_apart(envelope: Envelope, reply: Envelope) -> Envelope:
    """A station's CALL answered with a CALLERROR: its transaction is gone, so log it in one of its own."""
    if envelope.kind == "call":
        try:
            with transaction.atomic(durable=True):
                message_log.record_exchange(call=envelope, reply=reply)
        except Exception:  # the log must never cost the station its answer
            log.exception("could not log the CALLERROR to station=%s id=%s", envelope.station, envelope.id)
    return reply
