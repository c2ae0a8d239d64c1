"""Station-side operations as requests: one function per operation, the same call for either OCPP version.

Each builder takes the station's OCPP version and plain keyword arguments and returns an `Operation`
(action, payload) in that version's terms, ready for `issue_command`; the admin, the portal, the API and
the CLI all build requests here. A combination the version cannot express raises InvalidCommand naming
the argument at fault (`field`), an operation the version lacks names `action`, and a value the schema
refuses names the OCPP field. Builders write nothing and read no database.

Device-model variables are named "Component.Variable", with optional instances as
"Component[instance].Variable[instance]" (DeviceVariable.key prints the same); EVSE and connector are
separate arguments. 1.6 has no EVSEs: a 1.6 connector N is EVSE N with connector 1 (as in Connector), so
1.6 builders take `evse_id` as the 1.6 connectorId (0 = the whole station) and accept connector_id 1 only.

Request ids (2.0.1 GetBaseReport, GetReport, GetLog, UpdateFirmware..., 1.6 GetLog / SignedUpdateFirmware)
are random positive 31-bit ints unless given: the Command pk is not known before the request is built,
and a random id needs no table, no lock and no round trip. Stations match them per station, and central
finds a command by (station, action, requestId), so a clash would need two of one station's requests of
one kind to draw the same number of 2^31.

`plain(version, action, payload)` passes any other command through, checked the same way.
One module past the usual size on purpose: every caller finds every builder, and its helpers, in one place.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from csms.actions import COMMAND_ACTIONS
from csms.exceptions import InvalidCommand
from node import rpc, schemas

V16, V201 = "1.6", "2.0.1"
_KEY = re.compile(r"(?P<component>[^.\[\]]+)(?:\[(?P<ci>[^\]]*)\])?\.(?P<variable>[^.\[\]]+)(?:\[(?P<vi>[^\]]*)\])?")
_COMPONENT = re.compile(r"(?P<component>[^.\[\]]+)(?:\[(?P<ci>[^\]]*)\])?")
# TriggerMessage names that differ between versions (1.6 <-> 2.0.1); either spelling is accepted.
_TRIGGER_ALIASES = {"DiagnosticsStatusNotification": "LogStatusNotification"}
_CERTIFICATE_ALIASES = {"CentralSystemRootCertificate": "CSMSRootCertificate"}


class Operation(NamedTuple):
    """A request for `issue_command`: the action in the station's version and its schema-valid payload."""

    action: str
    payload: dict[str, Any]


# Operations both versions have


def reset(version: str, *, hard: bool = False, evse_id: int | None = None) -> Operation:
    """Restart the station (2.0.1: or one EVSE). Hard = Immediate in 2.0.1, soft = OnIdle."""
    if version == V16:
        _not_in_16(evse_id=evse_id)
        return _built(version, "Reset", {"type": "Hard" if hard else "Soft"})
    return _built(version, "Reset", _drop_none({"type": "Immediate" if hard else "OnIdle", "evseId": evse_id}))


def change_availability(version: str, *, operative: bool, evse_id: int | None = None,
                        connector_id: int | None = None) -> Operation:
    """Make the station (no evse_id, or 0), an EVSE or a connector (2.0.1) operative or inoperative."""
    status = "Operative" if operative else "Inoperative"
    if version == V16:
        _one_connector_per_evse(connector_id, evse_id)
        return _built(version, "ChangeAvailability", {"connectorId": evse_id or 0, "type": status})
    _check(version)
    if not evse_id:
        if connector_id is not None:
            raise InvalidCommand("a connector needs its EVSE (evse_id)", field="evse_id")
        return _built(version, "ChangeAvailability", {"operationalStatus": status})
    return _built(version, "ChangeAvailability", {"operationalStatus": status, "evse": _evse(evse_id, connector_id)})


