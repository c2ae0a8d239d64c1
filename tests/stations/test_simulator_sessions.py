"""The simulator's session scenario against the fake CSMS of test_simulator.py (no Django involved).

Sessions last 0.15 s with a reading every 0.05 s at 72 kW, so each reading adds exactly 1 Wh:
two periodic readings, and the stop at 3 Wh above the start.
"""

import asyncio
import json
import threading

import pytest
from django.core.management import call_command
from ocpp.messages import get_validator

from stations.management.commands.simulate import Command
from stations.simulator import render_summary, write_json
from stations.simulator.outbox import HELD_ATTEMPTS_MAX, Message, Outbox
from stations.simulator.sessions import sample_offsets
from tests.stations.test_simulator import TIMEOUT, FakeCsms, fleet, simulate

SESSION = {
    "sessions": 1,
    "session_seconds": 0.15,
    "meter_interval": 0.05,
    "power_w": 72_000,
    "connectors": 1,
    "heartbeats": 0,
    "retry_interval": 0.05,
}


def run(csms, *, stations=1, ocpp="1.6", **script):
    return simulate(csms, stations=stations, ocpp=ocpp, script=SESSION | script)


def sequence(csms, station_id="SIM-0001"):
    """Each CALL as its action, with the status or event type where it has one."""
    steps = []
    for action, payload in csms.by_station()[station_id]:
        detail = payload.get("status") or payload.get("connectorStatus") or payload.get("eventType")
        steps.append(f"{action} {detail}" if detail else action)
    return steps


def energy(sampled_values):
    [register] = [v["value"] for v in sampled_values if v["measurand"] == "Energy.Active.Import.Register"]
    return float(register)


def assert_schema_valid(csms):
    assert csms.invalid == []
    for _, version, action, payload in csms.calls:
        assert not list(get_validator(2, action, version).iter_errors(payload)), (action, payload)


def test_a_1_6_session_authorizes_starts_meters_and_stops():
    csms = FakeCsms()
    stats = run(csms)

    assert sequence(csms) == [
        "BootNotification",
        "StatusNotification Available",
        "Authorize",
        "StatusNotification Preparing",
        "StartTransaction",
        "StatusNotification Charging",
        "MeterValues",
        "MeterValues",
        "StopTransaction",
        "StatusNotification Finishing",
        "StatusNotification Available",
    ]
    [authorize] = csms.received(action="Authorize")
    [start] = csms.received(action="StartTransaction")
    meters = csms.received(action="MeterValues")
    [stop] = csms.received(action="StopTransaction")
    assert authorize == {"idTag": "SIM-TAG-0001"}
    assert (start["connectorId"], start["idTag"], start["meterStart"]) == (1, "SIM-TAG-0001", 0)
    assert [m["transactionId"] for m in meters] == [1, 1]
    readings = [m["meterValue"][0]["sampledValue"] for m in meters]
    assert [[(v["measurand"], v["value"], v["unit"]) for v in r] for r in readings] == [
        [("Energy.Active.Import.Register", "1", "Wh"), ("Power.Active.Import", "72000", "W")],
        [("Energy.Active.Import.Register", "2", "Wh"), ("Power.Active.Import", "72000", "W")],
    ]
    assert (stop["transactionId"], stop["meterStop"], stop["reason"], stop["idTag"]) == (1, 3, "Local", "SIM-TAG-0001")
    assert energy(stop["transactionData"][0]["sampledValue"]) == 3
    assert stats.sessions["SIM-0001"].transaction_ids == [1]
    assert stats.ok
    assert_schema_valid(csms)


