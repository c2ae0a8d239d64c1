"""Charging sessions on the real path: stations on node processes, a Celery worker, PostgreSQL and RabbitMQ."""

import asyncio
import uuid
from decimal import Decimal

from tests.support.processes import wait_for
from tests.support.station import BOOT, call, open_station

TAG = "TAG-IT-1"


def run(coro, timeout: float = 90):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def ts(minute: int, second: int = 0) -> str:
    return f"2026-11-25T10:{minute:02d}:{second:02d}Z"


def register_16(wh: int, minute: int) -> dict:
    return {"timestamp": ts(minute), "sampledValue": [{"value": str(wh), "measurand": "Energy.Active.Import.Register",
                                                       "unit": "Wh"}]}


def register_201(wh: str, minute: int) -> list[dict]:
    sample = {"value": float(wh), "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "Wh"}}
    return [{"timestamp": ts(minute), "sampledValue": [sample]}]


def event_201(event_type: str, tx_id: str, seq: int, minute: int, wh: str, **extra) -> dict:
    trigger = {"Started": "Authorized", "Updated": "MeterValuePeriodic", "Ended": "StopAuthorized"}[event_type]
    info = {"transactionId": tx_id, "chargingState": "Charging" if event_type != "Ended" else "EVConnected"}
    if event_type == "Ended":
        info["stoppedReason"] = "Local"
    return {"eventType": event_type, "timestamp": ts(minute), "triggerReason": trigger, "seqNo": seq,
            "transactionInfo": info, "evse": {"id": 1, "connectorId": 1}, "meterValue": register_201(wh, minute),
            **extra}


START_16 = {"connectorId": 1, "idTag": TAG, "meterStart": 1000, "timestamp": ts(0)}


def stop_16(tx_id: int) -> dict:
    return {"transactionId": tx_id, "meterStop": 8500, "timestamp": ts(30), "reason": "Local", "idTag": TAG}


def test_a_full_1_6_session_stores_meter_stop_minus_meter_start(stack):
    stack.worker()
    _, url = stack.node("node-a")
    stack.add_station("CP-S16")
    stack.add_token(TAG)

    async def session():
        async with await open_station(url, "CP-S16", "1.6") as ws:
            await call(ws, "BootNotification", BOOT["1.6"])
            auth = await call(ws, "Authorize", {"idTag": TAG})
            start = await call(ws, "StartTransaction", START_16)
            tx_id = start[2]["transactionId"]
            meters = [await call(ws, "MeterValues", {"connectorId": 1, "transactionId": tx_id,
                                                    "meterValue": [register_16(1000 + 2500 * i, 10 * i)]})
                      for i in (1, 2, 3)]
            stop = await call(ws, "StopTransaction", stop_16(tx_id))
            return auth, start, meters, stop

    auth, start, meters, stop = run(session())
    assert auth[2] == {"idTagInfo": {"status": "Accepted"}}
    assert start[0] == 3 and start[2]["idTagInfo"]["status"] == "Accepted" and start[2]["transactionId"] > 0
    assert [m[0] for m in meters] == [3, 3, 3] and stop[0] == 3
    [tx] = stack.transactions("CP-S16")
    assert tx["id"] == start[2]["transactionId"]
    assert (tx["status"], tx["meter_start_wh"], tx["meter_stop_wh"], tx["energy_wh"]) == (
        "Ended", Decimal(1000), Decimal(8500), Decimal(7500))
    assert stack.db.value("SELECT count(*) FROM transactions_metervalue WHERE transaction_id = %s", tx["id"]) == 3


def test_a_full_2_0_1_session_stores_last_minus_first_register(stack):
    stack.worker()
    _, url = stack.node("node-a")
    stack.add_station("CP-S201")
    stack.add_token(TAG)
    tx_id = str(uuid.uuid4())

    async def session():
        async with await open_station(url, "CP-S201", "2.0.1") as ws:
            await call(ws, "BootNotification", BOOT["2.0.1"])
            auth = await call(ws, "Authorize", {"idToken": {"idToken": TAG, "type": "Local"}})
            token = {"idToken": {"idToken": TAG, "type": "ISO14443"}}
            return auth, [
                await call(ws, "TransactionEvent", event_201("Started", tx_id, 0, 0, "500.5", **token)),
                await call(ws, "TransactionEvent", event_201("Updated", tx_id, 1, 10, "1700.25")),
                await call(ws, "TransactionEvent", event_201("Ended", tx_id, 2, 20, "3000.75")),
            ]

    auth, events = run(session())
    assert auth[2]["idTokenInfo"]["status"] == "Accepted"
    assert [e[0] for e in events] == [3, 3, 3]
    assert events[0][2]["idTokenInfo"]["status"] == "Accepted"  # Local in Authorize, ISO14443 here: one token
    [tx] = stack.transactions("CP-S201")
    assert (tx["station_tx_id"], tx["status"], tx["energy_wh"], tx["stop_reason"]) == (
        tx_id, "Ended", Decimal("2500.25"), "Local")


def test_the_same_stop_sent_three_times_after_reconnects_counts_once(stack):
    stack.worker()
    _, url = stack.node("node-a")
    stack.add_station("CP-R16")
    stack.add_station("CP-R201")
    stack.add_token(TAG, max_concurrent=None)
    tx_201 = str(uuid.uuid4())
    ended = event_201("Ended", tx_201, 1, 30, "9000")

    async def sessions():
        async with await open_station(url, "CP-R16", "1.6") as ws16, \
                await open_station(url, "CP-R201", "2.0.1") as ws201:
            await call(ws16, "BootNotification", BOOT["1.6"])
            await call(ws201, "BootNotification", BOOT["2.0.1"])
            tx_16 = (await call(ws16, "StartTransaction", START_16))[2]["transactionId"]
            await call(ws201, "TransactionEvent", event_201("Started", tx_201, 0, 0, "1000",
                                                            idToken={"idToken": TAG, "type": "ISO14443"}))
        answers = []
        for _ in range(3):  # each on a new socket without a new boot, as a station does after losing its connection
            async with await open_station(url, "CP-R16", "1.6") as ws16, \
                    await open_station(url, "CP-R201", "2.0.1") as ws201:
                answers.append((await call(ws16, "StopTransaction", stop_16(tx_16)),
                                await call(ws201, "TransactionEvent", ended)))
        return tx_16, answers

    tx_16, answers = run(sessions())
    assert all(a16[0] == 3 and a201[0] == 3 for a16, a201 in answers)
    assert [(t["id"], t["energy_wh"], t["status"]) for t in stack.transactions("CP-R16")] == [
        (tx_16, Decimal(7500), "Ended")]
    assert [(t["energy_wh"], t["status"]) for t in stack.transactions("CP-R201")] == [(Decimal(8000), "Ended")]
    assert stack.db.value("SELECT count(*) FROM transactions_dataqualitynote WHERE kind = 'duplicate'") >= 4


def test_a_session_that_moves_to_the_other_node_mid_session_ends_correctly(stack):
    stack.worker()
    _, url_a = stack.node("node-a")
    _, url_b = stack.node("node-b")
    stack.add_station("CP-MOVE")
    stack.add_token(TAG)

    async def session():
        old = await open_station(url_a, "CP-MOVE", "1.6")
        await call(old, "BootNotification", BOOT["1.6"])
        tx_id = (await call(old, "StartTransaction", START_16))[2]["transactionId"]
        await call(old, "MeterValues", {"connectorId": 1, "transactionId": tx_id,
                                        "meterValue": [register_16(4000, 10)]})
        async with await open_station(url_b, "CP-MOVE", "1.6") as new:  # takes over; node-a closes the old socket
            await call(new, "MeterValues", {"connectorId": 1, "transactionId": tx_id,
                                            "meterValue": [register_16(6000, 20)]})
            stop = await call(new, "StopTransaction", stop_16(tx_id))
        await old.close()
        return tx_id, stop

    tx_id, stop = run(session())
    assert stop[0] == 3
    [tx] = stack.transactions("CP-MOVE")
    assert (tx["id"], tx["status"], tx["energy_wh"]) == (tx_id, "Ended", Decimal(7500))
    assert stack.db.value("SELECT count(*) FROM transactions_metervalue WHERE transaction_id = %s", tx_id) == 2


def test_stations_starting_at_the_same_moment_get_different_transaction_ids(stack):
    stack.worker("worker-1")
    stack.worker("worker-2")
    _, url_a = stack.node("node-a")
    _, url_b = stack.node("node-b")
    ids = [f"CP-SAME-{i}" for i in range(8)]
    for station_id in ids:
        stack.add_station(station_id)
    stack.add_token(TAG, max_concurrent=None)

    async def start_all():
        sockets = [await open_station(url_a if i % 2 else url_b, sid, "1.6") for i, sid in enumerate(ids)]
        try:
            await asyncio.gather(*(call(ws, "BootNotification", BOOT["1.6"]) for ws in sockets))
            # Identical payloads, sent together: only the station tells the starts apart.
            return await asyncio.gather(*(call(ws, "StartTransaction", START_16, timeout=30) for ws in sockets))
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets))

    answers = run(start_all())
    tx_ids = [a[2]["transactionId"] for a in answers]
    assert len(set(tx_ids)) == len(ids)
    wait_for(lambda: stack.db.value("SELECT count(*) FROM transactions_transaction") == len(ids), 10,
             "one transaction per station")
