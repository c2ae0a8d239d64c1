"""Operator -> station commands: issue one, route it to the node holding the station, store the answer.

One path for the admin, the portal, the API and `manage.py send_command`: `issue_command` validates the
request against the station's OCPP version, stores a Command and, once committed, hands it to the node
that owns the station's socket (direct routing by node id). The node sends the CALL, matches the answer
by message id and reports a `command_result` envelope (stations/ocpp/commands.py), which lands in
`record_command_result`. A station that is offline fails the command at once, or the command waits
queued until `expires_at` and goes out when the station connects again.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audited
from csms import bus, router
from csms.actions import COMMAND_ACTIONS
from csms.envelope import Envelope, error_payload
from csms.exceptions import InvalidCommand
from node import rpc, schemas
from stations.choices import CommandStatus, MessageKind
from stations.models import ChargingStation, Command
from stations.services import message_log
from webhooks import payloads
from webhooks import services as webhooks
from webhooks.choices import Event

# A station's answer whose `status` is one of these is a yes; any other status is a no (Rejected,
# NotSupported, UnknownConnector, ...). Answers without a status (GetConfiguration, GetVariables...)
# are read as accepted: the station did what was asked, and the result is in the answer.
ACCEPTING = frozenset({"Accepted", "Scheduled", "RebootRequired", "Unlocked", "AcceptedCanceled", "Downloaded",
                       "Installed", "Uploaded", "Idle"})
POLL_SECONDS = 0.1


@audited(target_type="station", target="station_id", station="station_id", skip=("at", "station_id", "requested_by"))
def issue_command(*, station_id: str, action: str, payload: dict[str, Any], requested_by: str = "",
                  queue_for: timedelta | None = None, at: datetime | None = None) -> Command:
    """Validate and store a command for the station, and send it (after commit) if the station is online.

    Offline: with `queue_for` it waits that long for the station to come back, else it is failed at once
    (status station_offline). Raises InvalidCommand naming the field at fault.
    """
    at = at or timezone.now()
    station = ChargingStation.objects.select_for_update().filter(station_id=station_id).first()
    if station is None:
        raise InvalidCommand(f"no station {station_id!r}", field="station")
    version = station.ocpp_version
    if not version:
        raise InvalidCommand(f"station {station_id} never connected: its OCPP version is not known yet",
                             field="station")
    if action not in COMMAND_ACTIONS[version]:
        raise InvalidCommand(f"{action!r} is not an operation an OCPP {version} CSMS sends", field="action")
    if not isinstance(payload, dict):
        raise InvalidCommand("parameters must be a JSON object", field="payload")
    try:
        schemas.validate(version, action, payload)
    except rpc.RpcError as exc:
        raise InvalidCommand(f"{action} {version}: {exc.description}", field="payload") from None
    command = Command.objects.create(station=station, ocpp_version=version, action=action, payload=payload,
                                     message_id=str(uuid.uuid4()), requested_by=requested_by[:150])
    if _reachable(station) and bus.reaches_nodes():
        _send(command, station, at)
    elif _reachable(station):
        # Embedded, issued outside the server process (a management command): the server picks it up
        # (send_waiting_commands) within a second; it expires if no server runs.
        command.expires_at = at + max(queue_for or timedelta(0), timedelta(seconds=settings.OCPP_CALL_TIMEOUT))
        command.save(update_fields=["expires_at"])
    elif queue_for is not None and queue_for > timedelta(0):
        command.expires_at = at + queue_for
        command.save(update_fields=["expires_at"])
    else:
        _finish(command, CommandStatus.STATION_OFFLINE, at, description="station is offline")
    return command


def _reachable(station: ChargingStation) -> bool:
    return bool(station.online and station.node_id and station.conn)


def _send(command: Command, station: ChargingStation, at: datetime) -> None:
    node_id = station.node.node_id
    command.status, command.sent_at, command.node_id, command.conn = CommandStatus.SENT, at, node_id, station.conn
    command.save(update_fields=["status", "sent_at", "node_id", "conn"])
    message_log.record_command_sent(command=command, at=at)
    envelope = Envelope(kind="command", station=station.station_id, node=node_id, conn=station.conn,
                        ocpp=command.ocpp_version, id=command.message_id, action=command.action,
                        payload=command.payload)
    transaction.on_commit(lambda: bus.publish_to_node(node_id, envelope))


def _finish(command: Command, status: CommandStatus, at: datetime, *, code: str = "", description: str = "",
            response: dict | None = None) -> None:
    command.status, command.answered_at = status, at
    command.error_code, command.error_description = code[:32], description[:255]
    if response is not None:
        command.response = response
    command.save(update_fields=["status", "answered_at", "error_code", "error_description", "response"])


def record_command_result(*, message_id: str, outcome: str, response: dict | None = None, code: str = "",
                          description: str = "", at: datetime) -> Command | None:
    """Store what became of a command the node tried to deliver; a late or repeated report changes nothing.

    outcome: "result" (CALLRESULT, schema-valid), "invalid" (CALLRESULT the schema refuses), "error"
    (CALLERROR), "timeout" (no answer in time), "offline" (the socket was gone).
    """
    # Lock order as everywhere: the station row, then the command. Session messages lock the station first
    # and may then read the command (remote-start links); taking the command first deadlocked with them.
    station_pk = Command.objects.filter(message_id=message_id).values_list("station_id", flat=True).first()
    if station_pk is None:
        return None
    ChargingStation.objects.select_for_update().filter(pk=station_pk).values_list("pk", flat=True).first()
    command = Command.objects.select_for_update().filter(message_id=message_id).first()
    if command is None or command.final:
        return command
    if outcome in ("result", "invalid", "error"):  # the station answered (timeout / offline: it did not)
        message_log.record_command_answer(
            command=command, kind=MessageKind.ERROR if outcome == "error" else MessageKind.RESULT, at=at,
            payload=error_payload(code, description) if outcome == "error" else response)
    if outcome == "result":
        status = response.get("status") if isinstance(response, dict) else None
        accepted = status is None or status in ACCEPTING
        _finish(command, CommandStatus.ACCEPTED if accepted else CommandStatus.REJECTED, at, response=response,
                description="" if accepted else str(status))
        effect = router.answer_effect(command.ocpp_version, command.action)
        if effect is not None:
            effect(command, response or {})
    elif outcome == "invalid":
        _finish(command, CommandStatus.FAILED, at, code="InvalidAnswer", description=description, response=response)
    elif outcome == "error":
        _finish(command, CommandStatus.FAILED, at, code=code or "GenericError", description=description)
    elif outcome == "timeout":
        _finish(command, CommandStatus.TIMED_OUT, at, description=description or "the station did not answer")
    elif command.expires_at and command.expires_at > at:  # offline, but queued: wait for the station again
        command.status = CommandStatus.PENDING
        command.save(update_fields=["status"])
    else:
        _finish(command, CommandStatus.STATION_OFFLINE, at, description=description or "station is offline")
    if command.final:  # answered, refused, failed or timed out; a command queued again is not news yet
        webhooks.emit(Event.COMMAND_ANSWERED, lambda: payloads.command(command))
    return command


def send_queued_commands(*, station_id: str, at: datetime, station: ChargingStation | None = None) -> list[Command]:
    """The station is back: send what waits for it (oldest first) and expire what waited too long.

    `station`: the row, already locked by the caller with its node set (admission), saving a query per connect.
    """
    if station is None:
        station = ChargingStation.objects.select_for_update(of=("self",)).select_related("node").get(
            station_id=station_id)
    sent = []
    for command in Command.objects.select_for_update().filter(
            station=station, status=CommandStatus.PENDING, expires_at__isnull=False).order_by("created_at", "id"):
        if command.expires_at <= at:
            _finish(command, CommandStatus.EXPIRED, at, description="station did not come back in time")
        elif _reachable(station):
            _send(command, station, at)
            sent.append(command)
    return sent


def send_waiting_commands(*, at: datetime) -> int:
    """Embedded server: send the commands other processes queued for stations that are online here."""
    station_ids = set(Command.objects.filter(status=CommandStatus.PENDING, expires_at__isnull=False,
                                             station__online=True).values_list("station__station_id", flat=True))
    return sum(len(send_queued_commands(station_id=station_id, at=at)) for station_id in sorted(station_ids))


def expire_commands(*, now: datetime, answer_timeout: timedelta) -> dict[str, int]:
    """Periodic: queued commands past their time expire; sent ones nobody reported on (a node died) time out."""
    expired = Command.objects.filter(status=CommandStatus.PENDING, expires_at__lte=now).update(
        status=CommandStatus.EXPIRED, answered_at=now, error_description="station did not come back in time")
    timed_out = Command.objects.filter(status=CommandStatus.SENT, sent_at__lte=now - answer_timeout).update(
        status=CommandStatus.TIMED_OUT, answered_at=now, error_description="no answer reported in time")
    return {"expired": expired, "timed_out": timed_out}


def wait_for_command(command_id: int, *, timeout: float) -> Command:
    """Poll until the command is final or `timeout` seconds passed; call outside any transaction."""
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        command = Command.objects.get(pk=command_id)
        if command.final or time.monotonic() >= deadline:
            return command
        time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
