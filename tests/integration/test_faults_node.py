"""A node killed under a charging fleet: its stations move to the other node and no session is lost or doubled."""

import asyncio
import signal
import time

import pytest

from tests.support.fleet import Fleet, Plan
from tests.support.processes import wait_for
from tests.support.reconcile import assert_exact
from tests.support.station import BOOT, call, open_station

pytestmark = [pytest.mark.integration, pytest.mark.faults]

TAG = "FLEET-TAG"
PLAN = Plan(sessions=3, meters=4, interval=0.4)
SILENT_AFTER, HEARTBEAT = 3.0, 0.5
# csms/celery.py runs the sweep every max(1 s, NODE_SILENT_AFTER / 4); a second more for the task to run.
SWEEP = max(1.0, SILENT_AFTER / 4)


@pytest.mark.timeout(90)
def test_node_killed_mid_session(stack):
    stack.env.update(NODE_SILENT_AFTER=str(SILENT_AFTER), NODE_HEARTBEAT_INTERVAL=str(HEARTBEAT))
    stack.worker()
    stack.beat()
    node_a, url_a = stack.node("node-a")
    _, url_b = stack.node("node-b")
    ids = [f"CP-NK-{i}" for i in range(8)]
    stack.import_stations([*ids, "CP-NK-LONE"])
    stack.add_token(TAG, max_concurrent=None)
    fleet = Fleet()
    fleet.spread(ids, [url_a, url_b], TAG, PLAN)
    on_a = [s for s in fleet.stations if s.urls[0] == url_a]

    async def scenario():
        lone = await open_station(url_a, "CP-NK-LONE", "2.0.1")  # never comes back once node-a is gone
        await call(lone, "BootNotification", BOOT["2.0.1"])
        run = asyncio.create_task(fleet.run(timeout=60))
        try:
            await fleet.wait(lambda f: f.started >= len(ids), 20, "every station in its first session")
            ended_at_kill = fleet.ended
            await asyncio.to_thread(node_a.stop, signal.SIGKILL)
            killed = time.monotonic()
            await asyncio.to_thread(wait_for, lambda: not stack.station("CP-NK-LONE")["online"],
                                    SILENT_AFTER + SWEEP + 10, "CP-NK-LONE offline")
            offline_after = time.monotonic() - killed
            await run
            owners = {s.station_id: stack.station(s.station_id) for s in fleet.stations}  # sockets still open
            return ended_at_kill, offline_after, owners
        finally:
            run.cancel()
            await fleet.close()
            lone.transport.abort()

    ended_at_kill, offline_after, owners = asyncio.run(scenario())
    assert ended_at_kill < len(ids) * PLAN.sessions  # the kill came mid-run, not after it
    assert_exact(stack.db, fleet, len(ids) * PLAN.sessions)
    assert all(s.reconnects >= 1 and s.connected_to[-1] == url_b for s in on_a), fleet.summary()
    assert {(o["online"], o["node"]) for o in owners.values()} == {(True, "node-b")}, owners
    # Not before the node could be called silent, and not much after: the sweep's period and a task's latency.
    assert SILENT_AFTER - HEARTBEAT <= offline_after <= SILENT_AFTER + SWEEP + 1.0, offline_after
    print(f"lone station offline {offline_after:.1f}s after the kill; {fleet.summary()}")
