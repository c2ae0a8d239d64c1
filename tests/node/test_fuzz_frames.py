"""Random and mutated OCPP-J frames: the parser and a real node never crash, and answer as the spec says.

Mutations of valid frames of both versions (wrong types, missing fields, extra elements and keys, bad JSON,
huge ids, unknown actions, binary) and plain random JSON and bytes. Every answer must be a CALLRESULT or a
CALLERROR with a code of node/rpc.py's table (in the version's spelling), the socket must stay open, and the
server must log no error. Bounded: 200 examples against the socket, deadline off, well under a minute.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node import rpc
from tests.support import server
from tests.support.station import BOOT, open_station

VALID_CALLS = {
    "1.6": [
        ("BootNotification", BOOT["1.6"]),
        ("Heartbeat", {}),
        ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available",
                                "timestamp": "2026-11-25T10:00:00Z"}),
        ("Authorize", {"idTag": "CARD-1"}),
        ("MeterValues", {"connectorId": 1, "meterValue": [
            {"timestamp": "2026-11-25T10:00:00Z", "sampledValue": [{"value": "1200", "unit": "Wh"}]}]}),
        ("DataTransfer", {"vendorId": "Acme", "messageId": "x", "data": "hello"}),
        ("StartTransaction", {"connectorId": 1, "idTag": "CARD-1", "meterStart": 0,
                              "timestamp": "2026-11-25T10:00:00Z"}),
    ],
    "2.0.1": [
        ("BootNotification", BOOT["2.0.1"]),
        ("Heartbeat", {}),
        ("StatusNotification", {"timestamp": "2026-11-25T10:00:00Z", "connectorStatus": "Available",
                                "evseId": 1, "connectorId": 1}),
        ("Authorize", {"idToken": {"idToken": "CARD-1", "type": "ISO14443"}}),
        ("MeterValues", {"evseId": 1, "meterValue": [
            {"timestamp": "2026-11-25T10:00:00Z", "sampledValue": [{"value": 1200.5}]}]}),
        ("DataTransfer", {"vendorId": "Acme", "messageId": "x", "data": {"a": [1, 2]}}),
    ],
}
# What a station may get back (node/rpc.py's table and the consumer's refusals), as each version spells it.
CODES = {version: {rpc.error_code(code, version) for code in rpc.CODES} for version in rpc.VERSIONS}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12)
odd_ids = st.one_of(st.text(min_size=0, max_size=60), st.just("x" * 5000), st.integers(), st.none(),
                    st.lists(st.integers(), max_size=2), st.just("\ud800"))
odd_actions = st.one_of(st.text(max_size=30), st.sampled_from(["MakeCoffee", "Reset", "heartbeat", ""]),
                        st.integers(), st.none())


def _paths(value, prefix=()):
    """Every path to a value inside nested dicts and lists."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


@st.composite
def mutated_payload(draw, payload: dict):
    payload = json.loads(json.dumps(payload))
    paths = [p for p in _paths(payload) if p]
    if not paths:
        return draw(st.dictionaries(st.text(max_size=10), json_values, max_size=3)) or payload
    path = draw(st.sampled_from(paths))
    *head, last = path
    parent = payload
    for part in head:
        parent = parent[part]
    how = draw(st.sampled_from(["retype", "drop", "extra"]))
    if how == "retype":
        parent[last] = draw(json_values)
    elif how == "drop":
        del parent[last]
    elif isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=12))] = draw(json_values)
    else:
        parent.append(draw(json_values))
    return payload


@st.composite
def frame_texts(draw, version: str) -> str | bytes:
    """One frame as sent: valid, mutated at one level, random JSON, or broken bytes."""
    action, payload = draw(st.sampled_from(VALID_CALLS[version]))
    frame: list = [2, str(uuid.uuid4()), action, payload]
    kind = draw(st.sampled_from(["valid", "payload", "id", "action", "type", "shape", "random", "text", "binary"]))
    if kind == "payload":
        frame[3] = draw(mutated_payload(payload))
    elif kind == "id":
        frame[1] = draw(odd_ids)
    elif kind == "action":
        frame[2] = draw(odd_actions)
    elif kind == "type":
        frame[0] = draw(st.one_of(st.integers(-5, 10), st.floats(allow_nan=False), st.text(max_size=3),
                                  st.booleans(), st.none()))
    elif kind == "shape":
        frame = draw(st.sampled_from([frame[:1], frame[:2], frame[:3], [*frame, draw(json_values)],
                                      [3, frame[1], draw(json_values)], [4, frame[1], "GenericError", "x",
                                                                         draw(json_values)], []]))
    elif kind == "random":
        frame = draw(json_values)
    if kind == "text":
        text = json.dumps(frame)
        cut = draw(st.integers(0, len(text)))
        return text[:cut] + draw(st.text(max_size=5))  # truncated, with junk after
    if kind == "binary":
        return draw(st.one_of(st.binary(max_size=200), st.just(json.dumps(frame).encode())))
    text = json.dumps(frame, ensure_ascii=draw(st.booleans()))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a raw lone surrogate cannot go on the wire; its \\u escape can
        text = json.dumps(frame)
    return text


