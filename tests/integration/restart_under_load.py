"""One scenario for the RabbitMQ and PostgreSQL fault tests: a fleet charging on two nodes, a service stopped and
started mid-run, then exact counts. Only the service and its stop/start differ between the two tests."""

import asyncio
import time

from tests.support import outages
from tests.support.fleet import Fleet, Plan
from tests.support.reconcile import assert_exact

TAG = "FLEET-TAG"
PLAN = Plan(sessions=3, meters=4, interval=0.4)


def run_fleet_through_restart(stack, *, prefix: str, stop, start, down_for: float, what: str) -> None:
    stack.worker()
    _, url_a = stack.node("node-a")
    _, url_b = stack.node("node-b")
    ids = [f"{prefix}-{i}" for i in range(8)]
    stack.import_stations(ids)
    stack.add_token(TAG, max_concurrent=None)
    fleet = Fleet()
    fleet.spread(ids, [url_a, url_b], TAG, PLAN)

    async def scenario():
        run = asyncio.create_task(fleet.run(timeout=60))
        try:
            await fleet.wait(lambda f: f.started >= len(ids), 20, "every station in its first session")
            ended_before = fleet.ended
            outage = await asyncio.to_thread(outages.restart, stop, start, down_for=down_for,
                                             count=lambda: len(fleet.told))
            back, ended_when_back = time.monotonic(), fleet.ended
            await run
            return ended_before, ended_when_back, outage, time.monotonic() - back
        finally:
            run.cancel()
            await fleet.close()

    ended_before, ended_when_back, outage, finish = asyncio.run(scenario())
    sessions = len(ids) * PLAN.sessions
    assert ended_when_back < sessions  # the restart came mid-run: the rest was done after it
    # With the service down nothing can be stored, so no transaction message may be answered CALLRESULT.
    assert outage.counted_while_down == 0, outage
    totals = assert_exact(stack.db, fleet, sessions)
    print(f"{what} down {outage.down:.1f}s; sessions ended before it/by its end: {ended_before}/"
          f"{ended_when_back}; fleet done {finish:.1f}s after; {totals}; {fleet.summary()}")
