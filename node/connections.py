"""The sockets this node process holds, by connection id, so central can reach one (takeover, commands)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from node.consumers import OcppConsumer

_by_conn: dict[str, OcppConsumer] = {}


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
