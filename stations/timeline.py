"""A station's story in one list (connections, boots, statuses, errors, sessions, commands, data-quality notes),
and plain-language hints where the data shows a pattern an operator should act on.

Each hint rule is a plain function of plain data (`reconnecting`, `clock_skew`, `stuck_faulted`,
`unended_sessions`, `offline_since`), so it is tested alone; `station_hints` fetches what they need with a
fixed number of queries. `station_timeline` reads each source bounded (window and count) and merges them.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from stations.choices import (
    CommandStatus,
    ConnectionEvent,
    ConnectorStatus,
    MessageDirection,
    MessageKind,
    RefusalReason,
)
from stations.models import ChargingStation, Command, ConnectionLog, Connector, OcppMessage
from transactions.choices import TransactionStatus
from transactions.models import DataQualityNote, Transaction

RECONNECTS_PER_HOUR = 4  # this many connects in the last hour is a connection that keeps dropping
CLOCK_SKEW = timedelta(minutes=2)
FAULTED_FOR = timedelta(hours=1)
SESSION_TOO_LONG = timedelta(hours=24)
# Station CALLs that carry the station's own clock in a top-level `timestamp`.
TIMESTAMPED = ("StatusNotification", "StartTransaction", "StopTransaction", "TransactionEvent",
               "SecurityEventNotification", "NotifyEvent")
CLOCK_SAMPLES = 20
TIMELINE_DAYS = 7
TIMELINE_LIMIT = 500
HINTED_SESSIONS = 10  # sessions named in hints, oldest first
TX_URL = "transaction_detail"


@dataclass(frozen=True)
class Hint:
    """Something the data suggests, in the operator's words; `rule` names the rule that found it."""

    rule: str
    text: str


@dataclass(frozen=True)
class Event:
    """One line of the timeline; `level` is "" (plain), "warn" or "bad"; `url` links to the detail, if any."""

    at: datetime
    kind: str
    text: str
    level: str = ""
    url: str = ""


# Hint rules: plain data in, a hint (or none) out.


def reconnecting(connects: list[datetime], *, now: datetime) -> Hint | None:
    """Connected RECONNECTS_PER_HOUR times or more in the last hour."""
    count = sum(1 for at in connects if at > now - timedelta(hours=1))
    if count < RECONNECTS_PER_HOUR:
        return None
    return Hint("reconnecting", f"The station connected {count} times in the last hour: its connection keeps "
                                "dropping. Check its network (mobile signal), its power, and that its WebSocket "
                                "ping interval is shorter than any proxy's idle timeout.")


def clock_skew(samples: list[tuple[datetime, datetime]]) -> Hint | None:
    """(station's timestamp, central's receipt time) pairs; the median difference beyond CLOCK_SKEW."""
    if not samples:
        return None
    skew = timedelta(seconds=statistics.median((station - received).total_seconds() for station, received in samples))
    if abs(skew) <= CLOCK_SKEW:
        return None
    way = "ahead of" if skew > timedelta(0) else "behind"
    return Hint("clock_skew", f"The station's clock is about {_duration(abs(skew))} {way} central's: the times in "
                              "its messages (sessions, meter values, statuses) are off by as much. Check its time "
                              "source (NTP) or set its clock.")


def stuck_faulted(connectors: list[tuple[str, str, datetime | None]], *, now: datetime) -> list[Hint]:
    """(label, status, since) of each connector (and the station itself); Faulted for longer than FAULTED_FOR."""
    return [Hint("stuck_faulted", f"{label} has been Faulted since {_when(since)} ({_duration(now - since)}): it "
                                  "did not recover by itself. Look at its error code; a reset or a site visit may "
                                  "be needed.")
            for label, status, since in connectors
            if status == ConnectorStatus.FAULTED and since is not None and now - since > FAULTED_FOR]


