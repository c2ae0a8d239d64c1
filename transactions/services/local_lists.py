"""The local authorisation list: what to send a station (full or differential) and what it holds after.

Version numbers are handed out under a lock on the station's LocalListVersion row, so two lists built at
once never share one. A differential list carries the tokens changed since the accepted list was built,
and removes (an entry without info) tokens the station holds that central no longer has.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from csms.exceptions import InvalidCommand
from stations.models import ChargingStation, Command
from transactions.models import IdToken, LocalListVersion


@dataclass(frozen=True)
class ListPlan:
    """What one SendLocalList carries: the version number, updates (tokens, with info) and removals (values)."""

    version: int
    full: bool
    updates: list[IdToken]
    removals: dict[str, str]  # value -> type, as the station holds them


def _locked(station: ChargingStation) -> LocalListVersion:
    LocalListVersion.objects.get_or_create(station=station)
    return LocalListVersion.objects.select_for_update().get(station=station)


def plan_list(*, station_id: str, full: bool, fits=lambda token: True) -> ListPlan:
    """Hand out the next version number and pick the entries; `fits` drops tokens the version cannot carry."""
    station = ChargingStation.objects.filter(station_id=station_id).first()
    if station is None:
        raise InvalidCommand(f"no station {station_id!r}", field="station")
    current = _locked(station)
    current.issued = max(current.issued, current.version) + 1
    current.save(update_fields=["issued", "updated_at"])
    tokens = IdToken.objects.select_related("parent").order_by("value")
    if full:
        return ListPlan(current.issued, True, [t for t in tokens if fits(t)], {})
    if current.built_at is not None:
        tokens = tokens.filter(updated_at__gt=current.built_at)
    known = set(IdToken.objects.filter(value__in=list(current.tokens)).values_list("value", flat=True))
    removals = {value: type_ for value, type_ in current.tokens.items() if value not in known}
    return ListPlan(current.issued, False, [t for t in tokens if fits(t)], removals)


def record_send_list_answer(command: Command, *, version: int, full: bool, updates: dict[str, str],
                            removals: list[str]) -> LocalListVersion:
    """SendLocalList accepted: the station now holds this version; `updates` are value -> type."""
    current = _locked(command.station)
    held = {} if full else dict(current.tokens)
    held.update(updates)
    for value in removals:
        held.pop(value, None)
    current.version, current.tokens, current.count = version, held, len(held)
    current.built_at, current.command = command.created_at, command
    current.issued = max(current.issued, version)
    current.save()
    return current


def record_reported_version(command: Command, *, version: int) -> LocalListVersion:
    """GetLocalListVersion answered: kept beside ours (a mismatch means the next list should be full)."""
    current = _locked(command.station)
    current.reported_version, current.reported_at = version, command.answered_at or timezone.now()
    current.save(update_fields=["reported_version", "reported_at", "updated_at"])
    return current

