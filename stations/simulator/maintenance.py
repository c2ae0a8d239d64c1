"""Answers to the CSMS about everything else (see operations.py): firmware updates and log uploads
(reported step by step, nothing is downloaded or uploaded), certificates (none are kept), 2.0.1
display messages and customer information, the cache and vendor data transfers.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ocpp.v16 import enums as v16
from ocpp.v201 import enums as v201

from . import payloads

if TYPE_CHECKING:
    from .station import Station

Payload = dict[str, Any]
# Seconds between the steps of a firmware update or log upload, so a demo can watch them.
STEP_SECONDS = 1.0
FIRMWARE_STEPS = ("Downloading", "Downloaded", "Installing", "Installed")
SIGNED_FIRMWARE_STEPS = ("Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed")
UPLOAD_STEPS = ("Uploading", "Uploaded")
ACCEPTED = "Accepted"


async def on_clear_cache(station: Station, request: Payload) -> Payload:
    return {"status": ACCEPTED}


async def on_data_transfer(station: Station, request: Payload) -> Payload:
    return {"status": v16.DataTransferStatus.unknown_vendor_id}


async def on_cost_updated(station: Station, request: Payload) -> Payload:
    return {}


# Firmware


async def on_update_firmware(station: Station, request: Payload) -> Payload:
    """Accepted (1.6: an empty answer), then FirmwareStatusNotification for each step (2.0.1 with requestId)."""
    request_id = request.get("requestId")
    station.state.request_ids["firmware"] = request_id
    action = v16.Action.firmware_status_notification
    station.after_answer("firmware update", lambda: _steps(station, action, FIRMWARE_STEPS, request_id, "firmware"))
    return {} if station.version == "1.6" else {"status": ACCEPTED}


async def on_signed_update_firmware(station: Station, request: Payload) -> Payload:
    """1.6 security extension: as UpdateFirmware, reported by SignedFirmwareStatusNotification."""
    request_id = request["requestId"]
    action = v16.Action.signed_firmware_status_notification
    station.after_answer("firmware update", lambda: _steps(station, action, SIGNED_FIRMWARE_STEPS, request_id, None))
    return {"status": ACCEPTED}


async def on_publish_firmware(station: Station, request: Payload) -> Payload:
    """Only a local controller publishes firmware; this station is none."""
    return {"status": v201.GenericStatusEnumType.rejected}


async def on_unpublish_firmware(station: Station, request: Payload) -> Payload:
    return {"status": v201.UnpublishFirmwareStatusEnumType.no_firmware}


# Diagnostics and logs


def _file_name(station: Station, kind: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{kind}-{station.station_id}-{stamp}.log"


async def on_get_diagnostics(station: Station, request: Payload) -> Payload:
    """1.6: the file name, then DiagnosticsStatusNotification Uploading, Uploaded."""
    station.state.request_ids.pop("log", None)
    action = v16.Action.diagnostics_status_notification
    station.after_answer("diagnostics upload", lambda: _steps(station, action, UPLOAD_STEPS, None, "upload"))
    return {"fileName": _file_name(station, "diagnostics")}


async def on_get_log(station: Station, request: Payload) -> Payload:
    """Accepted with the file name, then LogStatusNotification Uploading, Uploaded with the requestId."""
    request_id = station.state.request_ids["log"] = request["requestId"]
    action = v201.Action.log_status_notification
    station.after_answer("log upload", lambda: _steps(station, action, UPLOAD_STEPS, request_id, "upload"))
    return {"status": v16.LogStatus.accepted, "filename": _file_name(station, str(request["logType"]).lower())}


async def _steps(station: Station, action: str, steps: tuple, request_id: int | None, kept: str | None) -> None:
    """Report each step, STEP_SECONDS apart; `kept` names the state field remembering the last one."""
    for n, status in enumerate(steps):
        if n:
            await asyncio.sleep(STEP_SECONDS)
        if kept == "firmware":
            station.state.firmware_status = status
        elif kept == "upload":
            station.state.upload_status = status
        payload: Payload = {"status": status}
        if request_id is not None:
            payload["requestId"] = request_id
        await station.call(action, payload)


# Certificates: none are kept, and no certificate signing request is pending


async def on_certificate_signed(station: Station, request: Payload) -> Payload:
    return {"status": v16.CertificateSignedStatus.rejected}


async def on_delete_certificate(station: Station, request: Payload) -> Payload:
    return {"status": v16.DeleteCertificateStatus.not_found}


async def on_get_installed_certificate_ids(station: Station, request: Payload) -> Payload:
    return {"status": v16.GetInstalledCertificateStatus.not_found}


async def on_install_certificate(station: Station, request: Payload) -> Payload:
    return {"status": v16.CertificateStatus.rejected}


async def on_set_network_profile(station: Station, request: Payload) -> Payload:
    """The simulator connects where --url says, not to a profile the CSMS sets."""
    return {"status": v201.SetNetworkProfileStatusEnumType.rejected}


# 2.0.1 display messages and customer information


async def on_set_display_message(station: Station, request: Payload) -> Payload:
    message = request["message"]
    station.state.display_messages[message["id"]] = message
    return {"status": v201.DisplayMessageStatusEnumType.accepted}


async def on_get_display_messages(station: Station, request: Payload) -> Payload:
    """Accepted and NotifyDisplayMessages with the kept messages that match; Unknown when none does."""
    found = [
        message
        for message in station.state.display_messages.values()
        if message["id"] in request.get("id", [message["id"]])
        and request.get("priority") in (None, message["priority"])
        and request.get("state") in (None, message.get("state"))
    ]
    if not found:
        return {"status": v201.GetDisplayMessagesStatusEnumType.unknown}
    notify = {"requestId": request["requestId"], "messageInfo": found, "tbc": False}
    station.after_answer("display messages", lambda: station.call(v201.Action.notify_display_messages, notify))
    return {"status": v201.GetDisplayMessagesStatusEnumType.accepted}


async def on_clear_display_message(station: Station, request: Payload) -> Payload:
    found = station.state.display_messages.pop(request["id"], None)
    return {"status": v201.ClearMessageStatusEnumType.accepted if found else v201.ClearMessageStatusEnumType.unknown}


async def on_customer_information(station: Station, request: Payload) -> Payload:
    """Accepted; a report says in one NotifyCustomerInformation that no customer data is kept."""
    if request["report"]:
        notify = {
            "data": "This simulated station keeps no customer data.",
            "seqNo": 0,
            "generatedAt": payloads.now(),
            "requestId": request["requestId"],
            "tbc": False,
        }
        station.after_answer("customer information", lambda: _notify_customer(station, notify))
    return {"status": v201.CustomerInformationStatusEnumType.accepted}


async def _notify_customer(station: Station, notify: Payload) -> None:
    await station.call(v201.Action.notify_customer_information, notify)