def unended_sessions(sessions: list[Transaction], *, now: datetime) -> list[Hint]:
    """Active sessions that are flagged stale, or started more than SESSION_TOO_LONG ago."""
    hints = []
    for session in sessions:
        if session.status != TransactionStatus.ACTIVE:
            continue
        if session.stale:
            why = "no message about it arrived for a long time"
        elif session.started_at and now - session.started_at > SESSION_TOO_LONG:
            why = f"it started {_duration(now - session.started_at)} ago"
        else:
            continue
        hints.append(Hint("unended_session", f"Session #{session.pk} never ended: {why}. The station may have lost "
                                             "its stop; ask it (Trigger status / GetTransactionStatus) or close the "
                                             "session by hand."))
    return hints


def offline_since(*, online: bool, last_seen: datetime | None, now: datetime) -> Hint | None:
    """Offline, after having been seen."""
    if online or last_seen is None:
        return None
    return Hint("offline", f"Offline since {_when(last_seen)} ({_duration(now - last_seen)} ago). Commands to it "
                           "fail unless queued.")


def station_hints(station: ChargingStation, *, now: datetime | None = None) -> list[Hint]:
    """Every hint for the station; a fixed number of queries."""
    now = now or timezone.now()
    connects = list(ConnectionLog.objects.filter(station=station, event=ConnectionEvent.CONNECTED,
                                                 at__gt=now - timedelta(hours=1)).values_list("at", flat=True))
    messages = (OcppMessage.objects.filter(station=station, direction=MessageDirection.IN, kind=MessageKind.CALL,
                                           action__in=TIMESTAMPED)
                .order_by("-at", "-id").values_list("payload", "at")[:CLOCK_SAMPLES])
    connectors = [(f"Connector {c.evse_id}/{c.connector_id}", c.status, c.status_at)
                  for c in Connector.objects.filter(station=station)]
    connectors.insert(0, ("The station", station.status, station.status_at))
    # Only the candidates, and a few: a station with thousands of sessions must not load them all.
    sessions = list(Transaction.objects.filter(station=station, status=TransactionStatus.ACTIVE).filter(
        Q(stale=True) | Q(started_at__lt=now - SESSION_TOO_LONG)).order_by("started_at")[:HINTED_SESSIONS])
    hints = [reconnecting(connects, now=now), clock_skew(clock_samples(messages)),
             *stuck_faulted(connectors, now=now), *unended_sessions(sessions, now=now),
             offline_since(online=station.online, last_seen=station.last_seen, now=now)]
    return [hint for hint in hints if hint is not None]


def clock_samples(messages) -> list[tuple[datetime, datetime]]:
    """(station time, receipt time) from logged payloads; messages sent late on purpose (offline) are left out."""
    samples = []
    for payload, received in messages:
        if not isinstance(payload, dict) or payload.get("offline"):
            continue
        try:
            stamp = datetime.fromisoformat(str(payload.get("timestamp")))
        except ValueError:
            continue
        if stamp.tzinfo is not None:
            samples.append((stamp, received))
    return samples


# The timeline


