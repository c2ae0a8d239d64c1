"""The simulator's answers to the CSMS's operations: the dispatch table per version, and `answer()`.

Each handler is `async def on_<action>(station, request) -> payload`, kept with its subject:
control.py (sessions, connectors, reservations, reset, trigger), configure.py (1.6 configuration,
2.0.1 device model and reports, local list, monitoring), smart.py (charging profiles) and
maintenance.py (firmware, logs, certificates, display messages, the rest). A handler answers at
once from the station's state; what follows the answer (a session, a StatusNotification, report
pages) it hands to `station.after_answer`, so the reader never waits for a CALL of ours.

Every CSMS-initiated action of both versions has a handler (the tests compare this table with
csms/actions.py). An action the version defines only for stations is NotSupported, one it does
not define NotImplemented. Requests are checked against the version's schema, and so are our
answers: one failing is a simulator bug, counted and answered InternalError.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ocpp.messages import MessageType, get_validator
from ocpp.v16 import enums as v16
from ocpp.v201 import enums as v201

from . import configure, control, maintenance, smart

if TYPE_CHECKING:
    from .station import Station

logger = logging.getLogger(__name__)
Payload = dict[str, Any]
Handler = Callable[["Station", Payload], Awaitable[Payload]]

# Ruff's F601 catches a key written twice in these literals.
HANDLERS: dict[str, dict[str, Handler]] = {
    "1.6": {
        "CancelReservation": control.on_cancel_reservation,
        "CertificateSigned": maintenance.on_certificate_signed,
        "ChangeAvailability": control.on_change_availability,
        "ChangeConfiguration": configure.on_change_configuration,
        "ClearCache": maintenance.on_clear_cache,
        "ClearChargingProfile": smart.on_clear_charging_profile,
        "DataTransfer": maintenance.on_data_transfer,
        "DeleteCertificate": maintenance.on_delete_certificate,
        "ExtendedTriggerMessage": control.on_trigger_message,
        "GetCompositeSchedule": smart.on_get_composite_schedule,
        "GetConfiguration": configure.on_get_configuration,
        "GetDiagnostics": maintenance.on_get_diagnostics,
        "GetInstalledCertificateIds": maintenance.on_get_installed_certificate_ids,
        "GetLocalListVersion": configure.on_get_local_list_version,
        "GetLog": maintenance.on_get_log,
        "InstallCertificate": maintenance.on_install_certificate,
        "RemoteStartTransaction": control.on_remote_start_transaction,
        "RemoteStopTransaction": control.on_remote_stop_transaction,
        "ReserveNow": control.on_reserve_now,
        "Reset": control.on_reset,
        "SendLocalList": configure.on_send_local_list,
        "SetChargingProfile": smart.on_set_charging_profile,
        "SignedUpdateFirmware": maintenance.on_signed_update_firmware,
        "TriggerMessage": control.on_trigger_message,
        "UnlockConnector": control.on_unlock_connector,
        "UpdateFirmware": maintenance.on_update_firmware,
    },
    "2.0.1": {
        "CancelReservation": control.on_cancel_reservation,
        "CertificateSigned": maintenance.on_certificate_signed,
        "ChangeAvailability": control.on_change_availability,
        "ClearCache": maintenance.on_clear_cache,
        "ClearChargingProfile": smart.on_clear_charging_profile,
        "ClearDisplayMessage": maintenance.on_clear_display_message,
        "ClearVariableMonitoring": configure.on_clear_variable_monitoring,
        "CostUpdated": maintenance.on_cost_updated,
        "CustomerInformation": maintenance.on_customer_information,
        "DataTransfer": maintenance.on_data_transfer,
        "DeleteCertificate": maintenance.on_delete_certificate,
        "GetBaseReport": configure.on_get_base_report,
        "GetChargingProfiles": smart.on_get_charging_profiles,
        "GetCompositeSchedule": smart.on_get_composite_schedule,
        "GetDisplayMessages": maintenance.on_get_display_messages,
        "GetInstalledCertificateIds": maintenance.on_get_installed_certificate_ids,
        "GetLocalListVersion": configure.on_get_local_list_version,
        "GetLog": maintenance.on_get_log,
        "GetMonitoringReport": configure.on_get_monitoring_report,
        "GetReport": configure.on_get_report,
        "GetTransactionStatus": control.on_get_transaction_status,
        "GetVariables": configure.on_get_variables,
        "InstallCertificate": maintenance.on_install_certificate,
        "PublishFirmware": maintenance.on_publish_firmware,
        "RequestStartTransaction": control.on_request_start_transaction,
        "RequestStopTransaction": control.on_request_stop_transaction,
        "ReserveNow": control.on_reserve_now,
        "Reset": control.on_reset,
        "SendLocalList": configure.on_send_local_list,
        "SetChargingProfile": smart.on_set_charging_profile,
        "SetDisplayMessage": maintenance.on_set_display_message,
        "SetMonitoringBase": configure.on_set_monitoring_base,
        "SetMonitoringLevel": configure.on_set_monitoring_level,
        "SetNetworkProfile": maintenance.on_set_network_profile,
        "SetVariableMonitoring": configure.on_set_variable_monitoring,
        "SetVariables": configure.on_set_variables,
        "TriggerMessage": control.on_trigger_message,
        "UnlockConnector": control.on_unlock_connector,
        "UnpublishFirmware": maintenance.on_unpublish_firmware,
        "UpdateFirmware": maintenance.on_update_firmware,
    },
}
_DEFINED = {"1.6": {a.value for a in v16.Action}, "2.0.1": {a.value for a in v201.Action}}
# 2.0.1 renamed 1.6's misspelt code.
_FORMAT_ERROR = {"1.6": "FormationViolation", "2.0.1": "FormatViolation"}


async def answer(station: Station, message_id: str, action: str, request: Any) -> list:
    """The CALLRESULT or CALLERROR frame answering one CSMS CALL."""
    version = station.version
    handler = HANDLERS[version].get(action)
    if handler is None:
        code = "NotSupported" if action in _DEFINED[version] else "NotImplemented"
        return [MessageType.CallError, message_id, code, f"The simulator does not handle {action}", {}]
    if problem := invalid(MessageType.Call, action, version, request):
        return [MessageType.CallError, message_id, _FORMAT_ERROR[version], problem[:200], {}]
    try:
        result = await handler(station, request)
        problem = invalid(MessageType.CallResult, action, version, result)
    except Exception as exc:  # a bug: counted and answered, never swallowed
        logger.exception("%s: answering %s crashed", station.station_id, action)
        problem = repr(exc)
    if problem:
        station.stats.record_error(station.station_id, f"simulator bug answering {action}: {problem}")
        return [MessageType.CallError, message_id, "InternalError", f"Simulator failed on {action}", {}]
    return [MessageType.CallResult, message_id, result]


def invalid(kind: int, action: str, version: str, payload: Any) -> str | None:
    """What is wrong with `payload` by the version's schema for the action, or None."""
    if not isinstance(payload, dict):
        return f"payload is {type(payload).__name__}, not an object"
    error = next(get_validator(kind, action, version).iter_errors(payload), None)
    return error.message if error else None
