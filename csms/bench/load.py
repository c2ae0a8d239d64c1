"""The load of `manage.py bench`, always from processes of its own (never the measuring process).

- connections and boot storm: the project's station simulator, `manage.py simulate` subprocesses of at most
  STATIONS_PER_PROCESS stations each, read through their progress lines (stderr) and --json summaries;
- throughput: the simulator runs a script, not a rate, so `python -m csms.bench.load` is a small open-loop
  generator: calls scheduled at a fixed offered rate over S booted stations that each hold a session, the
  mix drawn at random (70% MeterValues / TransactionEvent Updated, 20% Heartbeat, 10% StatusNotification),
  one call in flight per station as OCPP-J asks. Frames are built by hand with the simulator's payloads.
  Latency is from send to answer; a station still busy when its next call is due sends it late (queued),
  so an offered load the target cannot carry shows as an achieved rate below it and a longer drain.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIONS_PER_PROCESS = 5000
PROGRESS = re.compile(r"connected (\d+)/(\d+)\s+booted (\d+)\s+calls (\d+)\s+answers (\d+)\s+errors (\d+)")
MIX = (("meter", 0.7), ("heartbeat", 0.2), ("status", 0.1))
TAG_PREFIX = "BENCH-TAG-"


def station_ids(prefix: str, count: int, first: int = 1) -> list[str]:
    """The simulator's naming: PREFIX0001, PREFIX0002, ..."""
    return [f"{prefix}{n:04d}" for n in range(first, first + count)]


def percentiles(values: list[float]) -> dict[str, float]:
    """Nearest rank, in milliseconds, as the simulator computes them."""
    if not values:
        return {}
    ordered = sorted(values)
    ranks = {f"p{p}": ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)] for p in (50, 95, 99)}
    return {k: round(v * 1000, 2) for k, v in (ranks | {"max": ordered[-1]}).items()}


# --- the simulator, in subprocesses ---------------------------------------------------------------------------


class Simulators:
    """`manage.py simulate` processes sharing one fleet, their latest progress lines read by threads."""

    def __init__(self, url: str, total: int, args: list[str], workdir: Path, tag: str, prefix: str) -> None:
        self.procs: list[subprocess.Popen] = []
        self.json_files: list[Path] = []
        self.progress: list[tuple[int, ...]] = []
        self._threads: list[threading.Thread] = []
        self.started = time.perf_counter()
        chunks = [(first, min(STATIONS_PER_PROCESS, total - first + 1))
                  for first in range(1, total + 1, STATIONS_PER_PROCESS)]
        try:
            for n, (first, count) in enumerate(chunks):
                out = workdir / f"sim-{tag}-{n}.json"
                out.unlink(missing_ok=True)
                self.json_files.append(out)
                cmd = [sys.executable, str(ROOT / "manage.py"), "simulate", "--url", url, "--prefix", prefix,
                       "--first", str(first), "--stations", str(count), "--json", str(out), *args]
                proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                        start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
                self.procs.append(proc)
                self.progress.append((0, count, 0, 0, 0, 0))
                thread = threading.Thread(target=self._read, args=(n, proc), daemon=True)
                thread.start()
                self._threads.append(thread)
        except BaseException:
            self.stop()
            raise

    def _read(self, n: int, proc: subprocess.Popen) -> None:
        for line in proc.stderr:
            match = PROGRESS.search(line)
            if match:
                self.progress[n] = tuple(int(g) for g in match.groups())

    def totals(self) -> dict[str, int]:
        keys = ("connected", "stations", "booted", "calls", "answers", "errors")
        return {k: sum(p[i] for p in self.progress) for i, k in enumerate(keys)}

    def running(self) -> bool:
        return any(p.poll() is None for p in self.procs)

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            try:
                proc.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                return False
        for thread in self._threads:
            thread.join(5)
        return True

    def summaries(self) -> list[dict]:
        return [json.loads(f.read_text()) for f in self.json_files if f.exists()]

    def stop(self, timeout: float = 15) -> None:
        """SIGINT (the fleet closes its sockets), SIGKILL to the group after `timeout`."""
        for proc in self.procs:
            if proc.poll() is None:
                with _gone():
                    os.killpg(proc.pid, signal.SIGINT)
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            try:
                proc.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                with _gone():
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


