"""Data-quality notes: what was odd about a station's transaction messages, kept for the operator.

A note never changes the answer to the station: the message is stored and confirmed as usual.
"""

from __future__ import annotations

from datetime import datetime

from stations.models import ChargingStation
from transactions.choices import NoteKind
from transactions.models import DataQualityNote, Transaction

DETAIL_LENGTH = DataQualityNote._meta.get_field("detail").max_length


def add_note(*, station: ChargingStation, transaction: Transaction | None, kind: NoteKind, detail: str,
             at: datetime, message_id: str = "") -> DataQualityNote:
    """Record one oddity (`at` is central's clock); a detail too long for the column is cut, never refused."""
    if len(detail) > DETAIL_LENGTH:
        detail = detail[:DETAIL_LENGTH - 1] + "…"
    return DataQualityNote.objects.create(station=station, transaction=transaction, kind=kind, detail=detail,
                                          message_id=message_id, at=at)
