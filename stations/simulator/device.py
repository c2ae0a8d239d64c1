"""How a simulated station is configured: the 1.6 configuration keys, or a small 2.0.1 device model.

Both answer `setting(name)` for the few values the simulator itself acts on (SETTINGS): the
heartbeat interval of --stay, the metering interval of remote-started sessions, and whether a
remote start is authorized first. The rest is remembered and reported, not acted on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ocpp.v16 import enums as v16
from ocpp.v201 import enums as v201

from . import payloads

if TYPE_CHECKING:
    from .script import Script

Payload = dict[str, Any]
HEARTBEAT_INTERVAL, METER_INTERVAL, AUTHORIZE_REMOTE = "heartbeat_interval", "meter_interval", "authorize_remote"
# Our name -> the 1.6 key, and the 2.0.1 (component, variable).
SETTINGS = {
    HEARTBEAT_INTERVAL: ("HeartbeatInterval", ("OCPPCommCtrlr", "HeartbeatInterval")),
    METER_INTERVAL: ("MeterValueSampleInterval", ("SampledDataCtrlr", "TxUpdatedInterval")),
    AUTHORIZE_REMOTE: ("AuthorizeRemoteTxRequests", ("AuthCtrlr", "AuthorizeRemoteStart")),
}
MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import"
INTEGER, BOOLEAN, TEXT = "integer", "boolean", "string"


def seconds(value: float) -> str:
    """An interval as a configuration value: "10" for 10.0, "0.05" for the tests' short ones."""
    return f"{value:g}"


def _valid(kind: str, value: str) -> str | None:
    """`value` as stored ("true" for "True"), or None when it does not fit `kind`."""
    if kind == INTEGER:
        return value if value.isdigit() else None
    if kind == BOOLEAN:
        return value.lower() if value.lower() in ("true", "false") else None
    return value


@dataclass
class Key:
    """One 1.6 configuration key."""

    value: str
    readonly: bool = False
    kind: str = TEXT


class Configuration:
    """1.6: the core profile's keys and those of the profiles we claim in SupportedFeatureProfiles."""

    def __init__(self, script: Script) -> None:
        rw_int = lambda value: Key(str(value), kind=INTEGER)  # noqa: E731
        rw_bool = lambda value: Key(value, kind=BOOLEAN)  # noqa: E731
        ro = lambda value: Key(str(value), readonly=True)  # noqa: E731
        self.keys: dict[str, Key] = {
            "AllowOfflineTxForUnknownId": rw_bool("false"),
            "AuthorizationCacheEnabled": rw_bool("false"),
            "AuthorizeRemoteTxRequests": rw_bool("false"),
            "ClockAlignedDataInterval": rw_int(0),
            "ConnectionTimeOut": rw_int(60),
            "GetConfigurationMaxKeys": ro(50),
            "HeartbeatInterval": Key(seconds(script.heartbeat_interval), kind=INTEGER),
            "LocalAuthorizeOffline": rw_bool("true"),
            "LocalPreAuthorize": rw_bool("false"),
            "MeterValuesAlignedData": Key("Energy.Active.Import.Register"),
            "MeterValuesSampledData": Key(MEASURANDS),
            "MeterValueSampleInterval": Key(seconds(script.meter_interval), kind=INTEGER),
            "NumberOfConnectors": ro(script.connectors),
            "ResetRetries": rw_int(1),
            "ConnectorPhaseRotation": Key("NotApplicable"),
            "StopTransactionOnEVSideDisconnect": rw_bool("true"),
            "StopTransactionOnInvalidId": rw_bool("true"),
            "StopTxnAlignedData": Key(""),
            "StopTxnSampledData": Key("Energy.Active.Import.Register"),
            "SupportedFeatureProfiles": ro(
                "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger"
            ),
            "TransactionMessageAttempts": rw_int(script.tx_attempts),
            "TransactionMessageRetryInterval": Key(seconds(script.retry_interval), kind=INTEGER),
            "UnlockConnectorOnEVSideDisconnect": rw_bool("true"),
            "WebSocketPingInterval": rw_int(0),
            "LocalAuthListEnabled": rw_bool("true"),
            "LocalAuthListMaxLength": ro(100),
            "SendLocalListMaxLength": ro(100),
            "ReserveConnectorZeroSupported": ro("false"),
            "ChargeProfileMaxStackLevel": ro(8),
            "ChargingScheduleAllowedChargingRateUnit": ro("Current,Power"),
            "ChargingScheduleMaxPeriods": ro(24),
            "MaxChargingProfilesInstalled": ro(8),
        }

    def setting(self, name: str) -> str:
        return self.keys[SETTINGS[name][0]].value

    def assign(self, name: str, value: str) -> None:
        self.keys[SETTINGS[name][0]].value = value

    def get(self, names: list[str]) -> Payload:
        """GetConfiguration: every key when none is named."""
        known = [n for n in names if n in self.keys] if names else list(self.keys)
        found = [{"key": n, "readonly": self.keys[n].readonly, "value": self.keys[n].value} for n in known]
        return {"configurationKey": found, "unknownKey": [n for n in names if n not in self.keys]}

    def change(self, name: str, value: str) -> str:
        """ChangeConfiguration: the status to answer."""
        key = self.keys.get(name)
        if key is None:
            return v16.ConfigurationStatus.not_supported
        stored = _valid(key.kind, value)
        if key.readonly or stored is None:
            return v16.ConfigurationStatus.rejected
        key.value = stored
        return v16.ConfigurationStatus.accepted


