"""/api/v1/transactions/ (with meter values, notes, events, close), reservations and charging profiles."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.support.factories import StationFactory
from tests.support.transaction_factories import TransactionFactory
from transactions.choices import NoteKind, ReservationStatus, TransactionStatus
from transactions.models import ChargingProfile, DataQualityNote, MeterValue, Reservation, TransactionEventRecord

pytestmark = pytest.mark.django_db
URL = "/api/v1/transactions/"


def ids(response):
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_viewers_list_sessions_newest_first_in_constant_queries(viewer_client, django_assert_num_queries):
    now = timezone.now()
    sessions = [TransactionFactory(started_at=now - timedelta(hours=n)) for n in range(6)]

    with django_assert_num_queries(4):  # token + role lookup, count, page with stations joined
        response = viewer_client.get(URL)

    assert ids(response) == [s.pk for s in sessions]
    assert response.json()["results"][0]["station"] == sessions[0].station.station_id


def test_sessions_filter_by_station_token_time_status_stale_and_orphan(viewer_client):
    now = timezone.now()
    here = StationFactory(station_id="CP-1")
    a = TransactionFactory(station=here, id_token_value="TAG-A", started_at=now - timedelta(days=2))
    b = TransactionFactory(station=here, started_at=now, status=TransactionStatus.ENDED)
    c = TransactionFactory(stale=True, orphan=True, started_at=now - timedelta(hours=1))

    assert ids(viewer_client.get(URL, {"station": "CP-1"})) == [b.pk, a.pk]
    assert ids(viewer_client.get(URL, {"token": "TAG-A"})) == [a.pk]
    since = (now - timedelta(days=1)).isoformat()
    assert ids(viewer_client.get(URL, {"started_after": since})) == [b.pk, c.pk]
    assert ids(viewer_client.get(URL, {"started_before": since})) == [a.pk]
    assert ids(viewer_client.get(URL, {"status": "Ended"})) == [b.pk]
    assert ids(viewer_client.get(URL, {"stale": "true"})) == [c.pk]
    assert ids(viewer_client.get(URL, {"orphan": "true"})) == [c.pk]
    assert ids(viewer_client.get(URL, {"ordering": "started_at"})) == [a.pk, c.pk, b.pk]


@pytest.mark.parametrize("query", [{"started_after": "yesterday"}, {"status": "Paused"}, {"evse_id": "one"}])
def test_a_bad_filter_is_a_400_naming_it(viewer_client, query):
    response = viewer_client.get(URL, query)

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == set(query)


def test_the_detail_shows_notes_and_events_and_links_meter_values(viewer_client):
    session = TransactionFactory(ocpp_version="2.0.1", station_tx_id="tx-1")
    now = timezone.now()
    DataQualityNote.objects.create(station=session.station, transaction=session, kind=NoteKind.SEQ_GAP,
                                   detail="seqNo 1 not received", at=now)
    TransactionEventRecord.objects.create(transaction=session, seq_no=0, event_type="Started",
                                          trigger_reason="Authorized", timestamp=now, payload={"a": 1},
                                          received_at=now)

    body = viewer_client.get(f"{URL}{session.pk}/").json()

    assert body["station_tx_id"] == "tx-1"
    assert [n["kind"] for n in body["notes"]] == ["seq_gap"]
    assert [(e["seq_no"], e["event_type"]) for e in body["events"]] == [(0, "Started")]
    assert viewer_client.get(f"{URL}999999/").status_code == 404


def test_meter_values_are_a_paged_sub_resource_in_time_order(viewer_client):
    session = TransactionFactory()
    start = timezone.now()
    for n in range(5):
        for measurand in ("Energy.Active.Import.Register", "Power.Active.Import"):
            MeterValue.objects.create(station=session.station, transaction=session, evse_id=1, connector_id=1,
                                      timestamp=start + timedelta(minutes=n), measurand=measurand,
                                      value=Decimal(n * 100), unit="Wh", received_at=start)

    first = viewer_client.get(f"{URL}{session.pk}/meter-values/",
                              {"measurand": "Energy.Active.Import.Register", "page_size": 3}).json()
    second = viewer_client.get(first["next"]).json()

    assert [Decimal(v["value"]) for v in first["results"] + second["results"]] == [0, 100, 200, 300, 400]
    assert second["next"] is None
    assert viewer_client.get(f"{URL}999999/meter-values/").status_code == 404


def test_an_operator_closes_a_session_with_a_reason_once(operator_client):
    session = TransactionFactory()

    response = operator_client.post(f"{URL}{session.pk}/close/", {"reason": "car left"}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["closed_by"], body["close_note"]) == ("Ended", "api-operator", "car left")
    assert [n["kind"] for n in body["notes"]] == ["operator_closed"]
    again = operator_client.post(f"{URL}{session.pk}/close/", {"reason": "again"}, format="json")
    assert again.status_code == 409


def test_closing_needs_a_reason_and_the_operator_role(operator_client, viewer_client, anon_client):
    session = TransactionFactory()

    missing = operator_client.post(f"{URL}{session.pk}/close/", {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"]
    extra = operator_client.post(f"{URL}{session.pk}/close/", {"reason": "x", "force": True}, format="json")
    assert extra.status_code == 400 and "force" in extra.json()["error"]["fields"]
    assert viewer_client.post(f"{URL}{session.pk}/close/", {"reason": "x"}, format="json").status_code == 403
    assert anon_client.get(URL).status_code == 401
    session.refresh_from_db()
    assert session.status == TransactionStatus.ACTIVE


def test_sessions_are_read_only(operator_client):
    session = TransactionFactory()

    assert operator_client.delete(f"{URL}{session.pk}/").status_code == 405
    assert operator_client.post(URL, {}, format="json").status_code == 405


def test_reservations_list_and_filter(viewer_client, django_assert_num_queries):
    station = StationFactory(station_id="CP-R")
    expires = timezone.now() + timedelta(hours=1)
    held = Reservation.objects.create(station=station, reservation_id=1, evse_id=1, id_token_value="TAG",
                                      expires_at=expires, status=ReservationStatus.ACCEPTED)
    Reservation.objects.create(station=StationFactory(), reservation_id=2, id_token_value="OTHER",
                               expires_at=expires, status=ReservationStatus.EXPIRED)

    with django_assert_num_queries(4):
        response = viewer_client.get("/api/v1/reservations/", {"station": "CP-R", "status": "accepted"})

    assert ids(response) == [held.pk]
    assert response.json()["results"][0]["id_token"] == "TAG"
    assert viewer_client.post("/api/v1/reservations/", {}, format="json").status_code in (403, 405)


def test_charging_profiles_list_and_filter(viewer_client, operator_client, django_assert_num_queries):
    station = StationFactory(station_id="CP-P")
    profile = ChargingProfile.objects.create(station=station, evse_id=1, profile_id=7, stack_level=1,
                                             purpose="TxDefaultProfile", kind="Absolute", schedules=[{"x": 1}],
                                             status="installed")
    ChargingProfile.objects.create(station=StationFactory(), evse_id=0, profile_id=8, stack_level=0,
                                   purpose="ChargingStationMaxProfile", kind="Absolute", schedules=[], status="cleared")

    with django_assert_num_queries(4):
        response = viewer_client.get("/api/v1/charging-profiles/", {"station": "CP-P", "status": "installed"})

    assert ids(response) == [profile.pk]
    assert response.json()["results"][0]["schedules"] == [{"x": 1}]
    assert operator_client.delete(f"/api/v1/charging-profiles/{profile.pk}/").status_code == 405
