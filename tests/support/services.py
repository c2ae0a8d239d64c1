"""The machine's PostgreSQL and RabbitMQ for integration tests: one database and one vhost per stack, never shared.

Under CI (CI=true) a service that does not answer fails the test; elsewhere it skips.
"""

from __future__ import annotations

import os
import socket
import subprocess
import uuid

import psycopg
import pytest

PG = "postgres://postgres@127.0.0.1:5432"
AMQP = "amqp://guest:guest@127.0.0.1:5672"


def require(host: str, port: int, name: str) -> None:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        message = f"{name} does not answer on {host}:{port} ({exc}); ./dev test starts it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def require_all() -> None:
    require("127.0.0.1", 5432, "PostgreSQL")
    require("127.0.0.1", 5672, "RabbitMQ")


def _admin_sql(statement: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(statement)


class Database:
    """A PostgreSQL database cloned from a migrated template (migrating once per session keeps tests fast)."""

    def __init__(self, template: str) -> None:
        self.name = f"csms_it_{uuid.uuid4().hex[:10]}"
        _admin_sql(f'CREATE DATABASE "{self.name}" TEMPLATE "{template}"')
        self.url = f"{PG}/{self.name}"

    def rows(self, query: str, *params) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def value(self, query: str, *params):
        rows = self.rows(query, *params)
        return rows[0][0] if rows else None

    def drop(self) -> None:
        _admin_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def migrated_template(env: dict[str, str], manage: list[str]) -> str:
    name = f"csms_it_tpl_{uuid.uuid4().hex[:8]}"
    _admin_sql(f'CREATE DATABASE "{name}"')
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], check=True, timeout=180,
                   env={**env, "DATABASE_URL": f"{PG}/{name}"})
    return name


def drop_database(name: str) -> None:
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Vhost:
    """A RabbitMQ vhost of its own, so two runs never see each other's messages."""

    def __init__(self) -> None:
        self.name = f"csms-it-{uuid.uuid4().hex[:10]}"
        subprocess.run(["rabbitmqctl", "-q", "add_vhost", self.name], check=True, timeout=60,
                       capture_output=True)
        subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", self.name, "guest", ".*", ".*", ".*"],
                       check=True, timeout=60, capture_output=True)
        self.url = f"{AMQP}/{self.name}"

    def delete(self) -> None:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", self.name], timeout=60, capture_output=True)
