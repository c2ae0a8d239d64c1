"""A station's life over a real WebSocket against the embedded server: connect, boot, heartbeat, status, leave."""

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed

from stations.models import ChargingStation, ConnectionLog, Connector
from tests.embedded.conftest import run
from tests.support.station import BOOT, call, open_station, status_payload

VERSIONS = ["1.6", "2.0.1"]


@pytest.mark.parametrize("version", VERSIONS)
def test_boot_heartbeat_and_status_land_in_the_database(ocpp_url, provisioned, version):
    provisioned("CP-1")

    async def scenario():
        async with await open_station(ocpp_url, "CP-1", version) as ws:
            assert ws.subprotocol == f"ocpp{version}"
            boot = await call(ws, "BootNotification", BOOT[version])
            beat = await call(ws, "Heartbeat", {})
            status = await call(ws, "StatusNotification", status_payload(version, 1, "Available"))
            # Read while connected: closing the socket makes every connector Unavailable.
            live = await asyncio.to_thread(lambda: Connector.objects.get(station__station_id="CP-1", evse_id=1,
                                                                         connector_id=1).status)
            return boot, beat, status, live

    boot, beat, status, live = run(scenario())
    assert boot[0] == 3 and boot[2]["status"] == "Accepted" and boot[2]["currentTime"].endswith("Z")
    assert beat[0] == 3 and beat[2]["currentTime"].endswith("Z")
    assert status == [3, status[1], {}]
    station = ChargingStation.objects.get(station_id="CP-1")
    assert (station.vendor, station.model, station.firmware_version, station.ocpp_version) == (
        "Acme", "AC-22", "1.2.3", version)
    assert station.last_seen is not None
    assert live == "Available"


@pytest.mark.parametrize("version", VERSIONS)
def test_disconnect_marks_the_station_and_its_connectors_unavailable(ocpp_url, provisioned, version):
    provisioned("CP-2")

    async def scenario():
        async with await open_station(ocpp_url, "CP-2", version) as ws:
            await call(ws, "BootNotification", BOOT[version])
            await call(ws, "StatusNotification", status_payload(version, 1, "Available"))
            assert await asyncio.to_thread(lambda: ChargingStation.objects.get(station_id="CP-2").online)
        await _until(lambda: not ChargingStation.objects.get(station_id="CP-2").online)

    run(scenario())
    station = ChargingStation.objects.get(station_id="CP-2")
    assert station.conn == "" and station.node is None
    assert list(station.connectors.values_list("status", flat=True)) == ["Unavailable"]
    assert list(ConnectionLog.objects.filter(station=station).values_list("event", flat=True)) == [
        "disconnected", "connected"]


def test_newest_connection_wins_and_the_old_socket_is_closed(ocpp_url, provisioned):
    provisioned("CP-3")

    async def scenario():
        old = await open_station(ocpp_url, "CP-3", "1.6")
        await call(old, "BootNotification", BOOT["1.6"])
        new = await open_station(ocpp_url, "CP-3", "2.0.1")
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(10):
                await old.recv()
        beat = await call(new, "Heartbeat", {})  # served without a new boot: Accepted before
        await asyncio.sleep(0.3)  # let the old socket's late disconnect reach central
        station = await asyncio.to_thread(ChargingStation.objects.get, station_id="CP-3")
        await new.close()
        return beat, station

    beat, station = run(scenario())
    assert beat[0] == 3
    assert station.online and station.ocpp_version == "2.0.1"
    events = list(ConnectionLog.objects.filter(station_ident="CP-3").order_by("id").values_list("event", flat=True))
    assert events[:4] == ["connected", "connected", "replaced", "disconnected"]


def test_calls_are_answered_in_the_order_the_station_sent_them(ocpp_url, provisioned):
    provisioned("CP-4")

    async def scenario():
        async with await open_station(ocpp_url, "CP-4", "1.6") as ws:
            ids = [f"m{n}" for n in range(8)]
            for n, message_id in enumerate(ids):
                action = "Heartbeat" if n % 2 else "StatusNotification"
                payload = {} if n % 2 else status_payload("1.6", 1, "Available")
                await ws.send(json.dumps([2, message_id, action, payload]))
            answers = [json.loads(await ws.recv()) for _ in ids]
            return ids, answers

    ids, answers = run(scenario())
    assert [a[1] for a in answers] == ids
    assert all(a[0] == 3 for a in answers)


async def _until(predicate, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not await asyncio.to_thread(predicate):
            await asyncio.sleep(0.05)

