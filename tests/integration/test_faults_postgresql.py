"""PostgreSQL restarted under a charging fleet: the worker reconnects, nothing told "stored" is lost or doubled.

The cluster is one of this test's own (tests/support/outages.py): restarting the machine's would also break every
other test and the benchmark that share it.
"""

import asyncio
import time

import pytest

from tests.support import outages
from tests.support.fleet import Fleet, Plan
from tests.support.reconcile import assert_exact

pytestmark = [pytest.mark.integration, pytest.mark.faults]

TAG = "FLEET-TAG"
PLAN = Plan(sessions=3, meters=4, interval=0.4)
DOWN_FOR = 3.0


@pytest.mark.timeout(90)
def test_postgresql_restarted_under_load(own_postgres, stack):
    stack.use_database(own_postgres)
    stack.worker()
    _, url_a = stack.node("node-a")
    _, url_b = stack.node("node-b")
    ids = [f"CP-PG-{i}" for i in range(8)]
    stack.import_stations(ids)
    stack.add_token(TAG, max_concurrent=None)
    fleet = Fleet()
    fleet.spread(ids, [url_a, url_b], TAG, PLAN)

    async def scenario():
        run = asyncio.create_task(fleet.run(timeout=60))
        try:
            await fleet.wait(lambda f: f.started >= len(ids), 20, "every station in its first session")
            ended_before = fleet.ended
            outage = await asyncio.to_thread(outages.restart, own_postgres.stop, own_postgres.start,
                                             down_for=DOWN_FOR, count=lambda: len(fleet.told))
            back, ended_when_back = time.monotonic(), fleet.ended
            await run
            return ended_before, ended_when_back, outage, time.monotonic() - back
        finally:
            run.cancel()
            await fleet.close()

    ended_before, ended_when_back, outage, finish = asyncio.run(scenario())
    sessions = len(ids) * PLAN.sessions
    assert ended_when_back < sessions  # the restart came mid-run: the rest was done after it
    # With the database down nothing can be stored, so no transaction message may be answered CALLRESULT.
    assert outage.counted_while_down == 0, outage
    totals = assert_exact(stack.db, fleet, sessions)
    print(f"database down {outage.down:.1f}s; sessions ended before it/by its end: {ended_before}/"
          f"{ended_when_back}; fleet done {finish:.1f}s after; {totals}; {fleet.summary()}")
