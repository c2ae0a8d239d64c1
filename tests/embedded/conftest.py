import asyncio

import pytest

from stations.models import ChargingStation
from tests.support import server


@pytest.fixture
def ocpp_url(transactional_db):
    """The embedded system (portal + /ocpp on one uvicorn) on a free loopback port; yields the /ocpp/ URL."""
    with server.running() as url:
        yield url


@pytest.fixture
def provisioned(transactional_db):
    def make(station_id: str, **fields) -> ChargingStation:
        password = fields.pop("password", None)
        station = ChargingStation(station_id=station_id, **fields)
        if password:
            station.set_password(password)
        station.save()
        return station

    return make


def run(coro, timeout: float = 30):
    """Run one scenario on a fresh loop with a hard time bound."""
    return asyncio.run(asyncio.wait_for(coro, timeout))
