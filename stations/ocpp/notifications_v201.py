"""OCPP 2.0.1 edge for notifications, reports and certificate requests: payload -> service -> the spec's answer.

Each message is stored whole (StationMessage) with its gist as the summary; firmware and log upload
progress is also kept on the station. Device-model reports (NotifyReport pages) are stored page by
page, and each page's variables are upserted into the station's device model (DeviceVariable) as it
arrives, so the pages of one requestId add up to the whole report; a re-sent page is applied once.
"""

from datetime import datetime

from ocpp.v201 import enums
from ocpp.v201.enums import Action

from csms.envelope import Envelope
from csms.router import handles
from stations import services
from stations.choices import FirmwareStatus, UploadStatus
from stations.ocpp.answers import report_variables
from stations.ocpp.common import received_at
from stations.services import DataTransferStatus

# Reservations and charging profiles are the transactions app's; their notifications land here with the rest.
from transactions.ocpp import answers as session_answers

FIRMWARE_STATUS = {
    enums.FirmwareStatusEnumType.downloaded: FirmwareStatus.DOWNLOADED,
    enums.FirmwareStatusEnumType.download_failed: FirmwareStatus.DOWNLOAD_FAILED,
    enums.FirmwareStatusEnumType.downloading: FirmwareStatus.DOWNLOADING,
    enums.FirmwareStatusEnumType.download_scheduled: FirmwareStatus.DOWNLOAD_SCHEDULED,
    enums.FirmwareStatusEnumType.download_paused: FirmwareStatus.DOWNLOAD_PAUSED,
    enums.FirmwareStatusEnumType.idle: FirmwareStatus.IDLE,
    enums.FirmwareStatusEnumType.installation_failed: FirmwareStatus.INSTALLATION_FAILED,
    enums.FirmwareStatusEnumType.installing: FirmwareStatus.INSTALLING,
    enums.FirmwareStatusEnumType.installed: FirmwareStatus.INSTALLED,
    enums.FirmwareStatusEnumType.install_rebooting: FirmwareStatus.INSTALL_REBOOTING,
    enums.FirmwareStatusEnumType.install_scheduled: FirmwareStatus.INSTALL_SCHEDULED,
    enums.FirmwareStatusEnumType.install_verification_failed: FirmwareStatus.INSTALL_VERIFICATION_FAILED,
    enums.FirmwareStatusEnumType.invalid_signature: FirmwareStatus.INVALID_SIGNATURE,
    enums.FirmwareStatusEnumType.signature_verified: FirmwareStatus.SIGNATURE_VERIFIED,
}
LOG_STATUS = {
    enums.UploadLogStatusEnumType.bad_message: UploadStatus.BAD_MESSAGE,
    enums.UploadLogStatusEnumType.idle: UploadStatus.IDLE,
    enums.UploadLogStatusEnumType.not_supported_operation: UploadStatus.NOT_SUPPORTED,
    enums.UploadLogStatusEnumType.permission_denied: UploadStatus.PERMISSION_DENIED,
    enums.UploadLogStatusEnumType.uploaded: UploadStatus.UPLOADED,
    enums.UploadLogStatusEnumType.upload_failure: UploadStatus.UPLOAD_FAILED,
    enums.UploadLogStatusEnumType.uploading: UploadStatus.UPLOADING,
    enums.UploadLogStatusEnumType.accepted_canceled: UploadStatus.CANCELED,
}
DATA_TRANSFER_STATUS = {
    DataTransferStatus.ACCEPTED: enums.DataTransferStatusEnumType.accepted,
    DataTransferStatus.REJECTED: enums.DataTransferStatusEnumType.rejected,
    DataTransferStatus.UNKNOWN_MESSAGE_ID: enums.DataTransferStatusEnumType.unknown_message_id,
    DataTransferStatus.UNKNOWN_VENDOR_ID: enums.DataTransferStatusEnumType.unknown_vendor_id,
}
# What the CSMS can do today, answered honestly: no smart charging (so no profile will follow charging
# needs: Rejected), no certificate authority (a CSR cannot be processed: Rejected), no ISO 15118 contract
# certificate pool and no OCSP responder (Failed). A received EV schedule is processed, which is all
# Accepted claims ("it does not imply any approval of the charging schedule").
EV_CHARGING_NEEDS_ANSWER = enums.NotifyEVChargingNeedsStatusEnumType.rejected
EV_CHARGING_SCHEDULE_ANSWER = enums.GenericStatusEnumType.accepted
SIGN_CERTIFICATE_ANSWER = enums.GenericStatusEnumType.rejected
EV_CERTIFICATE_ANSWER = enums.Iso15118EVCertificateStatusEnumType.failed
CERTIFICATE_STATUS_ANSWER = enums.GetCertificateStatusEnumType.failed


