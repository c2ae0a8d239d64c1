"""`manage.py bench_asgi`: uvicorn (as we run it) against daphne, serving the embedded app csms.asgi:application.

Each server runs as a subprocess (one process, SQLite, in-process bus) on a fresh copy of a migrated database
holding the stations BENCH-0001..N. Per run and server: RSS before and after opening and booting N OCPP 1.6
stations (KiB per idle connection), then the server's utime+stime across --messages Heartbeats (us of server
CPU per message) and the wall-clock rate. The Heartbeat path includes the in-process central handler writing
SQLite, identical for both servers, so the difference between the servers is the server's own cost.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from csms import benchtools as bt

SERVERS = ("uvicorn", "daphne")
NOTE = ("Both serve csms.asgi:application in one process (SQLite, in-process bus); each Heartbeat runs the same\n"
        "central handler writing SQLite, so the difference between the rows is the ASGI server's own cost.\n"
        "Uvicorn is started as we run it (manage.py runserver: csms.server config, permessage-deflate on);\n"
        "daphne does not negotiate permessage-deflate (nor 401/404 refusals) and runs no lifespan.")


class Command(BaseCommand):
    help = "Measure idle memory per connection and CPU per OCPP message of uvicorn (as we run it) and daphne."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--stations", type=int, default=200, help="open connections (default 200)")
        parser.add_argument("--messages", type=int, default=4000, help="Heartbeats per run (default 4000)")
        parser.add_argument("--runs", type=int, default=3, help="runs per server (default 3)")
        parser.add_argument("--json", dest="json_file", metavar="FILE",
                            help="write the raw per-run figures and medians here")
        parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for any one answer")

    def handle(self, *args, stations: int, messages: int, runs: int, json_file: str | None, timeout: float, **options):
        if stations < 1 or messages < 1 or runs < 1:
            raise CommandError("--stations, --messages and --runs must be at least 1")
        ids = [f"BENCH-{i:04d}" for i in range(1, stations + 1)]
        results: dict[str, list[dict]] = {s: [] for s in SERVERS}
        with tempfile.TemporaryDirectory(prefix="bench_asgi-") as tmp:
            workdir = Path(tmp)
            self._progress(f"migrating a fresh SQLite database and provisioning {stations} stations in {workdir}")
            template = bt.prepare_database(workdir, ids)
            for run in range(1, runs + 1):
                for server in SERVERS:
                    self._progress(f"run {run}/{runs} {server}: starting")
                    try:
                        with bt.running(server, template, workdir) as (proc, port):
                            figures = asyncio.run(self._measure(proc.pid, port, ids, messages, timeout))
                    except Exception as exc:
                        log = workdir / f"{server}.log"
                        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                        raise CommandError(f"{server}, run {run}: {exc!r}\n{tail}") from exc
                    results[server].append(figures)
                    self._progress(f"run {run}/{runs} {server}: {figures['kib_per_conn']:.1f} KiB/conn, "
                                   f"{figures['us_cpu_per_msg']:.0f} us CPU/msg, {figures['msgs_per_s']:.0f} msgs/s, "
                                   f"deflate={figures['deflate']}")
        medians = {s: {k: statistics.median(r[k] for r in results[s])
                       for k in ("kib_per_conn", "us_cpu_per_msg", "msgs_per_s")} for s in SERVERS}
        ratio = medians["uvicorn"]["us_cpu_per_msg"] / medians["daphne"]["us_cpu_per_msg"]
        self._table(results, medians, ratio, stations, messages, runs)
        if json_file:
            Path(json_file).write_text(_json_dump({"stations": stations, "messages": messages, "runs": results,
                                              "medians": medians, "cpu_ratio_uvicorn_daphne": ratio}))
            self._progress(f"wrote {json_file}")

    async def _measure(self, pid: int, port: int, ids: list[str], messages: int, timeout: float) -> dict:
        async with asyncio.timeout(120 + messages * 0.05):
            # Warm-up: the first connection and call import and build what every later one reuses.
            ws = await bt.open_station(port, ids[0])
            await bt.call(ws, "warm-boot", "BootNotification", bt.BOOT, timeout)
            await bt.call(ws, "warm-hb", "Heartbeat", {}, timeout)
            await ws.close()
            await asyncio.sleep(0.5)
            rss_before = bt.rss_kib(pid)
            sockets = await bt.open_and_boot(port, ids, timeout)
            try:
                deflate = [bt.negotiated_deflate(s) for s in sockets]
                await asyncio.sleep(1)
                rss_after = bt.rss_kib(pid)
                cpu, wall = bt.cpu_seconds(pid), time.perf_counter()
                await bt.heartbeats(sockets, messages, timeout)
                cpu, wall = bt.cpu_seconds(pid) - cpu, time.perf_counter() - wall
            finally:
                await bt.close_all(sockets)
        return {"deflate": all(deflate), "deflate_sockets": sum(deflate),
                "rss_before_kib": rss_before, "rss_after_kib": rss_after,
                "kib_per_conn": (rss_after - rss_before) / len(ids), "cpu_s": cpu, "wall_s": wall,
                "us_cpu_per_msg": cpu / messages * 1e6, "msgs_per_s": messages / wall}

    def _table(self, results, medians, ratio, stations, messages, runs) -> None:
        header = ("server", "deflate negotiated", "KiB/idle conn", "us CPU/msg", "msgs/s")
        rows = [header] + [(s, "yes" if all(r["deflate"] for r in results[s]) else "no",
                            f"{m['kib_per_conn']:.1f}", f"{m['us_cpu_per_msg']:.0f}", f"{m['msgs_per_s']:.0f}")
                           for s, m in medians.items()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        out = self.stdout
        out.write(f"{stations} OCPP 1.6 stations, {messages} Heartbeats per run, median of {runs} runs\n")
        for n, row in enumerate(rows):
            cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
            out.write(" | ".join(cells))
            if n == 0:
                out.write("-+-".join("-" * w for w in widths))
        out.write(f"CPU per message, uvicorn/daphne: {ratio:.2f}\n")
        out.write(NOTE)

    def _progress(self, text: str) -> None:
        self.stderr.write(f"bench_asgi: {text}")


def _json_dump(data: dict) -> str:
    return json.dumps(data, indent=2) + "\n"