def _check_answer(answer: str, version: str, sent_id: object) -> None:
    frame = json.loads(answer)
    assert isinstance(frame, list) and frame[0] in (rpc.CALLRESULT, rpc.CALLERROR), answer
    if frame[0] == rpc.CALLRESULT:
        assert len(frame) == 3 and frame[1] == sent_id and isinstance(frame[2], dict), answer
        return
    assert len(frame) == 5, answer
    _, message_id, code, description, details = frame
    assert code in CODES[version], answer
    assert message_id == "-1" or message_id == sent_id, answer
    assert isinstance(description, str) and isinstance(details, dict), answer
    if version == "2.0.1":
        assert len(description) <= rpc.MAX_DESCRIPTION_LEN_201
    answer.encode("utf-8")  # strict: a lone surrogate in an answer would fail here


def _sent_id(text: str | bytes) -> object:
    try:
        frame = json.loads(text)
        return frame[1] if isinstance(frame, list) and len(frame) > 1 else None
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None


# --- the parser alone: fast, many examples ----------------------------------------------------------------------

@pytest.mark.parametrize("version", rpc.VERSIONS)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_parse_answers_every_frame_with_a_call_an_answer_nothing_or_a_renderable_callerror(version, data):
    text = data.draw(frame_texts(version))
    try:
        message = rpc.parse(text, version)
    except rpc.RpcError as exc:
        _check_answer(rpc.call_error(exc, version), version, _sent_id(text))
        return
    assert message is None or isinstance(message, rpc.Call | rpc.CallResult | rpc.CallError)
    if isinstance(message, rpc.Call):
        rpc.call_result(message.message_id, {}).encode("utf-8")
        json.dumps(message.payload, allow_nan=False, ensure_ascii=False).encode("utf-8")


# --- a real node over a real socket -----------------------------------------------------------------------------

class ErrorLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def stations(transactional_db):
    """The embedded server with one booted station per version on an event loop kept across examples."""
    from stations.models import ChargingStation

    errors = ErrorLog()
    loggers = [logging.getLogger(), logging.getLogger("uvicorn"), logging.getLogger("uvicorn.error")]
    for logger in loggers:
        logger.addHandler(errors)
    ChargingStation.objects.create(station_id="CP-FUZZ-16")
    ChargingStation.objects.create(station_id="CP-FUZZ-201")
    loop = asyncio.new_event_loop()
    try:
        with server.running() as url:
            sockets = {}
            for version, station_id in (("1.6", "CP-FUZZ-16"), ("2.0.1", "CP-FUZZ-201")):
                ws = loop.run_until_complete(open_station(url, station_id, version))
                sockets[version] = ws
                loop.run_until_complete(_exchange(ws, json.dumps([2, "boot", "BootNotification", BOOT[version]])))
            yield loop, sockets, errors
            for ws in sockets.values():
                loop.run_until_complete(ws.close())
    finally:
        loop.close()
        for logger in loggers:
            logger.removeHandler(errors)


async def _exchange(ws, frame: str | bytes) -> tuple[list[str], list]:
    """Send `frame`, then a Heartbeat; return what came before the Heartbeat's answer, and that answer."""
    probe = f"probe-{uuid.uuid4().hex[:20]}"
    await ws.send(frame)
    await ws.send(json.dumps([2, probe, "Heartbeat", {}]))
    before = []
    async with asyncio.timeout(10):
        while True:
            text = await ws.recv()
            answer = json.loads(text)
            if answer[1] == probe:
                return before, answer
            before.append(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_node_answers_random_and_mutated_frames_by_the_spec_and_stays_open(stations, data):
    loop, sockets, errors = stations
    version = data.draw(st.sampled_from(rpc.VERSIONS))
    frame = data.draw(frame_texts(version))

    before, heartbeat = loop.run_until_complete(_exchange(sockets[version], frame))

    assert heartbeat[0] == rpc.CALLRESULT, "the socket must stay open and served"
    assert len(before) <= 1, before
    for answer in before:
        _check_answer(answer, version, _sent_id(frame))
    assert not errors.records, [errors.format(r) for r in errors.records]
