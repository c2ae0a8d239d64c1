"""Who may connect, and which socket owns a station afterwards (the node's `connect` question)."""

from datetime import datetime

import pytest

from csms import bus
from stations.choices import ConnectionEvent, RefusalReason, Registration
from stations.models import ConnectionLog, Node
from tests.support.envelopes import call, connect, send
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db
AT = "2025-03-01T09:00:00.000Z"


@pytest.fixture
def published(monkeypatch):
    """What central hands to the bus for a node, instead of a node in this process."""
    sent = []
    monkeypatch.setattr(bus, "publish_to_node", lambda node_id, envelope: sent.append((node_id, envelope)))
    return sent


def admission(envelope):
    reply = send(envelope)
    assert reply["kind"] == "connect"
    return reply["payload"]


def test_a_known_station_is_admitted(station):
    assert admission(connect(station)) == {"accepted": True, "http_status": 101, "reason": "",
                                           "boot_accepted": False}


def test_the_admitting_node_and_socket_own_the_station(station):
    admission(connect(station, "2.0.1", node="node-b", conn="sock-7", at=AT))

    station.refresh_from_db()
    assert (station.node.node_id, station.conn, station.online, station.ocpp_version) == (
        "node-b", "sock-7", True, "2.0.1")
    assert station.last_seen == datetime.fromisoformat(AT)


def test_a_node_first_heard_of_in_a_connect_gets_a_row(station):
    admission(connect(station, node="node-new", at=AT))

    node = Node.objects.get(node_id="node-new")
    assert node.first_heartbeat == node.last_heartbeat == datetime.fromisoformat(AT)


def test_an_admitted_connect_is_logged_as_connected(station):
    admission(connect(station, "1.6", node="node-a", conn="sock-1", offered=["ocpp2.0.1", "ocpp1.6"],
                      remote="198.51.100.4", at=AT))

    entry = ConnectionLog.objects.get()
    assert (entry.station, entry.station_ident, entry.event, entry.reason) == (
        station, "CP-0042", ConnectionEvent.CONNECTED, "")
    assert (entry.node_id, entry.conn, entry.ocpp_version, entry.subprotocols, entry.remote_addr, entry.at) == (
        "node-a", "sock-1", "1.6", "ocpp2.0.1,ocpp1.6", "198.51.100.4", datetime.fromisoformat(AT))


def test_an_unknown_station_is_refused_with_404_and_logged(db):
    answer = admission(connect("CP-STRANGER"))

    assert (answer["accepted"], answer["http_status"], answer["reason"]) == (False, 404, "unknown_station")
    entry = ConnectionLog.objects.get()
    assert (entry.station, entry.station_ident, entry.event, entry.reason) == (
        None, "CP-STRANGER", ConnectionEvent.REFUSED, RefusalReason.UNKNOWN_STATION)


def test_a_disabled_station_is_refused_with_404():
    station = StationFactory(enabled=False)

    answer = admission(connect(station))

    assert (answer["accepted"], answer["http_status"], answer["reason"]) == (False, 404, "disabled")
    station.refresh_from_db()
    assert (station.online, station.conn) == (False, "")


@pytest.mark.parametrize("username, password", [("CP-0042", "wrong"), ("CP-0041", "s3cret"), (None, None),
                                                ("CP-0042", None)],
                         ids=["wrong password", "username is not the station id", "no credentials",
                              "no password"])
def test_bad_credentials_are_refused_with_401(username, password):
    StationFactory(station_id="CP-0042", password="s3cret")

    answer = admission(connect("CP-0042", username=username, password=password))

    assert (answer["accepted"], answer["http_status"], answer["reason"]) == (False, 401, "bad_credentials")
    assert ConnectionLog.objects.get().reason == RefusalReason.BAD_CREDENTIALS


def test_the_right_credentials_are_admitted():
    StationFactory(station_id="CP-0042", password="s3cret")

    answer = admission(connect("CP-0042", username="CP-0042", password="s3cret"))

    assert answer["accepted"] is True