def change_configuration(version: str, *, key: str = "", value: Any, component: str = "", variable: str = "",
                         component_instance: str = "", variable_instance: str = "", evse_id: int | None = None,
                         connector_id: int | None = None, attribute_type: str = "Actual") -> Operation:
    """Set one setting: 1.6 ChangeConfiguration of `key`; 2.0.1 SetVariables of "Component.Variable" (`key`,
    or the explicit component / variable arguments). Values are sent as text (booleans as true/false)."""
    text = _text(value)
    if version == V16:
        _not_in_16(component=component or None, variable=variable or None, evse_id=evse_id,
                   connector_id=connector_id)
        if not key:
            raise InvalidCommand("1.6 needs the configuration key", field="key")
        return _built(version, "ChangeConfiguration", {"key": key, "value": text})
    _check(version)
    component_var = _component_variable(key, component, variable, component_instance, variable_instance, evse_id,
                                        connector_id)
    data = component_var | {"attributeValue": text}
    if attribute_type != "Actual":
        data["attributeType"] = attribute_type
    return _built(version, "SetVariables", {"setVariableData": [data]})


def get_configuration(version: str, *, keys: Iterable[str] = (), request_id: int | None = None) -> Operation:
    """Read settings: 1.6 GetConfiguration (all keys when none named); 2.0.1 GetVariables of the named
    "Component.Variable" keys, or a GetBaseReport FullInventory when none are named."""
    keys = list(keys)
    if version == V16:
        return _built(version, "GetConfiguration", {"key": keys} if keys else {})
    _check(version)
    if not keys:
        return get_report(version, request_id=request_id)
    return _built(version, "GetVariables", {"getVariableData": [_component_variable(key) for key in keys]})


def clear_cache(version: str) -> Operation:
    """Empty the station's authorization cache."""
    return _built(_check(version), "ClearCache", {})


def unlock_connector(version: str, *, evse_id: int, connector_id: int = 1) -> Operation:
    """Release the cable of one connector."""
    if version == V16:
        _one_connector_per_evse(connector_id)
        return _built(version, "UnlockConnector", {"connectorId": evse_id})
    return _built(_check(version), "UnlockConnector", {"evseId": evse_id, "connectorId": connector_id})


def trigger_message(version: str, *, message: str, evse_id: int | None = None,
                    connector_id: int | None = None) -> Operation:
    """Ask the station to send a message now. DiagnosticsStatusNotification (1.6) and LogStatusNotification
    (2.0.1) are the same request under the other version's name."""
    if version == V16:
        _one_connector_per_evse(connector_id, evse_id)
        name = {v: k for k, v in _TRIGGER_ALIASES.items()}.get(message, message)
        return _built(version, "TriggerMessage", _drop_none({"requestedMessage": name, "connectorId": evse_id}),
                      enum_field="message")
    _check(version)
    payload: dict[str, Any] = {"requestedMessage": _TRIGGER_ALIASES.get(message, message)}
    if evse_id is not None:
        payload["evse"] = _evse(evse_id, connector_id)
    elif connector_id is not None:
        raise InvalidCommand("a connector needs its EVSE (evse_id)", field="evse_id")
    return _built(version, "TriggerMessage", payload, enum_field="message")


def data_transfer(version: str, *, vendor_id: str, message_id: str | None = None, data: Any = None) -> Operation:
    """A vendor-specific request. 1.6 data is text: anything else is sent as its JSON text."""
    if version == V16 and data is not None and not isinstance(data, str):
        data = json.dumps(data, separators=(",", ":"))
    payload = _drop_none({"vendorId": vendor_id, "messageId": message_id, "data": data})
    return _built(_check(version), "DataTransfer", payload)


def update_firmware(version: str, *, location: str, retrieve_at: datetime | str, retries: int | None = None,
                    retry_interval: int | None = None, install_at: datetime | str | None = None,
                    signing_certificate: str | None = None, signature: str | None = None,
                    request_id: int | None = None) -> Operation:
    """Download and install firmware from `location`. Signed firmware (certificate and signature) is 2.0.1
    UpdateFirmware, or 1.6 SignedUpdateFirmware (security extension); plain 1.6 cannot schedule the install."""
    signed = signing_certificate is not None or signature is not None
    if version == V16 and not signed:
        _not_in_16(install_at=install_at, request_id=request_id)
        return _built(version, "UpdateFirmware", _drop_none({
            "location": location, "retrieveDate": _time(retrieve_at, "retrieve_at"), "retries": retries,
            "retryInterval": retry_interval}))
    _check(version)
    if version == V16:  # SignedUpdateFirmware requires both
        for name, given in (("signing_certificate", signing_certificate), ("signature", signature)):
            if given is None:
                raise InvalidCommand(f"signed 1.6 firmware needs {name}", field=name)
    firmware = _drop_none({"location": location, "retrieveDateTime": _time(retrieve_at, "retrieve_at"),
                           "installDateTime": _time(install_at, "install_at"),
                           "signingCertificate": signing_certificate, "signature": signature})
    action = "SignedUpdateFirmware" if version == V16 else "UpdateFirmware"
    return _built(version, action, _drop_none({"requestId": _request_id(request_id), "firmware": firmware,
                                               "retries": retries, "retryInterval": retry_interval}))


