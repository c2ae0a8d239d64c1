"""What a station says about its own settings: 1.6 configuration keys and the 2.0.1 device model.

Filled from answers to commands (GetConfiguration, ChangeConfiguration, GetVariables, SetVariables; see
stations/ocpp/answers.py) and from NotifyReport pages. Rows are upserted on their natural key
(`INSERT ... ON CONFLICT DO UPDATE`), so a re-sent answer or page, or two workers at once, leave one row.
Nothing is deleted: a key or variable a later answer leaves out is kept as last reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from stations.models import DEVICE_VARIABLE_IDENTITY, ChargingStation, ConfigurationKey, DeviceVariable, StationMessage
from stations.services.notifications import Notification, locked_station, store_new_message

_BATCH = 500  # rows per INSERT: well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class ReportedKey:
    """One 1.6 configuration key as a station reported it."""

    key: str
    value: str | None = None
    readonly: bool = False


@dataclass(frozen=True)
class Characteristics:
    """2.0.1 variableCharacteristics: what kind of value a variable holds."""

    data_type: str
    supports_monitoring: bool
    unit: str = ""
    min_limit: float | None = None
    max_limit: float | None = None
    values_list: str = ""


@dataclass(frozen=True)
class ReportedVariable:
    """One attribute of a 2.0.1 device-model variable; "" and 0 mean "none" (see DeviceVariable)."""

    component: str
    variable: str
    component_instance: str = ""
    variable_instance: str = ""
    evse_id: int = 0
    connector_id: int = 0
    attribute_type: str = "Actual"
    value: str | None = None
    mutability: str = ""
    persistent: bool | None = None
    constant: bool | None = None
    # variableCharacteristics: None when the message had none (then stored ones are kept)
    characteristics: Characteristics | None = None


_VALUE_FIELDS = ["value", "source", "updated_at"]
_ATTRIBUTE_FIELDS = [*_VALUE_FIELDS, "mutability", "persistent", "constant"]
_CHARACTERISTIC_FIELDS = ["data_type", "unit", "min_limit", "max_limit", "values_list", "supports_monitoring"]


def record_configuration_keys(*, station_id: str, keys: Iterable[ReportedKey] = (), unknown: Iterable[str] = (),
                              at: datetime) -> int:
    """Store keys a station reported (GetConfiguration), and mark the ones it said it does not know; returns rows."""
    station = _station(station_id)
    known = {k.key: ConfigurationKey(station=station, key=k.key, value=k.value, readonly=k.readonly, unknown=False,
                                     updated_at=at) for k in keys}
    missing = {key: ConfigurationKey(station=station, key=key, value=None, unknown=True, updated_at=at)
               for key in unknown if key not in known}
    _upsert(ConfigurationKey, known.values(), ["station", "key"], ["value", "readonly", "unknown", "updated_at"])
    _upsert(ConfigurationKey, missing.values(), ["station", "key"], ["value", "unknown", "updated_at"])
    return len(known) + len(missing)


def record_configuration_change(*, station_id: str, key: str, value: str, at: datetime) -> ConfigurationKey:
    """A ChangeConfiguration the station accepted (or will apply after a reboot): the key now has `value`."""
    station = _station(station_id)
    row, _ = ConfigurationKey.objects.update_or_create(
        station=station, key=key, defaults={"value": value, "unknown": False, "updated_at": at})
    return row


def record_device_variables(*, station_id: str, variables: Iterable[ReportedVariable], source: str, at: datetime,
                            described: bool = False) -> int:
    """Upsert device-model rows; returns how many.

    described=False (GetVariables, SetVariables): only the value changes. described=True (a report): mutability,
    persistence and constancy too, and the characteristics of the variables that came with them.
    """
    return _store_variables(_station(station_id), variables, source, at, described)


def record_report_page(*, notification: Notification, variables: Iterable[ReportedVariable],
                       source: str) -> StationMessage:
    """Store one NotifyReport page whole and upsert its variables; a re-sent page is stored and applied once."""
    station = locked_station(notification.station_id)
    message, new = store_new_message(station, notification)
    if new:
        _store_variables(station, variables, source, notification.received_at, described=True)
    return message


def _store_variables(station: ChargingStation, variables: Iterable[ReportedVariable], source: str, at: datetime,
                     described: bool) -> int:
    plain: dict[tuple, DeviceVariable] = {}
    with_characteristics: dict[tuple, DeviceVariable] = {}
    for v in variables:  # one row per identity and statement, the last one winning (as the station listed them)
        row = DeviceVariable(
            station=station, component=v.component, component_instance=v.component_instance, evse_id=v.evse_id,
            connector_id=v.connector_id, variable=v.variable, variable_instance=v.variable_instance,
            attribute_type=v.attribute_type, value=v.value, mutability=v.mutability, persistent=v.persistent,
            constant=v.constant, source=source[:40], updated_at=at)
        identity = tuple(getattr(row, name) for name in DEVICE_VARIABLE_IDENTITY[1:])
        if described and v.characteristics is not None:
            c = v.characteristics
            row.data_type, row.unit, row.values_list = c.data_type, c.unit, c.values_list
            row.min_limit, row.max_limit, row.supports_monitoring = c.min_limit, c.max_limit, c.supports_monitoring
            plain.pop(identity, None)
            with_characteristics[identity] = row
        else:
            with_characteristics.pop(identity, None)
            plain[identity] = row
    fields = _ATTRIBUTE_FIELDS if described else _VALUE_FIELDS
    _upsert(DeviceVariable, plain.values(), DEVICE_VARIABLE_IDENTITY, fields)
    _upsert(DeviceVariable, with_characteristics.values(), DEVICE_VARIABLE_IDENTITY, fields + _CHARACTERISTIC_FIELDS)
    return len(plain) + len(with_characteristics)


def _upsert(model, rows: Iterable, unique_fields: list[str], update_fields: list[str]) -> None:
    rows = list(rows)
    if rows:
        model.objects.bulk_create(rows, batch_size=_BATCH, update_conflicts=True, unique_fields=unique_fields,
                                  update_fields=update_fields)


def _station(station_id: str) -> ChargingStation:
    return ChargingStation.objects.only("pk", "station_id").get(station_id=station_id)
