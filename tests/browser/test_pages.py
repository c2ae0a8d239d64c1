"""Every portal page in a real browser, with data present: it renders its content, with no console error, no failed
request and no request to a host other than ours. Also saves the README's screenshots (SCREENSHOTS=1)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from stations.models import ChargingStation
from transactions.models import IdToken, Transaction

pytestmark = pytest.mark.timeout(60)


def test_logging_in_with_the_form_lands_on_the_dashboard(browse, operator):
    b = browse()
    b.goto("/transactions/")
    assert b.page.url.endswith("/login/?next=/transactions/")
    b.log_in("olivia")  # the login form, as a person uses it
    expect(b.page.locator("h1")).to_have_text("Dashboard")
    expect(b.page.locator("nav")).to_contain_text("Log out olivia")
    b.assert_clean()


def test_every_page_shows_its_data_without_errors_or_external_requests(browse, operator, portal_data, tmp_path):
    focus = portal_data.station_id
    session = Transaction.objects.get(pk=portal_data.transaction_pk)
    token = IdToken.objects.order_by("value").first()
    placed = ChargingStation.objects.exclude(latitude=None).count()
    b = browse("olivia")
    page = b.page

    b.goto("/")
    expect(page.locator("#dashboard-live")).to_contain_text("stations online")
    expect(page.locator("#dashboard-live")).to_contain_text(f"of {portal_data.stations}")
    page.wait_for_function("() => window.Chart && Chart.getChart('energy-chart') !== undefined")
    b.screenshot("dashboard", tmp_path)

    b.goto("/map/")
    expect(page.locator("#map-count")).to_have_text(f"{placed} stations on the map")
    page.wait_for_function("() => [...document.querySelectorAll('#map img.leaflet-tile')].some(t => t.complete)")
    b.screenshot("map", tmp_path)

    b.goto("/stations/")
    expect(page.locator("#station-table")).to_contain_text(f"{portal_data.stations} stations")
    expect(page.locator("#station-table")).to_contain_text(focus)

    b.goto(f"/stations/{focus}/")
    expect(page.locator("h1")).to_contain_text(focus)
    expect(page.locator("#connector-1-1")).to_be_visible()
    expect(page.locator("#command-form")).to_be_visible()
    expect(page.get_by_role("heading", name="Recent sessions")).to_be_visible()
    b.screenshot("station", tmp_path)

    b.goto(f"/stations/{focus}/timeline/")
    expect(page.locator("h1")).to_contain_text(focus)
    expect(page.locator("main")).to_contain_text("Disconnected: closed by the station")

    b.goto(f"/stations/{focus}/messages/")
    expect(page.locator("h1")).to_contain_text(focus)
    expect(page.locator("main table")).to_contain_text("Heartbeat")

    b.goto("/refused/")
    expect(page.locator("main")).to_contain_text("CP-UNKNOWN-0")

    b.goto("/transactions/")
    expect(page.locator("main")).to_contain_text(f"{portal_data.transactions} transactions")
    expect(page.locator("main table")).to_contain_text(focus)

    b.goto(f"/transactions/{session.pk}/")
    expect(page.locator("h1")).to_contain_text(f"Transaction {session.pk}")
    expect(page.locator("h1")).to_contain_text(focus)
    expect(page.locator("#tx-chart")).to_be_visible()

    b.goto("/tokens/")
    expect(page.locator("main table")).to_contain_text(token.value)

    b.assert_clean()


def test_the_station_page_fits_a_phone(browse, operator, portal_data, tmp_path):
    b = browse("olivia", width=390, height=844)
    b.goto(f"/stations/{portal_data.station_id}/")
    expect(b.page.locator("h1")).to_contain_text(portal_data.station_id)
    overflow = b.page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px at 390 px wide"
    b.screenshot("station-mobile", tmp_path)
    b.assert_clean()


def test_a_station_placed_on_the_map_links_to_its_page(browse, operator, portal_data):
    ChargingStation.objects.filter(station_id=portal_data.station_id).update(latitude=Decimal("52.5"),
                                                                            longitude=Decimal("13.4"))
    b = browse("olivia")
    b.goto("/map/")
    expect(b.page.locator("#map-count")).to_contain_text("stations on the map")
    data = b.page.request.get(b.base + "/map/stations.json").json()
    focus = next(f for f in data["features"] if f["properties"]["id"] == portal_data.station_id)
    assert focus["geometry"]["coordinates"] == [13.4, 52.5]
    b.goto(focus["properties"]["url"])
    expect(b.page.locator("h1")).to_contain_text(portal_data.station_id)
    b.assert_clean()
