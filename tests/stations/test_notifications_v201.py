"""OCPP 2.0.1 notifications, reports and certificate requests: each is stored whole and answered as the spec says."""

from datetime import datetime

import pytest
from ocpp.v201.enums import FirmwareStatusEnumType, UploadLogStatusEnumType

from csms import router
from node import schemas
from stations.choices import FirmwareStatus, UploadStatus
from stations.models import StationMessage
from tests.support.envelopes import call, send

pytestmark = pytest.mark.django_db

EARLY, LATE = "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z"
SCHEDULE = {"id": 2, "chargingRateUnit": "W",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400.0}, {"startPeriod": 3600, "limit": 3700.0}]}

# action: (request, the answer the spec sets, the summary stored, the station's own timestamp)
CASES = {
    "ClearedChargingLimit": ({"chargingLimitSource": "SO", "evseId": 2}, {}, "SO, EVSE 2", None),
    "DataTransfer": ({"vendorId": "com.nobody", "messageId": "Ping", "data": {"n": 1}},
                     {"status": "UnknownVendorId"}, "com.nobody Ping: Unknown vendor id", None),
    "FirmwareStatusNotification": ({"status": "Installing", "requestId": 2}, {}, "Installing (request 2)", None),
    "Get15118EVCertificate": (
        {"iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef", "action": "Install", "exiRequest": "gAB+"},
        {"status": "Failed", "exiResponse": ""},
        "Install for urn:iso:15118:2:2013:MsgDef: Failed, no contract certificate pool", None),
    "GetCertificateStatus": (
        {"ocspRequestData": {"hashAlgorithm": "SHA256", "issuerNameHash": "a1", "issuerKeyHash": "b2",
                             "serialNumber": "0F3A", "responderURL": "http://ocsp.example.com"}},
        {"status": "Failed"}, "certificate 0F3A at http://ocsp.example.com: Failed, no OCSP client", None),
    "LogStatusNotification": ({"status": "AcceptedCanceled", "requestId": 6}, {}, "AcceptedCanceled (request 6)",
                              None),
    "NotifyChargingLimit": (
        {"chargingLimit": {"chargingLimitSource": "EMS", "isGridCritical": True}, "evseId": 1,
         "chargingSchedule": [SCHEDULE]},
        {}, "EMS, grid critical, EVSE 1: 1 schedule", None),
    "NotifyCustomerInformation": (
        {"data": "no data held for this customer", "seqNo": 0, "tbc": False, "generatedAt": EARLY, "requestId": 4},
        {}, "request 4, seqNo 0: 30 characters", EARLY),
    "NotifyDisplayMessages": (
        {"requestId": 5, "tbc": True,
         "messageInfo": [{"id": 1, "priority": "NormalCycle", "message": {"format": "UTF8", "content": "Welcome"}}]},
        {}, "request 5, tbc: 1 message", None),
    "NotifyEVChargingNeeds": (
        {"evseId": 1, "chargingNeeds": {"requestedEnergyTransfer": "AC_three_phase", "departureTime": LATE,
                                        "acChargingParameters": {"energyAmount": 20000, "evMinCurrent": 6,
                                                                 "evMaxCurrent": 32, "evMaxVoltage": 400}}},
        {"status": "Rejected"}, f"EVSE 1: AC_three_phase, departs {LATE}: Rejected, no smart charging", None),
    "NotifyEVChargingSchedule": ({"timeBase": EARLY, "evseId": 1, "chargingSchedule": SCHEDULE},
                                 {"status": "Accepted"}, "EVSE 1: schedule 2, 2 periods in W", None),
    "NotifyEvent": (
        {"generatedAt": EARLY, "seqNo": 0, "tbc": False, "eventData": [
            {"eventId": 1, "timestamp": EARLY, "trigger": "Alerting", "actualValue": "true",
             "eventNotificationType": "HardWiredNotification", "component": {"name": "EVSE", "evse": {"id": 1}},
             "variable": {"name": "Problem"}},
            {"eventId": 2, "timestamp": EARLY, "trigger": "Delta", "actualValue": "Faulted",
             "eventNotificationType": "HardWiredNotification", "component": {"name": "Connector"},
             "variable": {"name": "AvailabilityState"}}]},
        {}, "seqNo 0: Alerting EVSE.Problem = true (+1 more)", EARLY),
    "NotifyMonitoringReport": (
        {"requestId": 3, "seqNo": 1, "generatedAt": EARLY, "monitor": [
            {"component": {"name": "EVSE"}, "variable": {"name": "Power"}, "variableMonitoring": [
                {"id": 1, "transaction": False, "value": 22000, "type": "UpperThreshold", "severity": 5}]}]},
        {}, "request 3, seqNo 1: 1 monitored variable", EARLY),
    "NotifyReport": (
        {"requestId": 7, "generatedAt": EARLY, "seqNo": 0, "tbc": True, "reportData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
             "variableAttribute": [{"type": "Actual", "value": "300"}]},
            {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "SecurityProfile"},
             "variableAttribute": [{"type": "Actual", "value": "1"}]}]},
        {}, "request 7, seqNo 0, tbc: 2 variables", EARLY),
    "PublishFirmwareStatusNotification": (
        {"status": "Published", "location": ["https://lc.example.com/fw.bin"], "requestId": 3}, {},
        "Published (request 3)", None),
    "ReportChargingProfiles": (
        {"requestId": 9, "chargingLimitSource": "CSO", "evseId": 1, "chargingProfile": [
            {"id": 10, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
             "chargingSchedule": [SCHEDULE]}]},
        {}, "request 9, EVSE 1, CSO: 1 profile", None),
    "ReservationStatusUpdate": ({"reservationId": 12, "reservationUpdateStatus": "Expired"}, {},
                                "reservation 12 Expired", None),
    "SecurityEventNotification": ({"type": "FirmwareUpdated", "timestamp": EARLY}, {}, "FirmwareUpdated", EARLY),
    "SignCertificate": (
        {"csr": "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----",
         "certificateType": "V2GCertificate"},
        {"status": "Rejected"}, "V2GCertificate signing request: Rejected, no certificate authority", None),
}
actions = pytest.mark.parametrize("action", sorted(CASES))


