"""What central keeps from stations' answers to station-side commands, both versions.

Each effect runs inside the transaction that stores the answer (services.record_command_result), for every
CALLRESULT, so each first checks that the command was accepted: a rejection changes nothing. The payload
of the command says what was asked (the key that was changed, the value that was set); the answer says
what the station did. Also here: reading 2.0.1 component/variable shapes, shared with NotifyReport.

The station's own password (1.6 AuthorizationKey, 2.0.1 SecurityCtrlr.BasicAuthPassword) is never kept as a value:
its answer, accepted or not, settles the password rotation at once (services.security.settle_answer), which also
blanks the password in the command and the message log.
"""

from collections.abc import Iterator

from ocpp.v16.enums import Action as Action16
from ocpp.v201 import enums
from ocpp.v201.enums import Action as Action201

from csms.router import handles_answer
from stations import services
from stations.choices import CommandStatus
from stations.services import Characteristics, ReportedKey, ReportedVariable, security

ACTUAL = enums.AttributeEnumType.actual.value
VARIABLE_SET = frozenset({enums.SetVariableStatusEnumType.accepted, enums.SetVariableStatusEnumType.reboot_required})


def _accepted(command) -> bool:
    return command.status == CommandStatus.ACCEPTED


# 1.6 configuration keys


@handles_answer("1.6", Action16.get_configuration)
def on_get_configuration(command, response: dict) -> None:
    if not _accepted(command):
        return
    keys = [ReportedKey(key=k["key"], value=k.get("value"), readonly=k["readonly"])
            for k in response.get("configurationKey", [])]
    services.record_configuration_keys(station_id=command.station.station_id, keys=keys,
                                       unknown=response.get("unknownKey", []), at=command.answered_at)


@handles_answer("1.6", Action16.change_configuration)
def on_change_configuration(command, response: dict) -> None:
    key, value = command.payload["key"], command.payload["value"]
    if key == security.AUTHORIZATION_KEY:  # the station's password: the key is known to be set, its value is not
        security.settle_answer(command=command)
        value = None
    # Accepted and RebootRequired both mean the station took the value (the latter applies it after a reboot).
    if _accepted(command):
        services.record_configuration_change(station_id=command.station.station_id, key=key, value=value,
                                             at=command.answered_at)


# 2.0.1 device model


@handles_answer("2.0.1", Action201.get_variables)
def on_get_variables(command, response: dict) -> None:
    if not _accepted(command):
        return
    variables = [reported_variable(r["component"], r["variable"], attribute_type=r.get("attributeType", ACTUAL),
                                   value=r.get("attributeValue"))
                 for r in response.get("getVariableResult", [])
                 if r["attributeStatus"] == enums.GetVariableStatusEnumType.accepted]
    services.record_device_variables(station_id=command.station.station_id, variables=variables,
                                     source="GetVariables", at=command.answered_at)


@handles_answer("2.0.1", Action201.set_variables)
def on_set_variables(command, response: dict) -> None:
    """Each result that says Accepted or RebootRequired: the variable now holds the value that was sent (the
    station's password: it is set, value not kept)."""
    sent = {_identity(d["component"], d["variable"], d.get("attributeType", ACTUAL)):
            None if security.is_password(d) else d["attributeValue"] for d in command.payload["setVariableData"]}
    if security.sets_password(command):
        security.settle_answer(command=command)
    if not _accepted(command):
        return
    variables = []
    for r in response.get("setVariableResult", []):
        identity = _identity(r["component"], r["variable"], r.get("attributeType", ACTUAL))
        if r["attributeStatus"] in VARIABLE_SET and identity in sent:
            variables.append(reported_variable(r["component"], r["variable"], attribute_type=identity[-1],
                                               value=sent[identity]))
    services.record_device_variables(station_id=command.station.station_id, variables=variables,
                                     source="SetVariables", at=command.answered_at)


def reported_variable(component: dict, variable: dict, **attribute) -> ReportedVariable:
    """A 2.0.1 (component, variable) pair and one attribute's fields as a service-level ReportedVariable."""
    evse = component.get("evse", {})
    return ReportedVariable(component=component["name"], component_instance=component.get("instance", ""),
                            evse_id=evse.get("id", 0), connector_id=evse.get("connectorId", 0),
                            variable=variable["name"], variable_instance=variable.get("instance", ""), **attribute)


def report_variables(report_data: list[dict]) -> Iterator[ReportedVariable]:
    """Every attribute of every variable of a NotifyReport page, with the spec's defaults where left out."""
    for item in report_data:
        c = item.get("variableCharacteristics")
        characteristics = None if c is None else Characteristics(
            data_type=c["dataType"], supports_monitoring=c["supportsMonitoring"], unit=c.get("unit", ""),
            min_limit=c.get("minLimit"), max_limit=c.get("maxLimit"), values_list=c.get("valuesList", ""))
        for a in item["variableAttribute"]:
            yield reported_variable(
                item["component"], item["variable"], attribute_type=a.get("type", ACTUAL), value=a.get("value"),
                mutability=a.get("mutability", enums.MutabilityEnumType.read_write.value),
                persistent=a.get("persistent", False), constant=a.get("constant", False),
                characteristics=characteristics)


def _identity(component: dict, variable: dict, attribute_type: str) -> tuple:
    evse = component.get("evse", {})
    return (component["name"], component.get("instance", ""), evse.get("id", 0), evse.get("connectorId", 0),
            variable["name"], variable.get("instance", ""), attribute_type)


# Firmware updates and diagnostics / log uploads: the statuses that follow belong to the accepted command.


@handles_answer("1.6", Action16.update_firmware)
@handles_answer("1.6", Action16.signed_update_firmware)
@handles_answer("2.0.1", Action201.update_firmware)
def on_update_firmware(command, response: dict) -> None:
    if _accepted(command):
        services.follow_command(command=command)


@handles_answer("1.6", Action16.get_diagnostics)
@handles_answer("1.6", Action16.get_log)
@handles_answer("2.0.1", Action201.get_log)
def on_get_log(command, response: dict) -> None:
    # A 1.6 GetDiagnostics answer without fileName means there is nothing to upload: no status will follow.
    no_upload = command.action == Action16.get_diagnostics and "fileName" not in response
    if _accepted(command) and not no_upload:
        services.follow_command(command=command)
