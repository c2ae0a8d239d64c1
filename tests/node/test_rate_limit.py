"""A station's messages beyond its rate: CALLERROR at the node, and a flooding station is closed."""

import json

import pytest
from django.conf import settings

from node.limits import TokenBucket
from tests.node.fake_central import call, open_socket, run


def test_tokens_come_back_at_the_rate_up_to_the_burst():
    bucket = TokenBucket(burst=2, now=0.0)
    assert [bucket.take(1.0, 2, 0.0) for _ in range(3)] == [True, True, False]
    assert bucket.take(1.0, 2, 1.0) and not bucket.take(1.0, 2, 1.0)
    assert [bucket.take(1.0, 2, 100.0) for _ in range(3)] == [True, True, False]  # never more than the burst


def test_only_refusals_outrunning_the_rate_count_as_flooding():
    bucket = TokenBucket(burst=5, now=0.0)
    now = 0.0
    refused = 0
    for _ in range(400):  # twice the rate, sustained: refused half the time, never flooding
        now += 0.5
        refused += not bucket.take(1.0, 5, now)
    assert refused >= 190 and not bucket.flooding(5)
    for _ in range(10):  # then ten at once
        bucket.take(1.0, 5, now)
    assert bucket.flooding(5)


@pytest.fixture
def three_then_wait(monkeypatch):
    """A burst of 3 and next to no refill. Set on the settings object itself: the `settings` fixture's change
    signal opens a database connection that Channels then closes from another thread."""
    monkeypatch.setattr(settings, "NODE_STATION_RATE", 0.01)
    monkeypatch.setattr(settings, "NODE_STATION_BURST", 3)


def test_calls_beyond_the_burst_are_refused_with_generic_error_without_reaching_central(central, three_then_wait):

    async def scenario():
        ws = await open_socket("CP-1")
        answers = [await call(ws, f"m{i}", "StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                                                      "status": "Available"}) for i in range(5)]
        await ws.disconnect()
        return answers

    answers = run(scenario())
    assert [a[0] for a in answers] == [3, 3, 3, 4, 4]
    assert answers[3] == [4, "m3", "GenericError", "rate limit: at most 0.01 messages/s", {}]
    assert [e.id for e in central.calls("StatusNotification")] == ["m0", "m1", "m2"]


def test_a_station_that_keeps_flooding_is_closed_with_1008(central, three_then_wait):

    async def scenario():
        ws = await open_socket("CP-1")
        for i in range(3):
            await call(ws, f"ok{i}", "Heartbeat", {})
        refused = []
        for i in range(3):  # each refused; the third fills the excess to the burst
            refused.append(await call(ws, f"x{i}", "Heartbeat", {}))
        await ws.send_to(text_data=json.dumps([2, "last", "Heartbeat", {}]))
        closed = await ws.receive_output(timeout=5)
        return refused, closed

    refused, closed = run(scenario())
    assert [r[2] for r in refused] == ["GenericError"] * 3
    assert closed == {"type": "websocket.close", "code": 1008}
