"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium, never a downloaded browser) against the
embedded system, a real uvicorn serving csms.asgi on a free loopback port, with real station sockets.

Every page a test opens is watched: console errors, page errors, failed or 4xx/5xx loopback requests, and any
request to a host other than the loopback one (blocked, and recorded) fail the test in `Browser.assert_clean()`.
Under CI (CI=true) a missing Chromium fails the tests; elsewhere they skip (./dev test installs it).
"""

from __future__ import annotations

import asyncio
import os
import struct
import threading
import zlib
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from playwright.sync_api import Page, expect, sync_playwright

from csms.bench_portal_data import Filled, fill
from csms.roles import OPERATOR, VIEWER
from tests.support import server
from tests.support.station import BOOT, call, open_station

CHROMIUM = "/usr/bin/chromium"
LOOPBACK = {"127.0.0.1", "localhost"}
TIMEOUT_MS = 10_000
PASSWORD = "browser-pw"
ROLES_MIGRATION = "0006_portal_roles"
expect.set_options(timeout=TIMEOUT_MS)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TILE_PATH = "/test-tiles/"  # the map's tiles, answered by the test itself: a plain tile, no external fetch


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


TILE = _png(256, 256, (233, 236, 239))


@pytest.fixture(scope="package")
def chromium():
    """One Chromium for the browser tests, closed after them: Playwright's sync API keeps an event loop in the test
    thread meanwhile, so Django would refuse the tests' own ORM calls as "async". They are plain sync code (the
    server's requests run in their own threads), so Django's check is off while, and only while, it runs."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: ./dev test installs Debian's chromium package"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            yield browser
            browser.close()


@pytest.fixture
def live_server_url(transactional_db, settings):
    """The embedded system on a free loopback port; yields its http:// base URL (no trailing slash)."""
    with server.running() as ocpp_url:
        base = ocpp_url.replace("ws://", "http://").removesuffix("/ocpp/")
        settings.MAP_TILE_URL = base + TILE_PATH + "{z}/{x}/{y}.png"
        yield base


@dataclass
class Browser:
    """One browser context (one user's session) and what its pages did wrong."""

    base: str
    page: Page
    errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"

    def log_in(self, username: str) -> None:
        self.goto("/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("button[type=submit]")
        assert urlsplit(self.page.url).path == "/", f"login did not land on the dashboard: {self.page.url}"

    def screenshot(self, name: str, tmp_path: Path) -> Path:
        """docs/screenshots/<name>.png with SCREENSHOTS=1 (to refresh the README's), else a temporary file."""
        folder = SCREENSHOTS if os.environ.get("SCREENSHOTS") == "1" else tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def assert_clean(self) -> None:
        assert self.external == [], f"requests to external hosts: {self.external}"
        assert self.errors == [], f"console errors or failed requests: {self.errors}"


@pytest.fixture
def browse(chromium, live_server_url):
    """Open a context as a user: `browse("operator")` -> Browser, logged in; closed after the test."""
    contexts = []

    def open_as(username: str | None = None, *, width: int = 1280, height: int = 800) -> Browser:
        context = chromium.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        b = Browser(base=live_server_url, page=page)

        def guard(route):
            url = urlsplit(route.request.url)
            if url.hostname not in LOOPBACK:
                b.external.append(route.request.url)
                route.abort("blockedbyclient")
            elif url.path.startswith(TILE_PATH):
                route.fulfill(status=200, content_type="image/png", body=TILE)
            else:
                route.continue_()

        def watch(p: Page) -> None:
            p.on("console", lambda m: m.type == "error" and b.errors.append(f"console: {m.text}"))
            p.on("pageerror", lambda e: b.errors.append(f"page error: {e}"))
            # net::ERR_ABORTED is the page's own cancelling (tiles when the map moves, a navigation that became
            # a download), not a failure; an external request fails too, but is reported in `external`.
            p.on("requestfailed", lambda r: r.failure != "net::ERR_ABORTED" and urlsplit(r.url).hostname in LOOPBACK
                 and b.errors.append(f"failed: {r.method} {r.url} {r.failure}"))
            p.on("response", lambda r: r.status >= 400 and b.errors.append(f"HTTP {r.status}: {r.url}"))

        context.route("**/*", guard)
        context.on("page", watch)  # pages the test opens later in the same session
        watch(page)
        if username:
            b.log_in(username)
        return b

    yield open_as
    for context in contexts:
        context.close()


def ensure_roles() -> None:
    """The flush between transactional tests empties every table, also the groups a migration made: make them again
    with that migration's own function, run against the models as they were at that migration."""
    if Group.objects.filter(name__in=[VIEWER, OPERATOR]).count() == 2:
        return
    state = MigrationLoader(connection).project_state(("stations", ROLES_MIGRATION))
    import_module(f"stations.migrations.{ROLES_MIGRATION}").create_roles(state.apps, None)


def make_user(username: str, group: str) -> User:
    ensure_roles()
    user = User.objects.create_user(username, password=PASSWORD)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def operator(live_server_url) -> User:
    return make_user("olivia", OPERATOR)


@pytest.fixture
def viewer(live_server_url) -> User:
    return make_user("victor", VIEWER)


@pytest.fixture
def portal_data(transactional_db) -> Filled:
    """A dozen stations with connectors, tokens, 80 sessions over 60 days, logs: the benchmark's set, small."""
    return fill(stations=12, transactions=80, tokens=10, prefix="CP")


class LiveStation:
    """A station on a real WebSocket to the server, run on its own event loop thread so the sync test can drive it."""

    def __init__(self, ocpp_url: str, station_id: str, version: str = "1.6"):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=f"station-{station_id}", daemon=True)
        self.thread.start()
        self.version = version
        self.ws = self.run(open_station(ocpp_url, station_id, version))
        self.run(call(self.ws, "BootNotification", BOOT[version]))

    def run(self, coro, timeout: float = 15):
        """Run a coroutine on the station's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self, coro):
        """Run a coroutine on the station's loop in the background: a concurrent.futures.Future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self) -> None:
        try:
            self.run(self.ws.close(), timeout=5)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()


@pytest.fixture
def live_station(live_server_url):
    """`live_station("CP-LIVE")`: a provisioned station connected and booted over a real socket (1.6)."""
    stations = []

    def connect(station_id: str, version: str = "1.6") -> LiveStation:
        station = LiveStation(live_server_url.replace("http://", "ws://") + "/ocpp/", station_id, version)
        stations.append(station)
        return station

    yield connect
    for station in stations:
        station.close()
