"""OCPP 1.6 edge for notifications (core and the security extension): payload -> service -> the answer the spec sets.

Each message is stored whole (StationMessage) with its gist as the summary; firmware and upload
progress is also kept on the station.
"""

import json
from datetime import datetime

from ocpp.v16 import enums
from ocpp.v16.enums import Action

from csms.envelope import Envelope
from csms.router import handles
from stations import services
from stations.choices import FirmwareStatus, UploadStatus
from stations.ocpp.common import received_at
from stations.services import DataTransferReply, DataTransferStatus

FIRMWARE_STATUS = {  # plain FirmwareStatusNotification sends the first seven, the signed one all of them
    enums.FirmwareStatus.downloaded: FirmwareStatus.DOWNLOADED,
    enums.FirmwareStatus.download_failed: FirmwareStatus.DOWNLOAD_FAILED,
    enums.FirmwareStatus.downloading: FirmwareStatus.DOWNLOADING,
    enums.FirmwareStatus.idle: FirmwareStatus.IDLE,
    enums.FirmwareStatus.installation_failed: FirmwareStatus.INSTALLATION_FAILED,
    enums.FirmwareStatus.installing: FirmwareStatus.INSTALLING,
    enums.FirmwareStatus.installed: FirmwareStatus.INSTALLED,
    enums.FirmwareStatus.download_scheduled: FirmwareStatus.DOWNLOAD_SCHEDULED,
    enums.FirmwareStatus.download_paused: FirmwareStatus.DOWNLOAD_PAUSED,
    enums.FirmwareStatus.install_rebooting: FirmwareStatus.INSTALL_REBOOTING,
    enums.FirmwareStatus.install_scheduled: FirmwareStatus.INSTALL_SCHEDULED,
    enums.FirmwareStatus.install_verification_failed: FirmwareStatus.INSTALL_VERIFICATION_FAILED,
    enums.FirmwareStatus.invalid_signature: FirmwareStatus.INVALID_SIGNATURE,
    enums.FirmwareStatus.signature_verified: FirmwareStatus.SIGNATURE_VERIFIED,
}
DIAGNOSTICS_STATUS = {
    enums.DiagnosticsStatus.idle: UploadStatus.IDLE,
    enums.DiagnosticsStatus.uploaded: UploadStatus.UPLOADED,
    enums.DiagnosticsStatus.upload_failed: UploadStatus.UPLOAD_FAILED,
    enums.DiagnosticsStatus.uploading: UploadStatus.UPLOADING,
}
LOG_STATUS = {
    enums.UploadLogStatus.bad_message: UploadStatus.BAD_MESSAGE,
    enums.UploadLogStatus.idle: UploadStatus.IDLE,
    enums.UploadLogStatus.not_supported_operation: UploadStatus.NOT_SUPPORTED,
    enums.UploadLogStatus.permission_denied: UploadStatus.PERMISSION_DENIED,
    enums.UploadLogStatus.uploaded: UploadStatus.UPLOADED,
    enums.UploadLogStatus.upload_failure: UploadStatus.UPLOAD_FAILED,
    enums.UploadLogStatus.uploading: UploadStatus.UPLOADING,
}
DATA_TRANSFER_STATUS = {
    DataTransferStatus.ACCEPTED: enums.DataTransferStatus.accepted,
    DataTransferStatus.REJECTED: enums.DataTransferStatus.rejected,
    DataTransferStatus.UNKNOWN_MESSAGE_ID: enums.DataTransferStatus.unknown_message_id,
    DataTransferStatus.UNKNOWN_VENDOR_ID: enums.DataTransferStatus.unknown_vendor_id,
}
# No certificate authority is connected yet: a CSR cannot be processed, which is what Rejected says.
SIGN_CERTIFICATE_ANSWER = enums.GenericStatus.rejected


def _notification(envelope: Envelope, summary: str, station_time: datetime | None = None) -> services.Notification:
    return services.Notification(
        station_id=envelope.station, ocpp_version="1.6", action=envelope.action, message_id=envelope.id,
        payload=envelope.payload, received_at=received_at(envelope), summary=summary, station_time=station_time)


def _with_request(status: str, payload: dict) -> str:
    return f"{status} (request {payload['requestId']})" if "requestId" in payload else status


@handles("1.6", Action.data_transfer)
def on_data_transfer(envelope: Envelope) -> dict:
    p = envelope.payload
    reply = services.receive_data_transfer(notification=_notification(envelope, ""), vendor_id=p["vendorId"],
                                           message_id=p.get("messageId", ""), data=p.get("data"))
    return {"status": DATA_TRANSFER_STATUS[reply.status].value} | _data(reply)


def _data(reply: DataTransferReply) -> dict:
    if reply.data is None:
        return {}
    return {"data": reply.data if isinstance(reply.data, str) else json.dumps(reply.data)}


@handles("1.6", Action.firmware_status_notification)
def on_firmware_status_notification(envelope: Envelope) -> dict:
    status = enums.FirmwareStatus(envelope.payload["status"])
    services.record_firmware_status(notification=_notification(envelope, status.value), status=FIRMWARE_STATUS[status])
    return {}


@handles("1.6", Action.signed_firmware_status_notification)
def on_signed_firmware_status_notification(envelope: Envelope) -> dict:
    status = enums.FirmwareStatus(envelope.payload["status"])
    summary = _with_request(status.value, envelope.payload)
    services.record_firmware_status(notification=_notification(envelope, summary), status=FIRMWARE_STATUS[status])
    return {}


@handles("1.6", Action.diagnostics_status_notification)
def on_diagnostics_status_notification(envelope: Envelope) -> dict:
    status = enums.DiagnosticsStatus(envelope.payload["status"])
    services.record_upload_status(notification=_notification(envelope, status.value), status=DIAGNOSTICS_STATUS[status])
    return {}


@handles("1.6", Action.log_status_notification)
def on_log_status_notification(envelope: Envelope) -> dict:
    status = enums.UploadLogStatus(envelope.payload["status"])
    summary = _with_request(status.value, envelope.payload)
    services.record_upload_status(notification=_notification(envelope, summary), status=LOG_STATUS[status])
    return {}


@handles("1.6", Action.security_event_notification)
def on_security_event_notification(envelope: Envelope) -> dict:
    p = envelope.payload
    summary = f"{p['type']}: {p['techInfo']}" if p.get("techInfo") else p["type"]
    services.record_station_message(
        notification=_notification(envelope, summary, datetime.fromisoformat(p["timestamp"])))
    return {}


@handles("1.6", Action.sign_certificate)
def on_sign_certificate(envelope: Envelope) -> dict:
    summary = f"certificate signing request: {SIGN_CERTIFICATE_ANSWER.value}, no certificate authority"
    services.record_station_message(notification=_notification(envelope, summary))
    return {"status": SIGN_CERTIFICATE_ANSWER.value}
