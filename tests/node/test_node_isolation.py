"""A node process runs with no database and imports no models."""

import subprocess
import sys

PROBE = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "node.settings"
import node.asgi  # the node's whole application, as `python -m node` serves it
from django.conf import settings
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("stations", "transactions")
                or m in ("csms.dispatch", "csms.settings") or m.endswith(".models") and m.startswith(("csms", "node")))
print("DATABASES", settings.DATABASES)
print("LOADED", loaded)
"""


def test_the_node_application_loads_with_no_database_and_no_central_modules():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "NODE_ID": "node-probe",
                                 "BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/none"})
    assert result.returncode == 0, result.stderr
    assert "DATABASES {}" in result.stdout
    assert "LOADED []" in result.stdout
