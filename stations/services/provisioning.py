"""Provisioning stations from the command line or a CSV file, idempotently."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from audit.services import audited
from csms.exceptions import InvalidValue
from stations.choices import Registration
from stations.models import ChargingStation


@dataclass(frozen=True)
class StationSpec:
    """The operator's settings for one station; None leaves a field as it is."""

    station_id: str
    password: str | None = None
    registration: Registration | None = None
    name: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    address: str | None = None


STATION_ID_MAX = 48  # OCPP 2.0.1 identity; 1.6 chargeBoxIdentity fits in it


def validate_station_id(station_id: str) -> None:
    """A station id must fit a URL path segment unescaped: printable ASCII, no '/', '%' or spaces."""
    if not 1 <= len(station_id) <= STATION_ID_MAX:
        raise InvalidValue(f"station id must be 1..{STATION_ID_MAX} characters", field="station_id")
    if not all(33 <= ord(c) < 127 and c not in "/%?#" for c in station_id):
        raise InvalidValue("station id may hold printable ASCII only, without spaces, '/', '%', '?' or '#'",
                           field="station_id")


@audited(target_type="station", target="spec.station_id", station="spec.station_id")
@transaction.atomic
def provision_station(spec: StationSpec) -> tuple[ChargingStation, str]:
    """Create or update a station; returns it and "created", "updated" or "unchanged".

    Running the same spec twice changes nothing: the password is re-hashed only
    when it differs from the stored one (a new salt would otherwise count as a change).
    """
    validate_station_id(spec.station_id)
    station, created = ChargingStation.objects.select_for_update().get_or_create(station_id=spec.station_id)
    changed = []
    for name in ("registration", "name", "latitude", "longitude", "address"):
        value = getattr(spec, name)
        if value is not None and getattr(station, name) != value:
            setattr(station, name, value)
            changed.append(name)
    same_password = station.check_password(spec.password) or spec.password == "" == station.password
    if spec.password is not None and not same_password:
        station.set_password(spec.password)
        changed.append("password")
    if changed:
        try:
            station.full_clean(exclude=["password"])
        except ValidationError as exc:  # e.g. a name longer than the column: the operator's mistake, not a bug
            field, messages = next(iter(exc.message_dict.items()))
            raise InvalidValue(" ".join(messages), field=None if field == NON_FIELD_ERRORS else field) from None
        station.save()
    return station, "created" if created else ("updated" if changed else "unchanged")
