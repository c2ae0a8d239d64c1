"""Notifications a station sends about itself that have no table of their own, kept whole as StationMessage rows.

Firmware and diagnostics / log upload progress is also kept on the station, where an operator looks first,
with the command it belongs to (`firmware_command`, `diagnostics_command`): set when the station accepts
the command, and moved to the command with the notification's requestId when it carries one.
Every function locks the station row before it writes, so two workers handling a re-sent message one after
the other see each other's row. Lock order: a command (record_command_result), then its station.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from csms.exceptions import UnknownStation
from stations.choices import FirmwareStatus, UploadStatus
from stations.models import ChargingStation, Command, StationMessage

SUMMARY_LENGTH = StationMessage._meta.get_field("summary").max_length
# A re-send is compared with this many earlier messages of the same id: enough for retries, bounded for
# stations that restart their message ids at 1 on every boot.
_RESEND_WINDOW = 10
# The commands whose progress firmware / upload status notifications report.
FIRMWARE_ACTIONS = ("UpdateFirmware", "SignedUpdateFirmware")
UPLOAD_ACTIONS = ("GetDiagnostics", "GetLog")


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
    return _record_progress(notification, status, "firmware", FIRMWARE_ACTIONS)


def record_upload_status(*, notification: Notification, status: UploadStatus) -> ChargingStation:
    """Store a diagnostics (1.6) or log upload status and keep it on the station (older never overwrites newer)."""
    return _record_progress(notification, status, "diagnostics", UPLOAD_ACTIONS)


def _record_progress(notification: Notification, status: str, kind: str, actions) -> ChargingStation:
    """The station's `<kind>_status`, `_status_at` and `_command` follow the newest notification of that kind.

    Neither version timestamps these statuses: the order central received them in is the order they happened.
    """
    station = locked_station(notification.station_id)
    store_message(station, notification)
    at = notification.received_at
    status_field, at_field, command_field = f"{kind}_status", f"{kind}_status_at", f"{kind}_command"
    if getattr(station, at_field) is None or at >= getattr(station, at_field):
        setattr(station, status_field, status)
        setattr(station, at_field, at)
        setattr(station, command_field, _command_of(station, actions, notification, getattr(station, command_field)))
        station.save(update_fields=[status_field, at_field, command_field, "updated_at"])
    return station


def follow_command(*, command: Command) -> ChargingStation:
    """The station accepted a firmware update or an upload request: the statuses it sends next belong to it."""
    if command.action not in FIRMWARE_ACTIONS + UPLOAD_ACTIONS:
        raise ValueError(f"{command.action} reports no firmware or upload status")
    field = "firmware_command" if command.action in FIRMWARE_ACTIONS else "diagnostics_command"
    station = ChargingStation.objects.select_for_update().get(pk=command.station_id)
    setattr(station, field, command)
    station.save(update_fields=[field, "updated_at"])
    return station


def _command_of(station: ChargingStation, actions: tuple[str, ...], notification: Notification,
                current: Command | None) -> Command | None:
    """The command a status belongs to: the one with the notification's requestId, else the one followed so far.

    requestId has the same name in 1.6 (signed firmware, GetLog) and 2.0.1; plain 1.6 notifications have none.
    A requestId no command of ours carries (another system's request) belongs to no command.
    """
    request_id = notification.payload.get("requestId")
    if request_id is None:
        return current
    if current is not None and current.payload.get("requestId") == request_id:
        return current
    return (Command.objects.filter(station=station, action__in=actions, payload__requestId=request_id)
            .order_by("-created_at", "-id").first())


def store_message(station: ChargingStation, notification: Notification) -> StationMessage:
    """Store `notification` for `station`, which the caller has locked; shared with the DataTransfer service."""
    return store_new_message(station, notification)[0]


def store_new_message(station: ChargingStation, notification: Notification) -> tuple[StationMessage, bool]:
    """store_message, also saying whether the message is new (False: a re-send of one already stored)."""
    n = notification
    earlier = StationMessage.objects.filter(station=station, action=n.action, message_id=n.message_id)
    for message in earlier.order_by("-received_at", "-id")[:_RESEND_WINDOW]:
        if message.payload == n.payload:
            return message, False
    if station.last_seen is None or n.received_at > station.last_seen:
        station.last_seen = n.received_at
        station.save(update_fields=["last_seen", "updated_at"])
    return StationMessage.objects.create(
        station=station, ocpp_version=n.ocpp_version, action=n.action, message_id=n.message_id,
        summary=clip(n.summary), payload=n.payload, station_time=n.station_time, received_at=n.received_at), True


def clip(text: str, limit: int = SUMMARY_LENGTH) -> str:
    """A summary cut to fit its column: station input (tech info, vendor ids) may be long."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def locked_station(station_id: str) -> ChargingStation:
    """The station row, locked until the transaction ends; UnknownStation when it is not provisioned."""
    try:
        return ChargingStation.objects.select_for_update().get(station_id=station_id)
    except ChargingStation.DoesNotExist:
        raise UnknownStation(f"station {station_id!r} is not provisioned") from None