class _gone:
    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        return kind is ProcessLookupError


def merge_summaries(summaries: list[dict]) -> dict:
    """Counts added over the simulator processes of one fleet; latencies are per process (max of each rank)."""
    merged: dict = {"stations": 0, "connected": 0, "booted": 0, "completed": 0, "calls": 0, "error_count": 0,
                    "refusals": Counter(), "connect_failures": Counter(), "outcomes": Counter(), "latency_ms": {},
                    "elapsed_seconds": 0.0, "errors": []}
    for s in summaries:
        for key in ("stations", "connected", "booted", "completed", "calls", "error_count"):
            merged[key] += s[key]
        merged["refusals"].update(s["refusals"])
        merged["connect_failures"].update(s["connect_failures"])
        for row in s["answers"]:
            merged["outcomes"][f"{row['action']} {row['outcome']}"] += row["count"]
        for action, ranks in s["latency_seconds"].items():
            mine = merged["latency_ms"].setdefault(action, {})
            for k, v in ranks.items():
                mine[k] = max(mine.get(k, 0.0), round(v * 1000, 2))
        merged["elapsed_seconds"] = max(merged["elapsed_seconds"], s["elapsed_seconds"])
        merged["errors"] += s["errors"][:5]
    for key in ("refusals", "connect_failures", "outcomes"):
        merged[key] = dict(merged[key])
    return merged


def unanswered(merged: dict) -> int:
    return sum(n for k, n in merged["outcomes"].items() if k.endswith((" timeout", " disconnected")))


# --- the rate-controlled generator (python -m csms.bench.load) ------------------------------------------------


class Station:
    """One connection of the generator: its own CALLs one at a time, the CSMS's CALLs refused."""

    def __init__(self, station_id: str, version: str, index: int) -> None:
        self.station_id = station_id
        self.version = version
        self.tag = f"{TAG_PREFIX}{index:04d}"
        self.ws = None
        self.queue: asyncio.Queue = asyncio.Queue()
        self.pending: dict[str, asyncio.Future] = {}
        self.reader: asyncio.Task | None = None
        self.ids = itertools.count()
        self.transaction_id: int | str | None = None
        self.seq_no = 0
        self.energy = 0.0

    async def open(self, url: str, compression: bool, timeout: float) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(url.rstrip("/") + "/" + self.station_id, subprotocols=[f"ocpp{self.version}"],
                                open_timeout=timeout, ping_interval=None, proxy=None, close_timeout=2,
                                compression="deflate" if compression else None, max_queue=None)
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                frame = json.loads(text)
                if frame[0] == 2:
                    await self.ws.send(json.dumps([4, frame[1], "NotSupported", "bench generator", {}]))
                    continue
                future = self.pending.pop(frame[1], None)
                if future is not None and not future.done():
                    future.set_result(frame)
        except Exception:
            pass
        finally:
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("disconnected"))

    async def call(self, action: str, payload: dict, timeout: float) -> dict:
        message_id = f"{self.station_id}-{next(self.ids)}"
        future = asyncio.get_running_loop().create_future()
        self.pending[message_id] = future
        await self.ws.send(json.dumps([2, message_id, action, payload]))
        try:
            async with asyncio.timeout(timeout):
                frame = await future
        finally:
            self.pending.pop(message_id, None)
        if frame[0] == 4:
            raise CallError(frame[2])
        return frame[2]

    def next_call(self, kind: str) -> tuple[str, dict]:
        from stations.simulator import charging, payloads

        if kind == "heartbeat":
            return "Heartbeat", {}
        if kind == "status":
            status = "Charging" if self.version == "1.6" else "Occupied"
            return "StatusNotification", payloads.status_notification(self.version, 1, status)
        self.energy += 30.0
        reading = charging.sample(self.version, self.energy, 11000, "Sample.Periodic")
        if self.version == "1.6":
            return "MeterValues", charging.meter_values(1, self.transaction_id, reading)
        self.seq_no += 1
        return "TransactionEvent", charging.transaction_event(
            "Updated", transaction_id=self.transaction_id, seq_no=self.seq_no, trigger="MeterValuePeriodic",
            charging_state="Charging", connector=1, reading=reading)

    async def setup(self, timeout: float) -> None:
        from stations.simulator import charging, payloads

        await self.call("BootNotification", payloads.boot_notification(self.version, self.station_id), timeout)
        await self.call("StatusNotification", payloads.status_notification(self.version, 1), timeout)
        reading = charging.sample(self.version, 0, None, "Transaction.Begin")
        if self.version == "1.6":
            answer = await self.call("StartTransaction", charging.start_transaction(1, self.tag, 0), timeout)
            self.transaction_id = answer["transactionId"]
        else:
            self.transaction_id = str(uuid.uuid4())
            await self.call("TransactionEvent", charging.transaction_event(
                "Started", transaction_id=self.transaction_id, seq_no=0, trigger="Authorized",
                charging_state="Charging", connector=1, reading=reading, id_tag=self.tag), timeout)

    async def teardown(self, timeout: float) -> None:
        from stations.simulator import charging

        reading = charging.sample(self.version, self.energy, None, "Transaction.End")
        if self.version == "1.6":
            payload = charging.stop_transaction(id_tag=self.tag, meter_stop=round(self.energy), reason="Local",
                                                reading=reading)
            await self.call("StopTransaction", payload | {"transactionId": self.transaction_id}, timeout)
        else:
            self.seq_no += 1
            await self.call("TransactionEvent", charging.transaction_event(
                "Ended", transaction_id=self.transaction_id, seq_no=self.seq_no, trigger="EVCommunicationLost",
                charging_state="Idle", connector=1, reading=reading, stopped_reason="Local"), timeout)

    async def close(self) -> None:
        if self.ws is not None:
            with _quiet():
                await asyncio.wait_for(self.ws.close(), 3)
        if self.reader is not None:
            self.reader.cancel()


