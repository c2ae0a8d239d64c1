"""The OCPP message log: every CALL, CALLRESULT and CALLERROR on a station's socket, both ways, for the portal.

Written on the hot path, so cheaply: a batch's CALLs and central's replies are one bulk insert inside the
batch's transaction (csms.dispatch); a command's CALL is stored when it is sent and the station's answer
when the node reports it (stations/services/commands.py). Messages of a station central does not know are not
logged (there is no row to hang them on). Old rows go in bounded batches (`prune_messages`, a periodic job).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from csms.envelope import Envelope
from stations.choices import MessageDirection, MessageKind
from stations.models import ChargingStation, Command, OcppMessage


def _parse(at: str) -> datetime:
    return datetime.fromisoformat(at)


def _error_code(kind: str, payload: dict[str, Any]) -> str:
    return str(payload.get("code", ""))[:32] if kind == MessageKind.ERROR else ""


def record_exchange(*, call: Envelope, reply: Envelope | None) -> list[OcppMessage]:
    """Log a station's CALL and central's reply to it (a `result` or `error` envelope): one insert."""
    return record_exchanges([(call, reply)])


def record_exchanges(exchanges: list[tuple[Envelope, Envelope | None]]) -> list[OcppMessage]:
    """Log a batch's CALLs and replies: one query for the stations and one insert, however many messages."""
    if not exchanges:
        return []
    station_ids = {call.station for call, _ in exchanges}
    pks = dict(ChargingStation.objects.filter(station_id__in=station_ids).values_list("station_id", "pk"))
    rows = []
    for call, reply in exchanges:
        station_pk = pks.get(call.station)
        if station_pk is None:
            continue
        rows.append(OcppMessage(station_id=station_pk, conn=call.conn, direction=MessageDirection.IN,
                                kind=MessageKind.CALL, action=call.action[:48], message_id=call.id[:36],
                                payload=call.payload, at=_parse(call.at)))
        if reply is not None:
            rows.append(OcppMessage(station_id=station_pk, conn=reply.conn, direction=MessageDirection.OUT,
                                    kind=reply.kind, action=call.action[:48], message_id=reply.id[:36],
                                    payload=reply.payload, error_code=_error_code(reply.kind, reply.payload),
                                    at=_parse(reply.at)))
    return OcppMessage.objects.bulk_create(rows)


def record_command_sent(*, command: Command, at: datetime) -> OcppMessage:
    """Log the CALL of an operator's command as it leaves for the station; a new station password never is."""
    from stations.services import security  # security reads the message log too

    payload = security.redacted(command) if security.sets_password(command) else command.payload
    return OcppMessage.objects.create(station_id=command.station_id, conn=command.conn,
                                      direction=MessageDirection.OUT, kind=MessageKind.CALL, action=command.action,
                                      message_id=command.message_id, payload=payload, at=at)


def record_command_answer(*, command: Command, kind: str, payload: dict[str, Any] | None,
                          at: datetime) -> OcppMessage:
    """Log the station's CALLRESULT (`kind` result) or CALLERROR (`kind` error) to a command."""
    payload = payload if isinstance(payload, dict) else {}
    return OcppMessage.objects.create(station_id=command.station_id, conn=command.conn,
                                      direction=MessageDirection.IN, kind=kind, action=command.action,
                                      message_id=command.message_id, payload=payload,
                                      error_code=_error_code(kind, payload), at=at)


def prune_messages(*, before: datetime, batch_size: int) -> int:
    """Delete up to `batch_size` of the oldest rows older than `before`; returns how many went.

    One bounded batch per call, so each transaction (and its locks) stays short; the caller loops.
    """
    ids = list(OcppMessage.objects.filter(at__lt=before).order_by("at").values_list("pk", flat=True)[:batch_size])
    if not ids:
        return 0
    deleted, _ = OcppMessage.objects.filter(pk__in=ids).delete()
    return deleted
