"""Security profiles 2 and 3 on a real node process serving wss:// (NODE_TLS_*), central on a real worker."""

import asyncio
import ssl
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support import processes
from tests.support.pki import make_pki
from tests.support.station import BOOT, basic, call

pytestmark = pytest.mark.integration
PASSWORD = "profile-2-password"


def run(coro, timeout: float = 60):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def _context(pki, client: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki["ca"]))
    if client:
        context.load_cert_chain(*map(str, pki[client]))
    return context


async def _boot_or_status(url: str, station_id: str, **kwargs):
    """The BootNotification answer's status when admitted, else the refusal's HTTP status."""
    try:
        async with await connect(url + station_id, subprotocols=["ocpp1.6"], open_timeout=20, **kwargs) as ws:
            return (await call(ws, "BootNotification", BOOT["1.6"]))[2]["status"]
    except InvalidStatus as refused:
        return refused.response.status_code


def _tls_node(stack, pki) -> str:
    """A node serving wss:// and asking for client certificates; returns its wss:// URL of /ocpp/.

    Started here, not with stack.node, whose readiness probe speaks plain http."""
    port = processes.free_port()
    env = {k: v for k, v in stack.env.items() if k != "DATABASE_URL"} | {
        "DJANGO_SETTINGS_MODULE": "node.settings", "NODE_ID": "node-tls", "NODE_TLS_CERT": str(pki["cert"]),
        "NODE_TLS_KEY": str(pki["key"]), "NODE_TLS_CA": str(pki["ca"])}
    proc = stack._track(processes.Process("node-tls", [processes.PYTHON, "-m", "node", "--host", "127.0.0.1",
                                                       "--port", str(port)], env, stack.log_dir))
    proc.wait_log("consuming csms.node.node-tls", timeout=60)

    def healthy():
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{port}/health", timeout=2,
                                        context=_context(pki)) as response:
                return response.status == 200
        except OSError:
            return False

    processes.wait_for(healthy, 30, "node-tls /health over https")
    return f"wss://127.0.0.1:{port}/ocpp/"


def test_a_tls_node_admits_profile_2_and_3_stations_and_refuses_a_foreign_certificate(stack, tmp_path):
    pki = make_pki(tmp_path)
    stack.worker()
    url = _tls_node(stack, pki)
    assert stack.manage("add_station", "CP-2", "--password", PASSWORD).returncode == 0
    stack.add_station("CP-3")
    stack.db.rows("UPDATE stations_chargingstation SET security_profile = CASE station_id WHEN 'CP-2' THEN 2 "
                  "ELSE 3 END RETURNING id")

    async def scenario():
        return [await _boot_or_status(url, "CP-2", ssl=_context(pki), additional_headers=basic("CP-2", PASSWORD)),
                await _boot_or_status(url, "CP-2", ssl=_context(pki), additional_headers=basic("CP-2", "wrong")),
                await _boot_or_status(url, "CP-3", ssl=_context(pki, "CP-3")),
                await _boot_or_status(url, "CP-3", ssl=_context(pki, "CP-OTHER")),
                await _boot_or_status(url, "CP-3", ssl=_context(pki))]

    assert run(scenario()) == ["Accepted", 401, "Accepted", 403, 403]
    reasons = stack.db.rows("SELECT station_ident, reason FROM stations_connectionlog WHERE event = 'refused' "
                            "ORDER BY id")
    assert reasons == [("CP-2", "bad_credentials"), ("CP-3", "client_certificate_mismatch"),
                       ("CP-3", "client_certificate_required")]
