"""Real processes of the distributed system for integration tests: Celery worker, beat and nodes.

Each runs in its own process group with its output in a log file, is stopped
with the signal a test chooses, and every wait is bounded in time.
"""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

from csms.processes import ROOT, Process, wait_for  # noqa: F401 (ROOT: re-exported for the tests)
from tests.support.server import free_port

PYTHON = sys.executable
CELERY = str(Path(PYTHON).parent / "celery")


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
