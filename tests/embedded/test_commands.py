"""Operator commands over a real socket against the embedded server: sent, answered, stored; offline and silent."""

import asyncio
import json
from datetime import timedelta

from django.db import transaction

from stations import services
from stations.choices import CommandStatus
from stations.models import Command
from tests.embedded.conftest import run
from tests.support.station import BOOT, call, open_station


def issue(station_id, action, payload, **kwargs) -> int:
    with transaction.atomic():
        return services.issue_command(station_id=station_id, action=action, payload=payload, requested_by="test",
                                      **kwargs).pk


async def issue_and_wait(station_id, action, payload, timeout=10, **kwargs) -> Command:
    pk = await asyncio.to_thread(issue, station_id, action, payload, **kwargs)
    return await asyncio.to_thread(services.wait_for_command, pk, timeout=timeout)


async def answer_next_call(ws, payload=None, error=None):
    """Play the station: read the CSMS's next CALL and answer it; returns the CALL."""
    while True:
        frame = json.loads(await ws.recv())
        if frame[0] == 2:
            break
    if error:
        await ws.send(json.dumps([4, frame[1], error, "no", {}]))
    else:
        await ws.send(json.dumps([3, frame[1], payload if payload is not None else {"status": "Accepted"}]))
    return frame


def test_a_command_reaches_the_station_and_its_answer_is_stored(ocpp_url, provisioned):
    provisioned("CP-C")

    async def scenario():
        async with await open_station(ocpp_url, "CP-C", "1.6") as ws:
            await call(ws, "BootNotification", BOOT["1.6"])
            waiting = asyncio.ensure_future(issue_and_wait("CP-C", "Reset", {"type": "Soft"}))
            frame = await answer_next_call(ws, {"status": "Accepted"})
            return frame, await waiting

    frame, command = run(scenario())
    assert frame[2:] == ["Reset", {"type": "Soft"}] and frame[1] == command.message_id
    assert (command.status, command.response, command.node_id) == (CommandStatus.ACCEPTED, {"status": "Accepted"},
                                                                   "embedded")
    assert command.sent_at and command.answered_at


def test_a_rejection_and_a_callerror_are_stored_as_such(ocpp_url, provisioned):
    provisioned("CP-R")

    async def scenario():
        async with await open_station(ocpp_url, "CP-R", "2.0.1") as ws:
            await call(ws, "BootNotification", BOOT["2.0.1"])
            rejected = asyncio.ensure_future(issue_and_wait("CP-R", "Reset", {"type": "Immediate"}))
            await answer_next_call(ws, {"status": "Rejected"})
            failed = asyncio.ensure_future(issue_and_wait("CP-R", "ClearCache", {}))
            await answer_next_call(ws, error="NotImplemented")
            return await rejected, await failed

    rejected, failed = run(scenario())
    assert (rejected.status, rejected.error_description) == (CommandStatus.REJECTED, "Rejected")
    assert (failed.status, failed.error_code) == (CommandStatus.FAILED, "NotImplemented")


def test_an_answer_the_schema_refuses_fails_the_command_with_the_reason(ocpp_url, provisioned):
    provisioned("CP-I")

    async def scenario():
        async with await open_station(ocpp_url, "CP-I", "1.6") as ws:
            await call(ws, "BootNotification", BOOT["1.6"])
            waiting = asyncio.ensure_future(issue_and_wait("CP-I", "ClearCache", {}))
            await answer_next_call(ws, {"status": "Maybe"})
            return await waiting

    command = run(scenario())
    assert (command.status, command.error_code, command.response) == (CommandStatus.FAILED, "InvalidAnswer",
                                                                       {"status": "Maybe"})


def test_a_station_that_never_answers_times_out(ocpp_url, provisioned, settings):
    settings.OCPP_CALL_TIMEOUT = 2
    provisioned("CP-T")

    async def scenario():
        async with await open_station(ocpp_url, "CP-T", "1.6") as ws:
            await call(ws, "BootNotification", BOOT["1.6"])
            return await issue_and_wait("CP-T", "ClearCache", {}, timeout=20)

    command = run(scenario())
    assert command.status == CommandStatus.TIMED_OUT


def test_an_offline_station_fails_at_once_or_gets_its_queued_command_on_reconnect(ocpp_url, provisioned):
    provisioned("CP-O", ocpp_version="1.6")

    offline = issue("CP-O", "ClearCache", {})
    queued = issue("CP-O", "UnlockConnector", {"connectorId": 1}, queue_for=timedelta(minutes=5))
    assert Command.objects.get(pk=offline).status == CommandStatus.STATION_OFFLINE
    assert Command.objects.get(pk=queued).status == CommandStatus.PENDING

    async def scenario():
        async with await open_station(ocpp_url, "CP-O", "1.6") as ws:
            frame = await answer_next_call(ws, {"status": "Unlocked"})
            return frame, await asyncio.to_thread(services.wait_for_command, queued, timeout=10)

    frame, command = run(scenario())
    assert frame[2:] == ["UnlockConnector", {"connectorId": 1}]
    assert command.status == CommandStatus.ACCEPTED


def test_a_station_call_crossing_a_command_is_still_answered(ocpp_url, provisioned):
    provisioned("CP-X")

    async def scenario():
        async with await open_station(ocpp_url, "CP-X", "1.6") as ws:
            await call(ws, "BootNotification", BOOT["1.6"])
            waiting = asyncio.ensure_future(issue_and_wait("CP-X", "ClearCache", {}))
            while True:  # the CSMS's call arrives; before answering it, the station sends its own
                command_call = json.loads(await ws.recv())
                if command_call[0] == 2:
                    break
            beat = await call(ws, "Heartbeat", {})
            await ws.send(json.dumps([3, command_call[1], {"status": "Accepted"}]))
            return beat, await waiting

    beat, command = run(scenario())
    assert beat[0] == 3 and command.status == CommandStatus.ACCEPTED