def notify(station, action, payload, **kwargs):
    return send(call(station, "2.0.1", action, payload, **kwargs))


def test_every_201_notification_handler_has_a_case_here():
    router.autodiscover()
    handled_here = {action for action in router.registered_actions("2.0.1")
                    if router.call_handler("2.0.1", action).__module__ == "stations.ocpp.notifications_v201"}

    assert handled_here == set(CASES)


@actions
def test_the_request_is_valid_against_the_official_schema(action):
    schemas.validate("2.0.1", action, CASES[action][0])


@actions
def test_the_answer_is_what_the_spec_sets_and_valid_against_the_official_schema(station, action):
    request, answer, _, _ = CASES[action]

    reply = notify(station, action, request)

    assert (reply["kind"], reply["payload"]) == ("result", answer)
    schemas.validate("2.0.1", action, reply["payload"], response=True)


@actions
def test_the_message_is_stored_whole_with_its_gist(station, action):
    request, _, summary, station_time = CASES[action]

    notify(station, action, request, message_id="m-7", at=LATE)

    message = StationMessage.objects.get()
    assert (message.station, message.ocpp_version, message.action, message.message_id, message.summary,
            message.payload, message.received_at) == (
        station, "2.0.1", action, "m-7", summary, request, datetime.fromisoformat(LATE))
    assert message.station_time == (station_time and datetime.fromisoformat(station_time))


@actions
def test_a_resent_message_is_stored_once(station, action):
    request = CASES[action][0]

    notify(station, action, request, message_id="m-1")
    notify(station, action, request, message_id="m-1")

    assert StationMessage.objects.count() == 1


@actions
def test_a_notification_from_an_unknown_station_is_a_security_error(db, action):
    reply = notify("CP-NOBODY", action, CASES[action][0])

    assert (reply["kind"], reply["payload"]["code"]) == ("error", "SecurityError")
    assert not StationMessage.objects.exists()


def test_each_page_of_a_report_is_stored(station):
    request = CASES["NotifyReport"][0]

    notify(station, "NotifyReport", request | {"seqNo": 0, "tbc": True})
    notify(station, "NotifyReport", request | {"seqNo": 1, "tbc": False})

    assert list(StationMessage.objects.order_by("id").values_list("summary", flat=True)) == [
        "request 7, seqNo 0, tbc: 2 variables", "request 7, seqNo 1: 2 variables"]


@pytest.mark.parametrize("status", list(FirmwareStatusEnumType), ids=str)
def test_every_firmware_status_is_kept_on_the_station_under_its_own_name(station, status):
    notify(station, "FirmwareStatusNotification", {"status": status.value}, at=LATE)

    station.refresh_from_db()
    assert station.firmware_status in FirmwareStatus.values
    assert (station.firmware_status, station.firmware_status_at) == (status.value, datetime.fromisoformat(LATE))


def test_a_firmware_status_received_earlier_does_not_overwrite_a_later_one(station):
    notify(station, "FirmwareStatusNotification", {"status": "Installed", "requestId": 1}, at=LATE)

    notify(station, "FirmwareStatusNotification", {"status": "Downloading", "requestId": 1}, at=EARLY)

    station.refresh_from_db()
    assert station.firmware_status == "Installed"


@pytest.mark.parametrize("status", list(UploadLogStatusEnumType), ids=str)
def test_every_log_upload_status_is_kept_on_the_station(station, status):
    notify(station, "LogStatusNotification", {"status": status.value, "requestId": 1}, at=LATE)

    station.refresh_from_db()
    assert station.diagnostics_status in UploadStatus.values
    assert station.diagnostics_status_at == datetime.fromisoformat(LATE)


def test_a_canceled_log_upload_reads_as_canceled(station):
    notify(station, "LogStatusNotification", {"status": "AcceptedCanceled", "requestId": 1})

    station.refresh_from_db()
    assert station.get_diagnostics_status_display() == "Canceled by a newer request"