class CallError(Exception):
    pass


class _quiet:
    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        return kind is not None and issubclass(kind, Exception)


async def throughput(url: str, *, rate: float, seconds: float, stations: int, prefix: str, ocpp: str,
                     compression: bool, call_timeout: float, seed: int = 1) -> dict:
    """Offer `rate` calls/s for `seconds` over `stations` stations holding a session; what was answered, how fast."""
    versions = ("1.6", "2.0.1") if ocpp == "mixed" else (ocpp,)
    fleet = [Station(sid, versions[i % len(versions)], i + 1) for i, sid in enumerate(station_ids(prefix, stations))]
    gate = asyncio.Semaphore(100)
    latencies: defaultdict[str, list[float]] = defaultdict(list)
    outcomes: Counter[str] = Counter()
    log = sys.stderr

    async def prepare(station: Station) -> None:
        async with gate:
            await station.open(url, compression, call_timeout)
        await station.setup(call_timeout)

    try:
        async with asyncio.timeout(60 + stations * 0.2):
            done = await asyncio.gather(*(prepare(s) for s in fleet), return_exceptions=True)
        failed = [(s.station_id, r) for s, r in zip(fleet, done, strict=True) if isinstance(r, BaseException)]
        if len(failed) > stations // 10:
            raise RuntimeError(f"{len(failed)} stations failed to set up, e.g. {failed[0][0]}: {failed[0][1]!r}")
        if failed:  # a few (e.g. SQLite busy): carry the load without them, and say so
            print(f"load: {len(failed)} stations failed to set up and carry no load, e.g. {failed[0][0]}: "
                  f"{failed[0][1]!r}", file=log, flush=True)
            lost = {sid for sid, _ in failed}
            for s in fleet:
                if s.station_id in lost:
                    await s.close()
            fleet = [s for s in fleet if s.station_id not in lost]
            stations = len(fleet)
        print(f"load: {stations} stations booted, each in a session; offering {rate:g} calls/s for {seconds:g}s",
              file=log, flush=True)
        total = int(rate * seconds)
        rng = random.Random(seed)
        kinds, weights = zip(*MIX, strict=True)
        answered_at: list[float] = []

        async def work(station: Station) -> None:
            while (item := await station.queue.get()) is not None:
                action, payload = station.next_call(item)
                key = f"{action} {station.version}"
                sent = time.perf_counter()
                try:
                    await station.call(action, payload, call_timeout)
                except TimeoutError:
                    outcomes[f"{key} timeout"] += 1
                    continue
                except CallError as exc:
                    outcomes[f"{key} CALLERROR {exc}"] += 1
                    continue
                except ConnectionError:
                    outcomes[f"{key} disconnected"] += 1
                    return
                now = time.perf_counter()
                latencies[key].append(now - sent)
                answered_at.append(now)
                outcomes[f"{key} answered"] += 1

        workers = [asyncio.create_task(work(s)) for s in fleet]
        start = time.perf_counter()
        queued, last_report = 0, start
        while queued < total:
            now = time.perf_counter()
            due = min(total, int((now - start) * rate) + 1)
            for i in range(queued, due):
                fleet[i % stations].queue.put_nowait(rng.choices(kinds, weights)[0])
            queued = due
            if now - last_report >= 1:
                last_report = now
                print(f"load: [{now - start:5.1f}s] offered {queued} answered {len(answered_at)}", file=log, flush=True)
            await asyncio.sleep(0.002)
        offered_for = time.perf_counter() - start
        for s in fleet:
            s.queue.put_nowait(None)
        _, stuck = await asyncio.wait(workers, timeout=call_timeout + 10)
        for task in stuck:
            task.cancel()
        end = max(answered_at) if answered_at else time.perf_counter()
        answered = len(answered_at)
        in_window = sum(1 for t in answered_at if t <= start + seconds)
        result = {
            "offered_per_s": rate, "seconds": seconds, "stations": stations,
            "setup_failed": len(failed), "ocpp": ocpp, "compression": compression,
            "offered": total, "offered_for_s": round(offered_for, 3), "answered": answered,
            "achieved_per_s": round(answered / max(end - start, seconds), 1),
            "answered_in_window_per_s": round(in_window / seconds, 1),
            "drain_s": round(max(end - start - seconds, 0), 3),
            "unanswered": total - answered,
            "outcomes": dict(sorted(outcomes.items())),
            "latency_ms": {k: percentiles(v) for k, v in sorted(latencies.items())},
            "latency_ms_all": percentiles([x for v in latencies.values() for x in v]),
        }
        with _quiet():
            async with asyncio.timeout(30 + stations * 0.05):
                await asyncio.gather(*(s.teardown(call_timeout) for s in fleet), return_exceptions=True)
        return result
    finally:
        await asyncio.gather(*(s.close() for s in fleet), return_exceptions=True)


