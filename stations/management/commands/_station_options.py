"""The station columns shared by add_station and import_stations, parsed the same way for both."""

from decimal import Decimal, InvalidOperation

from django.core.management.base import CommandError

from stations.choices import Registration
from stations.services import StationSpec

COLUMNS = ("station_id", "password", "registration", "name", "lat", "lon", "address")


def _decimal(name: str, value: str | None, bound: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CommandError(f"{name}: {value!r} is not a number") from None
    if not -bound <= number <= bound:
        raise CommandError(f"{name}: {value} is outside -{bound}..{bound}")
    return number.quantize(Decimal("0.000001"))


def spec_from(values: dict[str, str | None]) -> StationSpec:
    """A StationSpec from command options or a CSV row; empty cells leave the field as it is."""
    registration = values.get("registration") or None
    if registration is not None:
        match = {r.value.lower(): r for r in Registration}.get(registration.lower())
        if match is None:
            raise CommandError(f"registration: {registration!r} is not one of Accepted, Pending, Rejected")
        registration = match
    if bool(values.get("lat")) != bool(values.get("lon")):
        raise CommandError("lat and lon go together")
    return StationSpec(
        station_id=(values.get("station_id") or "").strip(),
        password=values.get("password") or None,
        registration=registration,
        name=values.get("name") or None,
        latitude=_decimal("lat", values.get("lat"), 90),
        longitude=_decimal("lon", values.get("lon"), 180),
        address=values.get("address") or None,
    )
