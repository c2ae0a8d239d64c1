"""A status a station reports over its socket shows on the open station page and station list, without a reload."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.support.factories import StationFactory
from tests.support.station import call, status_payload

pytestmark = pytest.mark.timeout(60)


def status(connector: int, value: str, **fields) -> dict:
    """A 1.6 StatusNotification stamped now: an older timestamp than the stored one would be ignored."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return status_payload("1.6", connector, value) | {"timestamp": now} | fields


def test_a_status_notification_updates_the_open_station_page_and_list(browse, operator, live_station):
    StationFactory(station_id="CP-LIVE")
    station = live_station("CP-LIVE")
    station.run(call(station.ws, "StatusNotification", status(1, "Available")))
    b = browse("olivia")
    detail = b.page
    b.goto("/stations/CP-LIVE/")
    connector = detail.locator("#connector-1-1")
    expect(connector).to_contain_text("Available")
    expect(detail.locator("#station-online")).to_have_text("online")
    listing = detail.context.new_page()
    listing.clock.install()  # the list refreshes every 10 s: the test moves its clock on instead of waiting
    listing.goto(b.base + "/stations/?q=CP-LIVE")
    row = listing.locator("#station-table tr", has_text="CP-LIVE")
    expect(row).to_contain_text("1 Available")

    answer = station.run(call(station.ws, "StatusNotification", status(1, "Faulted", errorCode="GroundFailure")))
    assert answer[0] == 3

    expect(connector).to_contain_text("Faulted", timeout=8_000)  # the page polls every 3 s
    expect(connector).to_contain_text("GroundFailure")
    listing.clock.fast_forward(11_000)
    expect(row).to_contain_text("1 Faulted", timeout=5_000)
    assert detail.url == b.base + "/stations/CP-LIVE/"  # the same page, updated in place
    b.assert_clean()
