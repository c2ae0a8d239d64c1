"""What `manage.py bench` measures, started and stopped from a command: the three targets.

- distributed: a PostgreSQL database cloned from a migrated template, a RabbitMQ vhost of its own, one
  Celery worker and one node under uvicorn (as the Procfile runs them);
- embedded: `manage.py runserver` (one process, in-process bus) on a copy of a migrated SQLite file;
- baseline: `python -m csms.bench.baseline` (ocpp library + websockets, in memory).

Processes come from csms/processes.py, shared with the integration tests.
Every process runs in its own process group and is killed with its group on stop; every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

from csms.processes import ROOT, Process, wait_for

PYTHON = sys.executable
MANAGE = str(ROOT / "manage.py")
CELERY = str(Path(PYTHON).parent / "celery")
PG = "postgres://postgres@127.0.0.1:5432"
AMQP = "amqp://guest:guest@127.0.0.1:5672"
TARGETS = ("distributed", "embedded", "baseline")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_open_file_limit() -> tuple[int, int]:
    """Soft RLIMIT_NOFILE up to the hard limit, inherited by every child started after it."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def worker_pool() -> str:
    """The Celery pool and concurrency of the distributed target's one worker, "prefork:2" unless
    BENCH_WORKER_POOL says otherwise (e.g. "threads:8")."""
    spec = os.environ.get("BENCH_WORKER_POOL", "prefork:2")
    pool, _, concurrency = spec.partition(":")
    if pool not in ("prefork", "threads", "solo") or not concurrency.isdigit() or not 1 <= int(concurrency) <= 64:
        raise ValueError(f"BENCH_WORKER_POOL: expected <prefork|threads|solo>:<1..64>, got {spec!r}")
    return spec


def descendants(pids: list[int]) -> list[int]:
    """The pids and every live process below them (a prefork worker's children do its work)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BROKER_URL", "DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env.update(SECRET_KEY="bench", DEMO="false", PYTHONUNBUFFERED="1")
    return env


def wait_port(proc: Process, port: int, timeout: float = 60) -> None:
    def listening():
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.log()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    wait_for(listening, timeout, f"{proc.name} listening on {port}")


def wait_health(port: int, timeout: float = 30) -> None:
    def healthy():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    wait_for(healthy, timeout, f"/health on {port}")


def stations_csv(path: Path, station_ids: list[str]) -> Path:
    path.write_text("station_id\n" + "\n".join(station_ids) + "\n")
    return path


def _admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def _run_manage(env: dict[str, str], *args: str, timeout: float = 600) -> None:
    subprocess.run([PYTHON, MANAGE, *args], env=env, cwd=ROOT, check=True, timeout=timeout,
                   stdout=subprocess.DEVNULL)


def _tokens_sql(tags: list[str]) -> tuple[str, list[tuple]]:
    return ("INSERT INTO transactions_idtoken (value, type, status, owner, max_concurrent, created_at, updated_at) "
            "VALUES (%s, 'ISO14443', 'Accepted', '', NULL, now(), now())", [(t,) for t in tags])


class Templates:
    """Migrated, provisioned databases made once per bench run; every target start begins from a copy."""

    def __init__(self, workdir: Path, station_ids: list[str], tags: list[str], *, postgres: bool, sqlite: bool):
        self.workdir = workdir
        self.pg_template: str | None = None
        self.sqlite_template: Path | None = None
        csv = stations_csv(workdir / "stations.csv", station_ids)
        try:
            if postgres:
                name = f"csms_bench_tpl_{uuid.uuid4().hex[:8]}"
                _admin_sql(f'CREATE DATABASE "{name}"')
                self.pg_template = name
                env = {**base_env(), "DATABASE_URL": f"{PG}/{name}"}
                _run_manage(env, "migrate", "--noinput", "-v", "0")
                _run_manage(env, "import_stations", str(csv))
                import psycopg

                sql, rows = _tokens_sql(tags)
                with psycopg.connect(f"{PG}/{name}", autocommit=True) as conn, conn.cursor() as cur:
                    cur.executemany(sql, rows)
            if sqlite:
                self.sqlite_template = workdir / "template.sqlite3"
                env = {**base_env(), "DATABASE_URL": f"sqlite:///{self.sqlite_template}"}
                _run_manage(env, "migrate", "--noinput", "-v", "0")
                _run_manage(env, "import_stations", str(csv))
                import sqlite3

                sql, rows = _tokens_sql(tags)
                with sqlite3.connect(self.sqlite_template) as conn:
                    conn.executemany(sql.replace("%s", "?").replace("now()", "CURRENT_TIMESTAMP"), rows)
        except BaseException:
            self.drop()
            raise

    def drop(self) -> None:
        if self.pg_template:
            _admin_sql(f'DROP DATABASE IF EXISTS "{self.pg_template}" WITH (FORCE)')
            self.pg_template = None


class Target:
    """One running target: its processes, the pid whose RSS counts, and the ws:// URL stations append their id to."""

    name = ""

    def __init__(self) -> None:
        self.procs: list[Process] = []
        self.url = ""
        self.server_pid = 0

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        self.procs.clear()

    def logs(self) -> str:
        return "\n".join(f"----- {p.name} -----\n{p.log()[-2000:]}" for p in self.procs)