def station_timeline(station: ChargingStation, *, since: datetime, limit: int = TIMELINE_LIMIT) -> list[Event]:
    """Everything about the station since `since`, newest first, at most `limit` events (one query per source)."""
    events: list[Event] = []
    for row in ConnectionLog.objects.filter(station=station, at__gte=since)[:limit]:
        events.append(_connection_event(row))
    messages = (OcppMessage.objects.filter(station=station, at__gte=since)
                .filter(_interesting_messages()).order_by("-at", "-id")[:limit])
    events += [_message_event(m) for m in messages]
    for tx in Transaction.objects.filter(station=station, started_at__gte=since).order_by("-started_at")[:limit]:
        url = reverse(TX_URL, args=[tx.pk])
        who = f" with token {tx.id_token_value}" if tx.id_token_value else ""
        events.append(Event(tx.started_at, "session", f"Session #{tx.pk} started on EVSE {tx.evse_id or '?'}{who}",
                            url=url))
    for tx in Transaction.objects.filter(station=station, ended_at__gte=since).order_by("-ended_at")[:limit]:
        energy = f", {_kwh(tx.energy_wh)} kWh" if tx.energy_wh is not None else ""
        reason = f" ({tx.stop_reason})" if tx.stop_reason else ""
        events.append(Event(tx.ended_at, "session", f"Session #{tx.pk} ended{reason}{energy}",
                            url=reverse(TX_URL, args=[tx.pk])))
    for command in Command.objects.filter(station=station, created_at__gte=since)[:limit]:
        by = f" by {command.requested_by}" if command.requested_by else ""
        events.append(Event(command.created_at, "command", f"Command {command.action}{by}"))
        if command.answered_at:
            detail = ": ".join(p for p in (command.error_code, command.error_description) if p)
            level = "" if command.status == CommandStatus.ACCEPTED else "bad"
            events.append(Event(command.answered_at, "answer",
                                f"{command.action}: {command.get_status_display()}"
                                + (f" ({detail})" if detail else ""), level=level))
    for note in DataQualityNote.objects.filter(station=station, at__gte=since)[:limit]:
        url = reverse(TX_URL, args=[note.transaction_id]) if note.transaction_id else ""
        events.append(Event(note.at, "data quality", f"{note.get_kind_display()}: {note.detail}", level="warn",
                            url=url))
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:limit]


def _interesting_messages() -> Q:
    station_call = Q(direction=MessageDirection.IN, kind=MessageKind.CALL)
    return (station_call & Q(action__in=("BootNotification", "StatusNotification"))) | Q(kind=MessageKind.ERROR)


def _connection_event(row: ConnectionLog) -> Event:
    where = f" from {row.remote_addr}" if row.remote_addr else ""
    if row.event == ConnectionEvent.CONNECTED:
        return Event(row.at, "connect", f"Connected{where} (OCPP {row.ocpp_version or '?'})")
    if row.event == ConnectionEvent.REFUSED:
        return Event(row.at, "refused", f"Connection refused{where}: {_reason(row.reason)}", level="bad")
    label = "Replaced by a newer connection" if row.event == ConnectionEvent.REPLACED else "Disconnected"
    return Event(row.at, "disconnect", label + (f": {row.reason}" if row.reason else ""), level="warn")


def _reason(reason: str) -> str:
    return dict(RefusalReason.choices).get(reason, reason or "no reason given")


def _message_event(m: OcppMessage) -> Event:
    p: dict[str, Any] = m.payload if isinstance(m.payload, dict) else {}
    if m.kind == MessageKind.ERROR:
        who = "The station" if m.direction == MessageDirection.IN else "Central"
        return Event(m.at, "error", f"{who} answered {m.action or 'a message'} with CALLERROR {m.error_code}"
                                    + (f": {p.get('description')}" if p.get("description") else ""), level="bad")
    if m.action == "BootNotification":
        station = p.get("chargingStation") or {}
        vendor = p.get("chargePointVendor") or station.get("vendorName") or "?"
        model = p.get("chargePointModel") or station.get("model") or "?"
        reason = f", reason {p['reason']}" if p.get("reason") else ""
        return Event(m.at, "boot", f"Boot: {vendor} {model}{reason}")
    status = p.get("status") or p.get("connectorStatus") or "?"
    if "evseId" in p:
        where = f"EVSE {p.get('evseId')}/{p.get('connectorId')}"
    else:
        where = "The station" if p.get("connectorId") == 0 else f"Connector {p.get('connectorId')}"
    error = p.get("errorCode")
    text = f"{where}: {status}" + (f" ({error})" if error and error != "NoError" else "")
    return Event(m.at, "status", text, level="bad" if status == ConnectorStatus.FAULTED else "")


def _kwh(wh: Decimal) -> str:
    return f"{wh / 1000:.3f}"


def _when(at: datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _duration(delta: timedelta) -> str:
    seconds = int(abs(delta).total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
