"""What a station reports about itself: boot identity, heartbeats, connector status.

A boot storm brings every station's BootNotification and StatusNotifications within seconds, so boots and statuses are
stored for many stations at once (`record_boots`, `record_statuses`: a few statements per batch of messages, whatever
its size); one message is the same call with one item, so both ways store the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from csms import pgsql
from csms.exceptions import UnknownStation
from stations.choices import ConnectorStatus
from stations.models import ChargingStation, Connector
from stations.services.locks import lock_stations
from webhooks import payloads
from webhooks import services as webhooks
from webhooks.choices import Event


@dataclass(frozen=True)
class BootIdentity:
    """What a station says about itself in BootNotification (both versions)."""

    vendor: str = ""
    model: str = ""
    serial_number: str = ""
    charge_box_serial_number: str = ""
    firmware_version: str = ""
    iccid: str = ""
    imsi: str = ""
    meter_type: str = ""
    meter_serial_number: str = ""


@dataclass(frozen=True)
class Boot:
    """One BootNotification: who sent it, what it says, in which protocol, when central received it."""

    station_id: str
    identity: BootIdentity
    ocpp_version: str
    at: datetime


@dataclass(frozen=True)
class StatusReport:
    """One StatusNotification; evse 0 is the station itself (1.6 connectorId 0), `reported_at` the station's time."""

    station_id: str
    evse_id: int
    connector_id: int
    status: ConnectorStatus
    reported_at: datetime
    at: datetime
    error_code: str = ""
    info: str = ""
    vendor_id: str = ""
    vendor_error_code: str = ""


def _unknown(station_id: str) -> UnknownStation:
    return UnknownStation(f"station {station_id!r} is not provisioned")


def record_boot(*, boot: Boot) -> str:
    """Store the identity a station reports; returns its boot status, what to answer (the operator's registration)."""
    [status] = record_boots(boots=[boot])
    if status is None:
        raise _unknown(boot.station_id)
    return status


def record_boots(*, boots: Sequence[Boot]) -> list[str | None]:
    """record_boot for many boots, with two statements; None for a station that is not provisioned (nothing stored)."""
    stations = _locked((b.station_id for b in boots), "registration")
    now = timezone.now()
    rows = {}
    for boot in boots:
        if boot.station_id in stations:
            pk, registration = stations[boot.station_id]
            rows[pk] = asdict(boot.identity) | {
                "ocpp_version": boot.ocpp_version, "boot_status": registration, "last_boot_at": boot.at,
                "last_seen": boot.at, "online": True, "updated_at": now}
    pgsql.update_rows(ChargingStation, rows)
    return [stations[b.station_id][1] if b.station_id in stations else None for b in boots]


def record_heartbeat(*, station_id: str, at: datetime) -> int:
    """Update last seen; returns the rows changed (0 for a station that is not provisioned)."""
    return ChargingStation.objects.filter(station_id=station_id).update(last_seen=at, online=True)