def test_a_2_0_1_session_sends_transaction_events_numbered_from_0():
    csms = FakeCsms()
    stats = run(csms, ocpp="2.0.1")

    assert sequence(csms) == [
        "BootNotification",
        "StatusNotification Available",
        "Authorize",
        "StatusNotification Occupied",
        "TransactionEvent Started",
        "TransactionEvent Updated",
        "TransactionEvent Updated",
        "TransactionEvent Ended",
        "StatusNotification Available",
    ]
    [authorize] = csms.received(action="Authorize")
    events = csms.received(action="TransactionEvent")
    assert authorize == {"idToken": {"idToken": "SIM-TAG-0001", "type": "ISO14443"}}
    assert [e["seqNo"] for e in events] == [0, 1, 2, 3]
    assert [e["triggerReason"] for e in events] == [
        "Authorized",
        "MeterValuePeriodic",
        "MeterValuePeriodic",
        "StopAuthorized",
    ]
    assert len({e["transactionInfo"]["transactionId"] for e in events}) == 1
    assert events[0]["idToken"]["idToken"] == "SIM-TAG-0001"
    assert events[0]["evse"] == {"id": 1, "connectorId": 1}
    assert events[0]["transactionInfo"]["chargingState"] == "Charging"
    assert events[-1]["transactionInfo"]["stoppedReason"] == "Local"
    assert [energy(e["meterValue"][0]["sampledValue"]) for e in events] == [0, 1, 2, 3]
    assert [len(e["meterValue"][0]["sampledValue"]) for e in events] == [1, 2, 2, 1]  # power while metering
    assert stats.sessions["SIM-0001"].transaction_ids == [events[0]["transactionInfo"]["transactionId"]]
    assert stats.ok
    assert_schema_valid(csms)


def test_the_1_6_register_carries_over_from_one_session_to_the_next():
    csms = FakeCsms()
    stats = run(csms, sessions=2, connectors=2, meter_start=100)

    starts, stops = csms.received(action="StartTransaction"), csms.received(action="StopTransaction")
    assert [(s["connectorId"], s["meterStart"]) for s in starts] == [(1, 100), (2, 103)]
    assert [(s["transactionId"], s["meterStop"]) for s in stops] == [(1, 103), (2, 106)]
    tally = stats.sessions["SIM-0001"]
    assert (tally.started, tally.ended, tally.energy_wh, tally.transaction_ids) == (2, 2, 6, [1, 2])


def test_the_2_0_1_register_carries_over_and_each_transaction_counts_from_0():
    csms = FakeCsms()
    stats = run(csms, ocpp="2.0.1", sessions=2, meter_start=100, power_w=36_000)  # 0.5 Wh a reading

    events = csms.received(action="TransactionEvent")
    ids = [e["transactionInfo"]["transactionId"] for e in events]
    assert ids[:4] == [ids[0]] * 4 and ids[4:] == [ids[4]] * 4 and ids[0] != ids[4]
    assert [e["seqNo"] for e in events] == [0, 1, 2, 3, 0, 1, 2, 3]
    assert [energy(e["meterValue"][0]["sampledValue"]) for e in events] == [
        100,
        100.5,
        101,
        101.5,
        101.5,
        102,
        102.5,
        103,
    ]
    assert stats.sessions["SIM-0001"].energy_wh == 3


def test_the_energy_summary_equals_what_the_csms_received(tmp_path):
    csms = FakeCsms()
    stats = simulate(csms, stations=4, ocpp="mixed", script=SESSION | {"sessions": 2, "power_w": 50_000})

    for station_id, calls in csms.by_station().items():
        tally = stats.sessions[station_id]
        if tally.version == "1.6":
            starts = [p["meterStart"] for a, p in calls if a == "StartTransaction"]
            stops = [p["meterStop"] for a, p in calls if a == "StopTransaction"]
        else:
            events = [p for a, p in calls if a == "TransactionEvent"]
            starts = [energy(e["meterValue"][0]["sampledValue"]) for e in events if e["eventType"] == "Started"]
            stops = [energy(e["meterValue"][0]["sampledValue"]) for e in events if e["eventType"] == "Ended"]
        assert tally.energy_wh == pytest.approx(sum(stops) - sum(starts))
        assert (tally.started, tally.ended) == (2, 2)
    received = sum(t.energy_wh for t in stats.sessions.values())
    totals = stats.session_totals()
    assert totals == {
        "stations": 4,
        "started": 8,
        "ended": 8,
        "refused": 0,
        "energy_wh": pytest.approx(received),
        "transactions": 8,
    }
    # 1.6 rounds each register reading to whole Wh, 2.0.1 keeps three decimals.
    assert [stats.sessions[s].energy_wh for s in ("SIM-0001", "SIM-0002")] == [4, pytest.approx(4.167)]
    write_json(stats, tmp_path / "run.json")
    dumped = json.loads((tmp_path / "run.json").read_text())["sessions"]
    assert dumped["totals"]["energy_wh"] == pytest.approx(received)
    assert dumped["stations"]["SIM-0001"]["transaction_ids"] == stats.sessions["SIM-0001"].transaction_ids
    summary = render_summary(stats, fleet("ws://csms/"))
    assert "sessions: started 8, ended 8, refused 0" in summary
    assert "SIM-0003        1.6    SIM-TAG-0003" in summary
    assert_schema_valid(csms)


