"""Stations on two real node processes, central on a real Celery worker, PostgreSQL and RabbitMQ."""

import asyncio
import signal

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.processes import wait_for
from tests.support.station import BOOT, call, open_station, status_payload


def run(coro, timeout: float = 60):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def test_boot_heartbeat_status_and_disconnect_on_two_nodes_land_in_postgres(stack):
    stack.worker()
    _, url_a = stack.node("node-a")
    _, url_b = stack.node("node-b")
    stack.add_station("CP-16")
    stack.add_station("CP-201")

    async def scenario():
        async with await open_station(url_a, "CP-16", "1.6") as a, await open_station(url_b, "CP-201", "2.0.1") as b:
            answers = [await call(a, "BootNotification", BOOT["1.6"]), await call(b, "BootNotification", BOOT["2.0.1"]),
                       await call(a, "Heartbeat", {}), await call(b, "Heartbeat", {}),
                       await call(a, "StatusNotification", status_payload("1.6", 1, "Available")),
                       await call(b, "StatusNotification", status_payload("2.0.1", 1, "Occupied"))]
            online = await asyncio.to_thread(lambda: (stack.station("CP-16"), stack.station("CP-201")))
            return answers, online

    answers, (cp16, cp201) = run(scenario())
    assert [a[0] for a in answers] == [3] * 6
    assert answers[0][2]["status"] == answers[1][2]["status"] == "Accepted"
    assert (cp16["online"], cp16["node"], cp16["ocpp"], cp16["vendor"]) == (True, "node-a", "1.6", "Acme")
    assert (cp201["online"], cp201["node"], cp201["ocpp"]) == (True, "node-b", "2.0.1")
    statuses = stack.db.rows("SELECT s.station_id, c.evse_id, c.connector_id FROM stations_connector c "
                             "JOIN stations_chargingstation s ON s.id = c.station_id ORDER BY 1")
    assert statuses == [("CP-16", 1, 1), ("CP-201", 1, 1)]
    wait_for(lambda: not stack.station("CP-16")["online"] and not stack.station("CP-201")["online"], 15,
             "both stations offline after their sockets closed")
    assert stack.db.value("SELECT count(*) FROM stations_connector WHERE status <> 'Unavailable'") == 0


def test_unknown_station_is_refused_by_a_node_with_404_and_logged(stack):
    stack.worker()
    _, url = stack.node("node-a")

    async def scenario():
        with pytest.raises(InvalidStatus) as refused:
            await open_station(url, "CP-STRANGER", "1.6")
        return refused.value.response.status_code

    assert run(scenario()) == 404
    assert stack.db.rows("SELECT event, reason, node_id FROM stations_connectionlog WHERE station_ident = %s",
                         "CP-STRANGER") == [("refused", "unknown_station", "node-a")]


def test_a_killed_node_has_its_stations_marked_offline_within_the_silent_time(stack):
    stack.worker()
    stack.beat()
    node_a, url_a = stack.node("node-a")
    stack.add_station("CP-K")

    async def connect_and_hold():
        ws = await open_station(url_a, "CP-K", "1.6")
        await call(ws, "BootNotification", BOOT["1.6"])
        return ws

    async def scenario():
        ws = await connect_and_hold()
        assert (await asyncio.to_thread(stack.station, "CP-K"))["online"]
        node_a.send_signal(signal.SIGKILL)
        try:
            await ws.close()
        except Exception:
            pass

    run(scenario())
    # NODE_SILENT_AFTER=3 s, beat checks every 1 s: offline well within 3 + 1 + slack.
    wait_for(lambda: not stack.station("CP-K")["online"], 10, "CP-K offline after its node was killed")
    assert stack.station("CP-K")["node"] is None


def test_a_station_that_moves_to_another_node_stays_online_and_its_old_socket_is_closed(stack):
    stack.worker()
    _, url_a = stack.node("node-a")
    _, url_b = stack.node("node-b")
    stack.add_station("CP-M")

    async def scenario():
        old = await open_station(url_a, "CP-M", "2.0.1")
        await call(old, "BootNotification", BOOT["2.0.1"])
        new = await open_station(url_b, "CP-M", "2.0.1")
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(15):
                await old.recv()
        beat = await call(new, "Heartbeat", {})
        # The old socket's late disconnect reaches central after the takeover; it must change nothing.
        await asyncio.to_thread(wait_for, lambda: stack.db.value(
            "SELECT count(*) FROM stations_connectionlog WHERE station_ident='CP-M' AND event='disconnected'"), 15,
            "the old socket's disconnect")
        state = await asyncio.to_thread(stack.station, "CP-M")
        await new.close()
        return beat, state

    beat, state = run(scenario())
    assert beat[0] == 3
    assert (state["online"], state["node"]) == (True, "node-b")


def test_a_node_stopped_with_sigterm_tells_central_its_stations_are_offline_at_once(stack):
    stack.worker()  # no beat: only the node's goodbye can mark the stations offline
    node_a, url_a = stack.node("node-a")
    for n in (1, 2):
        stack.add_station(f"CP-T{n}")

    async def scenario():
        sockets = [await open_station(url_a, f"CP-T{n}", "1.6") for n in (1, 2)]
        for ws in sockets:
            await call(ws, "BootNotification", BOOT["1.6"])
        node_a.stop(signal.SIGTERM, timeout=20)
        for ws in sockets:
            with pytest.raises(ConnectionClosed):
                async with asyncio.timeout(10):
                    await ws.recv()

    run(scenario())
    wait_for(lambda: not any(stack.station(f"CP-T{n}")["online"] for n in (1, 2)), 10,
             "both stations offline after SIGTERM")
    # uvicorn finishes its graceful shutdown, then re-raises SIGTERM so the exit status tells why it stopped.
    assert node_a.popen.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in node_a.log()
