"""Sockets and nodes: who may connect, who owns a station, what happens when a socket or a node goes away."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connections, router, transaction
from django.utils import timezone

from csms import batchscope, bus, pgsql
from csms.envelope import Envelope
from stations.choices import CommandStatus, ConnectionEvent, ConnectorStatus, RefusalReason, Registration
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


@dataclass(frozen=True)
class Handshake:
    """A node asking whether a station may connect. `remote_addr` is node.handshake.peer's "host:port" with the
    socket's TLS marks (stations.services.security)."""

    station_id: str
    node_id: str
    conn: str
    ocpp_version: str | None
    offered: list[str]
    username: str | None
    password: str | None
    remote_addr: str
    at: datetime


def admit_connection(**handshake) -> Admission:
    """Decide on a handshake, record it in the connection log and, if admitted, make this socket the owner."""
    return admit_connections([Handshake(**handshake)])[0]


def admit_connections(handshakes: Sequence[Handshake]) -> list[Admission]:
    """admit_connection for handshakes of different stations at once (a boot storm): one statement reads their
    stations, one writes the new owners and the log, whatever their number."""
    if len({h.station_id for h in handshakes}) != len(handshakes):
        raise ValueError("one handshake per station: a later one must see what an earlier one stored")
    # Lock order: station rows first, then their connectors (as in record_disconnect).
    found = _admitting([h.station_id for h in handshakes])
    owners: list[ChargingStation] = []
    logs: list[ConnectionLog] = []
    admissions = [_admit(h, found.get(h.station_id), owners, logs) for h in handshakes]
    _own(owners, logs)
    for h, admission in zip(handshakes, admissions, strict=True):
        if admission.accepted and found[h.station_id].commands_wait:  # commands queued while the station was away
            send_queued_commands(station_id=h.station_id, at=h.at,  # go out now (the node holds them until the
                                 station=found[h.station_id].station)  # socket is ready)
    return admissions


def _admit(h: Handshake, found: _Admitting | None, owners: list[ChargingStation],
           logs: list[ConnectionLog]) -> Admission:
    """One handshake's decision; the rows it owes are added to `owners` and `logs`."""
    transport = parse_remote(h.remote_addr)
    station = found.station if found else None
    log = ConnectionLog(station=station, station_ident=h.station_id[:255], node_id=h.node_id, conn=h.conn,
                        ocpp_version=h.ocpp_version or "", subprotocols=",".join(h.offered)[:255],
                        remote_addr=transport.address[:64], at=h.at)
    logs.append(log)
    refusal = _refusal(station, h.ocpp_version, transport, h.username, h.password)
    if refusal:
        reason, http_status = refusal
        log.event, log.reason = ConnectionEvent.REFUSED, reason
        return Admission(accepted=False, http_status=http_status, reason=reason)

    previous_conn, previous_node, was_online = station.conn, found.node_id if station.conn else "", station.online
    station.node = _node(h.node_id, h.at)
    station.conn, station.online, station.last_seen, station.ocpp_version = h.conn, True, h.at, h.ocpp_version
    log.event = ConnectionEvent.CONNECTED
    owners.append(station)
    if not was_online:  # a replaced socket keeps the station online: nothing to announce
        webhooks.emit(Event.STATION_ONLINE, lambda: payloads.station_online(station, at=h.at))
    if previous_conn and previous_conn != h.conn and previous_node:
        # Newest wins: the old socket is closed by the node that holds it.
        logs.append(ConnectionLog(station=station, station_ident=h.station_id, event=ConnectionEvent.REPLACED,
                                  reason=f"replaced by {h.conn} on {h.node_id}", node_id=previous_node,
                                  conn=previous_conn, at=h.at))
        close = Envelope(kind="command", station=h.station_id, node=previous_node, conn=previous_conn,
                         action="Close", payload={"reason": "replaced by a newer connection"})
        transaction.on_commit(lambda: bus.publish_to_node(previous_node, close))
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


