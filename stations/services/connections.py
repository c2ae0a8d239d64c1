"""Sockets and nodes: who may connect, who owns a station, what happens when a socket or a node goes away."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from csms import batchscope, bus
from csms.envelope import Envelope
from stations.choices import ConnectionEvent, ConnectorStatus, RefusalReason, Registration
from stations.models import ChargingStation, ConnectionLog, Connector, Node
from stations.services.commands import send_queued_commands
from stations.services.security import Transport, parse_remote, security_refusal
from webhooks import payloads
from webhooks import services as webhooks
from webhooks.choices import Event


@dataclass(frozen=True)
class Admission:
    """Central's answer to a node asking whether a station may connect."""

    accepted: bool
    http_status: int = 101
    reason: str = ""
    boot_accepted: bool = False  # a 2.0.1 station Accepted before may be served without a new boot


def admit_connection(*, station_id: str, node_id: str, conn: str, ocpp_version: str | None,
                     offered: list[str], username: str | None, password: str | None,
                     remote_addr: str, at: datetime) -> Admission:
    """Decide on a handshake, record it in the connection log and, if admitted, make this socket the owner.

    `remote_addr` is node.handshake.peer's "host:port" with the socket's TLS marks (stations.services.security)."""
    transport = parse_remote(remote_addr)
    log = ConnectionLog(station_ident=station_id[:255], node_id=node_id, conn=conn, ocpp_version=ocpp_version or "",
                        subprotocols=",".join(offered)[:255], remote_addr=transport.address[:64], at=at)
    # Lock order: station row first, then its connectors (as in record_disconnect).
    station = ChargingStation.objects.select_for_update().filter(station_id=station_id).first()
    log.station = station
    refusal = _refusal(station, ocpp_version, transport, username, password)
    if refusal:
        reason, http_status = refusal
        log.event, log.reason = ConnectionEvent.REFUSED, reason
        log.save()
        return Admission(accepted=False, http_status=http_status, reason=reason)

    previous_conn, was_online = station.conn, station.online
    previous_node = _node_id(station.node_id) if previous_conn else ""
    station.node = _node(node_id, at)
    station.conn, station.online, station.last_seen, station.ocpp_version = conn, True, at, ocpp_version
    station.save(update_fields=["node", "conn", "online", "last_seen", "ocpp_version", "updated_at"])
    log.event = ConnectionEvent.CONNECTED
    log.save()
    if not was_online:  # a replaced socket keeps the station online: nothing to announce
        webhooks.emit(Event.STATION_ONLINE, lambda: payloads.station_online(station, at=at))
    if previous_conn and previous_conn != conn and previous_node:
        # Newest wins: the old socket is closed by the node that holds it.
        ConnectionLog.objects.create(station=station, station_ident=station_id, event=ConnectionEvent.REPLACED,
                                     reason=f"replaced by {conn} on {node_id}", node_id=previous_node,
                                     conn=previous_conn, at=at)
        close = Envelope(kind="command", station=station_id, node=previous_node, conn=previous_conn,
                         action="Close", payload={"reason": "replaced by a newer connection"})
        transaction.on_commit(lambda: bus.publish_to_node(previous_node, close))
    # Commands queued while the station was away go out now (the node holds them until the socket is ready).
    send_queued_commands(station_id=station_id, at=at, station=station)
    return Admission(accepted=True, boot_accepted=station.boot_status == Registration.ACCEPTED
                     and station.registration == Registration.ACCEPTED)


def _refusal(station: ChargingStation | None, ocpp_version: str | None, transport: Transport, username: str | None,
             password: str | None) -> tuple[str, int] | None:
    if ocpp_version is None:
        return RefusalReason.NO_SUBPROTOCOL, 400
    if station is None:
        return RefusalReason.UNKNOWN_STATION, 404
    if not station.enabled:
        return RefusalReason.DISABLED, 404
    return security_refusal(station, transport, username, password)


def _node(node_id: str, at: datetime) -> Node:
    """The node's row, created on first sight; read once per batch (a boot storm asks thousands of times)."""
    def get() -> Node:
        return Node.objects.get_or_create(node_id=node_id, defaults={"first_heartbeat": at, "last_heartbeat": at})[0]

    return batchscope.memo(("node", node_id), get)


def _node_id(pk: int | None) -> str:
    if pk is None:
        return ""
    return batchscope.memo(("node-id", pk), lambda: Node.objects.filter(pk=pk).values_list("node_id", flat=True)
                           .first() or "")


def record_disconnect(*, station_id: str, node_id: str, conn: str, reason: str, at: datetime) -> bool:
    """Log a closed socket; mark the station offline only if that socket still owns it. Returns whether it did."""
    station = ChargingStation.objects.select_for_update().filter(station_id=station_id).first()
    ConnectionLog.objects.create(station=station, station_ident=station_id[:255], event=ConnectionEvent.DISCONNECTED,
                                 reason=reason[:255], node_id=node_id, conn=conn, at=at)
    if station is None or station.conn != conn:
        return False  # a newer connection owns it (or it was never admitted)
    _mark_offline([station.pk], reason=reason, at=at)
    return True


def _mark_offline(station_pks: list[int], *, reason: str, at: datetime) -> None:
    went = ChargingStation.objects.filter(pk__in=station_pks, online=True).values_list("station_id", flat=True)
    for station_id in list(went):  # read before the update: only those that were online are announced
        webhooks.emit(Event.STATION_OFFLINE, payloads.station_offline(station_id, reason=reason, at=at))
    ChargingStation.objects.filter(pk__in=station_pks).update(online=False, conn="", node=None)
    Connector.objects.filter(station__in=station_pks).update(status=ConnectorStatus.UNAVAILABLE)


def record_node_heartbeat(*, node_id: str, at: datetime) -> Node:
    """A node is alive: create or refresh its row."""
    node = _node(node_id, at)
    Node.objects.filter(pk=node.pk).update(last_heartbeat=at)
    node.last_heartbeat = at
    return node


def mark_node_offline(*, node_id: str) -> int:
    """Every station a node held goes offline (node stopped or went silent). Returns how many."""
    pks = list(ChargingStation.objects.select_for_update().filter(node__node_id=node_id).values_list("pk", flat=True))
    _mark_offline(pks, reason=f"node {node_id} stopped or went silent", at=timezone.now())
    return len(pks)


def mark_silent_nodes_offline(*, now: datetime, silent_for: timedelta) -> dict[str, int]:
    """Stations of nodes with no heartbeat for `silent_for` go offline; returns {node id: stations marked}."""
    cutoff = now - silent_for
    silent = Node.objects.filter(last_heartbeat__lt=cutoff, stations__online=True).distinct()
    return {node.node_id: mark_node_offline(node_id=node.node_id) for node in silent}
