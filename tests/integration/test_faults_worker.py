"""The Celery worker killed while it handles a fleet's messages: what it held is redelivered and counted once.

Two moments of a task: before its batch committed (the redelivered task does the work), and after the commit but
before the ack (the redelivered task finds every message already stored and must not count it again).
"""

import asyncio
import re
import signal
import threading

import psycopg
import pytest

from tests.support.fleet import Fleet, Plan
from tests.support.processes import wait_for
from tests.support.reconcile import assert_exact

pytestmark = [pytest.mark.integration, pytest.mark.faults]

TAG = "FLEET-TAG"
# The node waits longer than the worker is down: a task expires after OCPP_CALL_TIMEOUT (csms/amqp.py), and one
# that expired would be dropped by the broker instead of redelivered, leaving nothing to count twice.
CALL_TIMEOUT = 20
PLAN = Plan(sessions=3, meters=4, interval=0.4, call_timeout=CALL_TIMEOUT + 5)
TASK = re.compile(r"Task [\w.]+\[([0-9a-f-]{36})\] (received|succeeded|raised|retry)")


def task_ids(log: str, outcome: str) -> set[str]:
    return {m.group(1) for m in TASK.finditer(log) if m.group(2) == outcome}


def redelivered(first, second) -> set[str]:
    """Tasks `first` received and never finished that `second` received."""
    log = first.log()
    unfinished = task_ids(log, "received") - task_ids(log, "succeeded") - task_ids(log, "raised")
    return unfinished & task_ids(second.log(), "received")


class RowLock:
    """Holds the rows of some stations FOR UPDATE in a thread: every handler locks its station's row first, so a
    task that reaches one of them waits inside its batch's transaction."""

    def __init__(self, url: str, station_ids: list[str]) -> None:
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, args=(url, station_ids), daemon=True)
        self.thread.start()
        if not self.locked.wait(10):
            raise TimeoutError("could not lock the station rows")

    def _hold(self, url: str, station_ids: list[str]) -> None:
        with psycopg.connect(url) as conn:
            conn.execute("SELECT 1 FROM stations_chargingstation WHERE station_id = ANY(%s) FOR UPDATE",
                         (station_ids,))
            self.locked.set()
            self.release.wait(60)
            conn.rollback()

    def close(self) -> None:
        self.release.set()
        self.thread.join(10)


def lock_waiters(db) -> int:
    return db.value("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = %s", db.name)


def fleet_of(stack, prefix: str, url: str) -> tuple[Fleet, list[str]]:
    ids = [f"{prefix}-{i}" for i in range(8)]
    stack.import_stations(ids)
    stack.add_token(TAG, max_concurrent=None)
    fleet = Fleet()
    fleet.spread(ids, [url], TAG, PLAN)
    return fleet, ids


@pytest.mark.timeout(90)
def test_worker_killed_mid_task(stack):
    first = stack.worker("worker-1")
    _, url = stack.node("node-a", OCPP_CALL_TIMEOUT=str(CALL_TIMEOUT))
    fleet, ids = fleet_of(stack, "CP-WK", url)

    async def scenario():
        run = asyncio.create_task(fleet.run(timeout=70))
        lock = None
        try:
            await fleet.wait(lambda f: f.started >= len(ids), 20, "every station in its first session")
            # Half the stations held: the task the kill finds is inside its batch, before the commit.
            lock = await asyncio.to_thread(RowLock, stack.db.url, ids[::2])
            blocked = await asyncio.to_thread(wait_for, lambda: lock_waiters(stack.db), 20,
                                              "the worker blocked inside a handler")
            ended_at_kill = fleet.ended
            first.stop(signal.SIGKILL)  # no chance to finish, commit or ack
            second = await asyncio.to_thread(stack.worker, "worker-2")
            lock.close()
            await run
            return blocked, ended_at_kill, second
        finally:
            if lock is not None:
                lock.close()
            run.cancel()
            await fleet.close()

    blocked, ended_at_kill, second = asyncio.run(scenario())
    assert ended_at_kill < len(ids) * PLAN.sessions
    again = redelivered(first, second)
    assert again, "no task of worker-1 was redelivered to worker-2"
    totals = assert_exact(stack.db, fleet, len(ids) * PLAN.sessions)
    duplicates = stack.db.value("SELECT count(*) FROM transactions_dataqualitynote WHERE kind = 'duplicate'")
    print(f"blocked in handlers at the kill: {blocked}; tasks redelivered: {len(again)}; duplicates noted: "
          f"{duplicates}; {totals}")


@pytest.mark.timeout(90)
def test_worker_killed_after_commit_before_ack_counts_the_redelivered_task_once(own_rabbitmq, stack):
    stack.use_broker(own_rabbitmq.url)  # its memory alarm blocks publishers, which the machine's must not do
    first = stack.worker("worker-1")
    _, url = stack.node("node-a", OCPP_CALL_TIMEOUT=str(CALL_TIMEOUT))
    fleet, ids = fleet_of(stack, "CP-WA", url)

    def busy_connections() -> int:
        return stack.db.value("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                              "AND state <> 'idle'", stack.db.name)

    async def scenario():
        run = asyncio.create_task(fleet.run(timeout=70))
        lock, blocked = None, False
        try:
            await fleet.wait(lambda f: f.started >= len(ids), 20, "every station in its first session")
            lock = await asyncio.to_thread(RowLock, stack.db.url, ids)
            await asyncio.to_thread(wait_for, lambda: lock_waiters(stack.db), 20, "a task waiting inside its batch")
            await asyncio.to_thread(own_rabbitmq.block_publishers)
            blocked = True
            lock.close()  # the batch commits; publishing its replies, and so its ack, now waits for the broker
            await asyncio.to_thread(wait_for, lambda: busy_connections() == 0, 20, "the worker's commit")
            await asyncio.sleep(0.5)
            log = first.log()
            unfinished = task_ids(log, "received") - task_ids(log, "succeeded") - task_ids(log, "raised")
            assert unfinished, "every task of worker-1 finished: its reply publish was not held up"
            first.stop(signal.SIGKILL)
            await asyncio.to_thread(own_rabbitmq.unblock_publishers)
            blocked = False
            second = await asyncio.to_thread(stack.worker, "worker-2")
            await run
            return second
        finally:
            if lock is not None:
                lock.close()
            if blocked:
                await asyncio.to_thread(own_rabbitmq.unblock_publishers)
            run.cancel()
            await fleet.close()

    second = asyncio.run(scenario())
    again = redelivered(first, second)
    assert again, "no task of worker-1 was redelivered to worker-2"
    totals = assert_exact(stack.db, fleet, len(ids) * PLAN.sessions)
    duplicates = stack.db.value("SELECT count(*) FROM transactions_dataqualitynote WHERE kind = 'duplicate'")
    print(f"committed tasks redelivered: {len(again)}; duplicates noted: {duplicates}; {totals}")
