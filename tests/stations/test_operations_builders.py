"""Operation builders: one call for either OCPP version, the exact request of that version, valid against its schema."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from csms.actions import COMMAND_ACTIONS
from csms.exceptions import InvalidCommand
from node import schemas
from stations.services import operations as ops

AT = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
HASH = {"hash_algorithm": "SHA256", "issuer_name_hash": "a1", "issuer_key_hash": "b2", "serial_number": "0F3A"}
HASH_DATA = {"hashAlgorithm": "SHA256", "issuerNameHash": "a1", "issuerKeyHash": "b2", "serialNumber": "0F3A"}
HEARTBEAT = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}

# id: (builder, version, keyword arguments, action, payload)
CASES = {
    "reset soft 1.6": (ops.reset, "1.6", {}, "Reset", {"type": "Soft"}),
    "reset hard 1.6": (ops.reset, "1.6", {"hard": True}, "Reset", {"type": "Hard"}),
    "reset soft 2.0.1": (ops.reset, "2.0.1", {}, "Reset", {"type": "OnIdle"}),
    "reset hard evse 2.0.1": (ops.reset, "2.0.1", {"hard": True, "evse_id": 2}, "Reset",
                              {"type": "Immediate", "evseId": 2}),
    "availability station 1.6": (ops.change_availability, "1.6", {"operative": False}, "ChangeAvailability",
                                 {"connectorId": 0, "type": "Inoperative"}),
    "availability connector 1.6": (ops.change_availability, "1.6", {"operative": True, "evse_id": 2, "connector_id": 1},
                                   "ChangeAvailability", {"connectorId": 2, "type": "Operative"}),
    "availability station 2.0.1": (ops.change_availability, "2.0.1", {"operative": True}, "ChangeAvailability",
                                   {"operationalStatus": "Operative"}),
    "availability evse 2.0.1": (ops.change_availability, "2.0.1", {"operative": False, "evse_id": 1},
                                "ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 1}}),
    "availability connector 2.0.1": (ops.change_availability, "2.0.1",
                                     {"operative": False, "evse_id": 1, "connector_id": 2}, "ChangeAvailability",
                                     {"operationalStatus": "Inoperative", "evse": {"id": 1, "connectorId": 2}}),
    "configuration 1.6": (ops.change_configuration, "1.6", {"key": "HeartbeatInterval", "value": 300},
                          "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "300"}),
    "configuration boolean 1.6": (ops.change_configuration, "1.6", {"key": "AuthorizeRemoteTxRequests", "value": True},
                                  "ChangeConfiguration", {"key": "AuthorizeRemoteTxRequests", "value": "true"}),
    "configuration key 2.0.1": (ops.change_configuration, "2.0.1",
                                {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": 300}, "SetVariables",
                                {"setVariableData": [HEARTBEAT | {"attributeValue": "300"}]}),
    "configuration instances 2.0.1": (
        ops.change_configuration, "2.0.1", {"key": "EVSE[main].Power[max]", "value": "11000", "evse_id": 1,
                                            "attribute_type": "MaxSet"}, "SetVariables",
        {"setVariableData": [{"component": {"name": "EVSE", "instance": "main", "evse": {"id": 1}},
                              "variable": {"name": "Power", "instance": "max"}, "attributeValue": "11000",
                              "attributeType": "MaxSet"}]}),
    "configuration explicit 2.0.1": (
        ops.change_configuration, "2.0.1", {"component": "Connector", "variable": "Enabled", "evse_id": 1,
                                            "connector_id": 1, "value": False}, "SetVariables",
        {"setVariableData": [{"component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
                              "variable": {"name": "Enabled"}, "attributeValue": "false"}]}),
    "get configuration all 1.6": (ops.get_configuration, "1.6", {}, "GetConfiguration", {}),
    "get configuration keys 1.6": (ops.get_configuration, "1.6", {"keys": ["HeartbeatInterval"]},
                                   "GetConfiguration", {"key": ["HeartbeatInterval"]}),
    "get configuration all 2.0.1": (ops.get_configuration, "2.0.1", {"request_id": 7}, "GetBaseReport",
                                    {"requestId": 7, "reportBase": "FullInventory"}),
    "get configuration keys 2.0.1": (ops.get_configuration, "2.0.1", {"keys": ["OCPPCommCtrlr.HeartbeatInterval"]},
                                     "GetVariables", {"getVariableData": [HEARTBEAT]}),
    "base report 2.0.1": (ops.get_report, "2.0.1", {"base": "ConfigurationInventory", "request_id": 3},
                          "GetBaseReport", {"requestId": 3, "reportBase": "ConfigurationInventory"}),
    "report 2.0.1": (ops.get_report, "2.0.1", {"components": ["EVSE", "OCPPCommCtrlr.HeartbeatInterval"],
                                               "criteria": ["Problem"], "request_id": 4}, "GetReport",
                     {"requestId": 4, "componentVariable": [{"component": {"name": "EVSE"}}, HEARTBEAT],
                      "componentCriteria": ["Problem"]}),
    "clear cache 1.6": (ops.clear_cache, "1.6", {}, "ClearCache", {}),
    "clear cache 2.0.1": (ops.clear_cache, "2.0.1", {}, "ClearCache", {}),
    "unlock 1.6": (ops.unlock_connector, "1.6", {"evse_id": 2}, "UnlockConnector", {"connectorId": 2}),
    "unlock 2.0.1": (ops.unlock_connector, "2.0.1", {"evse_id": 2, "connector_id": 3}, "UnlockConnector",
                     {"evseId": 2, "connectorId": 3}),
    "trigger 1.6": (ops.trigger_message, "1.6", {"message": "StatusNotification", "evse_id": 1}, "TriggerMessage",
                    {"requestedMessage": "StatusNotification", "connectorId": 1}),
    "trigger log name in 1.6": (ops.trigger_message, "1.6", {"message": "LogStatusNotification"}, "TriggerMessage",
                                {"requestedMessage": "DiagnosticsStatusNotification"}),
    "trigger 2.0.1": (ops.trigger_message, "2.0.1", {"message": "Heartbeat"}, "TriggerMessage",
                      {"requestedMessage": "Heartbeat"}),
    "trigger diagnostics name in 2.0.1": (
        ops.trigger_message, "2.0.1", {"message": "DiagnosticsStatusNotification", "evse_id": 1, "connector_id": 1},
        "TriggerMessage", {"requestedMessage": "LogStatusNotification", "evse": {"id": 1, "connectorId": 1}}),
    "data transfer 1.6": (ops.data_transfer, "1.6", {"vendor_id": "com.acme", "message_id": "Ping", "data": {"n": 1}},
                          "DataTransfer", {"vendorId": "com.acme", "messageId": "Ping", "data": '{"n":1}'}),
    "data transfer 2.0.1": (ops.data_transfer, "2.0.1", {"vendor_id": "com.acme", "data": {"n": 1}}, "DataTransfer",
                            {"vendorId": "com.acme", "data": {"n": 1}}),
    "firmware 1.6": (ops.update_firmware, "1.6", {"location": "https://fw.example.com/1.2.bin", "retrieve_at": AT,
                                                  "retries": 3, "retry_interval": 60}, "UpdateFirmware",
                     {"location": "https://fw.example.com/1.2.bin", "retrieveDate": "2025-03-01T10:00:00Z",
                      "retries": 3, "retryInterval": 60}),
    "signed firmware 1.6": (
        ops.update_firmware, "1.6", {"location": "https://fw.example.com/1.2.bin", "retrieve_at": AT, "request_id": 8,
                                     "signing_certificate": CERT, "signature": "c2ln"}, "SignedUpdateFirmware",
        {"requestId": 8, "firmware": {"location": "https://fw.example.com/1.2.bin",
                                      "retrieveDateTime": "2025-03-01T10:00:00Z", "signingCertificate": CERT,
                                      "signature": "c2ln"}}),
    "firmware 2.0.1": (
        ops.update_firmware, "2.0.1", {"location": "https://fw.example.com/1.2.bin",
                                       "retrieve_at": AT.astimezone(timezone(timedelta(hours=2))),
                                       "install_at": "2025-03-02T03:00:00Z", "retries": 2, "request_id": 9},
        "UpdateFirmware",
        {"requestId": 9, "retries": 2, "firmware": {"location": "https://fw.example.com/1.2.bin",
                                                    "retrieveDateTime": "2025-03-01T10:00:00Z",
                                                    "installDateTime": "2025-03-02T03:00:00Z"}}),
    "diagnostics 1.6": (ops.get_diagnostics, "1.6", {"location": "ftp://logs.example.com/", "start": AT,
                                                     "retries": 1}, "GetDiagnostics",
                        {"location": "ftp://logs.example.com/", "startTime": "2025-03-01T10:00:00Z", "retries": 1}),
    "diagnostics 2.0.1": (ops.get_diagnostics, "2.0.1", {"location": "ftp://logs.example.com/", "stop": AT,
                                                         "retry_interval": 30, "request_id": 5}, "GetLog",
                          {"logType": "DiagnosticsLog", "requestId": 5, "retryInterval": 30,
                           "log": {"remoteLocation": "ftp://logs.example.com/",
                                   "latestTimestamp": "2025-03-01T10:00:00Z"}}),
    "install certificate 1.6": (ops.install_certificate, "1.6",
                                {"certificate_type": "CSMSRootCertificate", "certificate": CERT},
                                "InstallCertificate", {"certificateType": "CentralSystemRootCertificate",
                                                       "certificate": CERT}),
    "install certificate 2.0.1": (ops.install_certificate, "2.0.1",
                                  {"certificate_type": "V2GRootCertificate", "certificate": CERT},
                                  "InstallCertificate", {"certificateType": "V2GRootCertificate", "certificate": CERT}),
    "delete certificate 1.6": (ops.delete_certificate, "1.6", HASH, "DeleteCertificate",
                               {"certificateHashData": HASH_DATA}),
    "delete certificate 2.0.1": (ops.delete_certificate, "2.0.1", HASH, "DeleteCertificate",
                                 {"certificateHashData": HASH_DATA}),
    "certificate ids 1.6": (ops.get_installed_certificate_ids, "1.6",
                            {"certificate_types": ["ManufacturerRootCertificate"]}, "GetInstalledCertificateIds",
                            {"certificateType": "ManufacturerRootCertificate"}),
    "certificate ids all 2.0.1": (ops.get_installed_certificate_ids, "2.0.1", {}, "GetInstalledCertificateIds", {}),
    "certificate ids 2.0.1": (ops.get_installed_certificate_ids, "2.0.1",
                              {"certificate_types": ["CentralSystemRootCertificate", "V2GCertificateChain"]},
                              "GetInstalledCertificateIds",
                              {"certificateType": ["CSMSRootCertificate", "V2GCertificateChain"]}),
    "certificate signed 1.6": (ops.certificate_signed, "1.6", {"certificate_chain": CERT}, "CertificateSigned",
                               {"certificateChain": CERT}),
    "certificate signed 2.0.1": (ops.certificate_signed, "2.0.1",
                                 {"certificate_chain": CERT, "certificate_type": "V2GCertificate"}, "CertificateSigned",
                                 {"certificateChain": CERT, "certificateType": "V2GCertificate"}),
    "display message 2.0.1": (
        ops.set_display_message, "2.0.1", {"message_id": 1, "content": "Welkom", "language": "nl", "end": AT,
                                           "priority": "InFront"}, "SetDisplayMessage",
        {"message": {"id": 1, "priority": "InFront", "endDateTime": "2025-03-01T10:00:00Z",
                     "message": {"format": "UTF8", "language": "nl", "content": "Welkom"}}}),
    "get display messages 2.0.1": (ops.get_display_messages, "2.0.1", {"ids": [1, 2], "state": "Idle",
                                                                      "request_id": 6}, "GetDisplayMessages",
                                   {"requestId": 6, "id": [1, 2], "state": "Idle"}),
    "clear display message 2.0.1": (ops.clear_display_message, "2.0.1", {"message_id": 1}, "ClearDisplayMessage",
                                    {"id": 1}),
    "variable monitoring 2.0.1": (
        ops.set_variable_monitoring, "2.0.1", {"key": "EVSE.Power", "evse_id": 1, "monitor_type": "UpperThreshold",
                                               "value": 22000, "severity": 5}, "SetVariableMonitoring",
        {"setMonitoringData": [{"value": 22000, "type": "UpperThreshold", "severity": 5,
                                "component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}}]}),
    "clear monitoring 2.0.1": (ops.clear_variable_monitoring, "2.0.1", {"ids": [3, 4]}, "ClearVariableMonitoring",
                               {"id": [3, 4]}),
    "monitoring base 2.0.1": (ops.set_monitoring_base, "2.0.1", {"base": "HardWiredOnly"}, "SetMonitoringBase",
                              {"monitoringBase": "HardWiredOnly"}),
    "monitoring level 2.0.1": (ops.set_monitoring_level, "2.0.1", {"severity": 4}, "SetMonitoringLevel",
                               {"severity": 4}),
    "monitoring report 2.0.1": (ops.get_monitoring_report, "2.0.1", {"criteria": ["DeltaMonitoring"],
                                                                     "request_id": 2}, "GetMonitoringReport",
                                {"requestId": 2, "monitoringCriteria": ["DeltaMonitoring"]}),
    "plain 1.6": (ops.plain, "1.6", {"action": "GetLocalListVersion", "payload": {}}, "GetLocalListVersion", {}),
    "plain 2.0.1": (ops.plain, "2.0.1", {"action": "CustomerInformation",
                                         "payload": {"requestId": 1, "report": True, "clear": False}},
                    "CustomerInformation", {"requestId": 1, "report": True, "clear": False}),
}
cases = pytest.mark.parametrize("case", sorted(CASES))


def build(builder, version, kwargs):
    if builder is ops.plain:
        return builder(version, kwargs["action"], kwargs["payload"])
    return builder(version, **kwargs)


@cases
def test_the_request_is_exactly_the_versions_own(case):
    builder, version, kwargs, action, payload = CASES[case]

    assert build(builder, version, kwargs) == (action, payload)


@cases
def test_the_request_is_valid_against_the_official_schema_and_a_command_the_version_sends(case):
    builder, version, kwargs, _, _ = CASES[case]

    action, payload = build(builder, version, kwargs)

    schemas.validate(version, action, payload)
    assert action in COMMAND_ACTIONS[version]


def test_every_public_builder_has_a_case_in_each_version_it_supports():
    builders = {name for name, value in vars(ops).items()
                if callable(value) and not name.startswith("_") and getattr(value, "__module__", "") == ops.__name__
                and name != "Operation"}
    covered = {builder.__name__ for builder, *_ in CASES.values()}

    assert builders == covered


# (builder, version, keyword arguments, the field named)
REFUSED = {
    "evse reset in 1.6": (ops.reset, "1.6", {"evse_id": 1}, "evse_id"),
    "second connector of a 1.6 evse": (ops.change_availability, "1.6",
                                       {"operative": True, "evse_id": 1, "connector_id": 2}, "connector_id"),
    "1.6 connector without its evse": (ops.change_availability, "1.6", {"operative": True, "connector_id": 1},
                                       "evse_id"),
    "1.6 trigger connector without evse": (ops.trigger_message, "1.6", {"message": "MeterValues", "connector_id": 1},
                                           "evse_id"),
    "2.0.1 connector without its evse": (ops.change_availability, "2.0.1", {"operative": True, "connector_id": 1},
                                         "evse_id"),
    "1.6 configuration without a key": (ops.change_configuration, "1.6", {"component": "X", "variable": "Y",
                                                                         "value": 1}, "component"),
    "1.6 configuration key too long": (ops.change_configuration, "1.6", {"key": "K" * 51, "value": 1}, "key"),
    "2.0.1 key without a variable": (ops.change_configuration, "2.0.1", {"key": "HeartbeatInterval", "value": 1},
                                     "key"),
    "2.0.1 configuration naming nothing": (ops.change_configuration, "2.0.1", {"value": 1}, "component"),
    "2.0.1 configuration without variable": (ops.change_configuration, "2.0.1", {"component": "EVSE", "value": 1},
                                             "variable"),
    "2.0.1 attribute type unknown": (ops.change_configuration, "2.0.1",
                                     {"key": "A.B", "value": 1, "attribute_type": "Wished"},
                                     "setVariableData[0].attributeType"),
    "report in 1.6": (ops.get_report, "1.6", {}, "action"),
    "unknown report base": (ops.get_report, "2.0.1", {"base": "Everything"}, "base"),
    "unknown component criterion": (ops.get_report, "2.0.1", {"criteria": ["Broken"]}, "criteria"),
    "bad report entry": (ops.get_report, "2.0.1", {"components": ["A[b"]}, "components"),
    "1.6 unlock of connector 2": (ops.unlock_connector, "1.6", {"evse_id": 1, "connector_id": 2}, "connector_id"),
    "transaction event trigger in 1.6": (ops.trigger_message, "1.6", {"message": "TransactionEvent"}, "message"),
    "1.6 trigger of a 2nd connector": (ops.trigger_message, "1.6", {"message": "MeterValues", "evse_id": 1,
                                                                    "connector_id": 2}, "connector_id"),
    "2.0.1 trigger connector without evse": (ops.trigger_message, "2.0.1", {"message": "MeterValues",
                                                                            "connector_id": 1}, "evse_id"),
    "unknown trigger": (ops.trigger_message, "2.0.1", {"message": "Coffee"}, "message"),
    "install time in plain 1.6 firmware": (ops.update_firmware, "1.6", {"location": "https://f", "retrieve_at": AT,
                                                                        "install_at": AT}, "install_at"),
    "1.6 signed firmware without signature": (ops.update_firmware, "1.6",
                                              {"location": "https://f", "retrieve_at": AT,
                                               "signing_certificate": CERT}, "signature"),
    "naive retrieve time": (ops.update_firmware, "2.0.1", {"location": "https://f",
                                                           "retrieve_at": datetime(2025, 3, 1)}, "retrieve_at"),
    "request id in 1.6 diagnostics": (ops.get_diagnostics, "1.6", {"location": "ftp://l", "request_id": 1},
                                      "request_id"),
    "2.0.1 certificate type in 1.6": (ops.install_certificate, "1.6", {"certificate_type": "V2GRootCertificate",
                                                                       "certificate": CERT}, "certificate_type"),
    "1.6 certificate ids of no type": (ops.get_installed_certificate_ids, "1.6", {"certificate_types": []},
                                       "certificate_types"),
    "1.6 certificate ids of two types": (ops.get_installed_certificate_ids, "1.6",
                                         {"certificate_types": ["CSMSRootCertificate", "ManufacturerRootCertificate"]},
                                         "certificate_types"),
    "certificate type on 1.6 signed chain": (ops.certificate_signed, "1.6", {"certificate_chain": CERT,
                                                                             "certificate_type": "V2GCertificate"},
                                             "certificate_type"),
    "display message in 1.6": (ops.set_display_message, "1.6", {"message_id": 1, "content": "Hi"}, "action"),
    "get display messages in 1.6": (ops.get_display_messages, "1.6", {}, "action"),
    "clear display message in 1.6": (ops.clear_display_message, "1.6", {"message_id": 1}, "action"),
    "monitoring in 1.6": (ops.set_variable_monitoring, "1.6", {"key": "A.B", "monitor_type": "Delta", "value": 1,
                                                               "severity": 1}, "action"),
    "clear monitoring in 1.6": (ops.clear_variable_monitoring, "1.6", {"ids": [1]}, "action"),
    "clear no monitors": (ops.clear_variable_monitoring, "2.0.1", {"ids": []}, "ids"),
    "monitoring base in 1.6": (ops.set_monitoring_base, "1.6", {"base": "All"}, "action"),
    "unknown monitoring base": (ops.set_monitoring_base, "2.0.1", {"base": "Some"}, "base"),
    "monitoring level in 1.6": (ops.set_monitoring_level, "1.6", {"severity": 1}, "action"),
    "monitoring report in 1.6": (ops.get_monitoring_report, "1.6", {}, "action"),
    "unknown version": (ops.clear_cache, "1.5", {}, "version"),
    "plain action the version lacks": (ops.plain, "1.6", {"action": "GetVariables", "payload": {}}, "action"),
    "plain station-initiated action": (ops.plain, "2.0.1", {"action": "BootNotification", "payload": {}}, "action"),
    "plain payload not an object": (ops.plain, "1.6", {"action": "ClearCache", "payload": []}, "payload"),
    "plain payload the schema refuses": (ops.plain, "1.6", {"action": "Reset", "payload": {"type": "Gentle"}}, "type"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_what_the_version_cannot_express_is_refused_naming_the_argument(case):
    builder, version, kwargs, field = REFUSED[case]

    with pytest.raises(InvalidCommand) as refused:
        build(builder, version, kwargs)

    assert refused.value.field == field


@pytest.mark.parametrize("builder", [ops.get_report, ops.get_display_messages, ops.get_monitoring_report])
def test_a_request_id_not_given_is_a_fresh_positive_31_bit_int(builder):
    ids = {build(builder, "2.0.1", {}).payload["requestId"] for _ in range(20)}

    assert len(ids) > 1 and all(0 < i < 2**31 for i in ids)


def test_firmware_and_log_requests_get_a_request_id_too():
    firmware = ops.update_firmware("2.0.1", location="https://f", retrieve_at=AT)
    log = ops.get_diagnostics("2.0.1", location="ftp://l")

    assert 0 < firmware.payload["requestId"] < 2**31 and 0 < log.payload["requestId"] < 2**31
