"""The OCPP message log: every CALL, CALLRESULT and CALLERROR on a station's socket, both ways, for the portal.

Written on the hot path, so cheaply: a batch's CALLs and central's replies are one bulk insert inside the
batch's transaction (csms.dispatch); a command's CALL is stored when it is sent and the station's answer
when the node reports it (stations/services/commands.py). Messages of a station central does not know are not
logged (there is no row to hang them on). Old rows go in bounded batches (`prune_messages`, a periodic job).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.db import connections, router

from csms import pgsql
from csms.envelope import Envelope
from stations.choices import MessageDirection, MessageKind
from stations.models import Command, OcppMessage
from stations.services.locks import station_pks

COLUMNS = ("station_id", "conn", "direction", "kind", "action", "message_id", "payload", "error_code", "at")


def _parse(at: str) -> datetime:
    return datetime.fromisoformat(at)


def _error_code(kind: str, payload: dict[str, Any]) -> str:
    return str(payload.get("code", ""))[:32] if kind == MessageKind.ERROR else ""


def record_exchanges(exchanges: list[tuple[Envelope, Envelope | None]]) -> int:
    """Log a batch's CALLs and replies with one insert (on PostgreSQL a COPY), however many; how many rows."""
    pks = station_pks(call.station for call, _ in exchanges)
    rows = []
    for call, reply in exchanges:
        station_pk = pks.get(call.station)
        if station_pk is None:
            continue
        action = call.action[:48]
        rows.append((station_pk, call.conn, MessageDirection.IN, MessageKind.CALL, action, call.id[:36],
                     call.payload, "", _parse(call.at)))
        if reply is not None:
            rows.append((station_pk, reply.conn, MessageDirection.OUT, reply.kind, action, reply.id[:36],
                         reply.payload, _error_code(reply.kind, reply.payload), _parse(reply.at)))
    if not rows:
        return 0
    connection = connections[router.db_for_write(OcppMessage)]
    if connection.vendor != "postgresql":
        OcppMessage.objects.bulk_create([OcppMessage(**dict(zip(COLUMNS, row, strict=True))) for row in rows])
        return len(rows)
    # COPY: no SQL to build and no value quoted into it; the batch's hot path writes two rows per message here.
    columns = ", ".join(OcppMessage._meta.get_field(name).column for name in COLUMNS)
    statement = f"COPY {OcppMessage._meta.db_table} ({columns}) FROM STDIN"
    pgsql.copy_rows(connection, statement, ((*row[:6], json.dumps(row[6], ensure_ascii=False), *row[7:])
                                            for row in rows))
    return len(rows)


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
