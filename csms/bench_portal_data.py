"""A realistic portal data set, made fast with bulk_create: for `manage.py bench_portal` and the query-count tests.

`fill()` writes stations (2 connectors each, spread over a map, a third online), id tokens, transactions over the
last 60 days with their energy, and a few meter values. One station, the "focus" one, carries a tenth of the
transactions and the log rows (notifications, commands, connection and OCPP message logs), and its latest
transaction the meter values, so the pages about one station or one session grow with the data like the lists do.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from stations.choices import (
    CommandStatus,
    ConnectionEvent,
    ConnectorStatus,
    MessageDirection,
    MessageKind,
    RefusalReason,
)
from stations.models import ChargingStation, Command, ConnectionLog, Connector, OcppMessage, StationMessage
from transactions.choices import AuthStatus, TokenStatus, TransactionStatus
from transactions.models import IdToken, MeterValue, Transaction

BATCH = 2000
SITES = ["Depot bay", "Office car park", "Supermarket", "Hotel garage", "Motorway services", "Town hall"]
DAYS = 60
CONNECTOR_STATUSES = [ConnectorStatus.AVAILABLE] * 5 + [ConnectorStatus.CHARGING] * 3 + [
    ConnectorStatus.PREPARING, ConnectorStatus.FINISHING, ConnectorStatus.FAULTED, ConnectorStatus.UNAVAILABLE]


@dataclass(frozen=True)
class Filled:
    """What a page benchmark or test needs to name: the focus station and its latest (metered) transaction."""

    station_id: str
    transaction_pk: int
    stations: int
    transactions: int


def fill(*, stations: int, transactions: int, tokens: int | None = None, prefix: str = "BENCH",
         seed: int = 7) -> Filled:
    """Write the data set; `prefix` names the stations and tokens, so several sets can live in one database."""
    rng = random.Random(seed)
    now = timezone.now().replace(microsecond=0)
    tokens = tokens if tokens is not None else max(1, stations // 5)
    logs = max(1, transactions // 10)
    with transaction.atomic():
        station_rows = _stations(rng, now, stations, prefix)
        token_rows = _tokens(rng, now, tokens, prefix)
        focus = station_rows[0]
        tx_rows = _transactions(rng, now, station_rows, token_rows, transactions, focus)
        latest = max((t for t in tx_rows if t.station_id == focus.pk), key=lambda t: t.started_at)
        _meter_values(latest, min(logs, 1000))
        _station_logs(rng, now, focus, logs)
        _refusals(rng, now, max(1, stations // 10), prefix)
    return Filled(station_id=focus.station_id, transaction_pk=latest.pk, stations=stations,
                  transactions=transactions)


def _stations(rng: random.Random, now, count: int, prefix: str) -> list[ChargingStation]:
    rows = []
    for i in range(count):
        online = i % 3 != 2
        version = "1.6" if i % 2 == 0 else "2.0.1"
        seen = now - timedelta(seconds=rng.randint(5, 300) if online else rng.randint(3600, 30 * 86400))
        rows.append(ChargingStation(
            station_id=f"{prefix}-{i:05d}", name=f"{SITES[i % len(SITES)]} {i // len(SITES) + 1}",
            vendor=rng.choice(["Acme", "Volta"]),
            model=rng.choice(["AC-22", "DC-150"]), serial_number=f"SN{i:06d}", firmware_version="1.2.3",
            ocpp_version=version, boot_status="Accepted", last_boot_at=seen - timedelta(days=1), online=online,
            last_seen=seen, conn=f"conn-{i}" if online else "", status=ConnectorStatus.AVAILABLE, status_at=seen,
            latitude=Decimal(f"{47 + rng.random() * 8:.6f}"), longitude=Decimal(f"{5 + rng.random() * 10:.6f}"),
            address=f"{i} Main Street"))
    stations = ChargingStation.objects.bulk_create(rows, batch_size=BATCH)
    connectors = [Connector(station=s, evse_id=evse, connector_id=1, status=rng.choice(CONNECTOR_STATUSES),
                            status_at=s.last_seen) for s in stations for evse in (1, 2)]
    Connector.objects.bulk_create(connectors, batch_size=BATCH)
    return stations


def _tokens(rng: random.Random, now, count: int, prefix: str) -> list[IdToken]:
    statuses = [TokenStatus.ACCEPTED] * 17 + [TokenStatus.BLOCKED, TokenStatus.EXPIRED, TokenStatus.INVALID]
    rows = [IdToken(value=f"{prefix[:4]}{i:08X}", status=rng.choice(statuses), owner=f"Driver {i}",
                    expiry=now + timedelta(days=365) if i % 4 == 0 else None) for i in range(count)]
    return IdToken.objects.bulk_create(rows, batch_size=BATCH)


def _transactions(rng: random.Random, now, stations: list[ChargingStation], tokens: list[IdToken], count: int,
                  focus: ChargingStation) -> list[Transaction]:
    rows = []
    span = DAYS * 86400
    for i in range(count):
        station = focus if i % 10 == 0 else stations[i % len(stations)]
        token = tokens[i % len(tokens)]
        evse = 1 + i % 2
        started = now - timedelta(seconds=rng.randint(600, span))
        minutes = rng.randint(10, 600)
        energy = Decimal(rng.randint(500, 60000))
        meter_start = Decimal(rng.randint(0, 10_000_000))
        ended = started + timedelta(minutes=minutes)
        active = ended > now
        rows.append(Transaction(
            station=station, ocpp_version=station.ocpp_version, evse_id=evse, connector_id=1,
            station_tx_id=str(uuid.uuid4()) if station.ocpp_version == "2.0.1" else "",
            status=TransactionStatus.ACTIVE if active else TransactionStatus.ENDED, id_token=token,
            id_token_value=token.value, id_token_type=token.type, auth_status=AuthStatus.ACCEPTED,
            started_at=started, ended_at=None if active else ended, stop_reason="" if active else "Local",
            meter_start_wh=meter_start, meter_stop_wh=None if active else meter_start + energy,
            first_register_wh=meter_start, first_register_at=started, last_register_wh=meter_start + energy,
            last_register_at=min(ended, now), energy_wh=energy,
            power_w=Decimal(rng.randint(3000, 22000)) if active else None, last_message_at=min(ended, now)))
    return Transaction.objects.bulk_create(rows, batch_size=BATCH)


def _meter_values(tx: Transaction, count: int) -> None:
    """One energy register and one power sample a minute for the focus transaction."""
    rows = []
    for i in range(count):
        at = tx.started_at + timedelta(minutes=i)
        for measurand, unit, value in (("Energy.Active.Import.Register", "Wh", tx.meter_start_wh + 180 * i),
                                       ("Power.Active.Import", "W", Decimal(11000 + (i % 7) * 100))):
            rows.append(MeterValue(station_id=tx.station_id, transaction=tx, evse_id=tx.evse_id, connector_id=1,
                                   timestamp=at, measurand=measurand, unit=unit, value=value, context="Sample.Periodic",
                                   received_at=at))
    MeterValue.objects.bulk_create(rows, batch_size=BATCH)


def _station_logs(rng: random.Random, now, station: ChargingStation, count: int) -> None:
    """The focus station's history: notifications, commands, connects, its OCPP message log; newest minutes ago."""
    version = station.ocpp_version
    messages, commands, connections, log = [], [], [], []
    for i in range(count):
        at = now - timedelta(minutes=7 * i + 1)
        log += [OcppMessage(station=station, conn="conn-0", direction=MessageDirection.IN, kind=MessageKind.CALL,
                            action="Heartbeat", message_id=f"hb{i}", payload={}, at=at),
                OcppMessage(station=station, conn="conn-0", direction=MessageDirection.OUT, kind=MessageKind.RESULT,
                            action="Heartbeat", message_id=f"hb{i}", payload={"currentTime": at.isoformat()}, at=at)]
        messages.append(StationMessage(
            station=station, ocpp_version=version, action="FirmwareStatusNotification", message_id=f"m{i}",
            summary=rng.choice(["Downloading", "Downloaded", "Installing", "Installed"]),
            payload={"status": "Installed"}, station_time=at, received_at=at))
        connections.append(ConnectionLog(
            station=station, station_ident=station.station_id, remote_addr="10.0.0.7", node_id="embedded",
            event=ConnectionEvent.CONNECTED if i % 2 else ConnectionEvent.DISCONNECTED, ocpp_version=version,
            reason="" if i % 2 else "closed by the station", at=at))
        if i % 10 == 0:
            commands.append(Command(
                station=station, ocpp_version=version, action="Reset", payload={"type": "Soft"},
                message_id=str(uuid.uuid4()), requested_by="bench",
                status=CommandStatus.ACCEPTED, sent_at=at, answered_at=at, response={"status": "Accepted"}))
    StationMessage.objects.bulk_create(messages, batch_size=BATCH)
    ConnectionLog.objects.bulk_create(connections, batch_size=BATCH)
    Command.objects.bulk_create(commands, batch_size=BATCH)
    OcppMessage.objects.bulk_create(log, batch_size=BATCH)


