"""Heartbeat answered by the node once the station is boot-accepted on its socket, reported to central in bulk."""

import re

from node import runtime
from tests.node.fake_central import BOOT_16, FakeCentral, call, open_socket, run

UTC_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_heartbeat_after_an_accepted_boot_is_answered_by_the_node_without_central(central):
    async def scenario():
        ws = await open_socket("CP-1")
        await call(ws, "b1", "BootNotification", BOOT_16)
        answer = await call(ws, "h1", "Heartbeat", {})
        await ws.disconnect()
        return answer

    kind, message_id, payload = run(scenario())
    assert (kind, message_id) == (3, "h1")
    assert payload != FakeCentral.central_answer and UTC_MS.match(payload["currentTime"])
    assert central.calls("Heartbeat") == []
    assert runtime._seen["CP-1"][1] == payload["currentTime"]


def test_heartbeat_before_boot_acceptance_goes_to_central(central):
    central.boot_status = "Pending"

    async def scenario():
        ws = await open_socket("CP-1")
        before_boot = await call(ws, "h0", "Heartbeat", {})
        await call(ws, "b1", "BootNotification", BOOT_16)
        after_pending_boot = await call(ws, "h1", "Heartbeat", {})
        await ws.disconnect()
        return before_boot, after_pending_boot

    before_boot, after_pending_boot = run(scenario())
    assert before_boot[2] == after_pending_boot[2] == FakeCentral.central_answer
    assert [e.id for e in central.calls("Heartbeat")] == ["h0", "h1"]
    assert runtime._seen == {}


def test_heartbeat_is_answered_locally_when_central_said_boot_accepted_at_connect(central):
    central.boot_accepted_at_connect = True

    async def scenario():
        ws = await open_socket("CP-2", "2.0.1")
        answer = await call(ws, "h1", "Heartbeat", {})
        await ws.disconnect()
        return answer

    assert UTC_MS.match(run(scenario())[2]["currentTime"])
    assert central.calls("Heartbeat") == []


def test_stations_seen_are_reported_to_central_in_one_envelope(central):
    central.boot_accepted_at_connect = True

    async def scenario():
        sockets = [await open_socket(f"CP-{i}") for i in range(3)]
        for i, ws in enumerate(sockets):
            await call(ws, f"h{i}", "Heartbeat", {})
        assert await runtime.flush_seen()
        for ws in sockets:
            await ws.disconnect()

    run(scenario())
    [report] = central.kinds("seen")
    conns = {e.station: e.conn for e in central.kinds("connect")}
    assert {s: entry["conn"] for s, entry in report.payload["stations"].items()} == conns
    assert runtime._seen == {}


def test_a_failed_flush_is_kept_and_merged_into_the_next(central):
    runtime.record_seen("CP-A", "conn-a1", "2026-12-01T10:00:00.000Z")
    runtime.record_seen("CP-B", "conn-b1", "2026-12-01T10:00:01.000Z")
    central.failures = 1

    async def scenario():
        assert not await runtime.flush_seen()
        runtime.record_seen("CP-B", "conn-b2", "2026-12-01T10:00:05.000Z")  # seen again, on a new socket
        assert await runtime.flush_seen()

    run(scenario())
    failed, retried = central.kinds("seen")
    assert retried.payload["stations"] == {"CP-A": {"conn": "conn-a1", "at": "2026-12-01T10:00:00.000Z"},
                                           "CP-B": {"conn": "conn-b2", "at": "2026-12-01T10:00:05.000Z"}}
    assert runtime._seen == {}
