"""OCPP 2.0.1 edge for the station lifecycle: 2.0.1 payload -> service call -> 2.0.1 response."""

from ocpp.v201.enums import Action, ConnectorStatusEnumType, RegistrationStatusEnumType

from csms.envelope import Envelope
from csms.router import handles
from stations import services
from stations.choices import ConnectorStatus, Registration
from stations.ocpp.common import heartbeat_interval, now, received_at, station_time

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


@handles("2.0.1", Action.boot_notification)
def on_boot_notification(envelope: Envelope) -> dict:
    cs = envelope.payload["chargingStation"]
    modem = cs.get("modem", {})
    identity = services.BootIdentity(
        vendor=cs["vendorName"], model=cs["model"], serial_number=cs.get("serialNumber", ""),
        firmware_version=cs.get("firmwareVersion", ""), iccid=modem.get("iccid", ""), imsi=modem.get("imsi", ""))
    station = services.record_boot(station_id=envelope.station, identity=identity, ocpp_version="2.0.1",
                                   at=received_at(envelope))
    return {"currentTime": now(), "interval": heartbeat_interval(),
            "status": REGISTRATION[station.boot_status].value}


@handles("2.0.1", Action.heartbeat)
def on_heartbeat(envelope: Envelope) -> dict:
    services.record_heartbeat(station_id=envelope.station, at=received_at(envelope))
    return {"currentTime": now()}


@handles("2.0.1", Action.status_notification)
def on_status_notification(envelope: Envelope) -> dict:
    p = envelope.payload
    services.record_status(
        station_id=envelope.station, evse_id=p["evseId"], connector_id=p["connectorId"],
        status=STATUS[ConnectorStatusEnumType(p["connectorStatus"])],
        reported_at=station_time(p["timestamp"], envelope), at=received_at(envelope))
    return {}
