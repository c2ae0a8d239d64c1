"""OCPP 1.6 edge for sessions: Start/StopTransaction and MeterValues -> sessions service -> 1.6 response.

A 1.6 connector N is EVSE N with one connector; connectorId 0 is the station itself (its main meter).
"""

from decimal import Decimal

from ocpp.v16.enums import Action, Reason

from csms.envelope import Envelope
from csms.router import handles
from stations.ocpp.common import received_at, station_time
from transactions.ocpp.common import id_tag_info_16
from transactions.services import metering, sessions

SINGLE_CONNECTOR = 1
DEFAULT_STOP_REASON = Reason.local  # the spec's default when a StopTransaction names no reason


def place(connector_id: int) -> tuple[int, int]:
    """(EVSE, connector) of a 1.6 connectorId."""
    return connector_id, SINGLE_CONNECTOR if connector_id else 0


def samples(meter_values: list[dict], envelope: Envelope) -> list[metering.Sample]:
    """1.6 MeterValue objects as samples; the field names are the same as ours."""
    return [metering.Sample(
        timestamp=station_time(mv["timestamp"], envelope), value=sv["value"], measurand=sv.get("measurand", ""),
        phase=sv.get("phase", ""), location=sv.get("location", ""), context=sv.get("context", ""),
        unit=sv.get("unit", ""), format=sv.get("format", ""))
        for mv in meter_values for sv in mv["sampledValue"]]


@handles("1.6", Action.start_transaction)
def on_start_transaction(envelope: Envelope) -> dict:
    p = envelope.payload
    evse_id, connector_id = place(p["connectorId"])
    transaction, auth = sessions.start_transaction(
        station_id=envelope.station, evse_id=evse_id, connector_id=connector_id, id_token_value=p["idTag"],
        meter_start_wh=Decimal(p["meterStart"]), started_at=station_time(p["timestamp"], envelope),
        reservation_id=p.get("reservationId"), at=received_at(envelope), message_id=envelope.id)
    return {"transactionId": transaction.pk, "idTagInfo": id_tag_info_16(auth)}


@handles("1.6", Action.stop_transaction)
def on_stop_transaction(envelope: Envelope) -> dict:
    p = envelope.payload
    _, auth = sessions.stop_transaction(
        station_id=envelope.station, transaction_id=p["transactionId"], meter_stop_wh=Decimal(p["meterStop"]),
        ended_at=station_time(p["timestamp"], envelope), reason=p.get("reason", DEFAULT_STOP_REASON.value),
        id_token_value=p.get("idTag", ""), samples=samples(p.get("transactionData", []), envelope),
        at=received_at(envelope), message_id=envelope.id)
    return {} if auth is None else {"idTagInfo": id_tag_info_16(auth)}


@handles("1.6", Action.meter_values)
def on_meter_values(envelope: Envelope) -> dict:
    p = envelope.payload
    evse_id, connector_id = place(p["connectorId"])
    sessions.record_meter_values(
        station_id=envelope.station, evse_id=evse_id, connector_id=connector_id,
        samples=samples(p["meterValue"], envelope), transaction_id=p.get("transactionId"),
        at=received_at(envelope), message_id=envelope.id)
    return {}
