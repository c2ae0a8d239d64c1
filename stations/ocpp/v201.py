"""OCPP 2.0.1 edge for the station lifecycle: 2.0.1 payload -> service call -> 2.0.1 response."""

from ocpp.v201.enums import Action, ConnectorStatusEnumType, RegistrationStatusEnumType

from csms.envelope import Envelope
from csms.router import handles, handles_batch
from stations import services
from stations.choices import ConnectorStatus, Registration
from stations.ocpp.common import answer_boots, answer_statuses, heartbeat_interval, now, received_at, station_time

STATUS = {
    ConnectorStatusEnumType.available: ConnectorStatus.AVAILABLE,
    ConnectorStatusEnumType.occupied: ConnectorStatus.OCCUPIED,
    ConnectorStatusEnumType.reserved: ConnectorStatus.RESERVED,
    ConnectorStatusEnumType.unavailable: ConnectorStatus.UNAVAILABLE,
    ConnectorStatusEnumType.faulted: ConnectorStatus.FAULTED,
}
REGISTRATION = {
    Registration.ACCEPTED: RegistrationStatusEnumType.accepted,
    Registration.PENDING: RegistrationStatusEnumType.pending,
    Registration.REJECTED: RegistrationStatusEnumType.rejected,
}


def _boot(envelope: Envelope) -> services.Boot:
    cs = envelope.payload["chargingStation"]
    modem = cs.get("modem", {})
    identity = services.BootIdentity(
        vendor=cs["vendorName"], model=cs["model"], serial_number=cs.get("serialNumber", ""),
        firmware_version=cs.get("firmwareVersion", ""), iccid=modem.get("iccid", ""), imsi=modem.get("imsi", ""))
    return services.Boot(station_id=envelope.station, identity=identity, ocpp_version="2.0.1",
                         at=received_at(envelope))


def _boot_answer(boot_status: str) -> dict:
    return {"currentTime": now(), "interval": heartbeat_interval(), "status": REGISTRATION[boot_status].value}


@handles("2.0.1", Action.boot_notification)
def on_boot_notification(envelope: Envelope) -> dict:
    return _boot_answer(services.record_boot(boot=_boot(envelope)))


@handles_batch(("2.0.1", Action.boot_notification))
def on_boot_notifications(envelopes: list[Envelope]) -> list[dict | None]:
    """A batch's boots at once (a boot storm); an unknown station's is left to on_boot_notification to refuse."""
    return answer_boots(envelopes, _boot, _boot_answer)


@handles("2.0.1", Action.heartbeat)
def on_heartbeat(envelope: Envelope) -> dict:
    services.record_heartbeat(station_id=envelope.station, at=received_at(envelope))
    return {"currentTime": now()}


def _status(envelope: Envelope) -> services.StatusReport:
    p = envelope.payload
    return services.StatusReport(
        station_id=envelope.station, evse_id=p["evseId"], connector_id=p["connectorId"],
        status=STATUS[ConnectorStatusEnumType(p["connectorStatus"])],
        reported_at=station_time(p["timestamp"], envelope), at=received_at(envelope))


@handles("2.0.1", Action.status_notification)
def on_status_notification(envelope: Envelope) -> dict:
    services.record_status(report=_status(envelope))
    return {}


@handles_batch(("2.0.1", Action.status_notification))
def on_status_notifications(envelopes: list[Envelope]) -> list[dict | None]:
    """A batch's statuses at once; an unknown station's is left to on_status_notification to refuse."""
    return answer_statuses(envelopes, _status)
