"""Run many simulated stations at once, bounded in count and time, and count what happened.

No Django here: the simulator is a client and may run on a machine without the CSMS.
"""

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TextIO

from .script import Script
from .station import Station
from .stats import Stats

logger = logging.getLogger(__name__)

MODES = ("1.6", "2.0.1", "mixed")
TAG_PREFIX = "SIM-TAG-"
# How long cancelled stations get to close their sockets after --duration runs out.
CLOSE_GRACE = 5.0


@dataclass(frozen=True)
class FleetConfig:
    script: Script = field(default_factory=Script)
    stations: int = 5
    ocpp: str = "mixed"
    prefix: str = "SIM-"
    first: int = 1
    concurrency: int = 100
    duration: float = 120.0

    def station_ids(self) -> list[str]:
        return [f"{self.prefix}{n:04d}" for n in range(self.first, self.first + self.stations)]

    def version_of(self, index: int) -> str:
        """The station's OCPP version; a mixed fleet alternates 1.6, 2.0.1, 1.6, ... by id."""
        if self.ocpp != "mixed":
            return self.ocpp
        return "1.6" if index % 2 == 0 else "2.0.1"

    def id_tag_of(self, index: int) -> str:
        """The station's id tag: --id-tag for all, or SIM-TAG-0001 for SIM-0001 (by number, not prefix)."""
        return self.script.id_tag or f"{TAG_PREFIX}{self.first + index:04d}"


async def run_fleet(config: FleetConfig, *, progress: TextIO | None = None) -> Stats:
    """Run every station once, at most `config.duration` seconds, and return what was counted.

    Stations still running when the duration runs out are cancelled and counted as errors, unless
    they are staying connected after their script (--stay). With `progress`, one status line a
    second is written to it.
    """
    stats = Stats(stations=config.stations)
    gate = asyncio.Semaphore(config.concurrency)
    started = time.perf_counter()
    tasks: dict[asyncio.Task, Station] = {}
    for index, station_id in enumerate(config.station_ids()):
        version = config.version_of(index)
        stats.versions[version] += 1
        station = Station(station_id, version, config.script, stats, id_tag=config.id_tag_of(index))
        tasks[asyncio.create_task(station.run(gate))] = station
    reporter = asyncio.create_task(_report(stats, started, progress)) if progress else None
    try:
        done, pending = await asyncio.wait(tasks, timeout=config.duration) if tasks else ((), ())
        for task in pending:
            task.cancel()
            if not tasks[task].staying:
                stats.record_error(tasks[task].station_id, f"unfinished after --duration {config.duration}s")
        if pending:
            await asyncio.wait(pending, timeout=CLOSE_GRACE)
        for task in done:
            if task.exception() is not None:
                station_id = tasks[task].station_id
                logger.error("station %s crashed", station_id, exc_info=task.exception())
                stats.record_error(station_id, f"simulator bug: {task.exception()!r}")
    finally:
        # Also reached when our caller cancels us: no station may outlive the run.
        for task in [*tasks, reporter]:
            if task:
                task.cancel()
    stats.elapsed = time.perf_counter() - started
    if progress:
        print(stats.progress_line(), file=progress, flush=True)
    return stats


async def _report(stats: Stats, started: float, out: TextIO) -> None:
    while True:
        await asyncio.sleep(1.0)
        stats.elapsed = time.perf_counter() - started
        print(stats.progress_line(), file=out, flush=True)
