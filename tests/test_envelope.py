"""The one message format between nodes and central: what survives the wire and what is refused."""

import re
from datetime import datetime

import pytest

from csms.envelope import Envelope, EnvelopeError, format_utc, utc_now

RFC3339_UTC_MS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def a_call(**overrides):
    fields = {"kind": "call", "station": "CP-0042", "node": "node-a", "conn": "c0ffee", "ocpp": "2.0.1",
              "id": "19223201", "action": "BootNotification",
              "payload": {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}},
              "at": "2025-01-01T12:00:00.000Z"}
    return Envelope(**(fields | overrides))


def test_an_envelope_survives_a_round_trip_through_json():
    envelope = a_call(payload={"text": "Grüße", "nested": {"list": [1, 2.5, None, True]}})

    assert Envelope.from_json(envelope.to_json()) == envelope


def test_the_wire_form_carries_every_field_and_the_format_version():
    assert a_call().to_dict() == {
        "v": 1, "kind": "call", "station": "CP-0042", "node": "node-a", "conn": "c0ffee", "ocpp": "2.0.1",
        "id": "19223201", "action": "BootNotification",
        "payload": {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}},
        "at": "2025-01-01T12:00:00.000Z"}


def test_an_envelope_read_from_bytes_equals_one_read_from_text():
    text = a_call().to_json()

    assert Envelope.from_json(text.encode()) == Envelope.from_json(text)


@pytest.mark.parametrize("overrides", [{"kind": "broadcast"}, {"v": 2}, {"ocpp": "1.5"}, {"ocpp": "2.1"},
                                       {"payload": ["not", "an", "object"]}],
                         ids=["unknown kind", "unknown format version", "OCPP 1.5", "OCPP 2.1", "payload a list"])
def test_an_envelope_outside_the_format_is_refused(overrides):
    with pytest.raises(EnvelopeError):
        Envelope.from_dict(a_call().to_dict() | overrides)


@pytest.mark.parametrize("data", [["call"], "call", None, {"kind": "call", "colour": "red"}, {"station": "CP-1"}],
                         ids=["a list", "a string", "null", "an unknown key", "no kind"])
def test_something_that_is_not_an_envelope_object_is_refused(data):
    with pytest.raises(EnvelopeError):
        Envelope.from_dict(data)


def test_text_that_is_not_json_is_refused():
    with pytest.raises(EnvelopeError, match="not JSON"):
        Envelope.from_json('{"kind": "call",')


def test_a_reply_goes_back_to_the_same_station_node_socket_and_message():
    request = a_call()

    reply = request.reply("result", {"status": "Accepted"})

    assert (reply.kind, reply.payload) == ("result", {"status": "Accepted"})
    assert (reply.station, reply.node, reply.conn, reply.ocpp, reply.id, reply.action) == (
        "CP-0042", "node-a", "c0ffee", "2.0.1", "19223201", "BootNotification")


def test_utc_now_is_rfc3339_utc_with_milliseconds_and_a_z():
    now = utc_now()

    assert RFC3339_UTC_MS.fullmatch(now), now
    assert datetime.fromisoformat(now).utcoffset().total_seconds() == 0


def test_a_moment_in_another_zone_is_written_in_utc():
    assert format_utc(datetime.fromisoformat("2025-06-01T14:30:00.250+02:00")) == "2025-06-01T12:30:00.250Z"
