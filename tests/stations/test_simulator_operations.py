"""The simulator answers every CSMS operation, against a fake CSMS that sends them after boot (no Django involved).

Stations run with --stay so they keep answering; each test stops the fleet as soon as the CSMS
saw what it waits for, bounded by WAIT seconds.
"""

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import ocpp
import pytest
from ocpp.messages import get_validator

from csms.actions import COMMAND_ACTIONS
from stations.simulator import FleetConfig, Script, maintenance, run_fleet
from stations.simulator.operations import HANDLERS
from tests.stations.test_simulator import FakeCsms

WAIT = 5.0
SCHEMAS = Path(ocpp.__file__).parent
NOW = "2025-01-01T00:00:00Z"
LATER = (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds").replace("+00:00", "Z")


class OperationsCsms(FakeCsms):
    """Answers every station CALL ({} where FakeCsms has no answer); after the first BootNotification
    sends `operations` one by one, each when the previous was answered. `replies` holds
    (action, frame) per answer; `hold` maps an action to a CALL sent before that action is answered
    (a crossing call)."""

    def __init__(self, operations=(), *, hold=None, **options):
        super().__init__(**options)
        self.operations = list(operations)
        self.hold = dict(hold or {})
        self.replies = []
        self.boots = 0

    def answer(self, version, action, payload):
        try:
            return super().answer(version, action, payload)
        except KeyError:
            return {}

    async def handle(self, ws):
        version = ws.subprotocol.removeprefix("ocpp")
        station_id = ws.request.path.rsplit("/", 1)[-1]
        sent, answered = {}, asyncio.Event()
        async for text in ws:
            kind, message_id, *rest = json.loads(text)
            if kind != 2:
                self.replies.append((sent.pop(message_id), [kind, *rest]))
                answered.set()
                continue
            action, payload = rest
            self.calls.append((station_id, version, action, payload))
            if error := next(get_validator(2, action, version).iter_errors(payload), None):
                self.invalid.append((action, payload, error.message))
            if action in self.hold:
                asked, request = self.hold.pop(action)
                sent["crossing"] = asked
                await ws.send(json.dumps([2, "crossing", asked, request]))
            await ws.send(json.dumps([3, message_id, self.answer(version, action, payload)]))
            if action == "BootNotification":
                self.boots += 1
                if self.boots == 1:
                    asyncio.get_running_loop().create_task(self._ask(ws, version, sent, answered))

    async def _ask(self, ws, version, sent, answered):
        for n, (action, request) in enumerate(self.operations):
            answered.clear()
            sent[f"op-{n}"] = action
            await ws.send(json.dumps([2, f"op-{n}", action, request]))
            await answered.wait()

    def actions(self):
        return [action for _, _, action, _ in self.calls]


def drive(csms, ocpp_version, until, **script):
    """Run one station with --stay until `until(csms)` holds; fail after WAIT seconds."""

    async def go():
        async with csms.running() as url:
            options = {"url": url, "connectors": 2, "heartbeats": 0, "stay": True, "meter_interval": 0.05}
            config = FleetConfig(script=Script(**options | script), stations=1, ocpp=ocpp_version, duration=WAIT * 2)
            fleet = asyncio.create_task(run_fleet(config))
            try:
                async with asyncio.timeout(WAIT):
                    while not until(csms):
                        await asyncio.sleep(0.01)
            finally:
                fleet.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fleet

    asyncio.run(go())


def assert_valid_replies(csms, version):
    assert csms.replies, "no answers"
    for action, frame in csms.replies:
        assert frame[0] == 3, (action, frame)
        assert not list(get_validator(3, action, version).iter_errors(frame[1])), (action, frame)
    assert csms.invalid == []


# A schema-valid request for any operation: required properties only, first enum value, one array item.


def example(version, action):
    name = f"{action}.json" if version == "1.6" else f"{action}Request.json"
    schema = json.loads((SCHEMAS / f"v{version.replace('.', '')}" / "schemas" / name).read_text())
    return _fill(schema, schema)


def _fill(node, root):
    if "$ref" in node:
        node = root["definitions"][node["$ref"].rsplit("/", 1)[-1]]
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object":
        return {key: _fill(node["properties"][key], root) for key in node.get("required", [])}
    if kind == "array":
        return [_fill(node["items"], root)]
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    if node.get("format") == "date-time":
        return (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds").replace("+00:00", "Z")
    return ""


@pytest.fixture(autouse=True)
def quick_steps(monkeypatch):
    monkeypatch.setattr(maintenance, "STEP_SECONDS", 0.01)


def _reset_last(action):
    return (action == "Reset", action)


def test_the_dispatch_table_covers_every_command_the_csms_can_send():
    assert {version: set(table) for version, table in HANDLERS.items()} == COMMAND_ACTIONS


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_every_operation_gets_a_schema_valid_answer(version):
    # Reset last: it ends the connection the fake CSMS sends on.
    operations = [(action, example(version, action)) for action in sorted(COMMAND_ACTIONS[version], key=_reset_last)]
    csms = OperationsCsms(operations)
    # Reset reboots the station; a triggered BootNotification counts as a boot too.
    drive(csms, version, lambda c: len(c.replies) == len(operations) and c.boots >= 2)

    assert sorted(action for action, _ in csms.replies) == sorted(COMMAND_ACTIONS[version])
    assert_valid_replies(csms, version)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_an_unknown_action_is_not_implemented(version):
    csms = OperationsCsms([("Teleport", {})])
    drive(csms, version, lambda c: c.replies)

    assert csms.replies == [("Teleport", [4, "NotImplemented", "The simulator does not handle Teleport", {}])]


class StopAfterStartCsms(OperationsCsms):
    """Remote start, then once the first reading arrived: stop an unknown transaction, then the real one."""

    def __init__(self, version="1.6"):
        start = {"idTag": "DEMO-TAG"} if version == "1.6" else {"idToken": {"idToken": "DEMO-TAG", "type": "Central"}}
        action = "RemoteStartTransaction" if version == "1.6" else "RequestStartTransaction"
        super().__init__([(action, start | ({} if version == "1.6" else {"remoteStartId": 7}))])
        self.version = version

    async def _ask(self, ws, version, sent, answered):
        await super()._ask(ws, version, sent, answered)
        while not self.reading():
            await asyncio.sleep(0.01)
        action = "RemoteStopTransaction" if version == "1.6" else "RequestStopTransaction"
        self.operations = [(action, {"transactionId": 99 if version == "1.6" else "nope"}), (action, self.started_id())]
        await super()._ask(ws, version, sent, answered)

    def reading(self):
        if self.version == "1.6":
            return self.received(action="MeterValues")
        return [e for e in self.received(action="TransactionEvent") if e["eventType"] == "Updated"]

    def started_id(self):
        if self.version == "1.6":
            return {"transactionId": 1}
        return {"transactionId": self.received(action="TransactionEvent")[0]["transactionInfo"]["transactionId"]}


def ended(csms):
    """The station said its connector is idle again after the session's last message."""
    last = csms.actions()[-1:] == ["StatusNotification"]
    if csms.version == "1.6":
        return csms.received(action="StopTransaction") and last
    return any(e["eventType"] == "Ended" for e in csms.received(action="TransactionEvent")) and last


def test_a_1_6_remote_start_charges_the_tag_until_the_remote_stop_of_its_transaction():
    csms = StopAfterStartCsms("1.6")
    drive(csms, "1.6", ended)

    assert [(a, f[1]["status"]) for a, f in csms.replies] == [
        ("RemoteStartTransaction", "Accepted"),
        ("RemoteStopTransaction", "Rejected"),
        ("RemoteStopTransaction", "Accepted"),
    ]
    [start], [stop] = csms.received(action="StartTransaction"), csms.received(action="StopTransaction")
    assert (start["connectorId"], start["idTag"]) == (1, "DEMO-TAG")
    assert (stop["transactionId"], stop["reason"], stop["idTag"]) == (1, "Remote", "DEMO-TAG")
    statuses = [p["status"] for p in csms.received(action="StatusNotification") if p["connectorId"] == 1]
    # The script's own first report may fall in between: it says the connector's present status.
    assert statuses[-2:] == ["Finishing", "Available"] and {"Preparing", "Charging"} <= set(statuses)
    assert csms.invalid == []


def test_a_2_0_1_request_start_links_its_remote_start_id_and_stops_remotely():
    csms = StopAfterStartCsms("2.0.1")
    drive(csms, "2.0.1", ended)

    assert [(a, f[1]["status"]) for a, f in csms.replies] == [
        ("RequestStartTransaction", "Accepted"),
        ("RequestStopTransaction", "Rejected"),
        ("RequestStopTransaction", "Accepted"),
    ]
    events = csms.received(action="TransactionEvent")
    started, ended_event = events[0], events[-1]
    assert (started["eventType"], started["triggerReason"]) == ("Started", "RemoteStart")
    assert started["transactionInfo"]["remoteStartId"] == 7
    assert started["idToken"] == {"idToken": "DEMO-TAG", "type": "Central"}
    assert (ended_event["triggerReason"], ended_event["transactionInfo"]["stoppedReason"]) == ("RemoteStop", "Remote")
    assert csms.invalid == []


def test_a_remote_start_on_a_busy_connector_is_rejected_and_without_one_takes_the_next_free():
    start = ("RemoteStartTransaction", {"idTag": "A", "connectorId": 1})
    csms = OperationsCsms([start, start, ("RemoteStartTransaction", {"idTag": "B"})])
    drive(csms, "1.6", lambda c: len(c.received(action="StartTransaction")) == 2)

    assert [f[1]["status"] for _, f in csms.replies] == ["Accepted", "Rejected", "Accepted"]
    assert [(s["connectorId"], s["idTag"]) for s in csms.received(action="StartTransaction")] == [(1, "A"), (2, "B")]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_reset_is_accepted_then_the_station_reconnects_and_boots_again(version):
    reset = {"type": "Soft"} if version == "1.6" else {"type": "Immediate"}
    csms = OperationsCsms([("Reset", reset)])
    drive(csms, version, lambda c: c.boots == 2 and len(c.received(action="StatusNotification")) == 4)

    assert csms.replies == [("Reset", [3, {"status": "Accepted"}])]
    actions = csms.actions()
    assert actions.count("BootNotification") == 2 and actions[-2:] == ["StatusNotification"] * 2
    assert len({station for station, *_ in csms.calls}) == 1
    if version == "2.0.1":
        assert [b["reason"] for b in csms.received(action="BootNotification")] == ["PowerUp", "RemoteReset"]


def test_get_base_report_sends_notify_report_pages_numbered_and_ending_with_tbc_false():
    csms = OperationsCsms([("GetBaseReport", {"requestId": 42, "reportBase": "FullInventory"})])
    drive(csms, "2.0.1", lambda c: any(not p["tbc"] for p in c.received(action="NotifyReport")))

    assert csms.replies == [("GetBaseReport", [3, {"status": "Accepted"}])]
    pages = csms.received(action="NotifyReport")
    assert len(pages) > 2
    assert [p["seqNo"] for p in pages] == list(range(len(pages)))
    assert [p["tbc"] for p in pages] == [True] * (len(pages) - 1) + [False]
    assert {p["requestId"] for p in pages} == {42} and len({p["generatedAt"] for p in pages}) == 1
    reported = {(d["component"]["name"], d["variable"]["name"]) for p in pages for d in p["reportData"]}
    assert {("OCPPCommCtrlr", "HeartbeatInterval"), ("EVSE", "AvailabilityState"), ("AuthCtrlr", "Enabled")} <= reported
    assert csms.invalid == []


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_update_firmware_reports_downloading_downloaded_installing_installed(version):
    request = {"location": "https://fw.example/sim.bin", "retrieveDate": "2025-01-01T00:00:00Z"}
    if version == "2.0.1":
        request = {"requestId": 5, "firmware": {"location": request["location"], "retrieveDateTime": NOW}}
    csms = OperationsCsms([("UpdateFirmware", request)])
    drive(csms, version, lambda c: len(c.received(action="FirmwareStatusNotification")) == 4)

    notes = csms.received(action="FirmwareStatusNotification")
    assert [n["status"] for n in notes] == ["Downloading", "Downloaded", "Installing", "Installed"]
    assert {n.get("requestId") for n in notes} == ({None} if version == "1.6" else {5})
    assert csms.invalid == []


@pytest.mark.parametrize(("version", "action", "request_", "answer"), [
    ("1.6", "GetDiagnostics", {"location": "ftp://logs.example/"}, "fileName"),
    ("2.0.1", "GetLog", {"logType": "DiagnosticsLog", "requestId": 3, "log": {"remoteLocation": "ftp:"}}, "filename"),
])
def test_diagnostics_and_logs_answer_a_file_name_then_report_the_upload(version, action, request_, answer):
    csms = OperationsCsms([(action, request_)])
    notified = "DiagnosticsStatusNotification" if version == "1.6" else "LogStatusNotification"
    drive(csms, version, lambda c: len(c.received(action=notified)) == 2)

    [(_, frame)] = csms.replies
    assert frame[1][answer].endswith(".log")
    assert [n["status"] for n in csms.received(action=notified)] == ["Uploading", "Uploaded"]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_trigger_message_heartbeat_sends_a_heartbeat(version):
    csms = OperationsCsms([("TriggerMessage", {"requestedMessage": "Heartbeat"})])
    drive(csms, version, lambda c: c.received(action="Heartbeat"))

    assert csms.replies == [("TriggerMessage", [3, {"status": "Accepted"}])]


def test_a_call_crossing_the_stations_own_pending_call_is_answered():
    # The CSMS asks GetConfiguration before it answers the station's first StatusNotification.
    csms = OperationsCsms(hold={"StatusNotification": ("GetConfiguration", {"key": ["HeartbeatInterval", "Nope"]})})
    drive(csms, "1.6", lambda c: c.replies and len(c.received(action="StatusNotification")) == 2)

    [(action, frame)] = csms.replies
    assert action == "GetConfiguration"
    assert frame[1]["configurationKey"] == [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
    assert frame[1]["unknownKey"] == ["Nope"]


def test_configuration_changes_are_kept_and_readonly_or_unknown_keys_refused():
    csms = OperationsCsms([
        ("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "30"}),
        ("ChangeConfiguration", {"key": "NumberOfConnectors", "value": "5"}),
        ("ChangeConfiguration", {"key": "Nope", "value": "1"}),
        ("GetConfiguration", {"key": ["MeterValueSampleInterval"]}),
    ])
    drive(csms, "1.6", lambda c: len(c.replies) == 4)

    assert [f[1].get("status") for _, f in csms.replies[:3]] == ["Accepted", "Rejected", "NotSupported"]
    assert csms.replies[3][1][1]["configurationKey"][0]["value"] == "30"


def test_2_0_1_variables_are_read_and_set_over_the_device_model():
    interval = {"component": {"name": "SampledDataCtrlr"}, "variable": {"name": "TxUpdatedInterval"}}
    model = {"component": {"name": "ChargingStation"}, "variable": {"name": "Model"}}
    csms = OperationsCsms([
        ("SetVariables", {"setVariableData": [interval | {"attributeValue": "60"}, model | {"attributeValue": "X"}]}),
        ("GetVariables", {"getVariableData": [interval, {"component": {"name": "Oven"}, "variable": {"name": "x"}}]}),
    ])
    drive(csms, "2.0.1", lambda c: len(c.replies) == 2)

    set_results, get_results = (f[1] for _, f in csms.replies)
    assert [r["attributeStatus"] for r in set_results["setVariableResult"]] == ["Accepted", "Rejected"]
    assert [(r["attributeStatus"], r.get("attributeValue")) for r in get_results["getVariableResult"]] == [
        ("Accepted", "60"),
        ("UnknownComponent", None),
    ]


def test_change_availability_reports_unavailable_and_a_reservation_is_honoured():
    csms = OperationsCsms([
        ("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}),
        ("ReserveNow", {"connectorId": 2, "expiryDate": LATER, "idTag": "RES-TAG", "reservationId": 9}),
        ("RemoteStartTransaction", {"idTag": "OTHER"}),
        ("RemoteStartTransaction", {"idTag": "RES-TAG"}),
    ])
    drive(csms, "1.6", lambda c: c.received(action="StartTransaction"))

    assert [f[1]["status"] for _, f in csms.replies] == ["Accepted", "Accepted", "Rejected", "Accepted"]
    statuses = [(p["connectorId"], p["status"]) for p in csms.received(action="StatusNotification")]
    assert (1, "Unavailable") in statuses and (2, "Reserved") in statuses
    [start] = csms.received(action="StartTransaction")
    assert (start["connectorId"], start["idTag"], start["reservationId"]) == (2, "RES-TAG", 9)


def test_with_stay_the_duration_ends_the_run_without_an_error():
    async def go():
        async with OperationsCsms().running() as url:
            script = Script(url=url, connectors=1, heartbeats=0, heartbeat_interval=0.1, stay=True)
            return await run_fleet(FleetConfig(script=script, stations=2, duration=0.5))

    stats = asyncio.run(asyncio.wait_for(go(), WAIT))

    assert (stats.completed, stats.error_count) == (2, 0) and stats.ok
    # HeartbeatInterval is the boot answer's 300 s: none in the half second.
    assert stats.answers[("Heartbeat", "answered")] == 0
