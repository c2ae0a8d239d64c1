"""The station simulator against a tiny fake CSMS started in the test (no Django involved)."""

import asyncio
import contextlib
import itertools
import json
import socket
import threading
from collections import defaultdict
from http import HTTPStatus

from django.core.management import call_command
from django.core.management.base import CommandError
from ocpp.messages import get_validator
from websockets.asyncio.server import serve

from stations.management.commands.simulate import Command
from stations.simulator import FleetConfig, Script, render_summary, run_fleet, write_json

TIMEOUT = 10  # every test is bounded; a hang fails instead of blocking the run
NOW = "2025-01-01T00:00:00.000Z"
ANSWERS = {
    "BootNotification": {"status": "Accepted", "currentTime": NOW, "interval": 300},
    "Heartbeat": {"currentTime": NOW},
    "StatusNotification": {},
}


class FakeCsms:
    """Answers boot, status, heartbeat and the session messages in both versions; refuses SIM-9999 with 404.

    `fail` maps an action to the CALLERROR code to answer it with; `ask` lists CALLs sent to
    each station after its boot, whose replies are kept in `replies`. `faults` maps an action to
    what its first calls get, one entry each: a CALLERROR code, "silent" (no answer) or "drop"
    (close the connection). `tag_status` is the status every id tag gets. Every CALL received is
    kept in `calls` as (station id, version, action, payload); those failing the version's schema
    also in `invalid`.
    """

    def __init__(self, *, fail=None, ask=(), faults=None, tag_status="Accepted"):
        self.fail = fail or {}
        self.ask = list(ask)
        self.faults = {action: list(codes) for action, codes in (faults or {}).items()}
        self.tag_status = tag_status
        self.offered = {}  # station id -> Sec-WebSocket-Protocol header as offered
        self.replies = []
        self.calls = []
        self.invalid = []
        self.transaction_ids = itertools.count(1)

    def received(self, station_id=None, action=None):
        """The payloads received, in order, optionally of one station and one action."""
        return [
            payload
            for station, _, name, payload in self.calls
            if station_id in (None, station) and action in (None, name)
        ]

    def by_station(self):
        calls = defaultdict(list)
        for station, _, action, payload in self.calls:
            calls[station].append((action, payload))
        return calls

    def answer(self, version, action, payload):
        tag = {"status": self.tag_status}
        if action == "Authorize":
            return {"idTagInfo": tag} if version == "1.6" else {"idTokenInfo": tag}
        if action == "StartTransaction":
            return {"idTagInfo": tag, "transactionId": next(self.transaction_ids)}
        if action == "TransactionEvent" and "idToken" in payload:
            return {"idTokenInfo": tag}
        if action in ("StopTransaction", "MeterValues", "TransactionEvent"):
            return {}
        return ANSWERS[action]

    def refuse_unknown(self, connection, request):
        station_id = request.path.rsplit("/", 1)[-1]
        self.offered[station_id] = request.headers.get("Sec-WebSocket-Protocol")
        if station_id == "SIM-9999":
            return connection.respond(HTTPStatus.NOT_FOUND, "Unknown station\n")
        return None

    async def handle(self, ws):
        version = ws.subprotocol.removeprefix("ocpp")
        station_id = ws.request.path.rsplit("/", 1)[-1]
        async for text in ws:
            kind, message_id, *rest = json.loads(text)
            if kind != 2:
                self.replies.append(rest)
                continue
            action, payload = rest
            self.calls.append((station_id, version, action, payload))
            fault = self.faults[action].pop(0) if self.faults.get(action) else None
            if error := next(get_validator(2, action, version).iter_errors(payload), None):
                self.invalid.append((action, payload, error.message))
                await ws.send(json.dumps([4, message_id, "FormationViolation", "", {}]))
            elif fault == "drop":
                await ws.close()
                return
            elif fault == "silent":
                continue
            elif fault:
                await ws.send(json.dumps([4, message_id, fault, "try again", {}]))
            elif action in self.fail:
                await ws.send(json.dumps([4, message_id, self.fail[action], "no", {}]))
            else:
                await ws.send(json.dumps([3, message_id, self.answer(version, action, payload)]))
            if action == "BootNotification":
                for n, (asked, request) in enumerate(self.ask):
                    await ws.send(json.dumps([2, f"csms-{n}", asked, request]))

    @contextlib.asynccontextmanager
    async def running(self):
        async with serve(
            self.handle,
            "127.0.0.1",
            0,
            subprotocols=["ocpp1.6", "ocpp2.0.1"],
            process_request=self.refuse_unknown,
        ) as server:
            port = server.sockets[0].getsockname()[1]
            yield f"ws://127.0.0.1:{port}/ocpp/"


def fleet(url, **overrides):
    script = {"url": url, "connectors": 2, "heartbeats": 2, "heartbeat_interval": 0.01}
    script |= overrides.pop("script", {})
    return FleetConfig(script=Script(**script), **({"stations": 3} | overrides))


def simulate(csms, **overrides):
    async def go():
        async with csms.running() as url:
            return await run_fleet(fleet(url, **overrides))

    return asyncio.run(asyncio.wait_for(go(), TIMEOUT))