def _refusals(rng: random.Random, now, count: int, prefix: str) -> None:
    """Unknown stations knocking: what the refused page lists (a few identities, many attempts)."""
    rows = [ConnectionLog(station=None, station_ident=f"{prefix}-UNKNOWN-{i % max(1, count // 10)}",
                          event=ConnectionEvent.REFUSED, reason=RefusalReason.UNKNOWN_STATION,
                          remote_addr=f"10.1.{i % 250}.{i % 200}", node_id="embedded", subprotocols="ocpp1.6",
                          at=now - timedelta(minutes=rng.randint(1, DAYS * 1440))) for i in range(count)]
    ConnectionLog.objects.bulk_create(rows, batch_size=BATCH)



@dataclass(frozen=True)
class Page:
    """A portal page a user reads (GET): its URL name, the arguments it needs from a filled set, its query."""

    url_name: str
    kwargs: Callable[[Filled], dict] = lambda f: {}
    query: str = ""
    operator_only: bool = False


def _station(f: Filled) -> dict:
    return {"station_id": f.station_id}


def _session(f: Filled) -> dict:
    return {"pk": f.transaction_pk}


# Every page and live fragment the portal serves to a reader, by a short label.
PAGES: dict[str, Page] = {
    "dashboard": Page("dashboard"),
    "dashboard_live": Page("dashboard", query="fragment=live"),
    "station_map": Page("station_map"),
    "station_map_data": Page("station_map_data"),
    "station_list": Page("station_list"),
    "station_list_table": Page("station_list", query="fragment=table"),
    "station_detail": Page("station_detail", _station),
    "station_live": Page("station_live", _station),
    "station_timeline": Page("station_timeline", _station),
    "station_messages": Page("station_messages", _station),
    "refused_list": Page("refused_list"),
    "transaction_list": Page("transaction_list"),
    "transaction_detail": Page("transaction_detail", _session),
    "transaction_live": Page("transaction_live", _session),
    "transaction_export": Page("transaction_export"),
    "token_list": Page("token_list"),
    "token_create": Page("token_create", operator_only=True),
}


def page_url(page: Page, filled: Filled) -> str:
    from django.urls import reverse

    url = reverse(page.url_name, kwargs=page.kwargs(filled))
    return f"{url}?{page.query}" if page.query else url
