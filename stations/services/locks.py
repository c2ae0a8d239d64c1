"""Station rows for a whole batch of messages at once: locked in one statement, their pks known after it.

Handlers lock their station's row before anything of it changes (sessions, connectors, commands). A batch that
locked its stations one message at a time, in whatever order its set-based and ordinary paths reach them, could
wait on another worker's batch that holds them in the opposite order; one statement sorted by pk takes them in the
same order in every batch, and later locks of the same rows in that transaction cost no wait. Within a batch
(csms.batchscope) the locked stations' pks are remembered, so a second lock or a pk lookup costs no query.
"""

from __future__ import annotations

from collections.abc import Iterable

from csms import batchscope, pgsql
from stations.models import ChargingStation


def _locked() -> dict[str, int]:
    return batchscope.memo(("locked station pks",), dict)


def lock_stations(station_ids: Iterable[str]) -> dict[str, int]:
    """Lock the provisioned stations among `station_ids` in pk order; their pks by station id."""
    wanted = {s for s in station_ids if s}
    locked = _locked()
    if wanted <= locked.keys():
        return {s: locked[s] for s in wanted}
    found = dict(pgsql.select_in(ChargingStation, ("station_id", "pk"), "station_id", wanted, lock=True))
    locked.update(found)
    return found


def station_pks(station_ids: Iterable[str]) -> dict[str, int]:
    """The pks of the provisioned stations among `station_ids`, without locking; no query for stations this batch
    locked already."""
    wanted = {s for s in station_ids if s}
    locked = _locked()
    missing = wanted - locked.keys()
    found = {s: locked[s] for s in wanted & locked.keys()}
    if missing:
        found.update(ChargingStation.objects.filter(station_id__in=missing).values_list("station_id", "pk"))
    return found
