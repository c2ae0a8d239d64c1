"""What the station is told when central cannot commit, and that nothing is lost or counted twice."""

import asyncio
import json
import threading

import psycopg

from tests.support.processes import wait_for
from tests.support.station import BOOT, answer, call, open_station, status_payload


def run(coro, timeout: float = 90):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def test_no_callresult_while_the_worker_is_stopped_and_the_resend_is_stored_once(stack):
    worker = stack.worker()
    _, url = stack.node("node-a", OCPP_CALL_TIMEOUT="2")
    stack.add_station("CP-W")

    async def scenario():
        async with await open_station(url, "CP-W", "1.6") as ws:
            await call(ws, "BootNotification", BOOT["1.6"])
            await asyncio.to_thread(worker.stop)
            status = status_payload("1.6", 2, "Faulted") | {"errorCode": "GroundFailure"}
            while_down = await call(ws, "StatusNotification", status, timeout=10)
            await asyncio.to_thread(stack.worker, "worker-2")
            resent = await call(ws, "StatusNotification", status, timeout=10)  # a station re-sends what failed
            return while_down, resent

    while_down, resent = run(scenario())
    assert while_down[0] == 4 and while_down[2] == "InternalError"
    assert resent[0] == 3
    assert stack.db.rows("SELECT evse_id, status, error_code FROM stations_connector") == [
        (2, "Faulted", "GroundFailure")]


def test_a_worker_killed_while_handling_a_message_leads_to_it_being_handled_once_and_answered(stack):
    first = stack.worker("worker-1")
    _, url = stack.node("node-a", OCPP_CALL_TIMEOUT="30")
    stack.add_station("CP-X")
    locked, release = threading.Event(), threading.Event()

    def hold_station_row():
        # Keep the worker inside the handler: record_boot waits for this row lock.
        with psycopg.connect(stack.db.url) as conn:
            conn.execute("SELECT 1 FROM stations_chargingstation WHERE station_id = 'CP-X' FOR UPDATE")
            locked.set()
            release.wait(60)
            conn.rollback()

    async def scenario():
        async with await open_station(url, "CP-X", "2.0.1") as ws:
            holder = threading.Thread(target=hold_station_row, daemon=True)
            holder.start()
            await asyncio.to_thread(locked.wait, 10)
            await ws.send(json.dumps([2, "boot-1", "BootNotification", BOOT["2.0.1"]]))
            await asyncio.to_thread(wait_for, lambda: stack.db.value(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = %s",
                stack.db.name), 20, "the worker blocked inside the boot handler")
            first.stop(sig=9)  # SIGKILL: no chance to ack or to finish
            await asyncio.to_thread(stack.worker, "worker-2")
            release.set()
            holder.join(10)
            return await answer(ws, "boot-1", timeout=40)

    reply = run(scenario())
    assert reply[0] == 3 and reply[2]["status"] == "Accepted"
    assert stack.station("CP-X")["vendor"] == "Acme"
    assert stack.db.value("SELECT count(*) FROM stations_chargingstation WHERE station_id = 'CP-X'") == 1
