"""PostgreSQL restarted under a charging fleet: the worker reconnects, nothing told "stored" is lost or doubled.

The cluster is one of this test's own (tests/support/outages.py): restarting the machine's would also break every
other test and the benchmark that share it.
"""

import pytest

from tests.integration.restart_under_load import run_fleet_through_restart

pytestmark = [pytest.mark.integration, pytest.mark.faults]


@pytest.mark.timeout(90)
def test_postgresql_restarted_under_load(own_postgres, stack):
    stack.use_database(own_postgres)
    run_fleet_through_restart(stack, prefix="CP-PG", stop=own_postgres.stop, start=own_postgres.start,
                              down_for=3.0, what="database")
