"""Helpers of `manage.py bench_asgi`: a throw-away database, server subprocesses, /proc readings, the station load.

Free of the ORM: the measuring process only starts subprocesses and speaks WebSocket to them.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
MANAGE = str(ROOT / "manage.py")
CLK_TCK = os.sysconf("SC_CLK_TCK")
BOOT = {"chargePointVendor": "Acme", "chargePointModel": "AC-22", "chargePointSerialNumber": "SN-1",
        "firmwareVersion": "1.2.3"}


def server_env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BROKER_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DATABASE_URL=f"sqlite:///{database}", DEMO="false", SECRET_KEY="bench", LOG_LEVEL="WARNING",
               PYTHONUNBUFFERED="1")
    return env


def prepare_database(workdir: Path, stations: list[str]) -> Path:
    """Migrate a fresh SQLite file and provision the stations in it; every run starts from a copy of it."""
    template = workdir / "template.sqlite3"
    (workdir / "stations.csv").write_text("station_id\n" + "\n".join(stations) + "\n")
    for args in (["migrate", "--verbosity", "0"], ["import_stations", str(workdir / "stations.csv")]):
        subprocess.run([sys.executable, MANAGE, *args], env=server_env(template), cwd=ROOT, check=True,
                       timeout=300, stdout=subprocess.DEVNULL)
    return template


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(server: str, port: int) -> list[str]:
    if server == "uvicorn":
        return [sys.executable, MANAGE, "runserver", f"127.0.0.1:{port}", "--noreload"]
    return [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "csms.asgi:application"]


@contextmanager
def running(server: str, template: Path, workdir: Path, timeout: float = 60):
    """Start a server on a fresh copy of the database, wait for its port; terminate (or kill) it on exit."""
    database = workdir / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, database)
    port = free_port()
    log = open(workdir / f"{server}.log", "ab")
    proc = subprocess.Popen(server_command(server, port), env=server_env(database), cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{server} exited with {proc.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{server} did not listen on port {port} within {timeout:.0f} s")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.close()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of proc(5)


async def call(ws: ClientConnection, message_id: str, action: str, payload: dict, timeout: float) -> list:
    await ws.send(json.dumps([2, message_id, action, payload]))
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame[1] == message_id and frame[0] in (3, 4):
                if frame[0] == 4:
                    raise RuntimeError(f"{action} answered with CALLERROR {frame[2:]}")
                return frame


async def open_station(port: int, station_id: str) -> ClientConnection:
    # compression left at the client's default offer (permessage-deflate); no proxy, no client pings
    return await connect(f"ws://127.0.0.1:{port}/ocpp/{station_id}", subprotocols=["ocpp1.6"],
                         open_timeout=15, ping_interval=None, proxy=None, close_timeout=5)


def negotiated_deflate(ws: ClientConnection) -> bool:
    return "permessage-deflate" in (ws.response.headers.get("Sec-WebSocket-Extensions") or "")


async def open_and_boot(port: int, stations: list[str], timeout: float, parallel: int = 25) -> list[ClientConnection]:
    gate = asyncio.Semaphore(parallel)
    sockets: list[ClientConnection] = []

    async def one(station_id: str) -> None:
        async with gate:
            ws = await open_station(port, station_id)
            sockets.append(ws)
            await call(ws, f"boot-{station_id}", "BootNotification", BOOT, timeout)

    try:
        await asyncio.gather(*(one(s) for s in stations))
    except BaseException:
        await close_all(sockets)
        raise
    return sockets


async def heartbeats(sockets: list[ClientConnection], messages: int, timeout: float) -> None:
    """`messages` Heartbeats round-robin over the sockets, each socket one call at a time (<= N in flight)."""

    async def worker(i: int, ws: ClientConnection) -> None:
        for n in range(i, messages, len(sockets)):
            await call(ws, f"hb-{n}", "Heartbeat", {}, timeout)

    await asyncio.gather(*(worker(i, ws) for i, ws in enumerate(sockets)))


async def close_all(sockets: list[ClientConnection]) -> None:
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
