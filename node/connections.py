"""The sockets this node process holds, by connection id, so central can reach one (takeover, commands, drain).

Also what the node may still take: the limit on sockets (those being opened count, a handshake holds a descriptor
while central is asked) and whether the node is draining.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from node.limits import max_connections, open_file_limit

if TYPE_CHECKING:
    from node.consumers import OcppConsumer

_by_conn: dict[str, OcppConsumer] = {}
_opening = 0
_limit: int | None = None
draining = False  # set once by node.runtime.drain: every new handshake is refused


def add(consumer: OcppConsumer) -> None:
    _by_conn[consumer.conn] = consumer


def remove(consumer: OcppConsumer) -> None:
    if _by_conn.get(consumer.conn) is consumer:
        del _by_conn[consumer.conn]


def get(conn: str) -> OcppConsumer | None:
    return _by_conn.get(conn)


def all_open() -> list[OcppConsumer]:
    return list(_by_conn.values())


def count() -> int:
    return len(_by_conn)


def set_limit(limit: int | None) -> None:
    """Fix the limit (node start-up, once the open-file limit is raised); None: work it out again when needed."""
    global _limit
    _limit = limit


def limit() -> int:
    global _limit
    if _limit is None:
        _limit = max_connections(settings.NODE_MAX_CONNECTIONS, open_file_limit())
    return _limit


def reserve() -> bool:
    """Take a place for a socket being opened; False when the node is full. Pair with release()."""
    global _opening
    if len(_by_conn) + _opening >= limit():
        return False
    _opening += 1
    return True


def release() -> None:
    """The handshake is over: the socket is in `_by_conn` now (add) or was refused."""
    global _opening
    _opening -= 1