def get_diagnostics(version: str, *, location: str, start: datetime | str | None = None,
                    stop: datetime | str | None = None, retries: int | None = None, retry_interval: int | None = None,
                    request_id: int | None = None) -> Operation:
    """Upload a diagnostics file to `location`: 1.6 GetDiagnostics; 2.0.1 GetLog of the DiagnosticsLog."""
    start, stop = _time(start, "start"), _time(stop, "stop")
    if version == V16:
        _not_in_16(request_id=request_id)
        return _built(version, "GetDiagnostics", _drop_none({
            "location": location, "startTime": start, "stopTime": stop, "retries": retries,
            "retryInterval": retry_interval}))
    _check(version)
    log = _drop_none({"remoteLocation": location, "oldestTimestamp": start, "latestTimestamp": stop})
    return _built(version, "GetLog", _drop_none({"logType": "DiagnosticsLog", "requestId": _request_id(request_id),
                                                 "log": log, "retries": retries, "retryInterval": retry_interval}))


# Certificates: 2.0.1, and the 1.6 security extension where it has the same request


def install_certificate(version: str, *, certificate_type: str, certificate: str) -> Operation:
    """Install a root certificate (CSMSRootCertificate is 1.6's CentralSystemRootCertificate)."""
    aliases = {v: k for k, v in _CERTIFICATE_ALIASES.items()} if version == V16 else _CERTIFICATE_ALIASES
    return _built(_check(version), "InstallCertificate",
                  {"certificateType": aliases.get(certificate_type, certificate_type), "certificate": certificate},
                  enum_field="certificate_type")


def delete_certificate(version: str, *, hash_algorithm: str, issuer_name_hash: str, issuer_key_hash: str,
                       serial_number: str) -> Operation:
    """Remove an installed certificate, named by its hash data."""
    return _built(_check(version), "DeleteCertificate", {"certificateHashData": {
        "hashAlgorithm": hash_algorithm, "issuerNameHash": issuer_name_hash, "issuerKeyHash": issuer_key_hash,
        "serialNumber": serial_number}})


def get_installed_certificate_ids(version: str, *, certificate_types: Iterable[str] = ()) -> Operation:
    """List installed certificates (2.0.1: of the given types, or all; 1.6: of exactly one type)."""
    types = list(certificate_types)
    if version == V16:
        if len(types) != 1:
            raise InvalidCommand("1.6 asks for exactly one certificate type", field="certificate_types")
        aliases = {v: k for k, v in _CERTIFICATE_ALIASES.items()}
        return _built(version, "GetInstalledCertificateIds", {"certificateType": aliases.get(types[0], types[0])},
                      enum_field="certificate_types")
    payload = {"certificateType": [_CERTIFICATE_ALIASES.get(t, t) for t in types]} if types else {}
    return _built(_check(version), "GetInstalledCertificateIds", payload, enum_field="certificate_types")


def certificate_signed(version: str, *, certificate_chain: str, certificate_type: str | None = None) -> Operation:
    """Send the station its signed certificate chain (the type is 2.0.1 only)."""
    if version == V16:
        _not_in_16(certificate_type=certificate_type)
    return _built(_check(version), "CertificateSigned",
                  _drop_none({"certificateChain": certificate_chain, "certificateType": certificate_type}))


# 2.0.1 only: reports, display messages, monitoring