class Distributed(Target):
    name = "distributed"

    def __init__(self, templates: Templates, log_dir: Path) -> None:
        super().__init__()
        self.db = f"csms_bench_{uuid.uuid4().hex[:10]}"
        self.vhost = f"csms-bench-{uuid.uuid4().hex[:10]}"
        self._db_made = self._vhost_made = False
        try:
            _admin_sql(f'CREATE DATABASE "{self.db}" TEMPLATE "{templates.pg_template}"')
            self._db_made = True
            for args in (["add_vhost", self.vhost], ["set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*"]):
                subprocess.run(["rabbitmqctl", "-q", *args], check=True, timeout=60, capture_output=True)
                self._vhost_made = True
            env = {**base_env(), "DATABASE_URL": f"{PG}/{self.db}", "BROKER_URL": f"{AMQP}/{self.vhost}"}
            # As the Procfile runs it: one worker, WORKER_POOL (prefork: a process per core, past the GIL).
            pool, _, concurrency = worker_pool().partition(":")
            worker = Process(f"{self.name}-worker", [
                CELERY, "-A", "csms", "worker", "-Q", "csms.central", "--pool", pool, "--concurrency", concurrency,
                "--loglevel", "INFO", "--without-gossip", "--without-mingle", "-n", "bench-worker@%h"], env, log_dir)
            self.procs.append(worker)
            worker.wait_log("ready.", timeout=90)
            port = free_port()
            node_env = {k: v for k, v in env.items() if k != "DATABASE_URL"}
            node_env.update(DJANGO_SETTINGS_MODULE="node.settings", NODE_ID="bench-node")
            node = Process(f"{self.name}-node", [PYTHON, "-m", "node", "--host", "127.0.0.1", "--port", str(port)],
                           node_env, log_dir)
            self.procs.append(node)
            node.wait_log("consuming csms.node.bench-node", timeout=90)
            wait_health(port)
            self.server_pid = node.pid
            self.url = f"ws://127.0.0.1:{port}/ocpp/"
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            if self._db_made:
                _admin_sql(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
                self._db_made = False
            if self._vhost_made:
                subprocess.run(["rabbitmqctl", "-q", "delete_vhost", self.vhost], timeout=60, capture_output=True)
                self._vhost_made = False


class Embedded(Target):
    name = "embedded"

    def __init__(self, templates: Templates, log_dir: Path) -> None:
        super().__init__()
        database = log_dir / "embedded.sqlite3"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(templates.sqlite_template, database)
        port = free_port()
        env = {**base_env(), "DATABASE_URL": f"sqlite:///{database}"}
        try:
            proc = Process(self.name, [PYTHON, MANAGE, "runserver", f"127.0.0.1:{port}", "--noreload"], env, log_dir)
            self.procs.append(proc)
            wait_port(proc, port)
            self.server_pid = proc.pid
            self.url = f"ws://127.0.0.1:{port}/ocpp/"
        except BaseException:
            self.stop()
            raise


class Baseline(Target):
    name = "baseline"

    def __init__(self, templates: Templates | None, log_dir: Path) -> None:
        super().__init__()
        port = free_port()
        try:
            proc = Process(self.name, [PYTHON, "-m", "csms.bench.baseline", "--port", str(port)], base_env(), log_dir)
            self.procs.append(proc)
            wait_port(proc, port)
            self.server_pid = proc.pid
            self.url = f"ws://127.0.0.1:{port}/ocpp/"
        except BaseException:
            self.stop()
            raise


KINDS = {"distributed": Distributed, "embedded": Embedded, "baseline": Baseline}


def start(name: str, templates: Templates, log_dir: Path) -> Target:
    return KINDS[name](templates, log_dir)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def tree_rss_kib(pids: list[int]) -> int:
    return sum(rss_kib(p) for p in pids if Path(f"/proc/{p}").exists())
