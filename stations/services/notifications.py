"""Notifications a station sends about itself that have no table of their own, kept whole as StationMessage rows.

Firmware and diagnostics / log upload progress is also kept on the station, where an operator looks first.
Every function locks the station row before it writes (the only lock taken), so two workers handling a
re-sent message one after the other see each other's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from csms.exceptions import UnknownStation
from stations.choices import FirmwareStatus, UploadStatus
from stations.models import ChargingStation, StationMessage

SUMMARY_LENGTH = StationMessage._meta.get_field("summary").max_length
# A re-send is compared with this many earlier messages of the same id: enough for retries, bounded for
# stations that restart their message ids at 1 on every boot.
_RESEND_WINDOW = 10


@dataclass(frozen=True)
class Notification:
    """One station CALL to keep whole: who sent it, in which protocol, its gist and the station's own time."""

    station_id: str
    ocpp_version: str
    action: str
    message_id: str
    payload: dict[str, Any]
    received_at: datetime
    summary: str = ""
    station_time: datetime | None = None


def record_station_message(*, notification: Notification) -> StationMessage:
    """Store a notification; a re-send (same action, message id and payload) returns the row already stored."""
    return store_message(locked_station(notification.station_id), notification)


def record_firmware_status(*, notification: Notification, status: FirmwareStatus) -> ChargingStation:
    """Store a firmware status notification and keep the status on the station (older never overwrites newer)."""
    station = locked_station(notification.station_id)
    store_message(station, notification)
    at = notification.received_at
    # Neither version timestamps firmware statuses: the order central received them in is the order they happened.
    if station.firmware_status_at is None or at >= station.firmware_status_at:
        station.firmware_status, station.firmware_status_at = status, at
        station.save(update_fields=["firmware_status", "firmware_status_at", "updated_at"])
    return station


def record_upload_status(*, notification: Notification, status: UploadStatus) -> ChargingStation:
    """Store a diagnostics (1.6) or log upload status and keep it on the station (older never overwrites newer)."""
    station = locked_station(notification.station_id)
    store_message(station, notification)
    at = notification.received_at
    if station.diagnostics_status_at is None or at >= station.diagnostics_status_at:
        station.diagnostics_status, station.diagnostics_status_at = status, at
        station.save(update_fields=["diagnostics_status", "diagnostics_status_at", "updated_at"])
    return station


def store_message(station: ChargingStation, notification: Notification) -> StationMessage:
    """Store `notification` for `station`, which the caller has locked; shared with the DataTransfer service."""
    n = notification
    earlier = StationMessage.objects.filter(station=station, action=n.action, message_id=n.message_id)
    for message in earlier.order_by("-received_at", "-id")[:_RESEND_WINDOW]:
        if message.payload == n.payload:
            return message
    if station.last_seen is None or n.received_at > station.last_seen:
        station.last_seen = n.received_at
        station.save(update_fields=["last_seen", "updated_at"])
    return StationMessage.objects.create(
        station=station, ocpp_version=n.ocpp_version, action=n.action, message_id=n.message_id,
        summary=clip(n.summary), payload=n.payload, station_time=n.station_time, received_at=n.received_at)


def clip(text: str, limit: int = SUMMARY_LENGTH) -> str:
    """A summary cut to fit its column: station input (tech info, vendor ids) may be long."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def locked_station(station_id: str) -> ChargingStation:
    """The station row, locked until the transaction ends; UnknownStation when it is not provisioned."""
    try:
        return ChargingStation.objects.select_for_update().get(station_id=station_id)
    except ChargingStation.DoesNotExist:
        raise UnknownStation(f"station {station_id!r} is not provisioned") from None
