"""The handshake over a real socket: who is admitted, who is refused with which HTTP status, what is negotiated."""

import asyncio

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from stations.models import ConnectionLog
from tests.embedded.conftest import run
from tests.support.station import basic, call, open_station


def _refusal(url: str, **kwargs) -> InvalidStatus:
    async def attempt():
        with pytest.raises(InvalidStatus) as refused:
            await connect(url, open_timeout=10, **kwargs)
        return refused.value

    return run(attempt())


def test_unknown_station_is_refused_with_404_and_logged(ocpp_url):
    refused = _refusal(ocpp_url + "CP-NOBODY", subprotocols=["ocpp1.6"])
    assert refused.response.status_code == 404
    log = ConnectionLog.objects.get(station_ident="CP-NOBODY")
    assert (log.event, log.reason, log.station) == ("refused", "unknown_station", None)
    assert log.remote_addr.startswith("127.0.0.1:")


def test_disabled_station_is_refused_with_404(ocpp_url, provisioned):
    provisioned("CP-OFF", enabled=False)
    assert _refusal(ocpp_url + "CP-OFF", subprotocols=["ocpp1.6"]).response.status_code == 404
    assert ConnectionLog.objects.get(station_ident="CP-OFF").reason == "disabled"


@pytest.mark.parametrize("headers", [{}, basic("CP-PW", "wrong"), basic("SOMEONE-ELSE", "s3cret-pass")],
                         ids=["missing", "wrong password", "username is not the station id"])
def test_bad_or_missing_credentials_are_refused_with_401(ocpp_url, provisioned, headers):
    provisioned("CP-PW", password="s3cret-pass")
    refused = _refusal(ocpp_url + "CP-PW", subprotocols=["ocpp1.6"], additional_headers=headers)
    assert refused.response.status_code == 401
    assert refused.response.headers["WWW-Authenticate"].startswith("Basic")
    assert ConnectionLog.objects.get(station_ident="CP-PW").reason == "bad_credentials"


def test_right_credentials_are_admitted(ocpp_url, provisioned):
    provisioned("CP-PW", password="s3cret-pass")

    async def scenario():
        async with await open_station(ocpp_url, "CP-PW", "1.6", additional_headers=basic("CP-PW", "s3cret-pass")):
            pass

    run(scenario())
    assert ConnectionLog.objects.filter(station_ident="CP-PW", event="connected").count() == 1


def test_no_common_subprotocol_gets_no_protocol_header_and_is_closed(ocpp_url, provisioned):
    provisioned("CP-OLD")

    async def scenario():
        ws = await connect(ocpp_url + "CP-OLD", subprotocols=["ocpp1.5"], open_timeout=10)
        assert ws.subprotocol is None
        assert "Sec-WebSocket-Protocol" not in ws.response.headers
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(10):
                await ws.recv()
        return closed.value

    closed = run(scenario())
    assert closed.rcvd.code == 1002
    log = ConnectionLog.objects.get(station_ident="CP-OLD")
    assert (log.event, log.reason, log.subprotocols) == ("refused", "no_subprotocol", "ocpp1.5")


def test_client_order_of_preference_picks_the_subprotocol(ocpp_url, provisioned):
    provisioned("CP-BOTH")

    async def scenario(offer):
        async with await connect(ocpp_url + "CP-BOTH", subprotocols=offer, open_timeout=10) as ws:
            return ws.subprotocol

    assert run(scenario(["ocpp1.6", "ocpp2.0.1"])) == "ocpp1.6"
    assert run(scenario(["ocpp2.0", "ocpp2.0.1", "ocpp1.6"])) == "ocpp2.0.1"


def test_compression_is_negotiated_for_2_0_1(ocpp_url, provisioned):
    provisioned("CP-ZIP")

    async def scenario():
        async with await open_station(ocpp_url, "CP-ZIP", "2.0.1", compression="deflate") as ws:
            return ws.response.headers.get("Sec-WebSocket-Extensions", "")

    assert "permessage-deflate" in run(scenario())


def test_station_id_longer_than_48_characters_is_not_routed(ocpp_url):
    refused = _refusal(ocpp_url + "X" * 49, subprotocols=["ocpp1.6"])
    assert refused.response.status_code == 404


def test_unaccepted_2_0_1_station_gets_security_error_until_it_boots(ocpp_url, provisioned):
    provisioned("CP-NEW")

    async def scenario():
        async with await open_station(ocpp_url, "CP-NEW", "2.0.1") as ws:
            before = await call(ws, "Heartbeat", {})
            from tests.support.station import BOOT
            await call(ws, "BootNotification", BOOT["2.0.1"])
            after = await call(ws, "Heartbeat", {})
            return before, after

    before, after = run(scenario())
    assert before[0] == 4 and before[2] == "SecurityError"
    assert after[0] == 3