def _notification(envelope: Envelope, summary: str, station_time: str | None = None) -> services.Notification:
    return services.Notification(
        station_id=envelope.station, ocpp_version="2.0.1", action=envelope.action, message_id=envelope.id,
        payload=envelope.payload, received_at=received_at(envelope), summary=summary,
        station_time=datetime.fromisoformat(station_time) if station_time else None)


def _record(envelope: Envelope, summary: str, station_time: str | None = None) -> None:
    services.record_station_message(notification=_notification(envelope, summary, station_time))


def _request(p: dict) -> str:
    return f" (request {p['requestId']})" if "requestId" in p else ""


def _evse(p: dict) -> str:
    return f", EVSE {p['evseId']}" if "evseId" in p else ""


def _page(p: dict) -> str:
    """Where a page sits in a multi-message report: requestId, seqNo, and whether more follow (tbc)."""
    seq_no = f", seqNo {p['seqNo']}" if "seqNo" in p else ""
    return f"request {p['requestId']}{seq_no}{', tbc' if p.get('tbc') else ''}"


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


@handles("2.0.1", Action.data_transfer)
def on_data_transfer(envelope: Envelope) -> dict:
    p = envelope.payload
    reply = services.receive_data_transfer(notification=_notification(envelope, ""), vendor_id=p["vendorId"],
                                           message_id=p.get("messageId", ""), data=p.get("data"))
    answer = {"status": DATA_TRANSFER_STATUS[reply.status].value}
    return answer if reply.data is None else answer | {"data": reply.data}


@handles("2.0.1", Action.firmware_status_notification)
def on_firmware_status_notification(envelope: Envelope) -> dict:
    status = enums.FirmwareStatusEnumType(envelope.payload["status"])
    notification = _notification(envelope, status.value + _request(envelope.payload))
    services.record_firmware_status(notification=notification, status=FIRMWARE_STATUS[status])
    return {}


@handles("2.0.1", Action.log_status_notification)
def on_log_status_notification(envelope: Envelope) -> dict:
    status = enums.UploadLogStatusEnumType(envelope.payload["status"])
    notification = _notification(envelope, status.value + _request(envelope.payload))
    services.record_upload_status(notification=notification, status=LOG_STATUS[status])
    return {}


@handles("2.0.1", Action.publish_firmware_status_notification)
def on_publish_firmware_status_notification(envelope: Envelope) -> dict:
    _record(envelope, envelope.payload["status"] + _request(envelope.payload))
    return {}


@handles("2.0.1", Action.security_event_notification)
def on_security_event_notification(envelope: Envelope) -> dict:
    p = envelope.payload
    _record(envelope, f"{p['type']}: {p['techInfo']}" if p.get("techInfo") else p["type"], p["timestamp"])
    return {}


@handles("2.0.1", Action.notify_event)
def on_notify_event(envelope: Envelope) -> dict:
    p = envelope.payload
    first, more = p["eventData"][0], len(p["eventData"]) - 1
    component, variable = first["component"], first["variable"]
    gist = f"{first['trigger']} {component['name']}.{variable['name']} = {first['actualValue']}"
    _record(envelope, f"seqNo {p['seqNo']}: {gist}{f' (+{more} more)' if more else ''}", p["generatedAt"])
    return {}


@handles("2.0.1", Action.notify_report)
def on_notify_report(envelope: Envelope) -> dict:
    p = envelope.payload
    notification = _notification(envelope, f"{_page(p)}: {_count(p.get('reportData', []), 'variable')}",
                                 p["generatedAt"])
    services.record_report_page(notification=notification, variables=report_variables(p.get("reportData", [])),
                                source=f"NotifyReport {p['requestId']}")
    return {}


@handles("2.0.1", Action.notify_monitoring_report)
def on_notify_monitoring_report(envelope: Envelope) -> dict:
    p = envelope.payload
    _record(envelope, f"{_page(p)}: {_count(p.get('monitor', []), 'monitored variable')}", p["generatedAt"])
    return {}