def get_report(version: str, *, base: str = "FullInventory", components: Iterable[str] = (),
               criteria: Iterable[str] = (), request_id: int | None = None) -> Operation:
    """Ask for a device-model report (answered in NotifyReport pages): GetBaseReport of `base`, or GetReport
    of some "Component" / "Component.Variable" entries and / or component criteria."""
    _only_201(version)
    components, criteria = list(components), list(criteria)
    if not components and not criteria:
        return _built(version, "GetBaseReport", {"requestId": _request_id(request_id), "reportBase": base},
                      enum_field="base")
    payload: dict[str, Any] = {"requestId": _request_id(request_id)}
    if components:
        payload["componentVariable"] = [_component_entry(entry) for entry in components]
    if criteria:
        payload["componentCriteria"] = criteria
    return _built(version, "GetReport", payload, enum_field="criteria")


def set_display_message(version: str, *, message_id: int, content: str, priority: str = "NormalCycle",
                        message_format: str = "UTF8", language: str | None = None, state: str | None = None,
                        start: datetime | str | None = None, end: datetime | str | None = None,
                        transaction_id: str | None = None) -> Operation:
    """Show a message on the station's display."""
    _only_201(version)
    body = _drop_none({"format": message_format, "language": language, "content": content})
    message = _drop_none({"id": message_id, "priority": priority, "state": state,
                          "startDateTime": _time(start, "start"), "endDateTime": _time(end, "end"),
                          "transactionId": transaction_id, "message": body})
    return _built(version, "SetDisplayMessage", {"message": message})


def get_display_messages(version: str, *, ids: Iterable[int] = (), priority: str | None = None,
                         state: str | None = None, request_id: int | None = None) -> Operation:
    """List the messages the station displays (answered in NotifyDisplayMessages)."""
    _only_201(version)
    ids = list(ids)
    return _built(version, "GetDisplayMessages", _drop_none({
        "requestId": _request_id(request_id), "id": ids or None, "priority": priority, "state": state}))


def clear_display_message(version: str, *, message_id: int) -> Operation:
    """Remove one display message."""
    return _built(_only_201(version), "ClearDisplayMessage", {"id": message_id})


def set_variable_monitoring(version: str, *, key: str, monitor_type: str, value: float, severity: int,
                            monitor_id: int | None = None, transaction: bool = False, evse_id: int | None = None,
                            connector_id: int | None = None) -> Operation:
    """Add (or, with monitor_id, replace) one monitor on a "Component.Variable"."""
    _only_201(version)
    data = _drop_none({"id": monitor_id, "value": value, "type": monitor_type, "severity": severity,
                       "transaction": transaction or None})
    data |= _component_variable(key, evse_id=evse_id, connector_id=connector_id)
    return _built(version, "SetVariableMonitoring", {"setMonitoringData": [data]})


def clear_variable_monitoring(version: str, *, ids: Iterable[int]) -> Operation:
    """Remove monitors by id."""
    ids = list(ids)
    if _only_201(version) and not ids:
        raise InvalidCommand("name at least one monitor", field="ids")
    return _built(version, "ClearVariableMonitoring", {"id": ids})


def set_monitoring_base(version: str, *, base: str) -> Operation:
    """All, FactoryDefault or HardWiredOnly monitors."""
    return _built(_only_201(version), "SetMonitoringBase", {"monitoringBase": base}, enum_field="base")


def set_monitoring_level(version: str, *, severity: int) -> Operation:
    """Report only events of this severity or more severe (0-9, lower is more severe)."""
    return _built(_only_201(version), "SetMonitoringLevel", {"severity": severity})


def get_monitoring_report(version: str, *, components: Iterable[str] = (), criteria: Iterable[str] = (),
                          request_id: int | None = None) -> Operation:
    """Ask for the monitors set (answered in NotifyMonitoringReport pages)."""
    _only_201(version)
    components, criteria = list(components), list(criteria)
    return _built(version, "GetMonitoringReport", _drop_none({
        "requestId": _request_id(request_id),
        "componentVariable": [_component_entry(entry) for entry in components] or None,
        "monitoringCriteria": criteria or None}), enum_field="criteria")


def plain(version: str, action: str, payload: dict[str, Any]) -> Operation:
    """Any other command, as the caller wrote it in the station's version; checked like the rest."""
    if not isinstance(payload, dict):
        raise InvalidCommand("parameters must be a JSON object", field="payload")
    return _built(_check(version), action, payload)


