"""Charging profiles central sent (SetChargingProfile) or a station reported, and which are installed now.

The station's rule, kept here: a new profile replaces an installed one with the same id, or with the
same EVSE, purpose and stack level. Rows stay as history (replaced, cleared, rejected).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q

from stations.models import Command
from transactions.choices import ChargingProfilePurpose, ChargingProfileStatus
from transactions.models import ChargingProfile, Transaction

INSTALLED = ChargingProfileStatus.INSTALLED


@dataclass(frozen=True)
class ProfileData:
    """One charging profile in our words; `schedules` are the chargingSchedule objects in the station's version."""

    evse_id: int
    profile_id: int
    stack_level: int
    purpose: ChargingProfilePurpose
    kind: str
    schedules: list = field(default_factory=list)
    recurrency: str = ""
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: int | None = None  # 1.6: our pk
    station_tx_id: str = ""  # 2.0.1: the station's id


def _transaction(station_pk: int, data: ProfileData) -> Transaction | None:
    if data.station_tx_id:
        return Transaction.objects.filter(station_id=station_pk, station_tx_id=data.station_tx_id).first()
    if data.transaction_id is not None and 0 < data.transaction_id < 2**63:
        return Transaction.objects.filter(station_id=station_pk, pk=data.transaction_id).first()
    return None


def _install(station_pk: int, data: ProfileData, command: Command | None) -> ChargingProfile:
    ChargingProfile.objects.filter(station_id=station_pk, status=INSTALLED).filter(
        Q(profile_id=data.profile_id) | Q(evse_id=data.evse_id, purpose=data.purpose, stack_level=data.stack_level)
    ).update(status=ChargingProfileStatus.REPLACED)
    return ChargingProfile.objects.create(
        station_id=station_pk, evse_id=data.evse_id, profile_id=data.profile_id, stack_level=data.stack_level,
        purpose=data.purpose, kind=data.kind, recurrency=data.recurrency, valid_from=data.valid_from,
        valid_to=data.valid_to, schedules=data.schedules, transaction=_transaction(station_pk, data),
        status=INSTALLED, command=command)


def record_set_profile_answer(command: Command, data: ProfileData, *, accepted: bool) -> ChargingProfile:
    """SetChargingProfile answered: accepted installs it (replacing what the station replaces); a refusal is
    kept as a rejected row and changes nothing installed."""
    if accepted:
        return _install(command.station_id, data, command)
    return ChargingProfile.objects.create(
        station_id=command.station_id, evse_id=data.evse_id, profile_id=data.profile_id, stack_level=data.stack_level,
        purpose=data.purpose, kind=data.kind, recurrency=data.recurrency, valid_from=data.valid_from,
        valid_to=data.valid_to, schedules=data.schedules, transaction=_transaction(command.station_id, data),
        status=ChargingProfileStatus.REJECTED, command=command)


def clear_profiles(*, station_pk: int, profile_id: int | None = None, evse_id: int | None = None,
                   purpose: ChargingProfilePurpose | None = None, stack_level: int | None = None) -> int:
    """ClearChargingProfile accepted: installed profiles matching the id, or all the criteria given, are cleared
    (no criteria at all: every profile). Returns how many."""
    installed = ChargingProfile.objects.filter(station_id=station_pk, status=INSTALLED)
    if profile_id is not None:
        matching = installed.filter(profile_id=profile_id)
    else:
        criteria = {"evse_id": evse_id, "purpose": purpose, "stack_level": stack_level}
        matching = installed.filter(**{name: value for name, value in criteria.items() if value is not None})
    return matching.update(status=ChargingProfileStatus.CLEARED)


def record_reported_profiles(*, station_pk: int, profiles: list[ProfileData]) -> list[ChargingProfile]:
    """2.0.1 ReportChargingProfiles: what the station says it has installed is installed (an identical installed
    row is kept, so repeated reports add nothing)."""
    rows = []
    for data in profiles:
        same = ChargingProfile.objects.filter(
            station_id=station_pk, status=INSTALLED, profile_id=data.profile_id, evse_id=data.evse_id,
            stack_level=data.stack_level, purpose=data.purpose, schedules=data.schedules).first()
        rows.append(same or _install(station_pk, data, None))
    return rows
