"""`manage.py runserver` (the embedded server) with TLS: it serves through the node's WebSocket protocol, so a
client certificate's name reaches the security profile 3 check, as under `python -m node`."""

from __future__ import annotations

import asyncio
import ssl
import threading
import time

import pytest
from django.core.management import call_command
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from csms import server as csms_server
from stations.models import ChargingStation, ConnectionLog
from tests.support.pki import make_pki
from tests.support.server import free_port


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def runserver(pki, settings, transactional_db):
    """`manage.py runserver 127.0.0.1:<port>` in a thread, serving wss:// and requiring client certificates."""
    settings.DEMO = False
    settings.NODE_TLS_CERT, settings.NODE_TLS_KEY, settings.NODE_TLS_CA = map(str, (pki["cert"], pki["key"], pki["ca"]))
    # Required, not optional: without the node's protocol the server would then still admit a verified certificate,
    # unnamed, so only a known CN can refuse another station's certificate.
    settings.NODE_TLS_CERT_REQS = ssl.CERT_REQUIRED
    port = free_port()
    thread = threading.Thread(target=call_command, args=("runserver", f"127.0.0.1:{port}"), daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not (csms_server._running is not None and csms_server._running.started):
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("runserver did not start")
        time.sleep(0.02)
    try:
        yield f"wss://127.0.0.1:{port}/ocpp/"
    finally:
        csms_server.request_exit()
        thread.join(15)


def _outcome(url: str, station_id: str, context: ssl.SSLContext) -> int:
    async def attempt():
        try:
            async with await connect(url + station_id, subprotocols=["ocpp1.6"], open_timeout=10, ssl=context):
                return 101
        except InvalidStatus as refused:
            return refused.response.status_code

    return asyncio.run(asyncio.wait_for(attempt(), 30))


def _context(pki, client: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki["ca"]))
    context.load_cert_chain(*map(str, pki[client]))
    return context


def test_runserver_admits_a_profile_3_station_with_its_own_certificate(runserver, pki):
    ChargingStation.objects.create(station_id="CP-3", security_profile=3)
    assert _outcome(runserver, "CP-3", _context(pki, "CP-3")) == 101


def test_runserver_refuses_a_profile_3_station_showing_another_stations_certificate(runserver, pki):
    ChargingStation.objects.create(station_id="CP-3", security_profile=3)
    assert _outcome(runserver, "CP-3", _context(pki, "CP-OTHER")) == 403
    assert ConnectionLog.objects.filter(station_ident="CP-3").latest("id").reason == "client_certificate_mismatch"
