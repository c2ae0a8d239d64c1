"""A viewer sees the station page without the command form, and a command posted anyway is refused with 403."""

import pytest
from playwright.sync_api import expect

from stations.models import Command
from tests.support.factories import StationFactory

pytestmark = pytest.mark.timeout(60)


def test_a_viewer_sees_no_command_form_and_cannot_post_a_command(browse, viewer, live_station):
    StationFactory(station_id="CP-VIEW")
    live_station("CP-VIEW")
    b = browse("victor")
    b.goto("/stations/CP-VIEW/")
    expect(b.page.locator("#station-live")).to_contain_text("online")
    expect(b.page.locator("#station-command")).to_have_count(0)
    expect(b.page.locator("form[action$='/command/']")).to_have_count(0)
    expect(b.page.locator("nav")).to_contain_text("(viewer)")

    token = next(c["value"] for c in b.page.context.cookies() if c["name"] == "csrftoken")
    response = b.page.request.post(b.base + "/stations/CP-VIEW/command/", headers={"X-CSRFToken": token},
                                   form={"operation": "Reset", "parameters": '{"type": "Hard"}', "queue_for": "0"})

    assert response.status == 403
    assert not Command.objects.exists()
    b.assert_clean()