@dataclass
class Variable:
    """One 2.0.1 variable of one component; `value` may be read live (the availability)."""

    component: str
    name: str
    value: str | Callable[[], str]
    mutability: str = v201.MutabilityEnumType.read_only
    data_type: str = TEXT
    evse: int | None = None
    unit: str | None = None

    @property
    def actual(self) -> str:
        return self.value() if callable(self.value) else self.value

    def component_payload(self) -> Payload:
        component: Payload = {"name": self.component}
        if self.evse is not None:
            component["evse"] = {"id": self.evse} | ({"connectorId": 1} if self.component == "Connector" else {})
        return component

    def report(self) -> Payload:
        """One NotifyReport reportData entry."""
        characteristics: Payload = {"dataType": self.data_type, "supportsMonitoring": False}
        if self.unit:
            characteristics["unit"] = self.unit
        attribute = {"type": v201.AttributeEnumType.actual, "value": self.actual, "mutability": self.mutability}
        return {
            "component": self.component_payload(),
            "variable": {"name": self.name},
            "variableAttribute": [attribute],
            "variableCharacteristics": characteristics,
        }


class DeviceModel:
    """2.0.1: the station, each EVSE and its connector, and the controllers whose variables we act on.

    `availability(evse)` gives the live AvailabilityState of the station (evse None) or an EVSE.
    """

    def __init__(self, script: Script, availability: Callable[[int | None], str]) -> None:
        rw, ro = v201.MutabilityEnumType.read_write, v201.MutabilityEnumType.read_only
        variables = [
            Variable("ChargingStation", "AvailabilityState", lambda: availability(None), data_type="OptionList"),
            Variable("ChargingStation", "Available", "true", data_type=BOOLEAN),
            Variable("ChargingStation", "Model", payloads.MODEL),
            Variable("ChargingStation", "VendorName", payloads.VENDOR),
            Variable("ChargingStation", "SupplyPhases", "3", data_type=INTEGER),
        ]
        for evse in range(1, script.connectors + 1):
            state = lambda evse=evse: availability(evse)  # noqa: E731
            variables += [
                Variable("EVSE", "AvailabilityState", state, data_type="OptionList", evse=evse),
                Variable("EVSE", "Available", "true", data_type=BOOLEAN, evse=evse),
                Variable("EVSE", "Power", str(script.power_w), data_type="decimal", evse=evse, unit="W"),
                Variable("Connector", "AvailabilityState", state, data_type="OptionList", evse=evse),
                Variable("Connector", "ConnectorType", "cType2", evse=evse),
            ]
        variables += [
            Variable("OCPPCommCtrlr", "HeartbeatInterval", seconds(script.heartbeat_interval), rw, INTEGER, unit="s"),
            Variable("OCPPCommCtrlr", "MessageTimeout", seconds(script.call_timeout), ro, INTEGER, unit="s"),
            Variable("OCPPCommCtrlr", "ResetRetries", "1", rw, INTEGER),
            Variable("SampledDataCtrlr", "Enabled", "true", rw, BOOLEAN),
            Variable("SampledDataCtrlr", "TxUpdatedInterval", seconds(script.meter_interval), rw, INTEGER, unit="s"),
            Variable("SampledDataCtrlr", "TxUpdatedMeasurands", MEASURANDS, rw, "MemberList"),
            Variable("SampledDataCtrlr", "TxEndedMeasurands", "Energy.Active.Import.Register", rw, "MemberList"),
            Variable("AuthCtrlr", "Enabled", "true", rw, BOOLEAN),
            Variable("AuthCtrlr", "AuthorizeRemoteStart", "false", rw, BOOLEAN),
            Variable("AuthCtrlr", "LocalAuthorizeOffline", "true", rw, BOOLEAN),
            Variable("AuthCtrlr", "LocalPreAuthorize", "false", rw, BOOLEAN),
            Variable("LocalAuthListCtrlr", "Enabled", "true", rw, BOOLEAN),
            Variable("TxCtrlr", "EVConnectionTimeOut", "60", rw, INTEGER, unit="s"),
            Variable("TxCtrlr", "StopTxOnInvalidId", "true", rw, BOOLEAN),
            Variable("TxCtrlr", "TxStartPoint", "Authorized", rw, "MemberList"),
            Variable("TxCtrlr", "TxStopPoint", "Authorized,EVConnected", rw, "MemberList"),
        ]
        self.variables = variables

    def _find(self, component: Payload, variable: Payload) -> tuple[Variable | None, str]:
        """The variable named, else why not (UnknownComponent / UnknownVariable)."""
        name, evse = str(component.get("name", "")).lower(), (component.get("evse") or {}).get("id")
        of_component = [v for v in self.variables if v.component.lower() == name and v.evse == evse]
        if not of_component:
            return None, v201.GetVariableStatusEnumType.unknown_component
        wanted = str(variable.get("name", "")).lower()
        found = next((v for v in of_component if v.name.lower() == wanted and not variable.get("instance")), None)
        return found, v201.GetVariableStatusEnumType.unknown_variable

    def setting(self, name: str) -> str:
        component, variable = SETTINGS[name][1]
        return self._find({"name": component}, {"name": variable})[0].actual

    def assign(self, name: str, value: str) -> None:
        component, variable = SETTINGS[name][1]
        self._find({"name": component}, {"name": variable})[0].value = value

    def get(self, item: Payload) -> Payload:
        """One getVariableResult."""
        result = {"component": item["component"], "variable": item["variable"]}
        found, why = self._find(item["component"], item["variable"])
        if found is None:
            return result | {"attributeStatus": why}
        if item.get("attributeType", v201.AttributeEnumType.actual) != v201.AttributeEnumType.actual:
            return result | {"attributeStatus": v201.GetVariableStatusEnumType.not_supported_attribute_type}
        return result | {"attributeStatus": v201.GetVariableStatusEnumType.accepted, "attributeValue": found.actual}

    def set(self, item: Payload) -> Payload:
        """One setVariableResult."""
        result = {"component": item["component"], "variable": item["variable"]}
        found, why = self._find(item["component"], item["variable"])
        if found is None:
            return result | {"attributeStatus": why}
        if item.get("attributeType", v201.AttributeEnumType.actual) != v201.AttributeEnumType.actual:
            return result | {"attributeStatus": v201.SetVariableStatusEnumType.not_supported_attribute_type}
        stored = _valid(found.data_type, str(item["attributeValue"]))
        if found.mutability == v201.MutabilityEnumType.read_only or stored is None or callable(found.value):
            return result | {"attributeStatus": v201.SetVariableStatusEnumType.rejected}
        found.value = stored
        return result | {"attributeStatus": v201.SetVariableStatusEnumType.accepted}

    def report(self, request: Payload) -> list[Payload]:
        """The reportData a GetBaseReport (reportBase) or GetReport (componentVariable, componentCriteria) asks for."""
        chosen = self.variables
        base = request.get("reportBase")
        if base == v201.ReportBaseEnumType.configuration_inventory:
            chosen = [v for v in chosen if v.mutability != v201.MutabilityEnumType.read_only]
        elif base == v201.ReportBaseEnumType.summary_inventory:
            chosen = [v for v in chosen if v.name in ("AvailabilityState", "Available")]
        if wanted := request.get("componentVariable"):
            chosen = [v for v in chosen if any(_matches(v, item) for item in wanted)]
        if criteria := request.get("componentCriteria"):
            # A component meets a criterion when its variable of that name is true (Enabled, Available...).
            meeting = {(v.component, v.evse) for v in self.variables if v.name in criteria and v.actual == "true"}
            chosen = [v for v in chosen if (v.component, v.evse) in meeting]
        return [v.report() for v in chosen]


def _matches(variable: Variable, item: Payload) -> bool:
    component, evse = item["component"], (item["component"].get("evse") or {}).get("id")
    if component["name"].lower() != variable.component.lower() or evse not in (None, variable.evse):
        return False
    wanted = item.get("variable")
    return wanted is None or wanted["name"].lower() == variable.name.lower()
