"""What one run counted, and its two reports: the text summary and the JSON dump.

The session figures are what the stations believe, to hold against the CSMS database: energy is
the sum of meterStop - meterStart over the sessions a station stopped (whether or not the CSMS
answered the stop), transaction ids are those the CSMS acknowledged a start of.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from .charging import ENERGY_DECIMALS

if TYPE_CHECKING:
    from .fleet import FleetConfig

PERCENTILES = (50, 95, 99)
# Error lines kept (JSON has them all, the summary the first few); the count goes on past it.
ERRORS_KEPT = 200
ERRORS_SHOWN = 20
# Stations listed in the text summary's session table; the JSON lists every one.
STATIONS_SHOWN = 50


@dataclass
class SessionTally:
    """One station's sessions as it saw them."""

    version: str
    id_tag: str
    started: int = 0  # starts the CSMS answered (1.6 StartTransaction, 2.0.1 TransactionEvent Started)
    ended: int = 0  # stops the CSMS answered
    refused: int = 0  # sessions not started: Authorize did not answer Accepted
    energy_wh: float = 0.0
    transaction_ids: list[int | str] = field(default_factory=list)

    def record_start(self, transaction_id: int | str) -> None:
        self.started += 1
        self.transaction_ids.append(transaction_id)

    def record_end(self) -> None:
        self.ended += 1

    def to_dict(self) -> dict:
        return asdict(self) | {"energy_wh": round(self.energy_wh, ENERGY_DECIMALS)}


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
    reconnects: int = 0
    retries: Counter[str] = field(default_factory=Counter)  # action -> transaction messages sent again
    dropped: Counter[str] = field(default_factory=Counter)  # action -> transaction messages given up
    sessions: dict[str, SessionTally] = field(default_factory=dict)  # station id -> its sessions
    error_count: int = 0
    errors: list[str] = field(default_factory=list)  # "SIM-0001: message", first ERRORS_KEPT
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.completed == self.stations

    def tally(self, station_id: str, version: str, id_tag: str) -> SessionTally:
        self.sessions[station_id] = SessionTally(version, id_tag)
        return self.sessions[station_id]

    def session_totals(self) -> dict:
        tallies = self.sessions.values()
        return {
            "stations": len(self.sessions),
            "started": sum(t.started for t in tallies),
            "ended": sum(t.ended for t in tallies),
            "refused": sum(t.refused for t in tallies),
            "energy_wh": round(sum(t.energy_wh for t in tallies), ENERGY_DECIMALS),
            "transactions": sum(len(t.transaction_ids) for t in tallies),
        }

    def record_answer(self, action: str, outcome: str, latency: float | None = None) -> None:
        """outcome: the answer's status, "answered", "CALLERROR <code>", "invalid", "timeout" or
        "disconnected"; a status is the idTagInfo's / idTokenInfo's where the answer has one."""
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
        line = (
            f"[{self.elapsed:6.1f}s] connected {self.connected}/{self.stations}"
            f"  booted {self.booted}  calls {self.calls}  answers {self.answers.total()}"
            f"  errors {self.error_count}"
        )
        if self.sessions:
            totals = self.session_totals()
            line += f"  sessions {totals['started']} started {totals['ended']} ended"
        return line

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
                a: {k: round(v, 6) for k, v in self.percentiles(a).items()} for a in sorted(self.latencies)
            },
            "refusals": {str(status): n for status, n in sorted(self.refusals.items())},
            "connect_failures": dict(self.connect_failures),
            "incoming": _rows(self.incoming),
            "reconnects": self.reconnects,
            "retries": dict(sorted(self.retries.items())),
            "dropped": dict(sorted(self.dropped.items())),
            "sessions": {
                "totals": self.session_totals(),
                "stations": {s: t.to_dict() for s, t in sorted(self.sessions.items())},
            },
            "error_count": self.error_count,
            "errors": self.errors,
            "elapsed_seconds": round(self.elapsed, 3),
            "ok": self.ok,
        }


def _rows(counts: Counter[tuple[str, str]]) -> list[dict]:
    return [{"action": a, "outcome": o, "count": n} for (a, o), n in sorted(counts.items())]


def render_summary(stats: Stats, config: FleetConfig) -> str:
    """The human-readable report printed at the end of `manage.py simulate`."""
    versions = ", ".join(f"{v}: {n}" for v, n in sorted(stats.versions.items()))
    lines = [
        f"{stats.stations} stations ({versions}) against {config.script.url}" + f" in {stats.elapsed:.1f}s",
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
    if stats.sessions:
        lines += ["", *_session_lines(stats)]
    if stats.retries or stats.dropped or stats.reconnects:
        lines += ["", f"reconnects {stats.reconnects}"]
        lines += [f"  {a} sent again: {n}" for a, n in sorted(stats.retries.items())]
        lines += [f"  {a} given up: {n}" for a, n in sorted(stats.dropped.items())]
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


def _session_lines(stats: Stats) -> list[str]:
    totals = stats.session_totals()
    lines = [
        f"sessions: started {totals['started']}, ended {totals['ended']}, refused {totals['refused']},"
        + f" energy {_wh(totals['energy_wh'])} Wh, transactions {totals['transactions']}",
        f"{'station':<16}{'ocpp':<7}{'id tag':<16}{'started':>8}{'ended':>7}{'energy Wh':>12}  transaction ids",
    ]
    for station_id, t in sorted(stats.sessions.items())[:STATIONS_SHOWN]:
        ids = ", ".join(map(str, t.transaction_ids))
        lines.append(
            f"{station_id:<16}{t.version:<7}{t.id_tag:<16}{t.started:>8}{t.ended:>7}" + f"{_wh(t.energy_wh):>12}  {ids}"
        )
    if len(stats.sessions) > STATIONS_SHOWN:
        lines.append(f"... {len(stats.sessions) - STATIONS_SHOWN} more stations in --json")
    return lines


def _wh(energy: float) -> str:
    """1234.5 and 1234, not 1.2345e+03 nor 1234.000."""
    return f"{energy:.{ENERGY_DECIMALS}f}".rstrip("0").rstrip(".")


def write_json(stats: Stats, path: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        json.dump(stats.to_dict(), out, indent=2)
        out.write("\n")
