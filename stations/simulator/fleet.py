"""Run many simulated stations at once, bounded in count and time, and count what happened.

No Django here: the simulator is a client and may run on a machine without the CSMS.
"""

import asyncio
import json
import logging
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TextIO

from .station import Script, Station

logger = logging.getLogger(__name__)

MODES = ("1.6", "2.0.1", "mixed")
PERCENTILES = (50, 95, 99)
# Error lines kept (JSON has them all, the summary the first few); the count goes on past it.
ERRORS_KEPT = 200
ERRORS_SHOWN = 20
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


@dataclass
class Stats:
    """Everything counted during one run; stations write to it, the summary reads it."""

    stations: int = 0
    versions: Counter[str] = field(default_factory=Counter)
    connected: int = 0
    booted: int = 0
    completed: int = 0
    calls: int = 0
    answers: Counter[tuple[str, str]] = field(default_factory=Counter)  # (action, outcome)
    latencies: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    refusals: Counter[int] = field(default_factory=Counter)  # HTTP status -> stations
    connect_failures: Counter[str] = field(default_factory=Counter)  # exception type -> stations
    incoming: Counter[tuple[str, str]] = field(default_factory=Counter)  # CSMS calls we answered
    error_count: int = 0
    errors: list[str] = field(default_factory=list)  # "SIM-0001: message", first ERRORS_KEPT
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.completed == self.stations

    def record_answer(self, action: str, outcome: str, latency: float | None = None) -> None:
        """outcome: the answer's status, "answered", "CALLERROR <code>", "invalid" or "timeout"."""
        self.answers[(action, outcome)] += 1
        if latency is not None:
            self.latencies[action].append(latency)

    def record_refusal(self, station_id: str, status: int) -> None:
        self.refusals[status] += 1
        self.record_error(station_id, f"handshake refused with HTTP {status}")

    def record_connect_failure(self, station_id: str, exc: BaseException) -> None:
        self.connect_failures[type(exc).__name__] += 1
        self.record_error(station_id, f"connect failed: {type(exc).__name__}: {exc}")

    def record_error(self, station_id: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append(f"{station_id}: {message}")

    def percentiles(self, action: str) -> dict[str, float]:
        """Latency in seconds by nearest rank: {"p50", "p95", "p99", "max"}; empty if none."""
        values = sorted(self.latencies.get(action, ()))
        if not values:
            return {}
        ranks = {f"p{p}": values[max(math.ceil(p / 100 * len(values)) - 1, 0)] for p in PERCENTILES}
        return ranks | {"max": values[-1]}

    def progress_line(self) -> str:
        return (
            f"[{self.elapsed:6.1f}s] connected {self.connected}/{self.stations}"
            f"  booted {self.booted}  calls {self.calls}  answers {self.answers.total()}"
            f"  errors {self.error_count}"
        )

    def to_dict(self) -> dict:
        return {
            "stations": self.stations,
            "versions": dict(self.versions),
            "connected": self.connected,
            "booted": self.booted,
            "completed": self.completed,
            "calls": self.calls,
            "answers": _rows(self.answers),
            "latency_seconds": {
                a: {k: round(v, 6) for k, v in self.percentiles(a).items()}
                for a in sorted(self.latencies)
            },
            "refusals": {str(status): n for status, n in sorted(self.refusals.items())},
            "connect_failures": dict(self.connect_failures),
            "incoming": _rows(self.incoming),
            "error_count": self.error_count,
            "errors": self.errors,
            "elapsed_seconds": round(self.elapsed, 3),
            "ok": self.ok,
        }


def _rows(counts: Counter[tuple[str, str]]) -> list[dict]:
    return [{"action": a, "outcome": o, "count": n} for (a, o), n in sorted(counts.items())]


async def run_fleet(config: FleetConfig, *, progress: TextIO | None = None) -> Stats:
    """Run every station once, at most `config.duration` seconds, and return what was counted.

    Stations still running when the duration runs out are cancelled and counted as errors.
    With `progress`, one status line a second is written to it.
    """
    stats = Stats(stations=config.stations)
    gate = asyncio.Semaphore(config.concurrency)
    started = time.perf_counter()
    tasks: dict[asyncio.Task, str] = {}
    for index, station_id in enumerate(config.station_ids()):
        version = config.version_of(index)
        stats.versions[version] += 1
        station = Station(station_id, version, config.script, stats)
        tasks[asyncio.create_task(station.run(gate))] = station_id
    reporter = asyncio.create_task(_report(stats, started, progress)) if progress else None
    try:
        done, pending = await asyncio.wait(tasks, timeout=config.duration) if tasks else ((), ())
        for task in pending:
            task.cancel()
            stats.record_error(tasks[task], f"unfinished after --duration {config.duration}s")
        if pending:
            await asyncio.wait(pending, timeout=CLOSE_GRACE)
        for task in done:
            if task.exception() is not None:
                logger.error("station %s crashed", tasks[task], exc_info=task.exception())
                stats.record_error(tasks[task], f"simulator bug: {task.exception()!r}")
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


def render_summary(stats: Stats, config: FleetConfig) -> str:
    """The human-readable report printed at the end of `manage.py simulate`."""
    versions = ", ".join(f"{v}: {n}" for v, n in sorted(stats.versions.items()))
    lines = [
        f"{stats.stations} stations ({versions}) against {config.script.url}"
        + f" in {stats.elapsed:.1f}s",
        f"connected {stats.connected}, booted {stats.booted}, completed {stats.completed},"
        + f" calls {stats.calls}, errors {stats.error_count}",
        "",
        f"{'action':<22}{'outcome':<28}{'count':>8}",
    ]
    lines += [f"{a:<22}{o:<28}{n:>8}" for (a, o), n in sorted(stats.answers.items())]
    lines += ["", f"{'latency ms':<22}" + "".join(f"{k:>10}" for k in ("p50", "p95", "p99", "max"))]
    for action in sorted(stats.latencies):
        ranks = stats.percentiles(action)
        lines.append(f"{action:<22}" + "".join(f"{v * 1000:>10.1f}" for v in ranks.values()))
    if stats.incoming:
        lines += ["", "CSMS calls answered:"]
        lines += [f"  {a} -> {o}: {n}" for (a, o), n in sorted(stats.incoming.items())]
    if stats.refusals:
        lines += ["", "refused handshakes:"]
        lines += [f"  HTTP {status}: {n}" for status, n in sorted(stats.refusals.items())]
    if stats.connect_failures:
        lines += ["", "connect failures:"]
        lines += [f"  {kind}: {n}" for kind, n in sorted(stats.connect_failures.items())]
    if stats.errors:
        shown = stats.errors[:ERRORS_SHOWN]
        lines += ["", f"errors ({stats.error_count}, first {len(shown)} shown):"]
        lines += [f"  {line}" for line in shown]
    return "\n".join(lines)


def write_json(stats: Stats, path: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        json.dump(stats.to_dict(), out, indent=2)
        out.write("\n")
