"""What central keeps from stations' answers: configuration keys, the device model, and the command a firmware or
upload status belongs to. Commands are built by the operation builders and answered through record_command_result."""

import uuid
from datetime import UTC, datetime

import pytest

from csms import router
from node import schemas
from stations import services
from stations.choices import CommandStatus
from stations.models import Command, ConfigurationKey, DeviceVariable
from stations.services import operations as ops
from tests.support.envelopes import call, send

pytestmark = pytest.mark.django_db

AT = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
LATER = datetime(2025, 3, 1, 11, 0, tzinfo=UTC)
HEARTBEAT = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
POWER = {"component": {"name": "EVSE", "instance": "main", "evse": {"id": 1, "connectorId": 2}},
         "variable": {"name": "Power", "instance": "max"}}


def sent(station, operation, version) -> Command:
    """A command as the node delivered it: stored and sent, waiting for the station's answer."""
    return Command.objects.create(station=station, ocpp_version=version, action=operation.action,
                                  payload=operation.payload, message_id=str(uuid.uuid4()), status=CommandStatus.SENT)


def answer(command, response, *, at=AT) -> Command:
    schemas.validate(command.ocpp_version, command.action, response, response=True)
    return services.record_command_result(message_id=command.message_id, outcome="result", response=response, at=at)


def keys(station):
    return {k.key: (k.value, k.readonly, k.unknown) for k in ConfigurationKey.objects.filter(station=station)}


def variables(station, *fields):
    fields = fields or ("value",)
    return {(v.key, v.evse_id, v.connector_id, v.attribute_type): tuple(getattr(v, f) for f in fields)
            for v in DeviceVariable.objects.filter(station=station)}


def test_every_answer_effect_of_station_operations_has_tests_here():
    router.autodiscover()
    registered = {key for key, effect in router._answers.items() if effect.__module__ == "stations.ocpp.answers"}

    assert registered == {
        ("1.6", "GetConfiguration"), ("1.6", "ChangeConfiguration"), ("2.0.1", "GetVariables"),
        ("2.0.1", "SetVariables"), ("1.6", "UpdateFirmware"), ("1.6", "SignedUpdateFirmware"),
        ("2.0.1", "UpdateFirmware"), ("1.6", "GetDiagnostics"), ("1.6", "GetLog"), ("2.0.1", "GetLog")}


# 1.6 configuration keys


def test_a_getconfiguration_answer_stores_every_key_and_marks_the_unknown_ones(station):
    command = sent(station, ops.get_configuration("1.6"), "1.6")

    answer(command, {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                                          {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
                                          {"key": "AuthorizationKey", "readonly": False}],
                     "unknownKey": ["Frobnicate"]})

    assert keys(station) == {"HeartbeatInterval": ("300", False, False), "NumberOfConnectors": ("2", True, False),
                             "AuthorizationKey": (None, False, False), "Frobnicate": (None, False, True)}
    assert set(ConfigurationKey.objects.values_list("updated_at", flat=True)) == {AT}


def test_a_later_getconfiguration_updates_keys_in_place(station):
    answer(sent(station, ops.get_configuration("1.6"), "1.6"),
           {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                                 {"key": "MeterValueSampleInterval", "readonly": False, "value": "60"}]})

    answer(sent(station, ops.get_configuration("1.6", keys=["HeartbeatInterval", "MeterValueSampleInterval"]), "1.6"),
           {"configurationKey": [{"key": "HeartbeatInterval", "readonly": True, "value": "900"}],
            "unknownKey": ["MeterValueSampleInterval"]}, at=LATER)

    assert keys(station) == {"HeartbeatInterval": ("900", True, False), "MeterValueSampleInterval": (None, False, True)}


@pytest.mark.parametrize("status", ["Accepted", "RebootRequired"])
def test_an_accepted_configuration_change_stores_the_value_sent(station, status):
    answer(sent(station, ops.get_configuration("1.6"), "1.6"),
           {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]})

    command = answer(sent(station, ops.change_configuration("1.6", key="HeartbeatInterval", value=900), "1.6"),
                     {"status": status}, at=LATER)

    assert command.status == CommandStatus.ACCEPTED
    assert keys(station) == {"HeartbeatInterval": ("900", False, False)}
    assert ConfigurationKey.objects.get().updated_at == LATER


def test_a_change_of_a_key_never_read_creates_it(station):
    answer(sent(station, ops.change_configuration("1.6", key="LocalPreAuthorize", value=True), "1.6"),
           {"status": "Accepted"})

    assert keys(station) == {"LocalPreAuthorize": ("true", False, False)}


