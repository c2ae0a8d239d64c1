"""Malformed frames over a real socket: the exact CALLERROR comes back and the socket stays open."""

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed

from tests.embedded.conftest import run
from tests.support.station import BOOT, call, open_station


@pytest.fixture
def booted(ocpp_url, provisioned):
    """Open a booted station of a version, send raw frames, return the raw answers, then prove the socket lives."""
    provisioned("CP-F")

    def exchange(version: str, *frames: str, answers: int | None = None, **connect_options) -> list:
        async def scenario():
            async with await open_station(ocpp_url, "CP-F", version, **connect_options) as ws:
                await call(ws, "BootNotification", BOOT[version])
                got = []
                for frame in frames:
                    await ws.send(frame)
                for _ in range(len(frames) if answers is None else answers):
                    async with asyncio.timeout(10):
                        got.append(await ws.recv())
                alive = await call(ws, "Heartbeat", {})
                assert alive[0] == 3, "the socket must stay open and served after bad input"
                return got

        return run(scenario())

    return exchange


def test_unparsable_json_gets_formation_violation_with_id_minus_one_in_1_6(booted):
    [answer] = booted("1.6", "[2, 'not json'")
    assert json.loads(answer)[:3] == [4, "-1", "FormationViolation"]


def test_unparsable_json_gets_rpc_framework_error_with_id_minus_one_in_2_0_1(booted):
    [answer] = booted("2.0.1", "{nope")
    assert json.loads(answer)[:3] == [4, "-1", "RpcFrameworkError"]


@pytest.mark.parametrize(("version", "code"), [("1.6", "NotImplemented"), ("2.0.1", "NotImplemented")])
def test_unknown_action_is_not_implemented(booted, version, code):
    [answer] = booted(version, '[2,"u1","MakeCoffee",{}]')
    assert json.loads(answer)[:3] == [4, "u1", code]


def test_a_csms_operation_sent_by_a_station_is_not_supported(booted):
    # Reset is a valid 1.6 action, but one the CSMS sends: a station calling it gets NotSupported.
    [answer] = booted("1.6", '[2,"u2","Reset",{"type":"Soft"}]')
    assert json.loads(answer)[:3] == [4, "u2", "NotSupported"]


@pytest.mark.parametrize(("version", "frame", "code"), [
    ("1.6", '[2,"t1","StatusNotification",{"connectorId":"1","errorCode":"NoError","status":"Available"}]',
     "TypeConstraintViolation"),
    ("1.6", '[2,"t2","BootNotification",{"chargePointModel":"M"}]', "OccurenceConstraintViolation"),
    ("2.0.1", '[2,"t3","BootNotification",{"reason":"PowerUp"}]', "OccurrenceConstraintViolation"),
    ("2.0.1", '[2,"t4","StatusNotification",{"timestamp":"2026-11-25 10:00","connectorStatus":"Available",'
              '"evseId":1,"connectorId":1}]', "TypeConstraintViolation"),
    ("1.6", '[2,"t5","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Broken"}]',
     "PropertyConstraintViolation"),
])
def test_payload_violations_get_the_code_of_that_version(booted, version, frame, code):
    [answer] = booted(version, frame)
    parsed = json.loads(answer)
    assert parsed[0] == 4 and parsed[2] == code and parsed[1] == json.loads(frame)[1]


def test_a_reused_message_id_is_refused(booted):
    first, second = booted("2.0.1", '[2,"same","Heartbeat",{}]', '[2,"same","Heartbeat",{}]')
    assert json.loads(first)[0] == 3
    assert json.loads(second)[:3] == [4, "same", "RpcFrameworkError"]


def test_null_payload_is_read_as_empty_object(booted):
    [answer] = booted("1.6", '[2,"n1","Heartbeat",null]')
    assert json.loads(answer)[:2] == [3, "n1"]


def test_unknown_message_type_is_ignored_in_1_6(booted):
    assert booted("1.6", '[7,"x1","Heartbeat",{}]', answers=0) == []


def test_unknown_message_type_is_message_type_not_supported_in_2_0_1(booted):
    [answer] = booted("2.0.1", '[7,"x2","Heartbeat",{}]')
    assert json.loads(answer)[:3] == [4, "x2", "MessageTypeNotSupported"]


def test_frame_over_the_size_limit_closes_with_1009(ocpp_url, provisioned, settings):
    provisioned("CP-BIG")

    async def scenario():
        async with await open_station(ocpp_url, "CP-BIG", "1.6", max_size=None) as ws:
            await ws.send(json.dumps([2, "big", "DataTransfer", {"vendorId": "x", "data": "x" * 70_000}]))
            with pytest.raises(ConnectionClosed) as closed:
                async with asyncio.timeout(10):
                    await ws.recv()
            return closed.value

    assert run(scenario()).rcvd.code == 1009
