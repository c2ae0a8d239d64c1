"""Draining a node: no new stations, calls in flight answered, then every socket closed with 1012."""

import asyncio
import json

from node import connections, runtime
from tests.node.fake_central import BOOT_16, call, open_socket, run


def test_drain_answers_calls_in_flight_then_closes_every_socket_with_1012_and_tells_central(central):
    central.held["StatusNotification"] = asyncio.Event()

    async def scenario():
        idle, busy = await open_socket("CP-IDLE"), await open_socket("CP-BUSY")
        await call(busy, "b1", "BootNotification", BOOT_16)
        status = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
        await busy.send_to(text_data=json.dumps([2, "s1", "StatusNotification", status]))
        await asyncio.sleep(0.1)  # s1 is with central now
        draining = runtime.begin_drain("test")
        idle_closed = await idle.receive_output(timeout=5)  # at once: nothing in flight on it
        await busy.send_to(text_data=json.dumps([2, "s2", "StatusNotification", status]))  # after the drain began
        await asyncio.sleep(0.1)
        central.held["StatusNotification"].set()
        busy_frames = [await busy.receive_output(timeout=5), await busy.receive_output(timeout=5)]
        refused = await open_refused("CP-NEW")
        for ws in (idle, busy):  # the stations answer the close, as a real server would pass on
            await ws.disconnect(code=1012)
        await asyncio.wait_for(draining, 10)
        return idle_closed, busy_frames, refused

    idle_closed, busy_frames, refused = run(scenario())
    assert idle_closed == {"type": "websocket.close", "code": 1012}
    answer, closed = busy_frames
    assert json.loads(answer["text"])[:2] == [3, "s1"]
    assert closed == {"type": "websocket.close", "code": 1012}
    assert [e.id for e in central.calls("StatusNotification")] == ["s1"]  # s2 is sent again on another node
    assert refused is False
    # Central hears of each closed socket first, then that the node stops.
    assert [e.kind for e in central.received[-3:]] == ["disconnect", "disconnect", "node_heartbeat"]
    assert central.received[-1].payload["stopping"] is True
    assert connections.count() == 0


async def open_refused(station_id: str) -> bool:
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator

    from node.routing import websocket_urlpatterns

    ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ocpp/{station_id}", subprotocols=["ocpp1.6"])
    connected, _ = await ws.connect(timeout=5)
    return connected
