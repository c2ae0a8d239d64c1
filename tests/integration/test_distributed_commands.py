"""Operator commands on the real path: central (send_command) -> RabbitMQ -> the node holding the station ->
the station's answer -> a Celery worker -> PostgreSQL."""

import asyncio
import json

from tests.support.processes import wait_for
from tests.support.station import BOOT, call, open_station


def run(coro, timeout: float = 90):
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def answer_next_call(ws, payload=None):
    """Play the station: answer the CSMS's next CALL (default Accepted); returns that CALL."""
    while True:
        frame = json.loads(await ws.recv())
        if frame[0] == 2:
            await ws.send(json.dumps([3, frame[1], {"status": "Accepted"} if payload is None else payload]))
            return frame


def command_row(stack, message_id=None):
    query = ("SELECT id, action, status, node_id, response, message_id FROM stations_command "
             + ("WHERE message_id = %s " if message_id else "") + "ORDER BY id DESC LIMIT 1")
    row = stack.db.rows(query, *([message_id] if message_id else []))[0]
    return dict(zip(("id", "action", "status", "node_id", "response", "message_id"), row, strict=True))


def test_a_command_reaches_a_station_on_either_node_and_its_answer_is_stored(stack):
    stack.worker()
    _, url_a = stack.node("node-a")
    _, url_b = stack.node("node-b")
    stack.add_station("CP-A16")
    stack.add_station("CP-B201")

    async def scenario():
        async with await open_station(url_a, "CP-A16", "1.6") as a, await open_station(url_b, "CP-B201", "2.0.1") as b:
            await call(a, "BootNotification", BOOT["1.6"])
            await call(b, "BootNotification", BOOT["2.0.1"])
            done = []
            for ws, station, action, payload in ((a, "CP-A16", "Reset", '{"type": "Soft"}'),
                                                 (b, "CP-B201", "Reset", '{"type": "OnIdle"}')):
                cli = asyncio.ensure_future(asyncio.to_thread(stack.manage, "send_command", station, action, payload,
                                                              "--wait", "20"))
                frame = await answer_next_call(ws)
                done.append((frame, await cli))
            return done

    (frame_a, cli_a), (frame_b, cli_b) = run(scenario())
    assert cli_a.returncode == 0, cli_a.stdout + cli_a.stderr
    assert cli_b.returncode == 0, cli_b.stdout + cli_b.stderr
    assert frame_a[2:] == ["Reset", {"type": "Soft"}] and frame_b[2:] == ["Reset", {"type": "OnIdle"}]
    a, b = command_row(stack, frame_a[1]), command_row(stack, frame_b[1])
    assert (a["status"], a["node_id"], a["response"]) == ("accepted", "node-a", {"status": "Accepted"})
    assert (b["status"], b["node_id"]) == ("accepted", "node-b")


def test_an_offline_station_fails_fast_or_gets_the_queued_command_when_it_reconnects(stack):
    stack.worker()
    _, url = stack.node("node-a")
    stack.add_station("CP-OFF")
    stack.db.rows("UPDATE stations_chargingstation SET ocpp_version = '1.6' WHERE station_id = 'CP-OFF' RETURNING id")

    offline = stack.manage("send_command", "CP-OFF", "ClearCache", "{}", "--wait", "5")
    assert offline.returncode == 1 and command_row(stack)["status"] == "station_offline"

    queued = stack.manage("send_command", "CP-OFF", "UnlockConnector", '{"connectorId": 1}', "--queue-for", "120")
    assert command_row(stack)["status"] == "pending", queued.stdout + queued.stderr

    async def reconnect():
        async with await open_station(url, "CP-OFF", "1.6") as ws:
            frame = await answer_next_call(ws, {"status": "Unlocked"})
            await call(ws, "Heartbeat", {})  # the answer has reached central by the time this one is answered
            return frame

    frame = run(reconnect())
    assert frame[2:] == ["UnlockConnector", {"connectorId": 1}]
    wait_for(lambda: command_row(stack, frame[1])["status"] == "accepted", 15, "the queued command accepted")


def test_a_station_that_never_answers_times_out(stack):
    stack.worker()
    _, url = stack.node("node-a", OCPP_CALL_TIMEOUT="2")
    stack.add_station("CP-MUTE")

    async def scenario():
        async with await open_station(url, "CP-MUTE", "2.0.1") as ws:
            await call(ws, "BootNotification", BOOT["2.0.1"])
            return await asyncio.to_thread(stack.manage, "send_command", "CP-MUTE", "ClearCache", "{}",
                                           "--wait", "20")

    cli = run(scenario())
    assert cli.returncode == 1
    assert command_row(stack)["status"] == "timed_out"


def test_a_remote_start_leads_to_a_real_session_linked_to_its_command(stack):
    stack.worker()
    _, url_a = stack.node("node-a")
    _, url_b = stack.node("node-b")
    stack.add_station("CP-RS16")
    stack.add_station("CP-RS201")
    stack.add_token("TAG-REMOTE", max_concurrent=None)

    async def scenario():
        async with await open_station(url_a, "CP-RS16", "1.6") as a, \
                await open_station(url_b, "CP-RS201", "2.0.1") as b:
            await call(a, "BootNotification", BOOT["1.6"])
            await call(b, "BootNotification", BOOT["2.0.1"])
            cli_16 = asyncio.ensure_future(asyncio.to_thread(
                stack.manage, "send_command", "CP-RS16", "RemoteStartTransaction",
                '{"idTag": "TAG-REMOTE", "connectorId": 1}', "--wait", "20"))
            remote_16 = await answer_next_call(a)
            start = await call(a, "StartTransaction", {"connectorId": 1, "idTag": "TAG-REMOTE", "meterStart": 0,
                                                       "timestamp": "2026-11-25T10:00:00Z"})
            cli_201 = asyncio.ensure_future(asyncio.to_thread(
                stack.manage, "send_command", "CP-RS201", "RequestStartTransaction",
                '{"idToken": {"idToken": "TAG-REMOTE", "type": "Central"}, "remoteStartId": 4242, "evseId": 1}',
                "--wait", "20"))
            remote_201 = await answer_next_call(b, {"status": "Accepted"})
            started = await call(b, "TransactionEvent", {
                "eventType": "Started", "timestamp": "2026-11-25T10:00:00Z", "triggerReason": "RemoteStart",
                "seqNo": 0, "transactionInfo": {"transactionId": "tx-remote", "remoteStartId": 4242},
                "evse": {"id": 1, "connectorId": 1}, "idToken": {"idToken": "TAG-REMOTE", "type": "Central"}})
            return remote_16, start, await cli_16, remote_201, started, await cli_201

    remote_16, start, cli_16, remote_201, started, cli_201 = run(scenario())
    assert cli_16.returncode == 0 and cli_201.returncode == 0, cli_16.stdout + cli_201.stdout
    assert start[2]["idTagInfo"]["status"] == "Accepted" and started[0] == 3
    linked = dict(stack.db.rows(
        "SELECT c.message_id, t.id FROM transactions_transaction t JOIN stations_command c ON c.id = t.command_id"))
    assert linked[remote_16[1]] == start[2]["transactionId"]
    assert linked[remote_201[1]] == stack.db.value(
        "SELECT id FROM transactions_transaction WHERE station_tx_id = 'tx-remote'")
