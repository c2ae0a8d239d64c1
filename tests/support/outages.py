"""A RabbitMQ node and a PostgreSQL cluster of one test's own, to stop and start under load.

The machine's broker and database serve every other test and the benchmark running beside them; stopping
those would fail work that is not ours. These run the same installed servers on free ports from a temporary
directory of /tmp (pytest's tmp_path is root's alone), as the servers' own users (neither runs as root), and
are removed when the test ends.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.support.processes import ROOT, Process, wait_for
from tests.support.server import free_port

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
PG_VERSIONS = Path("/usr/lib/postgresql")


def _require(path: Path, what: str) -> None:
    if not path.exists():
        message = f"{what} is not installed here ({path} is missing)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _as(user: str, *args: str, env: dict[str, str] | None = None) -> list[str]:
    extra = [f"{k}={v}" for k, v in (env or {}).items()]
    command = ["env", *extra, *args]
    return ["runuser", "-u", user, "--", *command] if os.geteuid() == 0 else command


def _owned_by(user: str, path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user, user)


def _directory(prefix: str, user: str) -> Path:
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    directory.chmod(0o755)
    _owned_by(user, directory)
    return directory


class OwnRabbitMQ:
    """A RabbitMQ node on a free port; `stop_app()` / `start_app()` as an operator would restart it."""

    def __init__(self, log_dir: Path) -> None:
        _require(RABBITMQ_BIN / "rabbitmq-server", "RabbitMQ")
        self.directory = directory = _directory("csms-faults-rabbitmq-", "rabbitmq")
        self.port = free_port()
        self.node = f"csms-faults-{uuid.uuid4().hex[:8]}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        plugins = directory / "enabled_plugins"
        plugins.write_text("[].\n")
        _owned_by("rabbitmq", plugins)
        # The cookie of the machine's broker, so rabbitmqctl may talk to this node too.
        self.env = {"HOME": "/var/lib/rabbitmq", "RABBITMQ_NODENAME": self.node,
                    "RABBITMQ_NODE_PORT": str(self.port), "RABBITMQ_DIST_PORT": str(free_port()),
                    "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"), "RABBITMQ_LOG_BASE": str(directory / "log"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE": str(plugins), "RABBITMQ_CONFIG_FILE": str(directory / "none")}
        self.process = Process(f"rabbitmq-{self.port}", _as("rabbitmq", str(RABBITMQ_BIN / "rabbitmq-server"),
                                                          env=self.env), dict(os.environ), log_dir)
        self.process.wait_log("Starting broker... completed", timeout=60)

    def ctl(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(_as("rabbitmq", str(RABBITMQ_BIN / "rabbitmqctl"), "-n", self.node, *args, env=self.env),
                       check=True, timeout=timeout, capture_output=True, cwd="/tmp")

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        self.ctl("await_startup")

    def block_publishers(self) -> None:
        """Raise the memory alarm: every connection that publishes is blocked until `unblock_publishers()`."""
        self.ctl("set_vm_memory_high_watermark", "0")

    def unblock_publishers(self) -> None:
        self.ctl("set_vm_memory_high_watermark", "0.4")

    def close(self) -> None:
        try:
            self.ctl("stop", timeout=30)
        except (subprocess.SubprocessError, OSError):
            pass
        self.process.stop(timeout=15)
        shutil.rmtree(self.directory, ignore_errors=True)


class OwnPostgres:
    """A PostgreSQL cluster on a free port with one migrated database; `stop()` / `start()` restart it."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        versions = sorted(PG_VERSIONS.glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
        _require(versions[-1] if versions else PG_VERSIONS / "bin" / "pg_ctl", "PostgreSQL")
        self.bin = versions[-1].parent
        self.directory = _directory("csms-faults-postgres-", "postgres")
        self.log, self.log_copy = self.directory / "postgres.log", log_dir / "postgres.log"
        self.data = self.directory / "data"
        self.port = free_port()
        subprocess.run(_as("postgres", str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U",
                           "postgres", "-E", "UTF8", "--no-sync"), check=True, timeout=60, capture_output=True)
        self.start()
        self.name = "csms_faults"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{self.name}"
        with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"], check=True,
                       timeout=180, cwd=ROOT, env={**env, "DATABASE_URL": self.url})

    def _ctl(self, *args: str) -> None:
        subprocess.run(_as("postgres", str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "30", *args),
                       check=True, timeout=60, capture_output=True, cwd="/tmp")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "-l", str(self.log), "start")

    def stop(self) -> None:
        """Fast shutdown, as a restart does it: sessions are ended, open transactions rolled back."""
        self._ctl("-m", "fast", "stop")

    def up(self) -> bool:
        try:
            psycopg.connect(self.url, connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    # The Database interface of tests/support/services.py, so a Stack can use this one.
    def rows(self, query: str, *params) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def value(self, query: str, *params):
        rows = self.rows(query, *params)
        return rows[0][0] if rows else None

    def drop(self) -> None:
        """The cluster goes with the test; nothing to drop database by database."""

    def close(self) -> None:
        try:
            self._ctl("-m", "immediate", "stop")
        except (subprocess.SubprocessError, OSError):
            pass
        if self.log.exists():
            shutil.copy(self.log, self.log_copy)  # postgres may not write where pytest keeps a test's files
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass(frozen=True)
class Outage:
    down: float  # seconds from the stop command to the start command's return
    counted_while_down: int  # how much `count()` grew while the service was surely down


def restart(stop, start, *, down_for: float, count=lambda: 0, settle: float = 0.5) -> Outage:
    """`stop()`, `down_for` seconds, `start()`. `count()` is read `settle` seconds after the stop returned
    (what was under way as it stopped may still land) and again just before the start."""
    began = time.monotonic()
    stop()
    try:
        time.sleep(settle)
        before = count()
        time.sleep(max(down_for - settle, 0))
        grew = count() - before
    finally:
        start()
    return Outage(time.monotonic() - began, grew)


__all__ = ["Outage", "OwnPostgres", "OwnRabbitMQ", "restart", "wait_for"]