# Helpers


def _check(version: str) -> str:
    if version not in (V16, V201):
        raise InvalidCommand(f"unknown OCPP version {version!r}", field="version")
    return version


def _only_201(version: str) -> str:
    if _check(version) != V201:
        raise InvalidCommand(f"OCPP {version} has no such operation", field="action")
    return version


def _not_in_16(**given: Any) -> None:
    for name, value in given.items():
        if value is not None:
            raise InvalidCommand(f"OCPP 1.6 has no {name}", field=name)


def _one_connector_per_evse(connector_id: int | None, evse_id: int | None = 0) -> None:
    if connector_id is not None and evse_id is None:
        raise InvalidCommand("a connector needs its EVSE (evse_id)", field="evse_id")
    if connector_id not in (None, 1):
        raise InvalidCommand("OCPP 1.6 has one connector per EVSE (connector_id 1): pick it by evse_id",
                             field="connector_id")


def _built(version: str, action: str, payload: dict[str, Any], *, enum_field: str | None = None) -> Operation:
    """Check the request as issue_command will; a refused value names the OCPP field (or `enum_field` for a
    name that is not in the version's list)."""
    if action not in COMMAND_ACTIONS[_check(version)]:
        raise InvalidCommand(f"{action!r} is not an operation an OCPP {version} CSMS sends", field="action")
    try:
        schemas.validate(version, action, payload)
    except rpc.RpcError as exc:
        field = (exc.details or {}).get("field") or "payload"
        if enum_field and exc.code == "PropertyConstraintViolation" and "not an allowed value" in exc.description:
            field = enum_field
        raise InvalidCommand(f"{action} {version}: {exc.description}", field=field) from None
    return Operation(action, payload)


def _drop_none(payload: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in payload.items() if value is not None}


def _evse(evse_id: int, connector_id: int | None) -> dict[str, int]:
    return _drop_none({"id": evse_id, "connectorId": connector_id})


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _time(value: datetime | str | None, field: str) -> str | None:
    """RFC 3339 in UTC for a datetime (which must be aware); a string is passed on for the schema to judge."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise InvalidCommand("a time needs its time zone", field=field)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _request_id(given: int | None) -> int:
    return given if given is not None else secrets.randbelow(2**31 - 1) + 1


def _component_variable(key: str = "", component: str = "", variable: str = "", component_instance: str = "",
                        variable_instance: str = "", evse_id: int | None = None,
                        connector_id: int | None = None) -> dict[str, Any]:
    """{"component": ..., "variable": ...} from "Component[inst].Variable[inst]" or the explicit names."""
    if key and not (component or variable):
        match = _KEY.fullmatch(key)
        if match is None:
            raise InvalidCommand(f"{key!r} is not Component.Variable", field="key")
        component, component_instance = match["component"], match["ci"] or ""
        variable, variable_instance = match["variable"], match["vi"] or ""
    if not component:
        raise InvalidCommand("name the component (key Component.Variable, or component)", field="component")
    if not variable:
        raise InvalidCommand("name the variable (key Component.Variable, or variable)", field="variable")
    result = {"component": _component(component, component_instance, evse_id, connector_id),
              "variable": _drop_none({"name": variable, "instance": variable_instance or None})}
    return result


def _component(name: str, instance: str = "", evse_id: int | None = None,
               connector_id: int | None = None) -> dict[str, Any]:
    if evse_id is None and connector_id is not None:
        raise InvalidCommand("a connector needs its EVSE (evse_id)", field="evse_id")
    return _drop_none({"name": name, "instance": instance or None,
                       "evse": _evse(evse_id, connector_id) if evse_id is not None else None})


def _component_entry(entry: str) -> dict[str, Any]:
    """A GetReport / GetMonitoringReport entry: "Component" (all its variables) or "Component.Variable"."""
    if "." in entry:
        return _component_variable(entry)
    match = _COMPONENT.fullmatch(entry)
    if match is None:
        raise InvalidCommand(f"{entry!r} is not Component or Component.Variable", field="components")
    return {"component": _component(match["component"], match["ci"] or "")}