def test_no_common_subprotocol_is_refused_and_logged(station):
    answer = admission(connect(station, None, offered=["ocpp1.5"]))

    assert (answer["accepted"], answer["reason"]) == (False, "no_subprotocol")
    entry = ConnectionLog.objects.get()
    assert (entry.event, entry.reason, entry.subprotocols) == (
        ConnectionEvent.REFUSED, RefusalReason.NO_SUBPROTOCOL, "ocpp1.5")


def boot_201(station):
    payload = {"reason": "PowerUp", "chargingStation": {"vendorName": "V", "model": "M"}}
    assert send(call(station, "2.0.1", "BootNotification", payload))["payload"]["status"] == "Accepted"


def test_a_station_never_booted_must_boot_first(station):
    assert admission(connect(station, "2.0.1"))["boot_accepted"] is False


def test_a_station_accepted_at_its_last_boot_may_skip_the_boot(station):
    boot_201(station)

    assert admission(connect(station, "2.0.1", conn="sock-2"))["boot_accepted"] is True


def test_a_station_accepted_before_must_boot_again_once_the_operator_withdrew_acceptance(station):
    boot_201(station)
    station.registration = Registration.PENDING
    station.save()

    assert admission(connect(station, "2.0.1", conn="sock-2"))["boot_accepted"] is False


def test_a_station_whose_last_boot_was_pending_must_boot_again():
    station = StationFactory(registration=Registration.PENDING)
    send(call(station, "2.0.1", "BootNotification",
              {"reason": "PowerUp", "chargingStation": {"vendorName": "V", "model": "M"}}))
    station.registration = Registration.ACCEPTED
    station.save()

    assert admission(connect(station, "2.0.1", conn="sock-2"))["boot_accepted"] is False


def test_a_newer_connection_takes_the_station_over(station, published, django_capture_on_commit_callbacks):
    admission(connect(station, node="node-a", conn="old-sock"))

    with django_capture_on_commit_callbacks(execute=True):
        answer = admission(connect(station, node="node-b", conn="new-sock", at=AT))

    assert answer["accepted"] is True
    station.refresh_from_db()
    assert (station.node.node_id, station.conn) == ("node-b", "new-sock")


def test_a_takeover_is_logged_against_the_old_socket(station, published, django_capture_on_commit_callbacks):
    admission(connect(station, node="node-a", conn="old-sock"))

    with django_capture_on_commit_callbacks(execute=True):
        admission(connect(station, node="node-b", conn="new-sock", at=AT))

    replaced = ConnectionLog.objects.get(event=ConnectionEvent.REPLACED)
    assert (replaced.station, replaced.node_id, replaced.conn, replaced.at) == (
        station, "node-a", "old-sock", datetime.fromisoformat(AT))
    assert "new-sock" in replaced.reason


def test_a_takeover_tells_the_old_node_to_close_the_old_socket_after_commit(
        station, published, django_capture_on_commit_callbacks):
    admission(connect(station, node="node-a", conn="old-sock"))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admission(connect(station, node="node-b", conn="new-sock"))
        assert published == []  # nothing is announced before the commit
    for callback in callbacks:
        callback()

    [(node_id, close)] = published
    assert node_id == "node-a"
    assert (close.kind, close.action, close.station, close.node, close.conn) == (
        "command", "Close", "CP-0042", "node-a", "old-sock")


def test_a_first_connection_closes_nothing(station, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admission(connect(station, conn="sock-1"))

    assert published == []
    assert not ConnectionLog.objects.filter(event=ConnectionEvent.REPLACED).exists()


def test_a_resent_connect_of_the_same_socket_closes_nothing(station, published, django_capture_on_commit_callbacks):
    admission(connect(station, conn="sock-1"))

    with django_capture_on_commit_callbacks(execute=True):
        admission(connect(station, conn="sock-1"))

    assert published == []
