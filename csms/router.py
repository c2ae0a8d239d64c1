"""One registry of the handlers central runs, filled by decorators at import.

`@handles("1.6", Action.boot_notification)` registers a station CALL handler;
`@handles_event("connect")` one for a node event. Registering a key twice raises
at import (the `ocpp` library silently overwrites: a second registration is always
a mistake). Lookups are dictionary lookups: no name is ever built from station input.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from importlib import import_module
from typing import Any

from csms.envelope import OCPP_VERSIONS, Envelope

Handler = Callable[[Envelope], dict[str, Any]]

_calls: dict[tuple[str, str], Handler] = {}
_events: dict[str, Handler] = {}
# What follows from a station's answer to a command (stored configuration, reservation state...).
AnswerEffect = Callable[[Any, dict[str, Any]], None]
_answers: dict[tuple[str, str], AnswerEffect] = {}
# A batch handler takes many envelopes of its actions at once (set-based SQL instead of queries per message) and
# answers each with a payload, or None where it declines: those run through their ordinary handler instead.
BatchHandler = Callable[[list[Envelope]], list[dict[str, Any] | None]]
_batches: dict[tuple[str, str], BatchHandler] = {}
_event_batches: dict[str, BatchHandler] = {}

# Modules whose import registers handlers; listed here so a worker, a node-less
# test and the embedded server all see the same registry.
HANDLER_MODULES = (
    "stations.ocpp.lifecycle",
    "stations.ocpp.commands",
    "stations.ocpp.answers",
    "stations.ocpp.v16",
    "stations.ocpp.v201",
    "stations.ocpp.notifications_v16",
    "stations.ocpp.notifications_v201",
    "transactions.ocpp.authorize",
    "transactions.ocpp.v16",
    "transactions.ocpp.v201",
    "transactions.ocpp.batches",
    "transactions.ocpp.answers",
)


def _registrar(registry: dict, key, what: str) -> Callable:
    """A decorator putting a function under `key`; a second registration of a key raises (a mistake, always)."""

    def register(func):
        if key in registry:
            done = registry[key]
            raise ValueError(f"{what} is already handled by {done.__module__}.{done.__name__}")
        registry[key] = func
        return func

    return register


def _action_key(version: str, action: str | Enum) -> tuple[str, str]:
    if version not in OCPP_VERSIONS:
        raise ValueError(f"unknown OCPP version {version!r}")
    return version, action.value if isinstance(action, Enum) else action


def handles(version: str, action: str | Enum) -> Callable[[Handler], Handler]:
    """Register the handler of `action` (an ocpp.vXX.enums.Action) for one OCPP version."""
    key = _action_key(version, action)
    return _registrar(_calls, key, f"{key[0]} {key[1]}")


def handles_event(kind: str) -> Callable[[Handler], Handler]:
    """Register the handler of a node event envelope (connect, disconnect, node_heartbeat...)."""
    return _registrar(_events, kind, f"event {kind!r}")


def handles_answer(version: str, action: str | Enum) -> Callable[[AnswerEffect], AnswerEffect]:
    """Register what central does with a station's accepted/answered CALLRESULT to a command `action`.

    The function gets (command, response payload) inside the transaction that stores the answer.
    """
    key = _action_key(version, action)
    return _registrar(_answers, key, f"answers to {key[0]} {key[1]}")


def handles_batch(*keys: tuple[str, str | Enum]) -> Callable[[BatchHandler], BatchHandler]:
    """Register one batch handler for several (version, action) pairs, each also served by an ordinary handler."""

    def register(func: BatchHandler) -> BatchHandler:
        for version, action in keys:
            key = _action_key(version, action)
            _registrar(_batches, key, f"batches of {key[0]} {key[1]}")(func)
        return func

    return register


def handles_event_batch(kind: str) -> Callable[[BatchHandler], BatchHandler]:
    """Register the batch handler of a node event, also served one at a time by its handles_event handler."""
    return _registrar(_event_batches, kind, f"batches of event {kind!r}")


def batch_handler(version: str, action: str) -> BatchHandler | None:
    return _batches.get((version, action))


def event_batch_handler(kind: str) -> BatchHandler | None:
    return _event_batches.get(kind)


def answer_effect(version: str, action: str) -> AnswerEffect | None:
    return _answers.get((version, action))


def call_handler(version: str, action: str) -> Handler | None:
    return _calls.get((version, action))


def event_handler(kind: str) -> Handler | None:
    return _events.get(kind)


def registered_actions(version: str) -> set[str]:
    return {action for (v, action) in _calls if v == version}


def autodiscover() -> None:
    for module in HANDLER_MODULES:
        import_module(module)
