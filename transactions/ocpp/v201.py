"""OCPP 2.0.1 edge for sessions: TransactionEvent and MeterValues -> sessions service -> 2.0.1 response."""

from ocpp.v201.enums import Action, ReasonEnumType, TransactionEventEnumType

from csms.envelope import Envelope
from csms.router import handles
from stations.ocpp.common import received_at, station_time
from transactions.choices import EventType
from transactions.ocpp.common import id_token_info_201
from transactions.services import metering, sessions

EVENT_TYPE = {
    TransactionEventEnumType.started: EventType.STARTED,
    TransactionEventEnumType.updated: EventType.UPDATED,
    TransactionEventEnumType.ended: EventType.ENDED,
}
DEFAULT_STOPPED_REASON = ReasonEnumType.local  # the spec's default when an Ended event names no stoppedReason


def samples(meter_values: list[dict], envelope: Envelope) -> list[metering.Sample]:
    """2.0.1 MeterValueType objects as samples: unitOfMeasure and signedMeterValue unfold into our fields."""
    return [metering.Sample(
        timestamp=station_time(mv["timestamp"], envelope), value=str(sv["value"]),
        measurand=sv.get("measurand", ""), phase=sv.get("phase", ""), location=sv.get("location", ""),
        context=sv.get("context", ""), unit=sv.get("unitOfMeasure", {}).get("unit", ""),
        multiplier=sv.get("unitOfMeasure", {}).get("multiplier", 0), signed=sv.get("signedMeterValue"))
        for mv in meter_values for sv in mv["sampledValue"]]


def event_of(envelope: Envelope) -> sessions.TransactionEventData:
    """A TransactionEvent payload in the sessions service's words."""
    p = envelope.payload
    info, evse, token = p["transactionInfo"], p.get("evse", {}), p.get("idToken")
    event_type = EVENT_TYPE[TransactionEventEnumType(p["eventType"])]
    stopped = info.get("stoppedReason", DEFAULT_STOPPED_REASON.value if event_type == EventType.ENDED else "")
    return sessions.TransactionEventData(
        event_type=event_type, station_tx_id=info["transactionId"], seq_no=p["seqNo"],
        timestamp=station_time(p["timestamp"], envelope), trigger_reason=p["triggerReason"],
        offline=p.get("offline", False), charging_state=info.get("chargingState", ""), stopped_reason=stopped,
        remote_start_id=info.get("remoteStartId"), reservation_id=p.get("reservationId"),
        evse_id=evse.get("id"), connector_id=evse.get("connectorId"),
        id_token_value=token["idToken"] if token else None, id_token_type=token["type"] if token else "",
        samples=samples(p.get("meterValue", []), envelope), payload=p)


@handles("2.0.1", Action.transaction_event)
def on_transaction_event(envelope: Envelope) -> dict:
    _, auth = sessions.record_transaction_event(station_id=envelope.station, event=event_of(envelope),
                                                at=received_at(envelope), message_id=envelope.id)
    return {} if auth is None else {"idTokenInfo": id_token_info_201(auth)}


@handles("2.0.1", Action.meter_values)
def on_meter_values(envelope: Envelope) -> dict:
    p = envelope.payload
    sessions.record_meter_values(
        station_id=envelope.station, evse_id=p["evseId"], connector_id=0,
        samples=samples(p["meterValue"], envelope), on_active_transaction=True,
        at=received_at(envelope), message_id=envelope.id)
    return {}