def test_mixed_fleet_boots_reports_each_connector_and_heartbeats():
    stats = simulate(FakeCsms())

    assert stats.answers == {
        ("BootNotification", "Accepted"): 3,
        ("StatusNotification", "answered"): 6,
        ("Heartbeat", "answered"): 6,
    }
    assert (stats.connected, stats.booted, stats.completed, stats.error_count) == (3, 3, 3, 0)
    assert stats.ok


def test_each_station_offers_only_its_versions_subprotocol():
    csms = FakeCsms()
    simulate(csms)

    assert csms.offered == {"SIM-0001": "ocpp1.6", "SIM-0002": "ocpp2.0.1", "SIM-0003": "ocpp1.6"}


def test_every_request_passes_the_versions_json_schema():
    csms = FakeCsms()
    stats = simulate(csms, stations=4, script={"boots": 2})

    assert csms.invalid == []
    # The fake answers FormationViolation to a payload its schema refuses.
    assert not [outcome for _, outcome in stats.answers if outcome.startswith("CALLERROR")]
    assert stats.answers[("BootNotification", "Accepted")] == 8


def test_latency_percentiles_are_reported_per_action():
    stats = simulate(FakeCsms())

    for action in ("BootNotification", "StatusNotification", "Heartbeat"):
        ranks = stats.percentiles(action)
        assert list(ranks) == ["p50", "p95", "p99", "max"]
        assert 0 < ranks["p50"] <= ranks["p95"] <= ranks["p99"] <= ranks["max"]
    assert "p95" in render_summary(stats, fleet("ws://csms/"))


def test_refused_handshake_is_counted_by_http_status():
    stats = simulate(FakeCsms(), stations=1, first=9999)

    assert stats.refusals == {404: 1}
    assert stats.connected == 0
    assert not stats.ok
    assert "HTTP 404: 1" in render_summary(stats, fleet("ws://csms/"))


def test_callerror_from_the_csms_is_counted_with_its_code():
    stats = simulate(FakeCsms(fail={"StatusNotification": "InternalError"}), stations=2)

    assert stats.answers[("StatusNotification", "CALLERROR InternalError")] == 2
    assert stats.booted == 2 and stats.completed == 0
    assert "CALLERROR InternalError" in render_summary(stats, fleet("ws://csms/"))


def test_csms_calls_are_answered_or_refused_with_the_specs_error_code():
    ask = [
        ("GetConfiguration", {"key": ["NumberOfConnectors"]}),
        ("Authorize", {"idTag": "TAG"}),  # 1.6 defines it, for stations to send
        ("FooBar", {}),
    ]
    csms = FakeCsms(ask=ask)
    stats = simulate(csms, stations=1, ocpp="1.6")

    assert sorted(map(tuple, csms.replies), key=str) == sorted(
        [
            ({"configurationKey": [{"key": "NumberOfConnectors", "readonly": True, "value": "2"}], "unknownKey": []},),
            ("NotSupported", "The simulator does not handle Authorize", {}),
            ("NotImplemented", "The simulator does not handle FooBar", {}),
        ],
        key=str,
    )
    assert stats.incoming == {
        ("GetConfiguration", "answered"): 1,
        ("Authorize", "NotSupported"): 1,
        ("FooBar", "NotImplemented"): 1,
    }


def test_connect_failure_is_counted_by_exception_type():
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stats = asyncio.run(asyncio.wait_for(run_fleet(fleet(f"ws://127.0.0.1:{port}/ocpp/")), TIMEOUT))

    assert stats.connect_failures == {"ConnectionRefusedError": 3}
    assert stats.error_count == 3


def test_stations_still_running_at_the_duration_cap_are_stopped_and_counted():
    stats = simulate(FakeCsms(), stations=2, duration=0.5, script={"heartbeat_interval": 60})

    assert stats.booted == 2 and stats.completed == 0
    assert stats.error_count == 2
    assert all("unfinished after --duration" in line for line in stats.errors)


def test_json_dump_holds_counts_percentiles_and_refusals(tmp_path):
    stats = simulate(FakeCsms(), stations=1)
    write_json(stats, tmp_path / "run.json")

    dumped = json.loads((tmp_path / "run.json").read_text())
    assert {"action": "Heartbeat", "outcome": "answered", "count": 2} in dumped["answers"]
    assert set(dumped["latency_seconds"]["BootNotification"]) == {"p50", "p95", "p99", "max"}
    assert dumped["ok"] is True


def test_simulate_command_prints_the_summary_and_exits_1_on_a_refusal(capsys):
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    csms = FakeCsms().running()
    url = asyncio.run_coroutine_threadsafe(csms.__aenter__(), loop).result(TIMEOUT)
    try:
        call_command(Command(), url=url, stations=2, heartbeat_interval=0.01, duration=TIMEOUT)
        ok_output = capsys.readouterr().out
        try:
            call_command(Command(), url=url, stations=1, first=9999, duration=TIMEOUT)
            refused = None
        except CommandError as exc:
            refused = exc
    finally:
        asyncio.run_coroutine_threadsafe(csms.__aexit__(None, None, None), loop).result(TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(TIMEOUT)

    assert "BootNotification      Accepted" in ok_output
    assert refused is not None and refused.returncode == 1
    assert "HTTP 404: 1" in capsys.readouterr().out
