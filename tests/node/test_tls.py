"""TLS at the node (security profiles 2 and 3) over real sockets on 127.0.0.1, with a CA made for each test run.

The server is the embedded one (portal + the node's /ocpp app on one uvicorn) configured as production
(csms.server), with the node's WebSocket protocol (node.transport) that reports client certificates.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from csms import tls
from node.handshake import peer
from node.transport import EXTENSION, WebSocketProtocol
from stations.models import ChargingStation, ConnectionLog
from tests.support import server
from tests.support.pki import make_pki
from tests.support.station import basic

BASE_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "tls-station-password"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def wss(pki, transactional_db):
    """The server with TLS, asking for (not requiring) client certificates; yields its wss:// /ocpp/ URL."""
    with server.running(ssl_certfile=str(pki["cert"]), ssl_keyfile=str(pki["key"]), ssl_ca_certs=str(pki["ca"]),
                        ssl_cert_reqs=ssl.CERT_OPTIONAL, ws=WebSocketProtocol) as url:
        yield url.replace("ws://", "wss://")


@pytest.fixture
def ws(transactional_db):
    """The same server without TLS."""
    with server.running(ws=WebSocketProtocol) as url:
        yield url


def _context(pki, client: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki["ca"]))
    if client:
        context.load_cert_chain(*map(str, pki[client]))
    return context


def _outcome(url: str, station_id: str, **kwargs) -> int:
    """101 when admitted (the socket is closed again at once), else the refusal's HTTP status."""
    async def attempt():
        try:
            async with await connect(url + station_id, subprotocols=["ocpp1.6"], open_timeout=10, **kwargs):
                return 101
        except InvalidStatus as refused:
            return refused.response.status_code

    return asyncio.run(asyncio.wait_for(attempt(), 30))


def _station(station_id: str, profile: int, password: str = "") -> None:
    station = ChargingStation(station_id=station_id, security_profile=profile)
    station.set_password(password)
    station.save()


def _reason(station_id: str) -> str:
    return ConnectionLog.objects.filter(station_ident=station_id).latest("id").reason


def test_a_profile_2_station_is_admitted_over_wss_with_basic_auth(wss, pki):
    _station("CP-2", 2, PASSWORD)
    assert _outcome(wss, "CP-2", ssl=_context(pki), additional_headers=basic("CP-2", PASSWORD)) == 101


def test_a_profile_2_station_is_refused_over_plain_ws_and_the_reason_recorded(ws):
    _station("CP-2", 2, PASSWORD)
    assert _outcome(ws, "CP-2", additional_headers=basic("CP-2", PASSWORD)) == 403
    assert _reason("CP-2") == "tls_required"


def test_a_profile_2_station_over_wss_with_a_wrong_password_gets_401(wss, pki):
    _station("CP-2", 2, PASSWORD)
    assert _outcome(wss, "CP-2", ssl=_context(pki), additional_headers=basic("CP-2", "not-the-password")) == 401


def test_a_profile_3_station_with_its_own_certificate_is_admitted(wss, pki):
    _station("CP-3", 3)
    assert _outcome(wss, "CP-3", ssl=_context(pki, "CP-3")) == 101


def test_a_profile_3_station_without_a_certificate_is_refused(wss, pki):
    _station("CP-3", 3)
    assert _outcome(wss, "CP-3", ssl=_context(pki)) == 403
    assert _reason("CP-3") == "client_certificate_required"


def test_a_certificate_of_another_station_is_refused(wss, pki):
    _station("CP-3", 3)
    assert _outcome(wss, "CP-3", ssl=_context(pki, "CP-OTHER")) == 403
    assert _reason("CP-3") == "client_certificate_mismatch"


