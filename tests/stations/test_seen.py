"""Heartbeats a node answered itself, applied by central in bulk: the `seen` envelope."""

from datetime import datetime

import pytest

from csms.envelope import Envelope
from stations.models import ChargingStation
from tests.support.envelopes import send
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db
EARLY, LATE = "2026-12-01T10:00:00.000Z", "2026-12-01T10:05:00.000Z"


def seen(entries: dict[str, tuple[str, str]]) -> Envelope:
    return Envelope(kind="seen", node="node-a",
                    payload={"stations": {s: {"conn": conn, "at": at} for s, (conn, at) in entries.items()}})


def last_seen(station_id: str) -> datetime | None:
    return ChargingStation.objects.get(station_id=station_id).last_seen


def test_many_stations_seen_are_updated_with_one_query_per_chunk(django_assert_max_num_queries):
    stations = [StationFactory(station_id=f"CP-{i:04d}", conn=f"conn-{i}", online=True) for i in range(450)]
    with django_assert_max_num_queries(6):  # the pk-ordered lock; 3 UPDATEs on SQLite (1 on PostgreSQL); the commit
        reply = send(seen({s.station_id: (s.conn, LATE) for s in stations}))
    assert reply["kind"] == "seen" and reply["payload"] == {"matched": 450}
    assert set(ChargingStation.objects.values_list("last_seen", flat=True)) == {datetime.fromisoformat(LATE)}


def test_an_entry_from_a_connection_that_no_longer_owns_the_station_is_ignored():
    StationFactory(station_id="CP-MOVED", conn="conn-new", online=True, last_seen=datetime.fromisoformat(EARLY))
    StationFactory(station_id="CP-GONE", conn="", online=False, last_seen=datetime.fromisoformat(EARLY))

    reply = send(seen({"CP-MOVED": ("conn-old", LATE), "CP-GONE": ("conn-old", LATE)}))

    assert reply["payload"] == {"matched": 0}
    assert last_seen("CP-MOVED") == last_seen("CP-GONE") == datetime.fromisoformat(EARLY)
    assert not ChargingStation.objects.get(station_id="CP-GONE").online


def test_last_seen_never_moves_back():
    StationFactory(station_id="CP-1", conn="conn-1", online=True, last_seen=datetime.fromisoformat(LATE))
    StationFactory(station_id="CP-2", conn="conn-2", online=True, last_seen=None)

    send(seen({"CP-1": ("conn-1", EARLY), "CP-2": ("conn-2", EARLY)}))  # a report retried after a newer message

    assert last_seen("CP-1") == datetime.fromisoformat(LATE)
    assert last_seen("CP-2") == datetime.fromisoformat(EARLY)


def test_an_unknown_station_in_the_report_does_not_spoil_the_others():
    StationFactory(station_id="CP-1", conn="conn-1", online=True)

    reply = send(seen({"CP-NOBODY": ("conn-x", LATE), "CP-1": ("conn-1", LATE)}))

    assert reply["payload"] == {"matched": 1}
    assert last_seen("CP-1") == datetime.fromisoformat(LATE)


def test_a_batch_locks_the_stations_a_seen_report_names_with_its_own_in_one_ordered_pass(monkeypatch):
    """Locks taken after the batch's first pass could close a cycle with another worker's batch (a deadlock that
    PostgreSQL breaks only after a second): every station a batch writes is locked in the first pass."""
    from csms import dispatch
    from tests.support.envelopes import call

    mine, named = StationFactory(conn="conn-a", online=True), StationFactory(conn="conn-b", online=True)
    passes = []
    real = dispatch.lock_stations

    def recording(station_ids):
        station_ids = set(station_ids)
        passes.append(station_ids - {""})
        return real(station_ids)

    monkeypatch.setattr(dispatch, "lock_stations", recording)
    replies = dispatch.handle_envelopes([call(mine, "1.6", "Heartbeat", {}).to_dict(),
                                         seen({named.station_id: ("conn-b", LATE)}).to_dict()])

    assert passes == [{mine.station_id, named.station_id}]
    assert replies[1]["payload"] == {"matched": 1}
    assert last_seen(named.station_id) == datetime.fromisoformat(LATE)


@pytest.mark.postgres
def test_on_postgresql_one_update_applies_the_report_as_the_orm_path_does(django_assert_max_num_queries):
    StationFactory(station_id="CP-NEWER", conn="conn-1", online=True, last_seen=datetime.fromisoformat(LATE))
    StationFactory(station_id="CP-NEVER", conn="conn-2", online=False, last_seen=None)
    StationFactory(station_id="CP-MOVED", conn="conn-new", online=True, last_seen=datetime.fromisoformat(EARLY))
    StationFactory(station_id="CP-GONE", conn="", online=False, last_seen=datetime.fromisoformat(EARLY))
    many = [StationFactory(station_id=f"CP-{i:04d}", conn=f"conn-m{i}", online=True) for i in range(300)]
    report = {"CP-NEWER": ("conn-1", EARLY), "CP-NEVER": ("conn-2", EARLY), "CP-MOVED": ("conn-old", LATE),
              "CP-GONE": ("conn-old", LATE), "CP-NOBODY": ("conn-x", LATE)}
    report |= {s.station_id: (s.conn, LATE) for s in many}

    with django_assert_max_num_queries(4):  # the pk-ordered lock, one UPDATE, the commit
        reply = send(seen(report))

    assert reply["payload"] == {"matched": 302}
    assert last_seen("CP-NEWER") == datetime.fromisoformat(LATE)  # never moves back
    assert last_seen("CP-NEVER") == datetime.fromisoformat(EARLY)
    assert ChargingStation.objects.get(station_id="CP-NEVER").online
    assert last_seen("CP-MOVED") == last_seen("CP-GONE") == datetime.fromisoformat(EARLY)
    assert not ChargingStation.objects.get(station_id="CP-GONE").online
    assert {last_seen(s.station_id) for s in many} == {datetime.fromisoformat(LATE)}
