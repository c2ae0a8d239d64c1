"""Reads about sessions and id tokens shared by the portal and (later) the API: plain functions, no request.

Each list is one queryset (the caller paginates or iterates it), so a page costs a constant
number of queries whatever it shows. Filters arrive as dataclasses, already parsed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce, Mod, RowNumber
from django.utils import timezone

from stations.models import ChargingStation
from transactions.choices import TokenStatus, TokenType, TransactionStatus
from transactions.models import IdToken, MeterValue, Transaction
from transactions.services.metering import ACTIVE_POWER, ENERGY_REGISTER, POWER_PHASES

# The list's states: a stale session is still Active, an orphan one may be either.
ACTIVE, ENDED, STALE, ORPHAN = "active", "ended", "stale", "orphan"
STATES = (ACTIVE, ENDED, STALE, ORPHAN)
STATE_FILTERS = {
    ACTIVE: Q(status=TransactionStatus.ACTIVE),
    ENDED: Q(status=TransactionStatus.ENDED),
    STALE: Q(status=TransactionStatus.ACTIVE, stale=True),
    ORPHAN: Q(orphan=True),
}


@dataclass(frozen=True)
class TransactionFilters:
    """Empty fields filter nothing. `station`: an exact station id if one exists, else part of one."""

    station: str = ""
    token: str = ""  # the id token value as presented, exactly (the indexed column)
    started_from: date | None = None  # inclusive, in the site's time zone
    started_to: date | None = None  # inclusive
    state: str = ""  # one of STATES


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def transaction_list(filters: TransactionFilters) -> QuerySet[Transaction]:
    """Sessions matching `filters`, newest start first, with their station joined.

    The order is the model's, which walks the started_at index backwards (a page costs well under
    a millisecond at 100,000 rows). An unknown start (an orphan) sorts where the database puts NULL:
    first on PostgreSQL, last on SQLite; NULLS LAST on both would need its own index.
    """
    sessions = Transaction.objects.select_related("station")
    if filters.station:
        exact = ChargingStation.objects.filter(station_id=filters.station)
        # One query either way: the exact id when it names a station (CP-1 is not CP-10), else a substring.
        sessions = sessions.filter(Q(station__station_id=filters.station)
                                   | Q(station__station_id__icontains=filters.station) & ~Exists(exact))
    if filters.token:
        sessions = sessions.filter(id_token_value=filters.token)
    if filters.started_from:
        sessions = sessions.filter(started_at__gte=_start_of(filters.started_from))
    if filters.started_to:
        sessions = sessions.filter(started_at__lt=_start_of(filters.started_to + timedelta(days=1)))
    if filters.state:
        sessions = sessions.filter(STATE_FILTERS[filters.state])
    return sessions.order_by("-started_at", "-id")


def transaction_detail(pk: int) -> Transaction:
    """One session with its station, token (and the token's group) and remote-start command; DoesNotExist if none."""
    return Transaction.objects.select_related("station", "id_token__parent", "command").get(pk=pk)


@dataclass(frozen=True)
class MeterSeries:
    """A session's chart: (timestamp, value) pairs in time order; `total_*` counts before downsampling."""

    energy_wh: list[tuple[datetime, Decimal]]
    power_w: list[tuple[datetime, Decimal]]
    total_energy: int
    total_power: int

    @property
    def downsampled(self) -> bool:
        return len(self.energy_wh) < self.total_energy or len(self.power_w) < self.total_power


def meter_series(transaction: Transaction, max_points: int = 2000) -> MeterSeries:
    """The energy register (Wh) and active power (W) of a session over time, at most `max_points` each.

    Power is the phase-less Power.Active.Import value, or where a station sends only phases, their
    sum per timestamp (as metering keeps `power_w`). A longer series keeps every n-th reading,
    chosen in the database (ROW_NUMBER), so a week-long session never loads in full; the last
    reading is always kept so the chart ends where the session stands.
    """
    values = MeterValue.objects.filter(transaction=transaction, value__isnull=False)
    energy = values.filter(measurand=ENERGY_REGISTER, phase="").values("timestamp", "value")
    power = values.filter(measurand=ACTIVE_POWER, phase="").values("timestamp", "value")
    energy_points, total_energy = _downsample(energy, max_points)
    power_points, total_power = _downsample(power, max_points)
    if not total_power:
        phases = (values.filter(measurand=ACTIVE_POWER, phase__in=POWER_PHASES).values("timestamp")
                  .annotate(value=Sum("value")))
        power_points, total_power = _downsample(phases, max_points)
    return MeterSeries(energy_points, power_points, total_energy, total_power)


def _downsample(rows: QuerySet, max_points: int) -> tuple[list[tuple[datetime, Decimal]], int]:
    """Every n-th of `rows` (dicts with timestamp and value) so at most `max_points` remain, and the count."""
    total = rows.count()
    if total <= max_points:
        return [(r["timestamp"], r["value"]) for r in rows.order_by("timestamp")], total
    step = math.ceil(total / (max_points - 1))  # one place is kept for the last reading
    numbered = rows.annotate(n=Window(RowNumber(), order_by=F("timestamp").asc()))
    kept = numbered.annotate(skip=Mod(F("n") - 1, Value(step), output_field=IntegerField())).filter(
        Q(skip=0) | Q(n=total)).order_by("timestamp")
    return [(r["timestamp"], r["value"]) for r in kept], total


@dataclass(frozen=True)
class TokenFilters:
    search: str = ""  # part of the value or the owner
    status: str = ""  # a TokenStatus value
    type: str = ""  # a TokenType value


def token_list(filters: TokenFilters) -> QuerySet[IdToken]:
    """Tokens matching `filters` by value, each with `active_count`: its sessions now Active.

    The count is a correlated subquery rather than a JOIN + GROUP BY, so a page of 50 counts the
    sessions of those 50 tokens only (through the id_token foreign-key index).
    """
    tokens = IdToken.objects.select_related("parent")
    if filters.search:
        tokens = tokens.filter(Q(value__icontains=filters.search) | Q(owner__icontains=filters.search))
    if filters.status in TokenStatus.values:
        tokens = tokens.filter(status=filters.status)
    if filters.type in TokenType.values:
        tokens = tokens.filter(type=filters.type)
    active = (Transaction.objects.filter(id_token=OuterRef("pk"), status=TransactionStatus.ACTIVE)
              .order_by().values("id_token").annotate(n=Count("pk")).values("n"))
    return tokens.annotate(active_count=Coalesce(Subquery(active, output_field=IntegerField()), 0)).order_by("value")
