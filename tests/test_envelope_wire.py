"""The envelope's wire form and timestamps are built by hand for speed: the same dict, text and times the general
means (dataclasses.asdict, datetime.isoformat) give."""

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from csms import envelope
from csms.envelope import Envelope, format_utc, utc_now

NESTED = {"connectorId": 1, "meterValue": [{"timestamp": "2025-01-01T12:00:00.000Z", "sampledValue": [
    {"value": "1.5", "unit": "Wh"}, {"value": "Grüße", "context": None}]}], "flags": [True, None, 2.5], "empty": {}}


def a_call(payload=NESTED):
    return Envelope(kind="call", station="CP-1", node="node-a", conn="c0ffee", ocpp="1.6", id="m1",
                    action="MeterValues", payload=payload, at="2025-01-01T12:00:00.000Z")


def test_the_wire_form_equals_what_dataclasses_asdict_gives_for_a_nested_payload():
    assert a_call().to_dict() == dataclasses.asdict(a_call())


def test_the_wire_form_holds_every_field_in_declaration_order_so_the_json_text_is_unchanged():
    call = a_call()

    assert list(call.to_dict()) == [f.name for f in dataclasses.fields(Envelope)]
    assert call.to_json() == json.dumps(dataclasses.asdict(call), separators=(",", ":"), ensure_ascii=False)


def test_the_wire_form_shares_the_payload_rather_than_copying_it():
    call = a_call()

    assert call.to_dict()["payload"] is call.payload


def at_nanoseconds(ns: int) -> str:
    """format_utc of an exact moment (integer arithmetic: no float rounding at millisecond boundaries)."""
    return format_utc(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ns // 1000))


SECOND = 1_000_000_000
NOON = 1_735_732_800 * SECOND  # 2025-01-01T12:00:00Z


@pytest.mark.parametrize("ns", [NOON, NOON + 1, NOON + 999_999, NOON + 1_000_000, NOON + SECOND - 1,
                                1_709_208_000 * SECOND + 123_456_789],  # 2024-02-29T12:00:00.123Z
                         ids=["whole second", "1 ns", "just under 1 ms", "1 ms", "just under the next second",
                              "leap day"])
def test_utc_now_writes_the_moment_as_format_utc_does(monkeypatch, ns):
    monkeypatch.setattr(envelope.time, "time_ns", lambda: ns)

    assert utc_now() == at_nanoseconds(ns)


def test_utc_now_follows_the_clock_across_seconds_forwards_and_backwards(monkeypatch):
    moments = [NOON + SECOND - 1, NOON + SECOND, NOON + SECOND + 5_000_000, NOON - 3 * SECOND]  # last: clock set back
    written = []
    for ns in moments:
        monkeypatch.setattr(envelope.time, "time_ns", lambda ns=ns: ns)
        written.append(utc_now())

    assert written == [at_nanoseconds(ns) for ns in moments]


def test_utc_now_is_the_present():
    before = datetime.now(UTC)

    now = datetime.fromisoformat(utc_now())

    assert before - timedelta(milliseconds=1) <= now <= datetime.now(UTC)
