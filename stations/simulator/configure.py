"""Answers to the CSMS about configuration: 1.6 keys, the 2.0.1 device model and its reports, the
local authorization list, and 2.0.1 monitoring, which the simulator does not do (see operations.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocpp.v16 import enums as v16
from ocpp.v201 import enums as v201

from . import payloads

if TYPE_CHECKING:
    from .station import Station

Payload = dict[str, Any]
# reportData entries per NotifyReport: small, so a report of the default model takes several pages.
REPORT_PAGE = 8


async def on_get_configuration(station: Station, request: Payload) -> Payload:
    return station.device.get(request.get("key") or [])


async def on_change_configuration(station: Station, request: Payload) -> Payload:
    return {"status": station.device.change(request["key"], request["value"])}


async def on_get_variables(station: Station, request: Payload) -> Payload:
    return {"getVariableResult": [station.device.get(item) for item in request["getVariableData"]]}


async def on_set_variables(station: Station, request: Payload) -> Payload:
    return {"setVariableResult": [station.device.set(item) for item in request["setVariableData"]]}


async def on_get_base_report(station: Station, request: Payload) -> Payload:
    return _report(station, request)


async def on_get_report(station: Station, request: Payload) -> Payload:
    return _report(station, request)


def _report(station: Station, request: Payload) -> Payload:
    """Accepted, then NotifyReport pages of REPORT_PAGE entries; EmptyResultSet when nothing matches."""
    data = station.device.report(request)
    if not data:
        return {"status": v201.GenericDeviceModelStatusEnumType.empty_result_set}
    station.after_answer("report", lambda: _send_report(station, request["requestId"], data))
    return {"status": v201.GenericDeviceModelStatusEnumType.accepted}


async def _send_report(station: Station, request_id: int, data: list[Payload]) -> None:
    generated = payloads.now()
    pages = [data[start : start + REPORT_PAGE] for start in range(0, len(data), REPORT_PAGE)]
    for seq_no, page in enumerate(pages):
        report = {
            "requestId": request_id,
            "generatedAt": generated,
            "seqNo": seq_no,
            "tbc": seq_no < len(pages) - 1,
            "reportData": page,
        }
        await station.call(v201.Action.notify_report, report)


# The local authorization list


async def on_get_local_list_version(station: Station, request: Payload) -> Payload:
    key = "listVersion" if station.version == "1.6" else "versionNumber"
    return {key: station.state.local_list_version}


async def on_send_local_list(station: Station, request: Payload) -> Payload:
    """A full list replaces ours; a differential one adds and changes entries, or removes those
    without an idTagInfo, and must be newer than ours (VersionMismatch otherwise)."""
    state, v16_list = station.state, station.version == "1.6"
    if v16_list and station.device.keys["LocalAuthListEnabled"].value == "false":
        return {"status": v16.UpdateStatus.not_supported}
    version = request["listVersion" if v16_list else "versionNumber"]
    differential = request["updateType"] == v16.UpdateType.differential  # spelled alike in 2.0.1
    if differential and version <= state.local_list_version:
        return {"status": v16.UpdateStatus.version_mismatch}
    if not differential:
        state.local_list.clear()
    for entry in request.get("localAuthorizationList", []):
        tag = entry["idTag"] if v16_list else entry["idToken"]["idToken"]
        info = entry.get("idTagInfo" if v16_list else "idTokenInfo")
        if info is None:
            state.local_list.pop(tag, None)
        else:
            state.local_list[tag] = info
    state.local_list_version = version
    return {"status": v16.UpdateStatus.accepted}


# 2.0.1 monitoring: no monitors are kept


async def on_set_variable_monitoring(station: Station, request: Payload) -> Payload:
    results = []
    for item in request["setMonitoringData"]:
        known = station.device.get({"component": item["component"], "variable": item["variable"]})
        status = known["attributeStatus"]
        if status == v201.GetVariableStatusEnumType.accepted:
            status = v201.SetMonitoringStatusEnumType.unsupported_monitor_type
        results.append({key: item[key] for key in ("type", "severity", "component", "variable")} | {"status": status})
    return {"setMonitoringResult": results}


async def on_clear_variable_monitoring(station: Station, request: Payload) -> Payload:
    not_found = v201.ClearMonitoringStatusEnumType.not_found
    return {"clearMonitoringResult": [{"status": not_found, "id": monitor} for monitor in request["id"]]}


async def on_set_monitoring_base(station: Station, request: Payload) -> Payload:
    return {"status": v201.GenericDeviceModelStatusEnumType.not_supported}


async def on_set_monitoring_level(station: Station, request: Payload) -> Payload:
    return {"status": v201.GenericStatusEnumType.accepted}


async def on_get_monitoring_report(station: Station, request: Payload) -> Payload:
    return {"status": v201.GenericDeviceModelStatusEnumType.empty_result_set}
