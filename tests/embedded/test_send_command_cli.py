"""`manage.py send_command --wait` against a real station on the embedded server: the answer is printed."""

import asyncio
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stations.choices import CommandStatus
from stations.models import Command
from tests.embedded.conftest import run
from tests.embedded.test_commands import answer_next_call
from tests.support.station import BOOT, call, open_station


def send(*args) -> str:
    out = StringIO()
    call_command("send_command", *args, stdout=out)
    return out.getvalue()


def test_waiting_prints_the_stations_answer_and_exits_0(ocpp_url, provisioned):
    provisioned("CP-CLI")

    async def scenario():
        async with await open_station(ocpp_url, "CP-CLI", "1.6") as ws:
            await call(ws, "BootNotification", BOOT["1.6"])
            printed = asyncio.ensure_future(asyncio.to_thread(
                send, "CP-CLI", "GetConfiguration", '{"key": ["HeartbeatInterval"]}', "--wait", "10", "--as", "ops"))
            frame = await answer_next_call(ws, {"configurationKey": [
                {"key": "HeartbeatInterval", "readonly": False, "value": "300"}]})
            return frame, await printed

    frame, out = run(scenario())
    command = Command.objects.get()
    assert frame[2:] == ["GetConfiguration", {"key": ["HeartbeatInterval"]}]
    assert (command.status, command.requested_by) == (CommandStatus.ACCEPTED, "ops")
    lines = out.splitlines()
    assert lines[0].startswith(f"command {command.pk}: sent (GetConfiguration -> CP-CLI")
    assert lines[1] == f"command {command.pk}: accepted"
    assert json.loads("\n".join(lines[2:])) == {"configurationKey": [
        {"key": "HeartbeatInterval", "readonly": False, "value": "300"}]}


def test_a_rejection_is_printed_and_exits_1(ocpp_url, provisioned):
    provisioned("CP-CLR")

    async def scenario():
        async with await open_station(ocpp_url, "CP-CLR", "2.0.1") as ws:
            await call(ws, "BootNotification", BOOT["2.0.1"])
            printed = asyncio.ensure_future(asyncio.to_thread(
                send, "CP-CLR", "Reset", '{"type": "Immediate"}', "--wait", "10"))
            await answer_next_call(ws, {"status": "Rejected"})
            with pytest.raises(CommandError) as failure:
                await printed
            return failure.value

    error = run(scenario())
    assert (error.returncode, str(error)) == (1, f"command {Command.objects.get().pk} rejected (Rejected)")
