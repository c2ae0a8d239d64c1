"""Which session did a remote start produce? The link from a RemoteStart / RequestStartTransaction to its session.

2.0.1 says it: the TransactionEvent carries the remoteStartId central put in the request (or the
answer carries the transactionId of a session already running). 1.6 does not: the first start on
the asked connector with the asked idTag within REMOTE_START_WINDOW after the command is taken as its.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from stations.choices import CommandStatus
from stations.models import ChargingStation, Command
from transactions.models import Transaction

REMOTE_START_16, REMOTE_START_201 = "RemoteStartTransaction", "RequestStartTransaction"
# A 1.6 station starts once the driver plugs in (ConnectionTimeOut, typically 30-180 s); generous, since the
# tag and connector must match as well.
REMOTE_START_WINDOW = timedelta(minutes=10)
# Sent but not yet answered counts: the station's StartTransaction may reach central before the node's report.
LIVE = (CommandStatus.SENT, CommandStatus.ACCEPTED)


def transaction_started_by(command: Command) -> Transaction | None:
    """The session a remote start command produced, once central knows it; None until then (or never)."""
    return Transaction.objects.filter(command=command).order_by("pk").first()


def command_for_remote_start_id(station: ChargingStation, remote_start_id: int) -> Command | None:
    """2.0.1: the newest RequestStartTransaction to this station that carried `remote_start_id`."""
    return (Command.objects.filter(station=station, action=REMOTE_START_201, payload__remoteStartId=remote_start_id)
            .order_by("-created_at", "-id").first())


def command_for_start_16(station: ChargingStation, *, evse_id: int | None, id_token_value: str,
                         at: datetime) -> Command | None:
    """1.6: the oldest live RemoteStartTransaction of this tag (and connector, if it named one) in the window
    that has not started a session yet."""
    candidates = (Command.objects.filter(station=station, action=REMOTE_START_16, status__in=LIVE,
                                         created_at__gte=at - REMOTE_START_WINDOW,
                                         started_transactions__isnull=True)
                  .order_by("created_at", "id"))
    for command in candidates:
        asked = command.payload.get("connectorId")
        if command.payload.get("idTag", "").casefold() == id_token_value.casefold() and asked in (None, 0, evse_id):
            return command
    return None


def record_remote_start_answer(command: Command, *, accepted: bool, station_tx_id: str = "") -> Transaction | None:
    """A refused remote start started nothing (undo a link made while it was in flight); an accepted 2.0.1
    answer naming a running session links it. Returns the linked session, if any."""
    if not accepted:
        Transaction.objects.filter(command=command).update(command=None)
        return None
    if station_tx_id:
        Transaction.objects.filter(station_id=command.station_id, station_tx_id=station_tx_id,
                                   command__isnull=True).update(command=command)
    return transaction_started_by(command)
