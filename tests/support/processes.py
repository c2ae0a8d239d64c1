"""Real processes of the distributed system for integration tests: Celery worker, beat and nodes.

Each runs in its own process group with its output in a log file, is stopped
with the signal a test chooses, and every wait is bounded in time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
CELERY = str(Path(PYTHON).parent / "celery")


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class Process:
    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_log(self, text: str, timeout: float = 30) -> None:
        def seen():
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{self.log()[-3000:]}")
            return text in self.log()

        wait_for(seen, timeout, f"{text!r} in the log of {self.name}")

    def send_signal(self, sig: int) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        self.send_signal(sig)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.send_signal(signal.SIGKILL)
            return self.popen.wait(10)
        finally:
            self._log.close()

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None


def worker(name: str, env: dict[str, str], log_dir: Path) -> Process:
    proc = Process(name, [CELERY, "-A", "csms", "worker", "-Q", "csms.central", "--pool", "threads",
                          "--concurrency", "4", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                          "-n", f"{name}@%h"], env, log_dir)
    proc.wait_log("ready.", timeout=60)
    return proc


def beat(env: dict[str, str], log_dir: Path) -> Process:
    return Process("beat", [CELERY, "-A", "csms", "beat", "--loglevel", "INFO",
                            "--schedule", str(log_dir / "beat-schedule")], env, log_dir)


def node(node_id: str, env: dict[str, str], log_dir: Path) -> tuple[Process, str]:
    """Start a node process (node.settings: no database); returns it and its ws:// URL of /ocpp/."""
    port = free_port()
    node_env = {k: v for k, v in env.items() if k != "DATABASE_URL"}
    node_env.update(DJANGO_SETTINGS_MODULE="node.settings", NODE_ID=node_id)
    proc = Process(node_id, [PYTHON, "-m", "node", "--host", "127.0.0.1", "--port", str(port)], node_env, log_dir)
    proc.wait_log(f"consuming csms.node.{node_id}", timeout=60)

    def healthy():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    wait_for(healthy, 30, f"{node_id} /health")
    return proc, f"ws://127.0.0.1:{port}/ocpp/"
