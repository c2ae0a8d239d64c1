"""The one message format between nodes and central (DESIGN.md, "Message flows").

An envelope is a small JSON object; both sides import this module and nothing
else to build or read one, so the wire format is defined exactly once. `v` is
bumped on an incompatible change and a receiver refuses versions it does not know.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

VERSION = 1
KINDS = frozenset({
    "connect",         # node -> central, request/reply: may this station connect?
    "call",            # node -> central: a station's OCPP CALL
    "result",          # central -> node: the CALLRESULT payload for a call
    "error",           # central -> node: a CALLERROR for a call (payload: code/description/details)
    "disconnect",      # node -> central: a socket closed
    "command",         # central -> node: do something on a socket (send a CALL, close it)
    "command_result",  # node -> central: what the station answered
    "node_heartbeat",  # node -> central: this node is alive, with the stations it holds
    "seen",            # node -> central: stations whose Heartbeat the node answered {station: {conn, at}}
})
OCPP_VERSIONS = frozenset({"1.6", "2.0.1"})


class EnvelopeError(ValueError):
    """A message that is not a valid envelope; it is logged and dropped, never half-handled."""


_second: tuple[int, str] = (-1, "")  # the last whole second utc_now() wrote, formatted: most calls reuse it


def utc_now() -> str:
    """RFC 3339 UTC with millisecond precision and a `Z`, the form every timestamp we send takes.

    The same text as format_utc(datetime.now(UTC)) (milliseconds truncated) for a quarter of its cost: every
    message is stamped."""
    global _second
    seconds, nanoseconds = divmod(time.time_ns(), 1_000_000_000)
    if _second[0] != seconds:
        _second = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)))
    return f"{_second[1]}.{nanoseconds // 1_000_000:03d}Z"


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Envelope:
    kind: str
    station: str = ""
    node: str = ""
    conn: str = ""
    ocpp: str | None = None
    id: str = ""
    action: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    at: str = field(default_factory=utc_now)
    v: int = VERSION

    def __post_init__(self) -> None:
        if self.v != VERSION:
            raise EnvelopeError(f"unsupported envelope version {self.v!r}")
        if self.kind not in KINDS:
            raise EnvelopeError(f"unknown envelope kind {self.kind!r}")
        if self.ocpp is not None and self.ocpp not in OCPP_VERSIONS:
            raise EnvelopeError(f"unknown OCPP version {self.ocpp!r}")
        if not isinstance(self.payload, dict):
            raise EnvelopeError("payload must be an object")

    def reply(self, kind: str, payload: dict[str, Any]) -> Envelope:
        """The answer to this envelope: same station, node, socket and message id."""
        return replace(self, kind=kind, payload=payload, at=utc_now())

    def to_dict(self) -> dict[str, Any]:
        """The wire form, fields in declaration order. The payload is shared, not copied: an envelope is frozen and
        its payload is only read once sent (dataclasses.asdict deep-copied it, the node's largest cost per call)."""
        return {"kind": self.kind, "station": self.station, "node": self.node, "conn": self.conn, "ocpp": self.ocpp,
                "id": self.id, "action": self.action, "payload": self.payload, "at": self.at, "v": self.v}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> Envelope:
        if not isinstance(data, dict):
            raise EnvelopeError("an envelope is a JSON object")
        try:
            return cls(**data)
        except TypeError as exc:  # unknown or missing keys
            raise EnvelopeError(str(exc)) from exc

    @classmethod
    def from_json(cls, text: str | bytes) -> Envelope:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise EnvelopeError(f"not JSON: {exc}") from exc


def error_payload(code: str, description: str = "", details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The payload of an `error` envelope: a version-neutral CALLERROR code (node.rpc spells it)."""
    return {"code": code, "description": description, "details": details or {}}