@pytest.mark.parametrize("status", ["Rejected", "NotSupported"])
def test_a_refused_configuration_change_changes_nothing(station, status):
    answer(sent(station, ops.get_configuration("1.6"), "1.6"),
           {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]})

    command = answer(sent(station, ops.change_configuration("1.6", key="HeartbeatInterval", value=900), "1.6"),
                     {"status": status})

    assert command.status == CommandStatus.REJECTED
    assert keys(station) == {"HeartbeatInterval": ("300", False, False)}


def test_a_failed_getconfiguration_stores_nothing(station):
    command = sent(station, ops.get_configuration("1.6"), "1.6")

    services.record_command_result(message_id=command.message_id, outcome="error", code="NotImplemented", at=AT)

    assert not ConfigurationKey.objects.exists()


# 2.0.1 device model from GetVariables and SetVariables


def test_a_getvariables_answer_stores_the_accepted_results(station):
    command = sent(station, ops.get_configuration("2.0.1", keys=["OCPPCommCtrlr.HeartbeatInterval",
                                                                 "OCPPCommCtrlr.Nothing"]), "2.0.1")

    answer(command, {"getVariableResult": [
        HEARTBEAT | {"attributeStatus": "Accepted", "attributeValue": "300"},
        POWER | {"attributeStatus": "Accepted", "attributeType": "MaxSet", "attributeValue": "11000"},
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "Nothing"}, "attributeStatus": "UnknownVariable"},
    ]})

    assert variables(station, "value", "source", "updated_at") == {
        ("OCPPCommCtrlr.HeartbeatInterval", 0, 0, "Actual"): ("300", "GetVariables", AT),
        ("EVSE[main].Power[max]", 1, 2, "MaxSet"): ("11000", "GetVariables", AT)}


def test_a_setvariables_answer_stores_the_values_the_station_took(station):
    command = sent(station, ops.plain("2.0.1", "SetVariables", {"setVariableData": [
        HEARTBEAT | {"attributeValue": "900"},
        POWER | {"attributeValue": "7400", "attributeType": "MaxSet"},
        {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "SecurityProfile"}, "attributeValue": "3"}]}),
        "2.0.1")

    answer(command, {"setVariableResult": [
        HEARTBEAT | {"attributeStatus": "Accepted"},
        POWER | {"attributeStatus": "RebootRequired", "attributeType": "MaxSet"},
        {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "SecurityProfile"},
         "attributeStatus": "Rejected"}]})

    assert variables(station, "value", "source") == {
        ("OCPPCommCtrlr.HeartbeatInterval", 0, 0, "Actual"): ("900", "SetVariables"),
        ("EVSE[main].Power[max]", 1, 2, "MaxSet"): ("7400", "SetVariables")}


def test_a_set_value_keeps_what_a_report_said_about_the_variable(station):
    report_page(station, request_id=1, seq_no=0, items=[HEARTBEAT_REPORT])

    answer(sent(station, ops.change_configuration("2.0.1", key="OCPPCommCtrlr.HeartbeatInterval", value=60),
                "2.0.1"), {"setVariableResult": [HEARTBEAT | {"attributeStatus": "Accepted"}]}, at=LATER)

    assert variables(station, "value", "mutability", "persistent", "data_type", "unit", "min_limit", "updated_at") == {
        ("OCPPCommCtrlr.HeartbeatInterval", 0, 0, "Actual"): ("60", "ReadWrite", True, "integer", "s", 1.0, LATER)}


def test_a_rejected_setvariables_result_changes_nothing(station):
    answer(sent(station, ops.change_configuration("2.0.1", key="OCPPCommCtrlr.HeartbeatInterval", value=60),
                "2.0.1"), {"setVariableResult": [HEARTBEAT | {"attributeStatus": "Rejected"}]})

    assert not DeviceVariable.objects.exists()


# 2.0.1 device model from NotifyReport pages

HEARTBEAT_REPORT = HEARTBEAT | {
    "variableAttribute": [{"type": "Actual", "value": "300", "persistent": True}],
    "variableCharacteristics": {"dataType": "integer", "unit": "s", "minLimit": 1, "supportsMonitoring": False}}
CONNECTOR_REPORT = {
    "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}}, "variable": {"name": "Enabled"},
    "variableAttribute": [{"value": "true", "mutability": "ReadOnly", "constant": True}]}
POWER_REPORT = POWER | {"variableAttribute": [{"type": "Actual", "value": "3500", "mutability": "ReadOnly"},
                                              {"type": "MaxSet", "value": "11000"}]}