@pytest.mark.parametrize(("ocpp", "action"), [("1.6", "StopTransaction"), ("2.0.1", "TransactionEvent")])
def test_an_internal_error_on_a_transaction_message_is_sent_again_and_answered(ocpp, action):
    csms = FakeCsms(faults={action: ["InternalError"]})
    stats = run(csms, ocpp=ocpp)

    assert stats.answers[(action, "CALLERROR InternalError")] == 1
    assert stats.retries == {action: 1}
    first, again = csms.received(action=action)[:2]
    assert again == first  # the same message: timestamp, transaction id and seqNo kept
    assert stats.sessions["SIM-0001"].ended == 1
    assert stats.ok, stats.errors


def test_an_unanswered_meter_value_is_sent_again_after_the_call_timeout():
    csms = FakeCsms(faults={"MeterValues": ["silent"]})
    stats = run(csms, call_timeout=0.1)

    assert stats.answers[("MeterValues", "timeout")] == 1
    assert stats.retries == {"MeterValues": 1}
    meters = csms.received(action="MeterValues")
    assert [energy(m["meterValue"][0]["sampledValue"]) for m in meters] == [1, 1, 2]
    assert stats.ok, stats.errors


def test_a_1_6_stop_is_held_past_tx_attempts_but_a_meter_value_is_given_up():
    csms = FakeCsms(faults={"StopTransaction": ["InternalError"] * 3, "MeterValues": ["InternalError"] * 2})
    stats = run(csms, tx_attempts=2)

    assert stats.answers[("StopTransaction", "CALLERROR InternalError")] == 3
    assert stats.answers[("StopTransaction", "answered")] == 1
    assert stats.dropped == {"MeterValues": 1}
    assert stats.sessions["SIM-0001"].ended == 1
    assert stats.errors == ["SIM-0001: MeterValues dropped after 2 sends: CALLERROR InternalError 'try again'"]


def test_a_dropped_connection_is_opened_again_and_the_queue_re_sent():
    csms = FakeCsms(faults={"MeterValues": ["drop"]})
    stats = run(csms, reconnects=1)

    assert stats.reconnects == 1
    assert stats.answers[("MeterValues", "disconnected")] == 1
    meters = csms.received(action="MeterValues")
    assert [energy(m["meterValue"][0]["sampledValue"]) for m in meters] == [1, 1, 2]
    assert stats.sessions["SIM-0001"].ended == 1
    assert stats.ok, stats.errors


def test_without_reconnects_a_dropped_connection_ends_the_station_with_its_queue_unsent():
    csms = FakeCsms(faults={"StopTransaction": ["drop"]})
    stats = run(csms)

    assert stats.completed == 0 and stats.reconnects == 0
    assert "SIM-0001: transaction messages never answered: StopTransaction" in stats.errors
    assert stats.sessions["SIM-0001"].ended == 0


def test_a_tag_not_accepted_starts_no_session():
    csms = FakeCsms(tag_status="Invalid")
    stats = run(csms, sessions=2)

    assert csms.received(action="StartTransaction") == []
    assert stats.sessions["SIM-0001"].refused == 2
    assert stats.errors == ["SIM-0001: Authorize SIM-TAG-0001 answered Invalid: no session"] * 2


