"""The distributed system for real: PostgreSQL, RabbitMQ, Celery worker/beat and node processes per test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.support import outages, processes, services

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def pg_template():
    services.require_all()
    env = {**os.environ, "SECRET_KEY": "it", "DEMO": "false"}
    env.pop("BROKER_URL", None)
    name = services.migrated_template(env, [sys.executable, str(processes.ROOT / "manage.py")])
    yield name
    services.drop_database(name)


class Stack:
    """One isolated distributed system: its own database and vhost, processes started on demand."""

    def __init__(self, template: str, log_dir) -> None:
        self.db = services.Database(template)
        self.vhost = services.Vhost()
        self.log_dir = log_dir
        self.procs: list[processes.Process] = []
        self.env = {
            **os.environ, "DATABASE_URL": self.db.url, "BROKER_URL": self.vhost.url, "SECRET_KEY": "it",
            "DEMO": "false", "NODE_HEARTBEAT_INTERVAL": "0.5", "NODE_SILENT_AFTER": "3", "OCPP_CALL_TIMEOUT": "5",
            "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)

    def worker(self, name: str = "worker") -> processes.Process:
        return self._track(processes.worker(name, self.env, self.log_dir))

    def beat(self) -> processes.Process:
        return self._track(processes.beat(self.env, self.log_dir))

    def node(self, node_id: str, **env) -> tuple[processes.Process, str]:
        proc, url = processes.node(node_id, {**self.env, **env}, self.log_dir)
        self._track(proc)
        return proc, url

    def add_station(self, station_id: str, *, password: str | None = None) -> None:
        self.db.rows("INSERT INTO stations_chargingstation (station_id, name, enabled, registration, password, "
                      "vendor, model, serial_number, charge_box_serial_number, firmware_version, iccid, imsi, "
                      "meter_type, meter_serial_number, ocpp_version, boot_status, online, conn, status, error_code, "
                      "address, firmware_status, diagnostics_status, created_at, updated_at) VALUES (%s, '', true, "
                      "'Accepted', '', '', '', '', '', '', '', '', '', '', '', '', false, '', '', '', '', '', '', "
                      "now(), now()) RETURNING id", station_id)

    def manage(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run a management command against this stack, as an operator would."""
        return subprocess.run([sys.executable, str(processes.ROOT / "manage.py"), *args], env=self.env,
                              cwd=processes.ROOT, capture_output=True, text=True, timeout=timeout)

    def add_token(self, value: str, *, status: str = "Accepted", max_concurrent: int | None = 1) -> None:
        self.db.rows("INSERT INTO transactions_idtoken (value, type, status, owner, max_concurrent, created_at, "
                     "updated_at) VALUES (%s, 'ISO14443', %s, '', %s, now(), now()) RETURNING id",
                     value, status, max_concurrent)

    def transactions(self, station_id: str) -> list[dict]:
        """The station's transactions, oldest first, with their energy as stored."""
        columns = ("id", "station_tx_id", "status", "id_token_value", "meter_start_wh", "meter_stop_wh", "energy_wh",
                   "stop_reason", "orphan")
        rows = self.db.rows(f"SELECT {', '.join('t.' + c for c in columns)} FROM transactions_transaction t "
                            "JOIN stations_chargingstation s ON s.id = t.station_id WHERE s.station_id = %s "
                            "ORDER BY t.id", station_id)
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def station(self, station_id: str) -> dict:
        rows = self.db.rows("SELECT s.online, n.node_id, s.conn, s.ocpp_version, s.vendor, s.last_seen "
                            "FROM stations_chargingstation s LEFT JOIN stations_node n ON n.id = s.node_id "
                            "WHERE s.station_id = %s", station_id)
        online, node, conn, version, vendor, last_seen = rows[0]
        return {"online": online, "node": node, "conn": conn, "ocpp": version, "vendor": vendor,
                "last_seen": last_seen}

    def import_stations(self, station_ids: list[str]) -> None:
        """Admit stations through the operator's CSV import: one command, whatever columns the model grows."""
        csv = "station_id,registration\n" + "".join(f"{s},Accepted\n" for s in station_ids)
        done = subprocess.run([sys.executable, str(processes.ROOT / "manage.py"), "import_stations", "-"],
                              input=csv, env=self.env, cwd=processes.ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr

    def use_database(self, database) -> None:
        """Processes started from now on use `database` (a fault test's own server) instead of this stack's."""
        self.db.drop()
        self.db = database
        self.env["DATABASE_URL"] = database.url

    def use_broker(self, url: str) -> None:
        """Processes started from now on use the broker at `url` (a fault test's own) instead of this stack's vhost."""
        self.env["BROKER_URL"] = url

    def _track(self, proc: processes.Process) -> processes.Process:
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in self.procs:
            proc.stop(signal.SIGKILL, timeout=10)
        self.db.drop()
        self.vhost.delete()


@pytest.fixture
def stack(pg_template, tmp_path, request):
    s = Stack(pg_template, tmp_path)
    yield s
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        for proc in s.procs:
            sys.stderr.write(f"\n----- {proc.name} -----\n{proc.log()[-4000:]}")
    s.close()


@pytest.fixture
def own_rabbitmq(tmp_path):
    """A RabbitMQ node of this test's own, to restart (tests/support/outages.py); request it before `stack`."""
    broker = outages.OwnRabbitMQ(tmp_path)
    yield broker
    broker.close()


@pytest.fixture
def own_postgres(tmp_path):
    """A migrated PostgreSQL cluster of this test's own, to restart; request it before `stack`."""
    env = {**os.environ, "SECRET_KEY": "it", "DEMO": "false"}
    env.pop("BROKER_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    cluster = outages.OwnPostgres(tmp_path, env)
    yield cluster
    cluster.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
