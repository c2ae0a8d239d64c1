"""How many stations a node takes, and what the rest are told: 503 with Retry-After, before central is asked."""

import logging
import resource

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from node import connections, limits
from stations.models import ChargingStation, ConnectionLog
from tests.embedded.conftest import run
from tests.support import server
from tests.support.station import open_station


@pytest.fixture
def two_station_node(transactional_db, settings):
    settings.NODE_MAX_CONNECTIONS = 2
    with server.running() as url:
        yield url
    connections.set_limit(None)


def test_a_node_at_its_limit_refuses_the_third_station_with_503_before_asking_central(two_station_node):
    for station_id in ("CP-1", "CP-2", "CP-3"):
        ChargingStation.objects.create(station_id=station_id)

    async def scenario():
        first = await open_station(two_station_node, "CP-1")
        second = await open_station(two_station_node, "CP-2")
        try:
            with pytest.raises(InvalidStatus) as refused:
                await connect(two_station_node + "CP-3", subprotocols=["ocpp1.6"], open_timeout=10)
        finally:
            await first.close()
            await second.close()
        return refused.value.response

    response = run(scenario())
    assert (response.status_code, response.headers["Retry-After"]) == (503, "10")
    assert b"node full" in response.body
    assert not ConnectionLog.objects.filter(station_ident="CP-3").exists()  # central never heard of it
    assert ConnectionLog.objects.filter(event="connected").count() == 2


def test_the_default_limit_is_the_open_file_limit_minus_a_margin():
    assert limits.max_connections(0, 20_000) == 20_000 - limits.FD_MARGIN >= 19_000
    assert limits.max_connections(2, 20_000) == 2


def test_the_open_file_limit_is_raised_to_the_hard_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowered = min(soft, 256) if hard == resource.RLIM_INFINITY else min(soft, hard, 256)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowered, hard))
    try:
        raised = limits.raise_open_file_limit()
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == raised > lowered
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_storm_of_refusals_is_logged_once_per_period(caplog):
    throttled = limits.ThrottledLog(logging.getLogger("test.storm"), every=3600)
    with caplog.at_level(logging.WARNING, logger="test.storm"):
        for i in range(1000):
            throttled.warning("refused %s: node full", f"CP-{i}")
        throttled.last -= 3600  # the period is over
        throttled.warning("refused %s: node full", "CP-LAST")
    assert [r.getMessage() for r in caplog.records] == [
        "refused CP-0: node full", "refused CP-LAST: node full (and 999 more like it in the last 3600s)"]
