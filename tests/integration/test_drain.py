"""Draining a node on the real stack: its stations move to the other node mid-session and nothing is lost."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from decimal import Decimal

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.processes import wait_for
from tests.support.station import BOOT, answer, open_station

pytestmark = pytest.mark.integration
TAG = "TAG-DRAIN"


def ts(second: int) -> str:
    return f"2026-11-25T10:{second // 60:02d}:{second % 60:02d}Z"


class Station:
    """A 1.6 station that, told 1012 by its node, reconnects (as through the load balancer: to `fallback`) and
    sends the call that was not answered again."""

    def __init__(self, station_id: str, url: str, fallback: str) -> None:
        self.station_id, self.url, self.fallback = station_id, url, fallback
        self.closes: list[int | None] = []
        self.ws = None

    async def open(self) -> None:
        self.ws = await open_station(self.url, self.station_id, "1.6")

    async def call(self, action: str, payload: dict) -> dict:
        message_id = str(uuid.uuid4())
        for _ in range(3):
            try:
                await self.ws.send(json.dumps([2, message_id, action, payload]))
                frame = await answer(self.ws, message_id, timeout=20)
                assert frame[0] == 3, frame
                return frame[2]
            except ConnectionClosed as closed:
                self.closes.append(closed.rcvd.code if closed.rcvd else None)
                self.url = self.fallback
                await self.open()
        raise AssertionError(f"{self.station_id}: {action} unanswered after 3 connections")

    @property
    def moved(self) -> bool:
        return bool(self.closes)


def meter(tx_id: int, wh: int, second: int) -> dict:
    return {"connectorId": 1, "transactionId": tx_id, "meterValue": [{"timestamp": ts(second), "sampledValue": [
        {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]}


def test_draining_a_node_moves_its_stations_mid_session_and_every_session_ends_once(stack):
    stack.worker()
    node_a, url_a = stack.node("node-a")
    _, url_b = stack.node("node-b")
    ids = [f"CP-DRAIN-{i}" for i in range(6)]
    for station_id in ids:
        stack.add_station(station_id)
    stack.add_token(TAG, max_concurrent=None)
    stations = [Station(station_id, url_a, url_b) for station_id in ids]

    async def session(station: Station, started: asyncio.Event) -> tuple[int, int, int]:
        await station.open()
        await station.call("BootNotification", BOOT["1.6"])
        tx_id = (await station.call("StartTransaction", {"connectorId": 1, "idTag": TAG, "meterStart": 1000,
                                                         "timestamp": ts(0)}))["transactionId"]
        wh, sent, after_move = 1000, 0, 0
        started.set()
        while after_move < 3 and sent < 300:  # until it has charged a little on the other node too
            wh, sent = wh + 100, sent + 1
            await station.call("MeterValues", meter(tx_id, wh, sent))
            after_move += station.moved
            await asyncio.sleep(0.05)
        stop = await station.call("StopTransaction", {"transactionId": tx_id, "meterStop": wh + 100,
                                                      "timestamp": ts(sent + 1), "reason": "Local", "idTag": TAG})
        assert stop["idTagInfo"]["status"] == "Accepted"
        return tx_id, sent, wh + 100 - 1000

    async def scenario():
        started = [asyncio.Event() for _ in stations]
        sessions = [asyncio.create_task(session(s, e)) for s, e in zip(stations, started, strict=True)]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in started)), 60)
        drained = await asyncio.to_thread(stack.manage, "drain_node", "node-a")
        results = await asyncio.gather(*sessions)
        for station in stations:
            await station.ws.close()
        return drained, results

    drained, results = asyncio.run(asyncio.wait_for(scenario(), 120))
    assert drained.returncode == 0, drained.stderr
    assert "asked node node-a to drain (6 stations online on it)" in drained.stdout
    assert node_a.popen.wait(30) == 0
    assert "node node-a drained" in node_a.log()
    assert all(station.closes == [1012] for station in stations), [s.closes for s in stations]

    rows = [tx for station_id in ids for tx in stack.transactions(station_id)]
    assert len(rows) == len(ids) and all(tx["status"] == "Ended" for tx in rows)
    assert sorted(tx["id"] for tx in rows) == sorted(tx_id for tx_id, _, _ in results)
    assert sum(tx["energy_wh"] for tx in rows) == Decimal(sum(energy for _, _, energy in results))
    assert stack.db.value("SELECT count(*) FROM transactions_metervalue") == sum(sent for _, sent, _ in results)
    wait_for(lambda: stack.db.value("SELECT count(*) FROM stations_chargingstation s JOIN stations_node n "
                                    "ON n.id = s.node_id WHERE n.node_id = 'node-a'") == 0, 10,
             "no station left on node-a")


def test_sigusr1_drains_a_node_which_then_exits_0(stack):
    stack.worker()
    node_a, url_a = stack.node("node-a")
    stack.add_station("CP-SIG")

    async def scenario():
        ws = await open_station(url_a, "CP-SIG", "1.6")
        await asyncio.sleep(0.2)
        node_a.send_signal(signal.SIGUSR1)
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(20):
                await ws.recv()
        return closed.value.rcvd.code

    assert asyncio.run(asyncio.wait_for(scenario(), 60)) == 1012
    assert node_a.popen.wait(30) == 0
    wait_for(lambda: not stack.station("CP-SIG")["online"], 10, "CP-SIG offline")
