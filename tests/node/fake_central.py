"""A stand-in for central at the node's edge (the bus), recording what the node sends: node tests run no worker."""

from __future__ import annotations

import asyncio
import json

from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from csms.bus import BusUnavailable
from csms.envelope import Envelope


class FakeCentral:
    """Admits every station, answers BootNotification with `boot_status`, every other call with `central_answer`."""

    central_answer = {"currentTime": "2000-01-01T00:00:00.000Z"}  # a time no node would make up

    def __init__(self, *, boot_accepted_at_connect: bool = False, boot_status: str = "Accepted") -> None:
        self.boot_accepted_at_connect, self.boot_status = boot_accepted_at_connect, boot_status
        self.received: list[Envelope] = []
        self.failures = 0  # the next `failures` requests raise BusUnavailable
        self.held: dict[str, asyncio.Event] = {}  # action -> calls of it are answered once the event is set

    def kinds(self, kind: str) -> list[Envelope]:
        return [e for e in self.received if e.kind == kind]

    def calls(self, action: str) -> list[Envelope]:
        return [e for e in self.received if e.kind == "call" and e.action == action]

    async def request(self, envelopes: list[Envelope], timeout: float) -> list[Envelope | None]:
        self.received.extend(envelopes)
        if self.failures:
            self.failures -= 1
            raise BusUnavailable("central is down (test)")
        for e in envelopes:
            if e.kind == "call" and e.action in self.held:
                await self.held[e.action].wait()
        return [self._answer(e) for e in envelopes]

    def _answer(self, e: Envelope) -> Envelope:
        if e.kind == "connect":
            return e.reply("connect", {"accepted": True, "boot_accepted": self.boot_accepted_at_connect})
        if e.kind == "call" and e.action == "BootNotification":
            return e.reply("result", {"status": self.boot_status, "currentTime": "2000-01-01T00:00:00.000Z",
                                      "interval": 300})
        if e.kind == "call":
            return e.reply("result", self.central_answer)
        return e.reply(e.kind, {})

    async def attach_node(self, node_id, deliver) -> None:
        pass

    async def detach_node(self) -> None:
        pass


BOOT_16 = {"chargePointVendor": "ACME", "chargePointModel": "M1"}


async def open_socket(station_id: str = "CP-1", version: str = "1.6") -> WebsocketCommunicator:
    from node.routing import websocket_urlpatterns

    ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ocpp/{station_id}",
                               subprotocols=[f"ocpp{version}"])
    connected, _ = await ws.connect(timeout=5)
    assert connected
    return ws


async def call(ws: WebsocketCommunicator, message_id: str, action: str, payload: dict) -> list:
    await ws.send_to(text_data=json.dumps([2, message_id, action, payload]))
    return json.loads(await ws.receive_from(timeout=5))


def run(coro, timeout: float = 30):
    return asyncio.run(asyncio.wait_for(coro, timeout))

