"""OCPP 1.6 notifications (core and security extension): each is stored whole and answered as the spec says."""

from datetime import datetime

import pytest
from ocpp.v16.enums import DiagnosticsStatus, FirmwareStatus, UploadLogStatus

from csms import router
from node import schemas
from stations.choices import UploadStatus
from stations.models import StationMessage
from tests.support.envelopes import call, send

pytestmark = pytest.mark.django_db

EARLY, LATE = "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z"

# action: (request, the answer the spec sets, the summary stored, the station's own timestamp)
CASES = {
    "DataTransfer": ({"vendorId": "com.nobody", "messageId": "Ping", "data": "{}"},
                     {"status": "UnknownVendorId"}, "com.nobody Ping: Unknown vendor id", None),
    "FirmwareStatusNotification": ({"status": "Downloading"}, {}, "Downloading", None),
    "SignedFirmwareStatusNotification": ({"status": "SignatureVerified", "requestId": 4}, {},
                                         "SignatureVerified (request 4)", None),
    "DiagnosticsStatusNotification": ({"status": "Uploaded"}, {}, "Uploaded", None),
    "LogStatusNotification": ({"status": "Uploading", "requestId": 9}, {}, "Uploading (request 9)", None),
    "SecurityEventNotification": ({"type": "TamperDetectionActivated", "timestamp": EARLY, "techInfo": "lid opened"},
                                  {}, "TamperDetectionActivated: lid opened", EARLY),
    "SignCertificate": ({"csr": "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----"},
                        {"status": "Rejected"}, "certificate signing request: Rejected, no certificate authority",
                        None),
}
actions = pytest.mark.parametrize("action", sorted(CASES))


def notify(station, action, payload, **kwargs):
    return send(call(station, "1.6", action, payload, **kwargs))


def test_every_16_notification_handler_has_a_case_here():
    router.autodiscover()
    handled_here = {action for action in router.registered_actions("1.6")
                    if router.call_handler("1.6", action).__module__ == "stations.ocpp.notifications_v16"}

    assert handled_here == set(CASES)


@actions
def test_the_request_is_valid_against_the_official_schema(action):
    schemas.validate("1.6", action, CASES[action][0])


@actions
def test_the_answer_is_what_the_spec_sets_and_valid_against_the_official_schema(station, action):
    request, answer, _, _ = CASES[action]

    reply = notify(station, action, request)

    assert (reply["kind"], reply["payload"]) == ("result", answer)
    schemas.validate("1.6", action, reply["payload"], response=True)


@actions
def test_the_message_is_stored_whole_with_its_gist(station, action):
    request, _, summary, station_time = CASES[action]

    notify(station, action, request, message_id="m-7", at=LATE)

    message = StationMessage.objects.get()
    assert (message.station, message.ocpp_version, message.action, message.message_id, message.summary,
            message.payload, message.received_at) == (
        station, "1.6", action, "m-7", summary, request, datetime.fromisoformat(LATE))
    assert message.station_time == (station_time and datetime.fromisoformat(station_time))


@actions
def test_a_resent_message_is_stored_once(station, action):
    request = CASES[action][0]

    first = notify(station, action, request, message_id="m-1")
    again = notify(station, action, request, message_id="m-1")

    assert StationMessage.objects.count() == 1
    assert first["payload"] == again["payload"]


def test_the_same_message_id_with_other_content_is_another_message(station):
    notify(station, "FirmwareStatusNotification", {"status": "Downloading"}, message_id="1")
    notify(station, "FirmwareStatusNotification", {"status": "Downloaded"}, message_id="1")  # ids restart at boot

    assert StationMessage.objects.count() == 2


@actions
def test_a_notification_from_an_unknown_station_is_a_security_error(db, action):
    reply = notify("CP-NOBODY", action, CASES[action][0])

    assert (reply["kind"], reply["payload"]["code"]) == ("error", "SecurityError")
    assert not StationMessage.objects.exists()


@pytest.mark.parametrize("status", list(FirmwareStatus), ids=str)
def test_every_signed_firmware_status_is_kept_on_the_station_under_its_own_name(station, status):
    notify(station, "SignedFirmwareStatusNotification", {"status": status.value, "requestId": 1}, at=LATE)

    station.refresh_from_db()
    assert (station.firmware_status, station.firmware_status_at) == (status.value, datetime.fromisoformat(LATE))


def test_the_plain_firmware_status_is_kept_on_the_station(station):
    notify(station, "FirmwareStatusNotification", {"status": "InstallationFailed"})

    station.refresh_from_db()
    assert station.firmware_status == "InstallationFailed"


def test_a_firmware_status_received_earlier_does_not_overwrite_a_later_one(station):
    notify(station, "FirmwareStatusNotification", {"status": "Installed"}, at=LATE)

    notify(station, "FirmwareStatusNotification", {"status": "Installing"}, at=EARLY)  # a redelivery, late

    station.refresh_from_db()
    assert (station.firmware_status, station.firmware_status_at) == ("Installed", datetime.fromisoformat(LATE))


@pytest.mark.parametrize("status", list(DiagnosticsStatus), ids=str)
def test_every_diagnostics_status_is_kept_on_the_station_under_its_own_name(station, status):
    notify(station, "DiagnosticsStatusNotification", {"status": status.value}, at=LATE)

    station.refresh_from_db()
    assert (station.diagnostics_status, station.diagnostics_status_at) == (status.value,
                                                                           datetime.fromisoformat(LATE))


@pytest.mark.parametrize("status", list(UploadLogStatus), ids=str)
def test_every_log_upload_status_is_kept_on_the_station(station, status):
    notify(station, "LogStatusNotification", {"status": status.value, "requestId": 2})

    station.refresh_from_db()
    assert station.diagnostics_status in UploadStatus.values


def test_a_failed_log_upload_reads_like_a_failed_diagnostics_upload(station):
    notify(station, "LogStatusNotification", {"status": "UploadFailure", "requestId": 2})

    station.refresh_from_db()
    assert station.diagnostics_status == UploadStatus.UPLOAD_FAILED


def test_a_notification_counts_as_a_sign_of_life(station):
    notify(station, "DiagnosticsStatusNotification", {"status": "Uploading"}, at=LATE)

    station.refresh_from_db()
    assert station.last_seen == datetime.fromisoformat(LATE)


def test_a_long_security_event_is_summarised_within_the_column(station):
    request = {"type": "X" * 50, "timestamp": EARLY, "techInfo": "y" * 255}

    notify(station, "SecurityEventNotification", request)

    message = StationMessage.objects.get()
    assert (len(message.summary), message.summary[-3:], message.payload) == (255, "...", request)
