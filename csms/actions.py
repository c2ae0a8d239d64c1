"""Who sends what: the actions only the CSMS sends, per OCPP version; every other action comes from stations.

The `ocpp` library does not say who sends what (its 1.6 call.py says it only in comments, its 2.0.1 one not
at all), so the direction is written here from the specifications: OCPP 1.6 edition 2 section 5
"Operations initiated by Central System" plus the security whitepaper's CSMS-initiated messages, and
OCPP 2.0.1 part 2's messages whose sender is the CSMS. DataTransfer goes both ways and is listed as a
station action; central sends it as a command too (COMMAND_ACTIONS). tests/test_handler_coverage.py
fails when a library upgrade brings an action that is in neither list.
"""

CSMS_INITIATED = {
    "1.6": frozenset({
        "CancelReservation", "ChangeAvailability", "ChangeConfiguration", "ClearCache", "ClearChargingProfile",
        "GetCompositeSchedule", "GetConfiguration", "GetDiagnostics", "GetLocalListVersion",
        "RemoteStartTransaction", "RemoteStopTransaction", "ReserveNow", "Reset", "SendLocalList",
        "SetChargingProfile", "TriggerMessage", "UnlockConnector", "UpdateFirmware",
        # Security extension (whitepaper edition 2)
        "CertificateSigned", "DeleteCertificate", "ExtendedTriggerMessage", "GetInstalledCertificateIds", "GetLog",
        "InstallCertificate", "SignedUpdateFirmware",
    }),
    "2.0.1": frozenset({
        "CancelReservation", "CertificateSigned", "ChangeAvailability", "ClearCache", "ClearChargingProfile",
        "ClearDisplayMessage", "ClearVariableMonitoring", "CostUpdated", "CustomerInformation", "DeleteCertificate",
        "GetBaseReport", "GetChargingProfiles", "GetCompositeSchedule", "GetDisplayMessages",
        "GetInstalledCertificateIds", "GetLocalListVersion", "GetLog", "GetMonitoringReport", "GetReport",
        "GetTransactionStatus", "GetVariables", "InstallCertificate", "PublishFirmware", "RequestStartTransaction",
        "RequestStopTransaction", "ReserveNow", "Reset", "SendLocalList", "SetChargingProfile", "SetDisplayMessage",
        "SetMonitoringBase", "SetMonitoringLevel", "SetNetworkProfile", "SetVariableMonitoring", "SetVariables",
        "TriggerMessage", "UnlockConnector", "UnpublishFirmware", "UpdateFirmware",
    }),
}

# What an operator may send a station as a command.
COMMAND_ACTIONS = {version: actions | {"DataTransfer"} for version, actions in CSMS_INITIATED.items()}