SECRET_REPORT = {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"},
                 "variableAttribute": [{"mutability": "WriteOnly"}],
                 "variableCharacteristics": {"dataType": "string", "maxLimit": 40, "supportsMonitoring": False}}


def report_page(station, *, request_id, seq_no, items, tbc=False, message_id=None, at=None):
    payload = {"requestId": request_id, "generatedAt": "2025-03-01T09:59:00Z", "seqNo": seq_no, "tbc": tbc,
               "reportData": items}
    return send(call(station, "2.0.1", "NotifyReport", payload, message_id=message_id,
                     at=(at or AT).isoformat().replace("+00:00", "Z")))


def test_the_pages_of_a_report_add_up_to_the_device_model(station):
    answer(sent(station, ops.get_report("2.0.1", request_id=7), "2.0.1"), {"status": "Accepted"})

    report_page(station, request_id=7, seq_no=0, tbc=True, items=[HEARTBEAT_REPORT, CONNECTOR_REPORT])
    report_page(station, request_id=7, seq_no=1, items=[POWER_REPORT, SECRET_REPORT])

    assert variables(station, "value", "mutability", "persistent", "constant", "source") == {
        ("OCPPCommCtrlr.HeartbeatInterval", 0, 0, "Actual"): ("300", "ReadWrite", True, False, "NotifyReport 7"),
        ("Connector.Enabled", 1, 1, "Actual"): ("true", "ReadOnly", False, True, "NotifyReport 7"),
        ("EVSE[main].Power[max]", 1, 2, "Actual"): ("3500", "ReadOnly", False, False, "NotifyReport 7"),
        ("EVSE[main].Power[max]", 1, 2, "MaxSet"): ("11000", "ReadWrite", False, False, "NotifyReport 7"),
        ("SecurityCtrlr.BasicAuthPassword", 0, 0, "Actual"): (None, "WriteOnly", False, False, "NotifyReport 7")}
    assert variables(station, "data_type", "unit", "min_limit", "max_limit", "supports_monitoring") == {
        ("OCPPCommCtrlr.HeartbeatInterval", 0, 0, "Actual"): ("integer", "s", 1.0, None, False),
        ("Connector.Enabled", 1, 1, "Actual"): ("", "", None, None, None),
        ("EVSE[main].Power[max]", 1, 2, "Actual"): ("", "", None, None, None),
        ("EVSE[main].Power[max]", 1, 2, "MaxSet"): ("", "", None, None, None),
        ("SecurityCtrlr.BasicAuthPassword", 0, 0, "Actual"): ("string", "", None, 40.0, False)}


def test_a_resent_page_is_applied_once(station):
    report_page(station, request_id=7, seq_no=0, items=[HEARTBEAT_REPORT], message_id="page-0")
    answer(sent(station, ops.change_configuration("2.0.1", key="OCPPCommCtrlr.HeartbeatInterval", value=60),
                "2.0.1"), {"setVariableResult": [HEARTBEAT | {"attributeStatus": "Accepted"}]}, at=LATER)

    reply = report_page(station, request_id=7, seq_no=0, items=[HEARTBEAT_REPORT], message_id="page-0", at=LATER)

    assert reply["payload"] == {}
    assert variables(station, "value", "source") == {
        ("OCPPCommCtrlr.HeartbeatInterval", 0, 0, "Actual"): ("60", "SetVariables")}
    assert station.messages.filter(action="NotifyReport").count() == 1


def test_a_new_report_updates_the_rows_of_the_last_one(station):
    report_page(station, request_id=7, seq_no=0, items=[HEARTBEAT_REPORT, CONNECTOR_REPORT])

    newer = HEARTBEAT_REPORT | {"variableAttribute": [{"type": "Actual", "value": "120"}]}
    report_page(station, request_id=8, seq_no=0, items=[newer], at=LATER)

    assert variables(station, "value", "source", "updated_at", "unit") == {
        ("OCPPCommCtrlr.HeartbeatInterval", 0, 0, "Actual"): ("120", "NotifyReport 8", LATER, "s"),
        ("Connector.Enabled", 1, 1, "Actual"): ("true", "NotifyReport 7", AT, "")}


def test_an_empty_report_page_stores_the_message_only(station):
    send(call(station, "2.0.1", "NotifyReport", {"requestId": 9, "generatedAt": "2025-03-01T09:59:00Z", "seqNo": 0}))

    assert station.messages.count() == 1 and not DeviceVariable.objects.exists()


# Firmware updates and diagnostics / log uploads


FIRMWARE = {"location": "https://fw.example.com/1.2.bin", "retrieve_at": AT}
LOGS = {"location": "ftp://logs.example.com/"}


