"""Envelopes as a node would send them, and one call into central's real entry point.

Each builder returns a `csms.envelope.Envelope`; `send` runs it through
`csms.dispatch.handle_envelopes` (one durable transaction per envelope) and
returns central's reply in wire form (a dict), or None when there is nothing to answer.
"""

from __future__ import annotations

from itertools import count
from typing import Any

from csms.dispatch import handle_envelopes
from csms.envelope import Envelope, utc_now

NODE = "node-a"
CONN = "conn-1"
REMOTE = "203.0.113.7"
_message_ids = count(1)


def _station_id(station: Any) -> str:
    return station if isinstance(station, str) else station.station_id


def call(station: Any, version: str, action: str, payload: dict[str, Any], *, at: str | None = None,
         node: str = NODE, conn: str = CONN, message_id: str | None = None) -> Envelope:
    """A station's OCPP CALL, as the node relays it."""
    return Envelope(kind="call", station=_station_id(station), node=node, conn=conn, ocpp=version,
                    id=message_id or f"msg-{next(_message_ids)}", action=action, payload=payload,
                    at=at or utc_now())


def connect(station: Any, version: str | None = "1.6", *, node: str = NODE, conn: str = CONN,
            username: str | None = None, password: str | None = None, offered: list[str] | None = None,
            remote: str = REMOTE, at: str | None = None) -> Envelope:
    """A handshake the node asks about; `version=None` means no common subprotocol was found."""
    if offered is None:
        offered = [f"ocpp{version}"] if version else ["ocpp1.5"]
    return Envelope(kind="connect", station=_station_id(station), node=node, conn=conn, ocpp=version,
                    payload={"offered": offered, "username": username, "password": password, "remote": remote},
                    at=at or utc_now())


def disconnect(station: Any, *, node: str = NODE, conn: str = CONN, version: str | None = "1.6",
               reason: str = "closed with code 1000", at: str | None = None) -> Envelope:
    """A closed socket."""
    return Envelope(kind="disconnect", station=_station_id(station), node=node, conn=conn, ocpp=version,
                    payload={"reason": reason}, at=at or utc_now())


def node_heartbeat(node: str = NODE, *, stations: int = 0, stopping: bool = False, at: str | None = None) -> Envelope:
    """A node saying it is alive (or, with `stopping`, that it is shutting down)."""
    return Envelope(kind="node_heartbeat", node=node, payload={"stations": stations, "stopping": stopping},
                    at=at or utc_now())


def send(envelope: Envelope) -> dict[str, Any] | None:
    """Central's reply to one envelope, through the same entry point the bus calls."""
    [reply] = handle_envelopes([envelope.to_dict()])
    return reply
