"""A minimal scripted station for end-to-end tests: raw frames in, raw frames out, over a real WebSocket."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid

from websockets.asyncio.client import ClientConnection, connect


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def open_station(url: str, station_id: str, version: str = "1.6", **kwargs) -> ClientConnection:
    return await connect(url + station_id, subprotocols=[f"ocpp{version}"], open_timeout=10, **kwargs)


async def call(ws: ClientConnection, action: str, payload: dict, timeout: float = 10) -> list:
    """Send a CALL and return the parsed answer with the same id."""
    message_id = str(uuid.uuid4())
    await ws.send(json.dumps([2, message_id, action, payload]))
    return await answer(ws, message_id, timeout)


async def answer(ws: ClientConnection, message_id: str, timeout: float = 10) -> list:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame[1] == message_id and frame[0] in (3, 4):
                return frame


BOOT = {
    "1.6": {"chargePointVendor": "Acme", "chargePointModel": "AC-22", "chargePointSerialNumber": "SN-1",
            "firmwareVersion": "1.2.3"},
    "2.0.1": {"reason": "PowerUp", "chargingStation": {"vendorName": "Acme", "model": "AC-22",
                                                       "serialNumber": "SN-1", "firmwareVersion": "1.2.3"}},
}


def status_payload(version: str, connector: int, status: str = "Available") -> dict:
    if version == "1.6":
        return {"connectorId": connector, "errorCode": "NoError", "status": status,
                "timestamp": "2026-11-25T10:00:00Z"}
    return {"timestamp": "2026-11-25T10:00:00Z", "connectorStatus": status, "evseId": connector, "connectorId": 1}