def run_throughput(url: str, *, rate: float, seconds: float, stations: int, prefix: str, ocpp: str,
                   compression: bool, call_timeout: float, workdir: Path, tag: str, progress) -> dict:
    """The generator in a subprocess (its CPU is not the measuring process's); its JSON result."""
    out = workdir / f"load-{tag}.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "csms.bench.load", "--url", url, "--rate", str(rate), "--seconds", str(seconds),
           "--stations", str(stations), "--prefix", prefix, "--ocpp", ocpp, "--call-timeout", str(call_timeout),
           "--json", str(out)] + ([] if compression else ["--no-compression"])
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    tail: list[str] = []
    try:
        for line in proc.stderr:
            tail = (tail + [line])[-20:]
            if line.startswith("load:"):
                progress(line.rstrip())
        proc.wait(60 + seconds + call_timeout * 3 + stations * 0.3)
    finally:
        if proc.poll() is None:
            with _gone():
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"load generator exited with {proc.returncode}:\n{''.join(tail)}")
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description="Offer a fixed rate of OCPP calls (the bench's throughput mix).")
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--stations", type=int, default=200)
    parser.add_argument("--prefix", default="BENCH-")
    parser.add_argument("--ocpp", choices=("1.6", "2.0.1", "mixed"), default="mixed")
    parser.add_argument("--call-timeout", type=float, default=10)
    parser.add_argument("--no-compression", action="store_true")
    parser.add_argument("--json", required=True)
    a = parser.parse_args()
    if not (0 < a.rate <= 100_000 and 0 < a.seconds <= 3600 and 0 < a.stations <= 20_000):
        parser.error("--rate, --seconds or --stations out of bounds")
    result = asyncio.run(throughput(a.url, rate=a.rate, seconds=a.seconds, stations=a.stations, prefix=a.prefix,
                                    ocpp=a.ocpp, compression=not a.no_compression, call_timeout=a.call_timeout))
    Path(a.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