def record_seen(*, seen: dict[str, tuple[str, datetime]]) -> int:
    """Heartbeats a node answered itself, {station id: (conn, at)}: what record_heartbeat does, for many stations
    at once. An entry whose conn no longer owns its station is ignored (the station reconnected or went offline
    since); last_seen only moves forward. Returns the stations matched."""
    lock_stations(seen)  # in pk order, as every batch takes its stations: an UPDATE alone locks in scan order
    if connection.vendor == "postgresql":
        return _record_seen_pg(sorted(seen.items()))
    per_entry = 6  # query parameters one station costs: two in the filter, four in the CASE
    size = max(1, min(500, (connection.features.max_query_params or 6000) // per_entry))
    matched = 0
    entries = sorted(seen.items())
    for start in range(0, len(entries), size):
        chunk = entries[start:start + size]
        later = [When(Q(station_id=station_id, conn=conn) & (Q(last_seen__isnull=True) | Q(last_seen__lt=at)),
                      then=Value(at)) for station_id, (conn, at) in chunk]
        matched += ChargingStation.objects.filter(
            station_id__in=[s for s, _ in chunk], conn__in=[c for _, (c, _) in chunk],
        ).update(last_seen=Case(*later, default=F("last_seen")), online=True)
    return matched


def _record_seen_pg(entries: list[tuple[str, tuple[str, datetime]]]) -> int:
    """One UPDATE ... FROM unnest for the whole report: a CASE of one branch per station, as the ORM builds it,
    costs PostgreSQL a comparison per station for every row (a 200-station report held its batch 0.1 to 0.6 s)."""
    field = ChargingStation._meta.get_field
    arrays = ", ".join(pgsql.array_of(field(name), connection) for name in ("station_id", "conn", "last_seen"))
    matched = pgsql.execute(connection, (
        f"WITH v AS (SELECT * FROM unnest({arrays}) AS v(station_id, conn, at)) "
        f"UPDATE {ChargingStation._meta.db_table} AS t SET last_seen = GREATEST(t.last_seen, v.at), online = true "
        "FROM v WHERE t.station_id = v.station_id AND t.conn = v.conn RETURNING 1"),
        [[s for s, _ in entries], [c for _, (c, _) in entries], [at for _, (_, at) in entries]])
    return len(matched)


def record_status(*, report: StatusReport) -> None:
    """Store a status; evse 0 is the station itself. Older reports never overwrite newer ones."""
    if not record_statuses(reports=[report])[0]:
        raise _unknown(report.station_id)


def record_statuses(*, reports: Sequence[StatusReport]) -> list[bool]:
    """record_status for many reports, taken in their order, with a few statements whatever their number (three for
    connectors of stations their batch locked, webhook deliveries aside); False for a report of a station that is not
    provisioned (nothing stored for it)."""
    ids = {r.station_id for r in reports}
    if any(r.evse_id == 0 for r in reports):  # a report about the station itself is compared with the one stored
        found = _locked(ids, "status", "status_at")
        pks = {station_id: pk for station_id, (pk, *_) in found.items()}
        station_state = {pk: {"status": status, "status_at": status_at} for pk, status, status_at in found.values()}
    else:  # only the stations' pks: no query for stations their batch locked already
        pks, station_state = lock_stations(ids), {}
    connectors = _connectors(pks.values()) if any(r.evse_id for r in reports) else {}
    now = timezone.now()
    station_rows: dict[int, dict[str, Any]] = {}
    connector_rows: dict[int, dict[str, Any]] = {}
    new: dict[tuple[int, int, int], dict[str, Any]] = {}
    for r in reports:
        if r.station_id not in pks:
            continue
        pk = pks[r.station_id]
        row = station_rows.setdefault(pk, {})
        row |= {"last_seen": r.at, "updated_at": now}
        if r.evse_id == 0:
            reported = {"status": r.status, "error_code": r.error_code, "status_at": r.reported_at}
            if _newer(r, station_state[pk]):
                _announce(r, previous=station_state[pk]["status"])
                station_state[pk] |= reported
                row |= reported
            continue
        key = (pk, r.evse_id, r.connector_id)
        reported = {"status": r.status, "error_code": r.error_code, "info": r.info, "vendor_id": r.vendor_id,
                    "vendor_error_code": r.vendor_error_code, "status_at": r.reported_at}
        current = connectors.get(key)
        if current is None:  # a station's first report of a connector creates it with the status at once
            _announce(r, previous="")
            connectors[key] = new[key] = reported
        elif _newer(r, current):
            _announce(r, previous=current["status"])
            current |= reported
            if key not in new:
                connector_rows[current["pk"]] = reported | {"updated_at": now}
    pgsql.update_rows(ChargingStation, station_rows)
    Connector.objects.bulk_create([Connector(station_id=pk, evse_id=evse_id, connector_id=connector_id, **values)
                                   for (pk, evse_id, connector_id), values in new.items()])
    pgsql.update_rows(Connector, connector_rows)
    return [r.station_id in pks for r in reports]


def _newer(report: StatusReport, current: dict[str, Any]) -> bool:
    return current["status_at"] is None or report.reported_at >= current["status_at"]


def _locked(station_ids: Iterable[str], *columns: str) -> dict[str, tuple]:
    """{station id: (pk, *columns)} of the provisioned stations among `station_ids`, locked in pk order."""
    rows = ChargingStation.objects.select_for_update().filter(station_id__in=set(station_ids)).order_by("pk")
    return {station_id: rest for station_id, *rest in rows.values_list("station_id", "pk", *columns)}


def _connectors(station_pks: Iterable[int]) -> dict[tuple[int, int, int], dict[str, Any]]:
    """The stations' connectors by (station pk, evse, connector); their station rows, locked, guard them."""
    rows = pgsql.select_in(Connector, ("pk", "station_id", "evse_id", "connector_id", "status", "status_at"),
                           "station_id", station_pks)
    return {(station, evse, number): {"pk": pk, "status": status, "status_at": status_at}
            for pk, station, evse, number, status, status_at in rows}


def _announce(report: StatusReport, *, previous: str) -> None:
    """station.status_changed, when the status really changes (a repeated report is not news)."""
    if report.status != previous:
        webhooks.emit(Event.STATION_STATUS_CHANGED, payloads.status_changed(
            report.station_id, evse_id=report.evse_id, connector_id=report.connector_id if report.evse_id else 0,
            status=report.status, previous=previous, error_code=report.error_code, reported_at=report.reported_at))