def status(station, version, action, payload):
    send(call(station, version, action, payload))
    station.refresh_from_db()
    return station


@pytest.mark.parametrize(("version", "operation", "response"), [
    ("1.6", ops.update_firmware("1.6", **FIRMWARE), {}),
    ("1.6", ops.update_firmware("1.6", **FIRMWARE, signing_certificate="MIIB", signature="c2ln"),
     {"status": "Accepted"}),
    ("2.0.1", ops.update_firmware("2.0.1", **FIRMWARE), {"status": "Accepted"}),
    ("2.0.1", ops.update_firmware("2.0.1", **FIRMWARE), {"status": "AcceptedCanceled"}),
], ids=["1.6", "1.6 signed", "2.0.1", "2.0.1 replacing another"])
def test_an_accepted_firmware_update_is_what_the_firmware_status_belongs_to(station, version, operation, response):
    command = answer(sent(station, operation, version), response)

    station.refresh_from_db()
    assert station.firmware_command == command and station.diagnostics_command is None


@pytest.mark.parametrize(("version", "operation", "response"), [
    ("1.6", ops.get_diagnostics("1.6", **LOGS), {"fileName": "diag-0042.zip"}),
    ("1.6", ops.plain("1.6", "GetLog", {"logType": "SecurityLog", "requestId": 4,
                                        "log": {"remoteLocation": "ftp://logs.example.com/"}}), {"status": "Accepted"}),
    ("2.0.1", ops.get_diagnostics("2.0.1", **LOGS), {"status": "Accepted", "filename": "diag.zip"}),
], ids=["1.6 diagnostics", "1.6 security log", "2.0.1 log"])
def test_an_accepted_upload_request_is_what_the_upload_status_belongs_to(station, version, operation, response):
    command = answer(sent(station, operation, version), response)

    station.refresh_from_db()
    assert station.diagnostics_command == command and station.firmware_command is None


@pytest.mark.parametrize(("version", "operation", "response"), [
    ("1.6", ops.update_firmware("1.6", **FIRMWARE, signing_certificate="MIIB", signature="c2ln"),
     {"status": "InvalidCertificate"}),
    ("2.0.1", ops.update_firmware("2.0.1", **FIRMWARE), {"status": "Rejected"}),
    ("2.0.1", ops.update_firmware("2.0.1", **FIRMWARE), {"status": "RevokedCertificate"}),
    ("1.6", ops.get_diagnostics("1.6", **LOGS), {}),
    ("2.0.1", ops.get_diagnostics("2.0.1", **LOGS), {"status": "Rejected"}),
], ids=["1.6 signed invalid certificate", "2.0.1 rejected", "2.0.1 revoked certificate",
        "1.6 diagnostics with nothing to upload", "2.0.1 log rejected"])
def test_a_refused_firmware_or_upload_request_changes_nothing(station, version, operation, response):
    answer(sent(station, operation, version), response)

    station.refresh_from_db()
    assert station.firmware_command is None and station.diagnostics_command is None


def test_a_201_firmware_status_belongs_to_the_command_with_its_request_id(station):
    first = answer(sent(station, ops.update_firmware("2.0.1", **FIRMWARE, request_id=11), "2.0.1"),
                   {"status": "Accepted"})
    second = answer(sent(station, ops.update_firmware("2.0.1", **FIRMWARE, request_id=12), "2.0.1"),
                    {"status": "AcceptedCanceled"})

    assert status(station, "2.0.1", "FirmwareStatusNotification",
                  {"status": "Downloading", "requestId": 12}).firmware_command == second
    assert status(station, "2.0.1", "FirmwareStatusNotification",
                  {"status": "DownloadFailed", "requestId": 11}).firmware_command == first
    assert status(station, "2.0.1", "FirmwareStatusNotification",
                  {"status": "Downloading", "requestId": 99}).firmware_command is None


def test_a_status_arriving_before_the_answer_still_finds_its_command(station):
    command = sent(station, ops.get_diagnostics("2.0.1", **LOGS, request_id=21), "2.0.1")

    assert status(station, "2.0.1", "LogStatusNotification",
                  {"status": "Uploading", "requestId": 21}).diagnostics_command == command


def test_a_16_status_without_request_id_stays_with_the_accepted_command(station):
    command = answer(sent(station, ops.update_firmware("1.6", **FIRMWARE), "1.6"), {})

    station = status(station, "1.6", "FirmwareStatusNotification", {"status": "Downloading"})

    assert (station.firmware_status, station.firmware_command) == ("Downloading", command)
