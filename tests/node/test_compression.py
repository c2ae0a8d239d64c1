"""permessage-deflate as the WS_DEFLATE_* settings say: by default no zlib state is kept between messages."""

import pytest

from tests.embedded.conftest import run
from tests.support import server
from tests.support.station import BOOT, call, open_station


def negotiated(url: str) -> tuple[str, list]:
    async def scenario():
        async with await open_station(url, "CP-Z", "1.6") as ws:  # the client offers permessage-deflate
            await call(ws, "BootNotification", BOOT["1.6"])
            return ws.response.headers.get("Sec-WebSocket-Extensions", ""), await call(ws, "Heartbeat", {})

    return run(scenario())


@pytest.fixture
def station(transactional_db):
    from stations.models import ChargingStation

    ChargingStation.objects.create(station_id="CP-Z")


def test_by_default_neither_side_keeps_a_compression_context(station):
    with server.running() as url:
        extensions, heartbeat = negotiated(url)
    assert extensions == ("permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                          "server_max_window_bits=10; client_max_window_bits=10")
    assert heartbeat[0] == 3


def test_context_takeover_and_window_follow_the_settings(station, settings):
    settings.WS_DEFLATE_CONTEXT_TAKEOVER, settings.WS_DEFLATE_WINDOW_BITS = True, 9
    with server.running() as url:
        extensions, heartbeat = negotiated(url)
    assert extensions == "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9"
    assert heartbeat[0] == 3


def test_compression_can_be_turned_off(station, settings):
    settings.WS_PER_MESSAGE_DEFLATE = False
    with server.running() as url:
        extensions, _ = negotiated(url)
    assert extensions == ""
