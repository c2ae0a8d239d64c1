"""`manage.py bench`: the distributed pipeline, the embedded server and an in-memory baseline under one load.

Scenarios, each against every --targets (distributed: PostgreSQL + RabbitMQ + one Celery worker + one node
under uvicorn; embedded: `manage.py runserver` on SQLite; baseline: csms/bench/baseline.py):
connections (stations held by one process and its RSS per connection, offering permessage-deflate and not),
throughput (--loads offered calls/s of a 70/20/10 mix, --seconds each, latency percentiles per action) and
boot storm (--storm stations connecting, booting and reporting 2 connectors at once). Load comes from the
station simulator and csms/bench/load.py in subprocesses. Everything started is stopped at the end, also on
Ctrl-C or error; the temporary databases and vhost are dropped. Progress on stderr, tables on stdout.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from csms.bench import load, report, stack

PREFIX = "BENCH-"
FD_MARGIN = 200  # descriptors a process needs besides its stations' sockets
SCENARIOS = ("connections", "throughput", "storm")


def _csv(kind, choices=None):
    def parse(text: str):
        values = [kind(v) for v in text.split(",") if v.strip()]
        if choices and set(values) - set(choices):
            raise ValueError(f"choose from {', '.join(choices)}")
        return values

    return parse


def cpu_seconds(pid: int) -> float:
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Command(BaseCommand):
    help = "Benchmark connections, throughput and a boot storm: distributed stack vs embedded vs in-memory baseline."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        add = parser.add_argument
        add("--targets", type=_csv(str, stack.TARGETS), default=list(stack.TARGETS), help="default: all three")
        add("--scenarios", type=_csv(str, SCENARIOS), default=list(SCENARIOS), help="default: all three")
        add("--connections", type=int, default=1000, help="stations held at once (default 1000)")
        add("--loads", type=_csv(float), default=[100.0, 300.0, 1000.0], help="offered calls/s (default 100,300,1000)")
        add("--seconds", type=float, default=10.0, help="per offered load (default 10)")
        add("--tp-stations", type=int, default=200, help="stations carrying the throughput load (default 200)")
        add("--storm", type=int, default=1000, help="stations in the boot storm (default 1000)")
        add("--runs", type=int, default=1, help="repeats; the tables show medians")
        add("--call-timeout", type=float, default=10.0, help="seconds before an unanswered call counts as such")
        add("--json", dest="json_file", metavar="FILE", help="default var/bench/bench-<timestamp>.json; PNGs beside")

    def handle(self, *args, **o):
        soft, hard = stack.raise_open_file_limit()
        limit = soft - FD_MARGIN
        for name in ("connections", "storm", "tp_stations"):
            if not 1 <= o[name] <= limit:
                raise CommandError(f"--{name.replace('_', '-')} must be 1..{limit} (open-file limit {soft})")
        loads_ok = o["loads"] and all(0 < r <= 50_000 for r in o["loads"])
        if o["runs"] < 1 or not 0 < o["seconds"] <= 600 or not loads_ok:
            raise CommandError("--runs >= 1, 0 < --seconds <= 600, 0 < each of --loads <= 50000")
        started = datetime.now()
        out = Path(o["json_file"] or f"var/bench/bench-{started:%Y%m%d-%H%M%S}.json").resolve()
        logs = out.with_name(out.stem + "-logs")
        logs.mkdir(parents=True, exist_ok=True)
        self.t0 = time.monotonic()
        config = {k: o[k] for k in ("targets", "scenarios", "connections", "loads", "seconds", "tp_stations", "storm",
                                    "runs", "call_timeout")} | {"started": started.isoformat(timespec="seconds"),
                                                                "open_file_limit": soft, "command": self._argv(),
                                                                "worker_pool": stack.worker_pool()}
        count = max(o["connections"], o["storm"], o["tp_stations"])
        ids = load.station_ids(PREFIX, count)
        tags = [f"{load.TAG_PREFIX}{i:04d}" for i in range(1, o["tp_stations"] + 1)]
        self.progress(f"logs in {logs}; preparing databases with {count} stations")
        templates = stack.Templates(logs, ids, tags, postgres="distributed" in o["targets"],
                                    sqlite="embedded" in o["targets"])
        runs: list[dict] = []
        try:
            for run in range(1, o["runs"] + 1):
                figures: dict = {}
                runs.append(figures)
                for target in o["targets"]:
                    self.tag = f"run {run}/{o['runs']} {target}"
                    figures[target] = self.measure(target, templates, logs, o, f"r{run}-{target}")
        finally:
            templates.drop()
            result = {"config": config, "runs": runs, "medians": report.medians(runs)}
            report.write_json(result, out)
            self.progress(f"wrote {out}")
        self.stdout.write(report.table(result))
        try:
            for png in report.plot(result, out.with_suffix("")):
                self.progress(f"wrote {png}")
        except ImportError:
            self.progress("no PNG plots: matplotlib is not installed (pip install -r requirements-dev.txt)")

    def measure(self, target: str, templates, logs: Path, o: dict, tag: str) -> dict:
        figures: dict = {}
        if "connections" in o["scenarios"]:
            figures["connections"] = {}
            for variant in report.VARIANTS:
                with self.running(target, templates, logs) as t:
                    figures["connections"][variant] = self.connections(t, o, variant == "deflate",
                                                                       logs, f"{tag}-{variant}")
        if {"throughput", "storm"} & set(o["scenarios"]):
            with self.running(target, templates, logs) as t:
                if "throughput" in o["scenarios"]:
                    figures["throughput"] = [self.throughput(t, o, rate, logs, f"{tag}-{rate:g}")
                                             for rate in o["loads"]]
                if "storm" in o["scenarios"]:
                    figures["storm"] = self.storm(t, o, logs, tag)
        return figures

    def running(self, target: str, templates, logs: Path):
        command = self

        class Running:
            def __enter__(self):
                command.progress(f"starting {target}")
                self.t = stack.start(target, templates, logs)
                return self.t

            def __exit__(self, kind, exc, tb):
                command.progress(f"stopping {target}")
                self.t.stop()
                return False

        return Running()

    def connections(self, t: stack.Target, o: dict, deflate: bool, logs: Path, tag: str) -> dict:
        n = o["connections"]
        warm = load.Simulators(t.url, 1, ["--heartbeats", "1", "--connectors", "0", "--duration", "60"], logs,
                               f"{tag}-warm", PREFIX)
        if not warm.wait(70):
            warm.stop()
        negotiated = self.probe_deflate(t.url, deflate)
        time.sleep(1)
        before = stack.rss_kib(t.server_pid)
        hold = 120 + n * 0.05
        args = ["--heartbeats", "1", "--heartbeat-interval", "0", "--connectors", "0", "--stay", "--duration",
                str(hold), "--concurrency", "100", "--open-timeout", "30", "--call-timeout", "30"]
        sims = load.Simulators(t.url, n, args + ([] if deflate else ["--no-compression"]), logs, tag, PREFIX)
        try:
            deadline, last = time.monotonic() + hold - 10, 0.0
            while time.monotonic() < deadline and sims.running():
                totals = sims.totals()
                if time.monotonic() - last >= 2:
                    last = time.monotonic()
                    self.progress(f"connections ({'deflate offered' if deflate else 'no deflate'}): "
                                  f"connected {totals['connected']}/{n} booted {totals['booted']} "
                                  f"answers {totals['answers']} errors {totals['errors']}")
                if totals["answers"] >= 2 * n or totals["connected"] + totals["errors"] >= n and \
                        totals["answers"] >= 2 * totals["connected"] - totals["errors"]:
                    break
                time.sleep(0.2)
            time.sleep(2)
            after = stack.rss_kib(t.server_pid)
            totals = sims.totals()
        finally:
            sims.stop()
        held = min(totals["booted"], totals["connected"])
        figures = {"requested": n, "connected": totals["connected"], "booted": totals["booted"], "held": held,
                   "errors": totals["errors"], "deflate_offered": deflate, "deflate_negotiated": negotiated,
                   "rss_before_kib": before, "rss_after_kib": after,
                   "kib_per_conn": round((after - before) / held, 2) if held else None}
        self.progress(f"connections: held {held}/{n}, {figures['kib_per_conn']} KiB/conn "
                      f"(deflate {'negotiated' if negotiated else 'not negotiated'})")
        return figures

    def probe_deflate(self, url: str, offer: bool) -> bool:
        """Does the target accept permessage-deflate when offered (asked of a second, short-lived connection)?"""
        import asyncio

        from websockets.asyncio.client import connect

        async def probe() -> bool:
            async with connect(url + f"{PREFIX}0001", subprotocols=["ocpp1.6"], open_timeout=15, ping_interval=None,
                               proxy=None, compression="deflate" if offer else None) as ws:
                return "permessage-deflate" in (ws.response.headers.get("Sec-WebSocket-Extensions") or "")

        try:
            return asyncio.run(probe())
        except Exception as exc:
            self.progress(f"deflate probe failed: {exc!r}")
            return False

    def throughput(self, t: stack.Target, o: dict, rate: float, logs: Path, tag: str) -> dict:
        self.progress(f"throughput: {rate:g} calls/s for {o['seconds']:g}s over {o['tp_stations']} stations")
        pids = stack.descendants([p.pid for p in t.procs])  # children read now live through the load
        cpu = sum(cpu_seconds(p) for p in pids)
        figures = load.run_throughput(t.url, rate=rate, seconds=o["seconds"], stations=o["tp_stations"],
                                      prefix=PREFIX, ocpp="mixed", compression=True, call_timeout=o["call_timeout"],
                                      workdir=logs, tag=tag, progress=self.progress)
        cpu = sum(cpu_seconds(p) for p in pids) - cpu  # includes each load's setup and teardown calls
        calls = figures["answered"] + 4 * o["tp_stations"]
        figures["cpu_s_per_1000_calls"] = round(cpu / calls * 1000, 3)
        self.progress(f"throughput: offered {rate:g}/s achieved {figures['achieved_per_s']}/s, "
                      f"p50/p95/p99 {figures['latency_ms_all'].get('p50')}/{figures['latency_ms_all'].get('p95')}/"
                      f"{figures['latency_ms_all'].get('p99')} ms, unanswered {figures['unanswered']}")
        return figures

    def storm(self, t: stack.Target, o: dict, logs: Path, tag: str) -> dict:
        n = o["storm"]
        duration = 120 + n * 0.02
        self.progress(f"boot storm: {n} stations at once")
        sims = load.Simulators(t.url, n, ["--heartbeats", "0", "--connectors", "2", "--concurrency", str(n),
                                          "--duration", str(duration), "--open-timeout", "60", "--call-timeout", "60"],
                               logs, f"{tag}-storm", PREFIX)
        try:
            deadline, last = time.monotonic() + duration + 30, 0.0
            while sims.running() and time.monotonic() < deadline:
                if time.monotonic() - last >= 2:
                    last = time.monotonic()
                    totals = sims.totals()
                    self.progress(f"boot storm: connected {totals['connected']}/{n} booted {totals['booted']} "
                                  f"answers {totals['answers']} errors {totals['errors']}")
                time.sleep(0.2)
            sims.wait(10)
        finally:
            sims.stop()
        merged = load.merge_summaries(sims.summaries())
        figures = {"stations": n, "wall_s": merged["elapsed_seconds"], "completed": merged["completed"],
                   "refused": sum(merged["refusals"].values()),
                   "connect_failed": sum(merged["connect_failures"].values()),
                   "unanswered": load.unanswered(merged), "errors": merged["error_count"],
                   "latency_ms": merged["latency_ms"], "outcomes": merged["outcomes"],
                   "first_errors": merged["errors"][:10],
                   "note": "wall time of the simulator fleet: first connect to last station done (its socket closed)"}
        self.progress(f"boot storm: {figures['completed']}/{n} completed in {figures['wall_s']:.2f}s, "
                      f"refused {figures['refused']}, unanswered {figures['unanswered']}")
        return figures

    def progress(self, text: str) -> None:
        self.stderr.write(f"bench [{time.monotonic() - getattr(self, 't0', time.monotonic()):6.1f}s] "
                          f"{getattr(self, 'tag', '')}: {text}")

    @staticmethod
    def _argv() -> str:
        import sys

        return " ".join(["manage.py", *sys.argv[2:]])
