"""Both versions' session readings as one batch (csms.dispatch runs it before the per-message handlers).

Only messages whose answer cannot depend on anything but storing them are offered to the batch: 1.6 MeterValues
on a session at a storable place, and 2.0.1 TransactionEvent Updated without an idToken (whose answer would need
an authorisation), remote start or reservation. The rest, and whatever the service declines, are answered by the
ordinary handlers in transactions.ocpp.v16 / v201, which store the same thing message by message.
"""

from __future__ import annotations

from ocpp.v16.enums import Action as Action16
from ocpp.v201.enums import Action as Action201

from csms.envelope import Envelope
from csms.router import handles_batch
from stations.ocpp.common import received_at
from transactions.choices import EventType
from transactions.ocpp import v16, v201
from transactions.services import bulk_readings, sessions


@handles_batch(("1.6", Action16.meter_values), ("2.0.1", Action201.transaction_event))
def on_readings(envelopes: list[Envelope]) -> list[dict | None]:
    offered = [_reading(envelope) for envelope in envelopes]
    plain = [reading for reading in offered if reading is not None]
    stored = iter(bulk_readings.record(plain))
    return [{} if reading is not None and next(stored) else None for reading in offered]


def _reading(envelope: Envelope) -> bulk_readings.Reading | None:
    p, at = envelope.payload, received_at(envelope)
    if envelope.ocpp == "1.6":
        transaction_id = p.get("transactionId")
        evse_id, connector_id = v16.place(p["connectorId"])
        if transaction_id is None or not 0 < transaction_id < sessions.ID_LIMIT or \
                sessions.place_problem(evse_id, connector_id):
            return None
        return bulk_readings.Reading(station_id=envelope.station, at=at, message_id=envelope.id,
                                     samples=v16.samples(p["meterValue"], envelope), transaction_id=transaction_id,
                                     evse_id=evse_id, connector_id=connector_id)
    if p.get("eventType") != EventType.UPDATED.value or "idToken" in p or "reservationId" in p \
            or "remoteStartId" in p["transactionInfo"]:
        return None
    event = v201.event_of(envelope)
    if sessions.place_problem(event.evse_id, event.connector_id):
        return None
    return bulk_readings.Reading(station_id=envelope.station, at=at, message_id=envelope.id, samples=event.samples,
                                 event=event)
