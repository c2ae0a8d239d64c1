"""An operator sends a command from the station page; the station (played by the test) answers it over its socket,
and the answer shows on the page."""

import json
import re

import pytest
from playwright.sync_api import expect

from stations.choices import CommandStatus
from stations.models import Command
from tests.support.factories import StationFactory

pytestmark = pytest.mark.timeout(60)


async def answer_next_call(ws, payload: dict) -> list:
    """Play the station: wait for the CSMS's next CALL and answer it; returns the CALL."""
    while True:
        frame = json.loads(await ws.recv())
        if frame[0] == 2:
            await ws.send(json.dumps([3, frame[1], payload]))
            return frame


def test_a_command_sent_from_the_station_page_shows_the_station_s_answer(browse, operator, live_station):
    StationFactory(station_id="CP-CMD")
    station = live_station("CP-CMD")
    b = browse("olivia")
    b.goto("/stations/CP-CMD/")
    form = b.page.locator("#command-form")
    form.locator("select[name=operation]").select_option("Reset")
    form.locator("textarea[name=parameters]").fill('{"type": "Soft"}')
    answered = station.start(answer_next_call(station.ws, {"status": "Accepted"}))

    form.locator("button[type=submit]").click()

    call = answered.result(timeout=10)
    assert call[2:] == ["Reset", {"type": "Soft"}]
    result = b.page.locator("#command-result")
    expect(result).to_contain_text(re.compile(r"Reset\s*→\s*accepted", re.IGNORECASE))
    expect(result.locator("pre")).to_contain_text('"status": "Accepted"')
    command = Command.objects.get(message_id=call[1])
    assert (command.status, command.requested_by) == (CommandStatus.ACCEPTED, "olivia")
    b.assert_clean()
