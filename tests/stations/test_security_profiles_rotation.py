"""Password rotation over a real socket (embedded server): the station gets the key, answers, reconnects with it."""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from stations.models import ChargingStation, Command
from stations.services import security, wait_for_command
from tests.embedded.conftest import run
from tests.support import server
from tests.support.station import BOOT, basic, call, open_station

OLD = "old-password-0123"


@pytest.fixture
def ocpp_url(transactional_db):
    with server.running() as url:
        yield url


async def _status(url: str, station_id: str, password: str) -> int:
    try:
        async with await connect(url + station_id, subprotocols=["ocpp1.6"], open_timeout=10,
                                 additional_headers=basic(station_id, password)):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


async def _next_call(ws) -> list:
    while True:
        frame = json.loads(await ws.recv())
        if frame[0] == 2:
            return frame


def test_an_accepted_key_replaces_the_password_for_the_next_connect(ocpp_url):
    station = ChargingStation(station_id="CP-ROT", ocpp_version="1.6", security_profile=1)
    station.set_password(OLD)
    station.save()

    async def scenario():
        async with await open_station(ocpp_url, "CP-ROT", "1.6", additional_headers=basic("CP-ROT", OLD)) as ws:
            await call(ws, "BootNotification", BOOT["1.6"])
            rotation = await asyncio.to_thread(security.rotate_password, station_id="CP-ROT", requested_by="test")
            frame = await _next_call(ws)
            await ws.send(json.dumps([3, frame[1], {"status": "Accepted"}]))
            await asyncio.to_thread(wait_for_command, rotation.command.pk, timeout=10)
        return rotation, frame, await _status(ocpp_url, "CP-ROT", rotation.password), await _status(
            ocpp_url, "CP-ROT", OLD)

    rotation, frame, with_new, with_old = run(scenario())
    assert frame[2:] == ["ChangeConfiguration", {"key": "AuthorizationKey", "value": rotation.password.encode().hex()}]
    assert (with_new, with_old) == (101, 401)
    assert ChargingStation.objects.get().check_password(rotation.password)
    assert Command.objects.get().payload["value"] == "********"
