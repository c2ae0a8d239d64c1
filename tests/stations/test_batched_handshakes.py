"""A batch's handshakes (a boot storm's reconnects) are admitted together, with one read and one write, and decide,
store, log and announce exactly what handshakes one at a time do."""

from datetime import timedelta

import pytest

from csms.dispatch import handle_envelopes, handle_one
from stations import services
from stations.choices import CommandStatus
from stations.models import ChargingStation, Command, ConnectionLog
from stations.services import connections
from tests.support.envelopes import call, connect
from tests.support.factories import StationFactory
from webhooks.choices import Event
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

OWNER = ["online", "conn", "ocpp_version", "node__node_id"]
LOG = ["event", "reason", "node_id", "conn", "ocpp_version", "subprotocols", "remote_addr"]


@pytest.fixture
def admitted_together(monkeypatch):
    """How many handshakes each call of admit_connections decided."""
    sizes = []
    real = connections.admit_connections

    def counting(handshakes):
        sizes.append(len(handshakes))
        return real(handshakes)

    monkeypatch.setattr(services, "admit_connections", counting)
    return sizes


@pytest.fixture
def subscribed(db):
    return WebhookEndpoint.objects.create(url="https://hooks.example.invalid/csms", events=[Event.STATION_ONLINE])


def cases(prefix):
    """One station for every way a handshake can go, and the envelope its node sends."""
    fresh = StationFactory(station_id=f"{prefix}-fresh")
    taken = StationFactory(station_id=f"{prefix}-taken")
    handle_one(connect(taken, node="node-a", conn=f"{prefix}-old").to_dict())  # owned by a socket on another node
    disabled = StationFactory(station_id=f"{prefix}-disabled", enabled=False)
    waiting = StationFactory(station_id=f"{prefix}-waiting")
    handle_one(connect(waiting, conn=f"{prefix}-first").to_dict())
    handle_one(call(waiting, "1.6", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}).to_dict())
    ChargingStation.objects.filter(pk=waiting.pk).update(online=False)
    command = services.issue_command(station_id=waiting.station_id, action="Reset", payload={"type": "Soft"},
                                     queue_for=timedelta(hours=1))
    envelopes = [connect(fresh, "2.0.1", conn=f"{prefix}-1"), connect(taken, node="node-b", conn=f"{prefix}-2"),
                 connect(disabled, conn=f"{prefix}-3"), connect(f"{prefix}-nobody", conn=f"{prefix}-4"),
                 connect(waiting, conn=f"{prefix}-5"), connect(fresh, None, conn=f"{prefix}-6")]
    return [fresh, taken, disabled, waiting], envelopes, command


def outcome(prefix, stations, replies, command):
    def same(value):  # the same for both runs: the prefix out of socket ids and station ids
        return value.replace(prefix, "P") if isinstance(value, str) else value

    command.refresh_from_db()
    return {
        "answers": [{k: same(v) for k, v in r["payload"].items()} for r in replies],
        "owners": [{k: same(v) for k, v in ChargingStation.objects.values(*OWNER).get(pk=s.pk).items()}
                   for s in stations],
        "log": sorted(tuple(same(v) for v in row) for row in ConnectionLog.objects.filter(
            station_ident__startswith=prefix).values_list("station_ident", *LOG)),
        "announced": sorted(same(d.payload["station_id"]) for d in WebhookDelivery.objects.filter(
            event=Event.STATION_ONLINE, payload__station_id__startswith=prefix)),
        "command": (command.status, same(command.conn)),
    }


def test_handshakes_in_one_batch_decide_and_store_what_they_do_one_at_a_time(subscribed, admitted_together):
    stations, envelopes, command = cases("one")
    alone = [handle_one(e.to_dict()).to_dict() for e in envelopes]
    expected = outcome("one", stations, alone, command)

    stations, envelopes, command = cases("many")
    admitted_together.clear()
    together = handle_envelopes([e.to_dict() for e in envelopes])

    assert outcome("many", stations, together, command) == expected
    # The five stations' handshakes as one set; the station named twice in the batch, one at a time, in order.
    assert admitted_together == [4, 1, 1]
    assert expected["command"] == (CommandStatus.SENT, "P-5")
    assert [a["accepted"] for a in expected["answers"]] == [True, True, False, False, True, False]


def test_admitting_one_station_twice_at_once_is_refused_before_anything_is_stored():
    station = StationFactory()
    twice = [services.Handshake(station_id=station.station_id, node_id="node-a", conn=conn, ocpp_version="1.6",
                                offered=["ocpp1.6"], username=None, password=None, remote_addr="127.0.0.1:1",
                                at=station.created_at) for conn in ("a", "b")]

    with pytest.raises(ValueError, match="one handshake per station"):
        services.admit_connections(twice)
    assert not ConnectionLog.objects.exists()
    assert not Command.objects.exists()


@pytest.mark.postgres
def test_on_postgresql_handshakes_in_one_batch_decide_and_store_what_they_do_one_at_a_time(subscribed,
                                                                                          admitted_together):
    test_handshakes_in_one_batch_decide_and_store_what_they_do_one_at_a_time(subscribed, admitted_together)