def test_a_certificate_from_another_ca_fails_the_tls_handshake(wss, pki):
    _station("CP-3", 3)
    # TLS 1.3: the client learns of it after its side of the handshake, as a connection closed without an answer.
    with pytest.raises((ssl.SSLError, OSError, InvalidHandshake)):
        _outcome(wss, "CP-3", ssl=_context(pki, "rogue"))
    assert not ConnectionLog.objects.filter(station_ident="CP-3").exists()


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted proxy", "untrusted peer"])
def test_client_certificate_headers_count_only_from_a_trusted_proxy(ws, settings, trusted):
    settings.NODE_TRUSTED_PROXIES = ["127.0.0.0/8"] if trusted else ["192.0.2.1"]
    _station("CP-3", 3)
    headers = {"X-Forwarded-Proto": "https", "X-SSL-Client-Verify": "SUCCESS", "X-SSL-Client-CN": "CP-3"}
    assert _outcome(ws, "CP-3", additional_headers=headers) == (101 if trusted else 403)


def test_a_trusted_proxy_that_says_the_certificate_failed_does_not_let_profile_3_in(ws, settings):
    settings.NODE_TRUSTED_PROXIES = ["127.0.0.1"]
    _station("CP-3", 3)
    headers = {"X-Forwarded-Proto": "https", "X-SSL-Client-Verify": "NONE", "X-SSL-Client-CN": "CP-3"}
    assert _outcome(ws, "CP-3", additional_headers=headers) == 403
    assert _reason("CP-3") == "client_certificate_required"


def test_peer_without_our_protocol_trusts_a_required_certificate_but_cannot_name_it(settings):
    scope = {"client": ("192.0.2.9", 4000), "scheme": "wss", "headers": []}
    settings.NODE_TLS_CERT_REQS = ssl.CERT_REQUIRED
    assert peer(scope) == "192.0.2.9:4000 tls cert"
    settings.NODE_TLS_CERT_REQS = ssl.CERT_OPTIONAL
    assert peer(scope) == "192.0.2.9:4000 tls"


def test_peer_encodes_a_common_name_so_it_cannot_add_marks(settings):
    transport = {"peer": ("192.0.2.9", 4000), "tls": True, "client_cert": True, "client_cn": "CP 1 cn=CP-2"}
    scope = {"client": ("192.0.2.9", 4000), "scheme": "wss", "headers": [], "extensions": {EXTENSION: transport}}
    assert peer(scope) == "192.0.2.9:4000 tls cert cn=CP%201%20cn%3DCP-2"


def test_trusted_proxies_are_addresses_or_networks():
    assert tls.is_network("10.0.0.0/8") and tls.is_network("192.0.2.7") and tls.is_network("::1")
    assert not tls.is_network("*") and not tls.is_network("lb.internal")


def test_tls_files_that_cannot_be_read_name_their_setting(tmp_path, pki):
    with pytest.raises(ImproperlyConfigured, match="^NODE_TLS_CERT: cannot read"):
        tls.check_files(cert=str(tmp_path / "missing.crt"), key="", ca="", client_cert="optional")
    with pytest.raises(ImproperlyConfigured, match="^NODE_TLS_CA: cannot read"):
        tls.check_files(cert=str(pki["cert"]), key=str(pki["key"]), ca=str(tmp_path / "no-ca"), client_cert="optional")
    with pytest.raises(ImproperlyConfigured, match="NODE_TLS_CERT / NODE_TLS_KEY: not a certificate"):
        tls.check_files(cert=str(pki["cert"]), key=str(pki["ca"]), ca="", client_cert="optional")
    with pytest.raises(ImproperlyConfigured, match="^NODE_TLS_KEY: set NODE_TLS_CERT too"):
        tls.check_files(cert="", key=str(pki["key"]), ca="", client_cert="optional")
    assert tls.check_files(cert=str(pki["cert"]), key=str(pki["key"]), ca=str(pki["ca"]),
                           client_cert="required") == ssl.CERT_REQUIRED


def test_a_node_with_a_bad_certificate_path_stops_at_start_up_naming_the_setting(tmp_path):
    env = {**os.environ, "NODE_TLS_CERT": str(tmp_path / "nope.pem"), "BROKER_URL": "amqp://127.0.0.1:1//"}
    done = subprocess.run([sys.executable, "-m", "node", "--host", "127.0.0.1", "--port", "1"], cwd=BASE_DIR,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "NODE_TLS_CERT: cannot read" in done.stderr
