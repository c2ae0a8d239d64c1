"""OCPP 1.6 edge for the station lifecycle: 1.6 payload -> service call -> 1.6 response."""

from ocpp.v16.enums import Action, ChargePointErrorCode, ChargePointStatus, RegistrationStatus

from csms.envelope import Envelope
from csms.router import handles, handles_batch
from stations import services
from stations.choices import ConnectorStatus, Registration
from stations.ocpp.common import answer_boots, answer_statuses, heartbeat_interval, now, received_at, station_time

STATUS = {
    ChargePointStatus.available: ConnectorStatus.AVAILABLE,
    ChargePointStatus.preparing: ConnectorStatus.PREPARING,
    ChargePointStatus.charging: ConnectorStatus.CHARGING,
    ChargePointStatus.suspended_evse: ConnectorStatus.SUSPENDED_EVSE,
    ChargePointStatus.suspended_ev: ConnectorStatus.SUSPENDED_EV,
    ChargePointStatus.finishing: ConnectorStatus.FINISHING,
    ChargePointStatus.reserved: ConnectorStatus.RESERVED,
    ChargePointStatus.unavailable: ConnectorStatus.UNAVAILABLE,
    ChargePointStatus.faulted: ConnectorStatus.FAULTED,
}
REGISTRATION = {
    Registration.ACCEPTED: RegistrationStatus.accepted,
    Registration.PENDING: RegistrationStatus.pending,
    Registration.REJECTED: RegistrationStatus.rejected,
}
# A 1.6 connector N is EVSE N with one connector; connectorId 0 is the station itself.
SINGLE_CONNECTOR = 1


def _boot(envelope: Envelope) -> services.Boot:
    p = envelope.payload
    identity = services.BootIdentity(
        vendor=p["chargePointVendor"], model=p["chargePointModel"],
        serial_number=p.get("chargePointSerialNumber", ""), charge_box_serial_number=p.get("chargeBoxSerialNumber", ""),
        firmware_version=p.get("firmwareVersion", ""), iccid=p.get("iccid", ""), imsi=p.get("imsi", ""),
        meter_type=p.get("meterType", ""), meter_serial_number=p.get("meterSerialNumber", ""))
    return services.Boot(station_id=envelope.station, identity=identity, ocpp_version="1.6", at=received_at(envelope))


def _boot_answer(boot_status: str) -> dict:
    return {"status": REGISTRATION[boot_status].value, "currentTime": now(), "interval": heartbeat_interval()}


@handles("1.6", Action.boot_notification)
def on_boot_notification(envelope: Envelope) -> dict:
    return _boot_answer(services.record_boot(boot=_boot(envelope)))


@handles_batch(("1.6", Action.boot_notification))
def on_boot_notifications(envelopes: list[Envelope]) -> list[dict | None]:
    """A batch's boots at once (a boot storm); an unknown station's is left to on_boot_notification to refuse."""
    return answer_boots(envelopes, _boot, _boot_answer)


@handles("1.6", Action.heartbeat)
def on_heartbeat(envelope: Envelope) -> dict:
    services.record_heartbeat(station_id=envelope.station, at=received_at(envelope))
    return {"currentTime": now()}


def _status(envelope: Envelope) -> services.StatusReport:
    p = envelope.payload
    connector = p["connectorId"]
    error = p["errorCode"]
    return services.StatusReport(
        station_id=envelope.station, evse_id=connector, connector_id=SINGLE_CONNECTOR if connector else 0,
        status=STATUS[ChargePointStatus(p["status"])],
        error_code="" if error == ChargePointErrorCode.no_error else error, info=p.get("info", ""),
        vendor_id=p.get("vendorId", ""), vendor_error_code=p.get("vendorErrorCode", ""),
        reported_at=station_time(p.get("timestamp"), envelope), at=received_at(envelope))


@handles("1.6", Action.status_notification)
def on_status_notification(envelope: Envelope) -> dict:
    services.record_status(report=_status(envelope))
    return {}


@handles_batch(("1.6", Action.status_notification))
def on_status_notifications(envelopes: list[Envelope]) -> list[dict | None]:
    """A batch's statuses at once; an unknown station's is left to on_status_notification to refuse."""
    return answer_statuses(envelopes, _status)