# A boot storm is thousands of handshakes a second. Built by the ORM, each of a handshake's statements cost the worker
# about three times what running it costs, so they are written here: one to read the station (only what admission
# looks at), one to make the socket its owner and log it.
ADMISSION_FIELDS = ("id", "station_id", "enabled", "registration", "password", "security_profile", "pending_password",
                    "password_command_id", "boot_status", "online", "node_id", "conn")
_ADMITTED = [f for f in ChargingStation._meta.concrete_fields if f.attname in ADMISSION_FIELDS]  # from_db's order
_ADMISSION_SQL = (
    f"SELECT {', '.join(f's.{f.column}' for f in _ADMITTED)}, n.node_id, EXISTS (SELECT 1 FROM stations_command c "
    "WHERE c.station_id = s.id AND c.status = %s AND c.expires_at IS NOT NULL) "
    "FROM stations_chargingstation s LEFT JOIN stations_node n ON n.id = s.node_id WHERE s.station_id IN ({}) "
    "ORDER BY s.id")
OWNER_FIELDS = ("node_id", "conn", "online", "last_seen", "ocpp_version", "updated_at")


@dataclass(frozen=True)
class _Admitting:
    """The station row admission reads, its node's id (the socket that owns it now) and whether commands wait."""

    station: ChargingStation
    node_id: str
    commands_wait: bool


def _admitting(station_ids: list[str]) -> dict[str, _Admitting]:
    """The stations' rows, locked in pk order (one statement, with their node and queued commands), by station id;
    a station that is not provisioned is missing."""
    db = _db()
    lock = " FOR UPDATE OF s" if db.features.has_select_for_update_of else ""
    sql = _ADMISSION_SQL.format(", ".join(["%s"] * len(station_ids))) + lock
    found = {}
    for *values, node_id, commands_wait in _execute(sql, [CommandStatus.PENDING.value, *station_ids]):
        station = ChargingStation.from_db(db.alias, ADMISSION_FIELDS, values)  # the other fields load when touched
        found[station.station_id] = _Admitting(station=station, node_id=node_id or "",
                                               commands_wait=bool(commands_wait))
    return found


def _own(stations: list[ChargingStation], logs: list[ConnectionLog]) -> None:
    """Store the stations' new owners (OWNER_FIELDS) and the connection log rows; on PostgreSQL in one statement."""
    now = timezone.now()
    rows = {}
    for station in stations:
        station.updated_at = now
        rows[station.pk] = {name: getattr(station, name) for name in OWNER_FIELDS}
    if not logs:
        return
    db = _db()
    insert, insert_params = _log_insert(logs)
    if db.vendor == "postgresql" and rows:  # a data-modifying WITH runs once, read or not
        update, update_params = pgsql.update_statement(ChargingStation, rows)
        _execute(f"WITH owner AS ({update}) {insert}", [*update_params, *insert_params])
        return
    pgsql.update_rows(ChargingStation, rows)
    _execute(insert, insert_params)


def _log_insert(logs: list[ConnectionLog]) -> tuple[str, list]:
    """One INSERT of connection log rows (their pks are not needed, so not read back)."""
    db = _db()
    fields = [f for f in ConnectionLog._meta.concrete_fields if not f.primary_key]
    row = f"({', '.join(['%s'] * len(fields))})"
    sql = (f"INSERT INTO stations_connectionlog ({', '.join(db.ops.quote_name(f.column) for f in fields)}) "
           f"VALUES {', '.join([row] * len(logs))}")
    return sql, [f.get_db_prep_save(f.pre_save(log, True), db) for log in logs for f in fields]


def _db():
    return connections[router.db_for_write(ChargingStation)]


def _execute(sql: str, params: list) -> list[tuple]:
    """Run one statement in the caller's transaction; the rows it returns."""
    return pgsql.run(_db(), sql, params)


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
