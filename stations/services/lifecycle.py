"""What a station reports about itself: boot identity, heartbeats, connector status."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from django.db import connection
from django.db.models import Case, F, Q, Value, When

from csms.exceptions import UnknownStation
from stations.choices import ConnectorStatus
from stations.models import ChargingStation, Connector
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


def _station(station_id: str) -> ChargingStation:
    try:
        return ChargingStation.objects.select_for_update().get(station_id=station_id)
    except ChargingStation.DoesNotExist:
        raise UnknownStation(f"station {station_id!r} is not provisioned") from None


def record_boot(*, station_id: str, identity: BootIdentity, ocpp_version: str, at: datetime) -> ChargingStation:
    """Store the identity a station reports; its `boot_status` is what to answer (the operator's choice)."""
    station = _station(station_id)
    for f in fields(identity):
        setattr(station, f.name, getattr(identity, f.name))
    station.ocpp_version, station.boot_status = ocpp_version, station.registration
    station.last_boot_at = station.last_seen = at
    station.online = True
    station.save()
    return station


def record_heartbeat(*, station_id: str, at: datetime) -> int:
    """Update last seen; returns the rows changed (0 for a station that is not provisioned)."""
    return ChargingStation.objects.filter(station_id=station_id).update(last_seen=at, online=True)


def record_seen(*, seen: dict[str, tuple[str, datetime]]) -> int:
    """Heartbeats a node answered itself, {station id: (conn, at)}: what record_heartbeat does, for many stations
    in one UPDATE per few hundred. An entry whose conn no longer owns its station is ignored (the station
    reconnected or went offline since); last_seen only moves forward. Returns the stations matched."""
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


def record_status(*, station_id: str, evse_id: int, connector_id: int, status: ConnectorStatus,
                  error_code: str = "", info: str = "", vendor_id: str = "", vendor_error_code: str = "",
                  reported_at: datetime, at: datetime) -> ChargingStation | Connector:
    """Store a status; evse 0 is the station itself (1.6 connectorId 0). Older reports never overwrite newer ones."""
    station = _station(station_id)
    station.last_seen = at
    if evse_id == 0:
        if station.status_at is None or reported_at >= station.status_at:
            _announce(station_id, 0, 0, status, station.status, error_code, reported_at)
            station.status, station.error_code, station.status_at = status, error_code, reported_at
        station.save(update_fields=["status", "error_code", "status_at", "last_seen", "updated_at"])
        return station
    station.save(update_fields=["last_seen", "updated_at"])
    reported = {"status": status, "error_code": error_code, "info": info, "vendor_id": vendor_id,
                "vendor_error_code": vendor_error_code, "status_at": reported_at}
    # A station's first report of a connector creates it with the status at once (one INSERT, no UPDATE after).
    connector, created = Connector.objects.get_or_create(
        station=station, evse_id=evse_id, connector_id=connector_id, defaults=reported)
    if created:
        _announce(station_id, evse_id, connector_id, status, "", error_code, reported_at)
    elif connector.status_at is None or reported_at >= connector.status_at:
        _announce(station_id, evse_id, connector_id, status, connector.status, error_code, reported_at)
        for name, value in reported.items():
            setattr(connector, name, value)
        connector.save(update_fields=[*reported, "updated_at"])
    return connector


def _announce(station_id: str, evse_id: int, connector_id: int, status: str, previous: str, error_code: str,
              reported_at: datetime) -> None:
    """station.status_changed, when the status really changes (a repeated report is not news)."""
    if status != previous:
        webhooks.emit(Event.STATION_STATUS_CHANGED, payloads.status_changed(
            station_id, evse_id=evse_id, connector_id=connector_id, status=status, previous=previous,
            error_code=error_code, reported_at=reported_at))