class StartRefusingCsms(FakeCsms):
    """Authorizes the tag, then refuses it in the start's answer."""

    def answer(self, version, action, payload):
        result = super().answer(version, action, payload)
        if action != "Authorize" and ("idTagInfo" in result or "idTokenInfo" in result):
            result = {**result, **{key: {"status": "Invalid"} for key in ("idTagInfo", "idTokenInfo") if key in result}}
        return result


@pytest.mark.parametrize("ocpp", ["1.6", "2.0.1"])
def test_a_start_answered_with_the_tag_refused_stops_at_once_deauthorized(ocpp):
    csms = StartRefusingCsms()
    stats = run(csms, ocpp=ocpp)

    if ocpp == "1.6":
        assert "MeterValues" not in sequence(csms) and "StatusNotification Charging" not in sequence(csms)
        [stop] = csms.received(action="StopTransaction")
        assert (stop["reason"], stop["meterStop"]) == ("DeAuthorized", 0)
    else:
        assert sequence(csms)[4:6] == ["TransactionEvent Started", "TransactionEvent Ended"]
        ended = csms.received(action="TransactionEvent")[-1]
        assert (ended["triggerReason"], ended["transactionInfo"]["stoppedReason"]) == ("Deauthorized", "DeAuthorized")
    assert stats.errors == ["SIM-0001: start of SIM-TAG-0001 answered Invalid: stopped"]
    assert stats.sessions["SIM-0001"].energy_wh == 0
    assert_schema_valid(csms)


def test_a_fixed_id_tag_is_used_by_every_station():
    csms = FakeCsms()
    run(csms, stations=2, ocpp="mixed", id_tag="FLEET-TAG")

    assert [p.get("idTag") or p["idToken"]["idToken"] for p in csms.received(action="Authorize")] == ["FLEET-TAG"] * 2


def test_no_sessions_by_default():
    csms = FakeCsms()
    stats = simulate(csms, stations=2)

    assert not stats.sessions and csms.received(action="Authorize") == []
    assert "sessions:" not in render_summary(stats, fleet("ws://csms/"))


def test_sample_offsets_leave_the_last_reading_to_the_stop():
    assert sample_offsets(0.15, 0.05) == pytest.approx([0.05, 0.1])
    assert sample_offsets(0.1, 0.05) == pytest.approx([0.05])
    assert sample_offsets(0.12, 0.05) == pytest.approx([0.05, 0.1])
    assert sample_offsets(0, 0.05) == []


def test_a_full_outbox_drops_its_oldest_periodic_reading_then_refuses():
    outbox = Outbox(limit=2, attempts=3)
    start, meter = Message("StartTransaction", dict), Message("MeterValues", dict, periodic=True)
    assert outbox.add(start) is None and outbox.add(meter) is None

    stop = Message("StopTransaction", dict, held=True)
    assert outbox.add(stop) is meter
    assert outbox.add(Message("StartTransaction", dict)).action == "StartTransaction"
    assert outbox.actions() == ["StartTransaction", "StopTransaction"]
    assert [outbox.failed(start, retry_at=1.0) for _ in range(3)] == [True, True, False]
    assert [outbox.failed(stop, retry_at=1.0) for _ in range(HELD_ATTEMPTS_MAX)][-2:] == [True, False]
    assert len(outbox) == 0


def test_simulate_command_runs_sessions_and_reports_them(capsys, tmp_path):
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    csms = FakeCsms()
    server = csms.running()
    url = asyncio.run_coroutine_threadsafe(server.__aenter__(), loop).result(TIMEOUT)
    try:
        call_command(
            Command(),
            url=url,
            stations=2,
            sessions=2,
            session_seconds=0.1,
            meter_interval=0.05,
            power_w=36_000,
            heartbeats=0,
            duration=TIMEOUT,
            json=str(tmp_path / "run.json"),
        )
    finally:
        asyncio.run_coroutine_threadsafe(server.__aexit__(None, None, None), loop).result(TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(TIMEOUT)

    assert "sessions: started 4, ended 4, refused 0, energy 4 Wh, transactions 4" in capsys.readouterr().out
    dumped = json.loads((tmp_path / "run.json").read_text())
    assert dumped["sessions"]["totals"]["energy_wh"] == 4
    assert dumped["ok"] is True
    assert_schema_valid(csms)
