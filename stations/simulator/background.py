"""A station's background jobs: the work that follows its answers to the CSMS (operations.py)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from .stats import Stats

logger = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class Background:
    """Tasks one station started; an expected failure (`expected`) and a bug both land in the stats."""

    def __init__(self, station_id: str, stats: Stats, expected: type[Exception]) -> None:
        self.station_id = station_id
        self.stats = stats
        self.expected = expected
        self._tasks: set[asyncio.Task] = set()

    def start(self, what: str, job: Job) -> None:
        task = asyncio.create_task(self._guarded(what, job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, what: str, job: Job) -> None:
        try:
            await job()
        except self.expected as exc:
            self.stats.record_error(self.station_id, f"{what}: {exc}")
        except Exception as exc:  # a bug: counted, and the station goes on
            logger.exception("%s: %s crashed", self.station_id, what)
            self.stats.record_error(self.station_id, f"simulator bug in {what}: {exc!r}")

    async def cancel(self) -> None:
        """Cancel every job still running and wait for them (the station is ending)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
