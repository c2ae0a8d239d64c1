"""Meter readings: normalise sampled values, store each once, keep a session's energy and power current.

Both versions spell measurands, contexts, locations, phases and units alike, so the 1.6 and
2.0.1 edges only rename fields into a `Sample`; the spec's defaults and the kWh -> Wh scaling live here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ocpp.v16.enums import UnitOfMeasure, ValueFormat
from ocpp.v201.enums import LocationEnumType, MeasurandEnumType, PhaseEnumType, ReadingContextEnumType

from transactions.choices import NoteKind
from transactions.models import MeterValue, Transaction
from transactions.services.inserts import insert_new
from transactions.services.notes import add_note

ENERGY_REGISTER = MeasurandEnumType.energy_active_import_register.value
ACTIVE_POWER = MeasurandEnumType.power_active_import.value
DEFAULT_CONTEXT = ReadingContextEnumType.sample_periodic.value
DEFAULT_LOCATION = LocationEnumType.outlet.value
RAW, SIGNED = ValueFormat.raw.value, ValueFormat.signed_data.value
WH = UnitOfMeasure.wh.value
# A unit as sent -> the unit stored and the power of ten that gets there.
UNITS = {
    UnitOfMeasure.kwh.value: (WH, 3),
    UnitOfMeasure.kw.value: (UnitOfMeasure.w.value, 3),
    UnitOfMeasure.kvarh.value: (UnitOfMeasure.varh.value, 3),
    UnitOfMeasure.kvar.value: (UnitOfMeasure.var.value, 3),
    UnitOfMeasure.kva.value: (UnitOfMeasure.va.value, 3),
}
# Per-phase power adds up to the total when a station sends no phase-less value.
POWER_PHASES = {p.value for p in (PhaseEnumType.l1, PhaseEnumType.l2, PhaseEnumType.l3, PhaseEnumType.l1_n,
                                  PhaseEnumType.l2_n, PhaseEnumType.l3_n)}
VALUE_LIMIT = Decimal(10) ** 20  # MeterValue.value holds 20 integer digits
REGISTER_LIMIT, POWER_LIMIT = Decimal(10) ** 17, Decimal(10) ** 11  # what Transaction's columns hold
FOUR_PLACES = Decimal("0.0001")
KEY = ("timestamp", "measurand", "phase", "location", "context")


@dataclass(frozen=True)
class Sample:
    """One sampled value as a station sent it (either version); an empty field means the station left it out."""

    timestamp: datetime
    value: str
    measurand: str = ""
    phase: str = ""
    location: str = ""
    context: str = ""
    unit: str = ""
    multiplier: int = 0
    format: str = ""
    signed: dict | None = None


@dataclass(frozen=True)
class Reading:
    """A sample after the spec's defaults and unit scaling: what one MeterValue row holds."""

    timestamp: datetime
    measurand: str
    phase: str
    location: str
    context: str
    unit: str
    format: str
    value: Decimal | None
    raw: str
    signed: dict | None


def normalise(sample: Sample) -> Reading:
    """Fill the spec's defaults (Energy.Active.Import.Register, Wh for energy, Outlet, Sample.Periodic, Raw)
    and scale kWh / kW / kvarh / kvar / kVA and the 2.0.1 multiplier into the base unit."""
    measurand = sample.measurand or ENERGY_REGISTER
    unit = sample.unit or (WH if measurand.startswith("Energy") else "")
    unit, shift = UNITS.get(unit, (unit, 0))
    fmt = sample.format or (SIGNED if sample.signed else RAW)
    value = None if fmt == SIGNED and not sample.signed else _number(sample.value, sample.multiplier + shift)
    scaled = value is not None and sample.multiplier + shift != 0
    return Reading(timestamp=sample.timestamp, measurand=_clip(measurand, "measurand"),
                   phase=_clip(sample.phase, "phase"), location=_clip(sample.location or DEFAULT_LOCATION, "location"),
                   context=_clip(sample.context or DEFAULT_CONTEXT, "context"), unit=_clip(unit, "unit"),
                   format=_clip(fmt, "format"), value=value, raw=sample.value if value is None or scaled else "",
                   signed=sample.signed)


def _number(text: str, exponent: int) -> Decimal | None:
    """The value times 10**exponent to four places, or None when it is not a finite number that fits."""
    try:
        number = Decimal(text.strip()).scaleb(exponent)
    except (ArithmeticError, AttributeError):  # not a number, or a multiplier past what Decimal can hold
        return None
    if not number.is_finite() or abs(number) >= VALUE_LIMIT:
        return None
    return number.quantize(FOUR_PLACES)


def _clip(text: str, field: str) -> str:
    return text[:MeterValue._meta.get_field(field).max_length]


@dataclass(frozen=True)
class Recorded:
    """What a batch of samples changed: the rows stored now, and how many were already there."""

    new: list[MeterValue]
    repeated: int


