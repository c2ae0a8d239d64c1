"""Heartbeat in both versions: the station is seen, and told central's time."""

import re
from datetime import datetime

import pytest

from node import schemas
from tests.support.envelopes import call, send
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db
versions = pytest.mark.parametrize("version", ["1.6", "2.0.1"])
RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")
AT = "2025-03-01T12:34:56.789Z"


@versions
def test_current_time_is_rfc3339_utc_ending_in_z(station, version):
    reply = send(call(station, version, "Heartbeat", {}))

    assert reply["kind"] == "result"
    assert RFC3339_UTC.fullmatch(reply["payload"]["currentTime"]), reply["payload"]["currentTime"]


@versions
def test_last_seen_becomes_the_time_the_node_received_it(version):
    station = StationFactory(last_seen=datetime.fromisoformat("2025-03-01T12:00:00Z"))

    send(call(station, version, "Heartbeat", {}, at=AT))

    station.refresh_from_db()
    assert station.last_seen == datetime.fromisoformat(AT)


@versions
def test_a_heartbeat_marks_the_station_online(station, version):
    send(call(station, version, "Heartbeat", {}))

    station.refresh_from_db()
    assert station.online is True


@versions
def test_the_answer_passes_the_official_response_schema(station, version):
    reply = send(call(station, version, "Heartbeat", {}))

    schemas.validate(version, "Heartbeat", reply["payload"], response=True)