@handles("2.0.1", Action.notify_customer_information)
def on_notify_customer_information(envelope: Envelope) -> dict:
    p = envelope.payload
    _record(envelope, f"{_page(p)}: {len(p['data'])} characters", p["generatedAt"])
    return {}


@handles("2.0.1", Action.notify_display_messages)
def on_notify_display_messages(envelope: Envelope) -> dict:
    p = envelope.payload
    _record(envelope, f"{_page(p)}: {_count(p.get('messageInfo', []), 'message')}")
    return {}


@handles("2.0.1", Action.notify_charging_limit)
def on_notify_charging_limit(envelope: Envelope) -> dict:
    p = envelope.payload
    limit = p["chargingLimit"]
    critical = ", grid critical" if limit.get("isGridCritical") else ""
    _record(envelope, f"{limit['chargingLimitSource']}{critical}{_evse(p)}: "
                      f"{_count(p.get('chargingSchedule', []), 'schedule')}")
    return {}


@handles("2.0.1", Action.cleared_charging_limit)
def on_cleared_charging_limit(envelope: Envelope) -> dict:
    p = envelope.payload
    _record(envelope, p["chargingLimitSource"] + _evse(p))
    return {}


@handles("2.0.1", Action.report_charging_profiles)
def on_report_charging_profiles(envelope: Envelope) -> dict:
    p = envelope.payload
    message = services.record_station_message(notification=_notification(
        envelope, f"{_page(p)}{_evse(p)}, {p['chargingLimitSource']}: {_count(p['chargingProfile'], 'profile')}",
        None))
    session_answers.report_charging_profiles(station_pk=message.station_id, payload=p)
    return {}


@handles("2.0.1", Action.notify_ev_charging_needs)
def on_notify_ev_charging_needs(envelope: Envelope) -> dict:
    p = envelope.payload
    needs = p["chargingNeeds"]
    departure = f", departs {needs['departureTime']}" if "departureTime" in needs else ""
    _record(envelope, f"EVSE {p['evseId']}: {needs['requestedEnergyTransfer']}{departure}: "
                      f"{EV_CHARGING_NEEDS_ANSWER.value}, no smart charging")
    return {"status": EV_CHARGING_NEEDS_ANSWER.value}


@handles("2.0.1", Action.notify_ev_charging_schedule)
def on_notify_ev_charging_schedule(envelope: Envelope) -> dict:
    p = envelope.payload
    schedule = p["chargingSchedule"]
    periods = _count(schedule["chargingSchedulePeriod"], "period")
    _record(envelope, f"EVSE {p['evseId']}: schedule {schedule['id']}, {periods} in {schedule['chargingRateUnit']}")
    return {"status": EV_CHARGING_SCHEDULE_ANSWER.value}


@handles("2.0.1", Action.reservation_status_update)
def on_reservation_status_update(envelope: Envelope) -> dict:
    p = envelope.payload
    _record(envelope, f"reservation {p['reservationId']} {p['reservationUpdateStatus']}")
    session_answers.reservation_status_update(station_id=envelope.station, payload=p)
    return {}


@handles("2.0.1", Action.sign_certificate)
def on_sign_certificate(envelope: Envelope) -> dict:
    kind = envelope.payload.get("certificateType", enums.CertificateSigningUseEnumType.charging_station_certificate)
    _record(envelope, f"{kind} signing request: {SIGN_CERTIFICATE_ANSWER.value}, no certificate authority")
    return {"status": SIGN_CERTIFICATE_ANSWER.value}


@handles("2.0.1", Action.get_15118_ev_certificate)
def on_get_15118_ev_certificate(envelope: Envelope) -> dict:
    p = envelope.payload
    _record(envelope, f"{p['action']} for {p['iso15118SchemaVersion']}: {EV_CERTIFICATE_ANSWER.value}, "
                      "no contract certificate pool")
    # exiResponse is required even when Failed; there is no EXI message to give, so it is empty.
    return {"status": EV_CERTIFICATE_ANSWER.value, "exiResponse": ""}


@handles("2.0.1", Action.get_certificate_status)
def on_get_certificate_status(envelope: Envelope) -> dict:
    ocsp = envelope.payload["ocspRequestData"]
    _record(envelope, f"certificate {ocsp['serialNumber']} at {ocsp['responderURL']}: "
                      f"{CERTIFICATE_STATUS_ANSWER.value}, no OCSP client")
    return {"status": CERTIFICATE_STATUS_ANSWER.value}