def sample_rows(*, station_pk: int, transaction: Transaction | None, evse_id: int, connector_id: int,
                samples: Iterable[Sample], at: datetime) -> list[MeterValue]:
    """The MeterValue rows of a message's samples, normalised, one per sample key (a message may repeat one)."""
    readings = {}
    for sample in samples:
        reading = normalise(sample)
        readings.setdefault(tuple(getattr(reading, f) for f in KEY), reading)
    return [MeterValue(station_id=station_pk, transaction=transaction, evse_id=evse_id, connector_id=connector_id,
                       timestamp=r.timestamp, measurand=r.measurand, phase=r.phase, location=r.location,
                       context=r.context, unit=r.unit, format=r.format, value=r.value, raw_value=r.raw,
                       signed=r.signed, received_at=at)
            for r in readings.values()]


def record_samples(*, station_pk: int, transaction: Transaction | None, evse_id: int, connector_id: int,
                   samples: Iterable[Sample], at: datetime, message_id: str = "") -> Recorded:
    """Store each sample once (a replay finds the unique sample key) and update the session's readings.

    The caller holds the transaction row locked and saves it afterwards.
    """
    rows = sample_rows(station_pk=station_pk, transaction=transaction, evse_id=evse_id, connector_id=connector_id,
                       samples=samples, at=at)
    if not rows:
        return Recorded([], 0)
    # One statement: the sample key's unique constraint skips what a replay (or a racing worker) stored already.
    pks = insert_new(rows)
    if len(pks) == len(rows):
        new = rows
    elif not pks:
        new = []
    else:  # part of a replay: which keys are the new rows'
        fresh = set(MeterValue.objects.filter(pk__in=pks).values_list(*KEY))
        new = [row for row in rows if tuple(getattr(row, f) for f in KEY) in fresh]
    if transaction is not None:
        update_readings(transaction, new, at=at, message_id=message_id)
    return Recorded(new, len(rows) - len(new))


def update_readings(transaction: Transaction, rows: list[MeterValue], *, at: datetime, message_id: str) -> None:
    """Fold newly stored rows into the session's registers, energy and power (noting a meter that ran backwards)."""
    backwards = []
    registers = sorted((r for r in rows if r.measurand == ENERGY_REGISTER and not r.phase and r.value is not None
                        and abs(r.value) < REGISTER_LIMIT), key=lambda r: r.timestamp)
    for row in registers:
        if problem := _backwards(transaction, row):
            backwards.append(problem)
        if transaction.first_register_at is None or row.timestamp < transaction.first_register_at:
            transaction.first_register_wh, transaction.first_register_at = row.value, row.timestamp
        if transaction.last_register_at is None or row.timestamp >= transaction.last_register_at:
            transaction.last_register_wh, transaction.last_register_at = row.value, row.timestamp
    if backwards:
        add_note(station=transaction.station, transaction=transaction, kind=NoteKind.METER_BACKWARDS,
                 detail="; ".join(backwards), at=at, message_id=message_id)
    _update_power(transaction, rows)
    transaction.energy_wh = energy_of(transaction)


def _backwards(transaction: Transaction, row: MeterValue) -> str:
    """Why this register reading contradicts what is known, or ''."""
    first, last = transaction.first_register_wh, transaction.last_register_wh
    if last is not None and row.timestamp > transaction.last_register_at and row.value < last:
        return f"{row.value} Wh at {row.timestamp:%Y-%m-%d %H:%M:%S} is below {last} Wh read earlier"
    if first is not None and row.timestamp < transaction.first_register_at and row.value > first:
        return f"{row.value} Wh at {row.timestamp:%Y-%m-%d %H:%M:%S} is above {first} Wh read later"
    start = transaction.meter_start_wh
    if start is not None and row.value < start:
        return f"{row.value} Wh at {row.timestamp:%Y-%m-%d %H:%M:%S} is below meterStart {start} Wh"
    return ""


def _update_power(transaction: Transaction, rows: list[MeterValue]) -> None:
    """The latest Power.Active.Import: the phase-less value, else the sum of the phases at that moment."""
    totals, phases = {}, defaultdict(Decimal)
    for row in rows:
        if row.measurand != ACTIVE_POWER or row.value is None:
            continue
        if not row.phase:
            totals[row.timestamp] = row.value
        elif row.phase in POWER_PHASES:
            phases[row.timestamp] += row.value
    power = phases | totals
    if not power:
        return
    latest = max(power)
    if abs(power[latest]) >= POWER_LIMIT:
        return
    if transaction.power_at is None or latest >= transaction.power_at:
        transaction.power_w, transaction.power_at = power[latest], latest


def energy_of(transaction: Transaction) -> Decimal | None:
    """Energy so far: meterStop is authoritative once given (1.6); else the latest register minus meterStart
    (1.6), else last minus first register by timestamp (2.0.1, and 1.6 sessions known only from their end)."""
    start = transaction.meter_start_wh if transaction.meter_start_wh is not None else transaction.first_register_wh
    end = transaction.meter_stop_wh if transaction.meter_stop_wh is not None else transaction.last_register_wh
    if start is None or end is None:
        return None
    return end - start
