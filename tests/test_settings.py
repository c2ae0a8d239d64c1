"""Start-up refuses an environment it cannot use, naming the variable; the node has no database at all.

Each case starts a fresh interpreter: settings are read once, at import.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETUP = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = {module!r}; django.setup()"
OURS = ("DB_PREPARED_STATEMENTS", "HEARTBEAT_INTERVAL", "OCPP_MAX_FRAME_BYTES", "NODE_ID", "BROKER_URL",
        "DATABASE_URL", "SECRET_KEY", "DEMO", "DJANGO_SETTINGS_MODULE")


def start(variables, *, module="csms.settings", then=""):
    """Run django.setup() with `variables` on top of a clean environment; returns the finished process."""
    env = {k: v for k, v in os.environ.items() if k.removesuffix("_FILE") not in OURS} | variables
    code = SETUP.format(module=module) + (f"; {then}" if then else "")
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_central_starts_with_the_defaults():
    started = start({})

    assert started.returncode == 0, started.stderr


@pytest.mark.parametrize("variables, named", [
    ({"HEARTBEAT_INTERVAL": "abc"}, "HEARTBEAT_INTERVAL"),
    ({"HEARTBEAT_INTERVAL": "5"}, "HEARTBEAT_INTERVAL"),
    ({"OCPP_MAX_FRAME_BYTES": "5"}, "OCPP_MAX_FRAME_BYTES"),
    ({"NODE_ID": "bad id!"}, "NODE_ID"),
    ({"BROKER_URL": "http://x"}, "BROKER_URL"),
    ({"DATABASE_URL": "postgres://localhost/x"}, "SECRET_KEY"),
    ({"DATABASE_URL": "postgres://localhost/x", "SECRET_KEY": "k" * 50, "DEMO": "true"}, "DEMO"),
], ids=["heartbeat not a number", "heartbeat too short", "frame limit too small", "node id with a space",
        "broker not amqp", "real database without secret key", "demo on a real database"])
def test_a_bad_value_stops_start_up_naming_the_variable(variables, named):
    started = start(variables)

    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert f"{named}:" in started.stderr


@pytest.mark.parametrize("variables, threshold", [
    ({}, None),  # SQLite has no prepared statements
    ({"DATABASE_URL": "postgres://localhost/x", "SECRET_KEY": "k" * 50}, 5),
    ({"DATABASE_URL": "postgres://localhost/x", "SECRET_KEY": "k" * 50, "DB_PREPARED_STATEMENTS": "false"}, None),
], ids=["sqlite", "postgresql", "postgresql, turned off for a pooler"])
def test_server_bound_statements_are_prepared_on_postgresql_unless_turned_off(variables, threshold):
    started = start(variables, then="from django.conf import settings; "
                                    "print(settings.DATABASES['default'].get('OPTIONS', {}).get('prepare_threshold'))")

    assert started.returncode == 0, started.stderr
    assert started.stdout.strip().splitlines()[-1] == str(threshold)


NODE_TOUCHES_THE_DATABASE = """
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
print(settings.DATABASES)
try:
    connection.cursor()
except ImproperlyConfigured:
    print("refused")
"""


def test_the_node_has_no_database_and_touching_one_fails_loudly():
    started = start({}, module="node.settings", then=f"exec({NODE_TOUCHES_THE_DATABASE!r})")

    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["{}", "refused"]
