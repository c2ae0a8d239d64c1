"""The transactions pages: list and filters, CSV export, one session with its chart, live fragment and close."""

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from stations.models import Command
from tests.support.factories import StationFactory
from tests.support.transaction_factories import IdTokenFactory, TransactionFactory
from transactions import selectors
from transactions.choices import EventType, NoteKind, TokenStatus, TransactionStatus
from transactions.models import DataQualityNote, MeterValue, Transaction, TransactionEventRecord

LIST = reverse("transaction_list")
EXPORT = reverse("transaction_export")
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def ids_on_page(response) -> list[int]:
    return [tx.pk for tx in response.context["page"]]


def exported(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def reading(tx, minutes: int, measurand: str, value, phase: str = "") -> MeterValue:
    return MeterValue.objects.create(station=tx.station, transaction=tx, evse_id=1, connector_id=1,
                                     timestamp=T0 + timedelta(minutes=minutes), measurand=measurand, phase=phase,
                                     value=Decimal(value), unit="Wh", received_at=T0)


# --- the list ------------------------------------------------------------------------------------------------

def test_list_shows_each_session_with_its_columns_and_a_link(viewer_client):
    tx = TransactionFactory(station=StationFactory(station_id="CP-7"), id_token=IdTokenFactory(value="CARD-1"),
                            started_at=T0, ended_at=T0 + timedelta(hours=1, minutes=5), energy_wh=Decimal("12345.6"),
                            status=TransactionStatus.ENDED, stop_reason="EVDisconnected")
    page = viewer_client.get(LIST).content.decode()
    assert f'href="{reverse("transaction_detail", args=[tx.pk])}"' in page
    for text in ("CP-7", "CARD-1", "2025-03-01 08:00:00", "2025-03-01 09:05:00", "1 h 05 min", "12.346", "Ended",
                 "EVDisconnected"):
        assert text in page


def test_station_filter_is_exact_when_the_id_names_a_station(viewer_client):
    one = TransactionFactory(station=StationFactory(station_id="CP-1"))
    TransactionFactory(station=StationFactory(station_id="CP-10"))
    assert ids_on_page(viewer_client.get(LIST, {"station": "CP-1"})) == [one.pk]


def test_station_filter_matches_part_of_an_id_otherwise(viewer_client):
    a = TransactionFactory(station=StationFactory(station_id="DEPOT-A"), started_at=T0)
    b = TransactionFactory(station=StationFactory(station_id="depot-b"), started_at=T0 + timedelta(hours=1))
    TransactionFactory(station=StationFactory(station_id="MALL-1"))
    assert ids_on_page(viewer_client.get(LIST, {"station": "depot"})) == [b.pk, a.pk]


def test_token_filter_matches_the_value(viewer_client):
    mine = TransactionFactory(id_token=IdTokenFactory(value="MINE"))
    TransactionFactory(id_token=IdTokenFactory(value="OTHER"))
    assert ids_on_page(viewer_client.get(LIST, {"token": "MINE"})) == [mine.pk]


def test_date_range_includes_both_days_whole(viewer_client):
    before = TransactionFactory(started_at=datetime(2025, 2, 28, 23, 59, tzinfo=UTC))
    first = TransactionFactory(started_at=datetime(2025, 3, 1, 0, 0, tzinfo=UTC))
    last = TransactionFactory(started_at=datetime(2025, 3, 2, 23, 59, tzinfo=UTC))
    after = TransactionFactory(started_at=datetime(2025, 3, 3, 0, 0, tzinfo=UTC))
    shown = ids_on_page(viewer_client.get(LIST, {"started_from": "2025-03-01", "started_to": "2025-03-02"}))
    assert shown == [last.pk, first.pk]
    assert before.pk not in shown and after.pk not in shown


@pytest.mark.parametrize(("state", "expected"), [("active", {"active", "stale"}), ("ended", {"ended", "orphan"}),
                                                 ("stale", {"stale"}), ("orphan", {"orphan"})])
def test_status_filter(viewer_client, state, expected):
    made = {
        "active": TransactionFactory(),
        "stale": TransactionFactory(stale=True),
        "ended": TransactionFactory(status=TransactionStatus.ENDED, ended_at=timezone.now()),
        "orphan": TransactionFactory(status=TransactionStatus.ENDED, orphan=True, started_at=None),
    }
    shown = set(ids_on_page(viewer_client.get(LIST, {"state": state})))
    assert shown == {made[name].pk for name in expected}


def test_an_unparsable_filter_is_shown_and_filters_nothing(viewer_client):
    tx = TransactionFactory()
    response = viewer_client.get(LIST, {"started_from": "yesterday"})
    assert ids_on_page(response) == [tx.pk]
    assert "Enter a valid date." in response.content.decode()


def test_list_pages_by_fifty_newest_first_keeping_the_filters(viewer_client):
    station = StationFactory(station_id="CP-P")
    made = [TransactionFactory(station=station, started_at=T0 + timedelta(minutes=i)) for i in range(55)]
    first = viewer_client.get(LIST, {"station": "CP-P"})
    assert ids_on_page(first) == [tx.pk for tx in reversed(made)][:50]
    assert "?station=CP-P&amp;page=2" in first.content.decode()
    assert ids_on_page(viewer_client.get(LIST, {"station": "CP-P", "page": 2})) == [tx.pk for tx in made[4::-1]]


def test_list_costs_the_same_queries_for_one_row_or_a_full_page(viewer_client, django_assert_num_queries):
    TransactionFactory()
    viewer_client.get(LIST)  # the session and permission caches are warm from here on
    # session, user, the two permission lookups of can_operate, COUNT, the page with its stations
    with django_assert_num_queries(6):
        viewer_client.get(LIST)
    for _ in range(60):
        TransactionFactory()
    with django_assert_num_queries(6):
        viewer_client.get(LIST)


def test_export_link_carries_the_filters(viewer_client):
    page = viewer_client.get(LIST, {"station": "CP-1", "state": "ended", "page": "2"}).content.decode()
    assert f'href="{EXPORT}?station=CP-1&amp;state=ended"' in page


# --- the CSV export ------------------------------------------------------------------------------------------

def test_export_streams_a_header_and_one_row_per_session_in_utc(viewer_client):
    tx = TransactionFactory(station=StationFactory(station_id="CP-X"), id_token=IdTokenFactory(value="CARD-9"),
                            started_at=datetime(2025, 3, 1, 9, 30, tzinfo=timezone.get_fixed_timezone(60)),
                            ended_at=datetime(2025, 3, 1, 10, 0, tzinfo=UTC), status=TransactionStatus.ENDED,
                            energy_wh=Decimal("7500.250"), stop_reason="Local")
    TransactionFactory(energy_wh=None)
    response = viewer_client.get(EXPORT)
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="transactions-')
    rows = exported(response)
    assert len(rows) == 2
    row = next(r for r in rows if r["id"] == str(tx.pk))
    assert row == {
        "id": str(tx.pk), "station_id": "CP-X", "ocpp_version": "1.6", "station_tx_id": "", "evse_id": "1",
        "connector_id": "1", "id_token": "CARD-9", "status": "Ended", "stale": "0", "orphan": "0",
        "started_at": "2025-03-01T08:30:00Z", "ended_at": "2025-03-01T10:00:00Z", "duration_s": "5400",
        "energy_wh": "7500.250", "energy_kwh": "7.500", "stop_reason": "Local", "closed_by": "",
    }


def test_export_applies_the_same_filters_as_the_list(viewer_client):
    wanted = TransactionFactory(station=StationFactory(station_id="CP-E"), status=TransactionStatus.ENDED,
                                ended_at=timezone.now())
    TransactionFactory(station=wanted.station)  # active
    TransactionFactory(status=TransactionStatus.ENDED, ended_at=timezone.now())  # another station
    rows = exported(viewer_client.get(EXPORT, {"station": "CP-E", "state": "ended"}))
    assert [r["id"] for r in rows] == [str(wanted.pk)]


def test_export_reads_in_chunks_with_one_query_for_all_rows(viewer_client, django_assert_num_queries, monkeypatch):
    monkeypatch.setattr("transactions.views.sessions.EXPORT_CHUNK", 10)
    for _ in range(25):
        TransactionFactory()
    response = viewer_client.get(EXPORT)
    with django_assert_num_queries(1):  # no COUNT, no per-row query: one (server-side or chunked) cursor
        rows = exported(response)
    assert len(rows) == 25


# --- one session ---------------------------------------------------------------------------------------------

def test_detail_shows_the_session_its_token_and_chart_data(viewer_client):
    token = IdTokenFactory(value="CARD-D", status=TokenStatus.BLOCKED, owner="Dana")
    tx = TransactionFactory(id_token=token, started_at=T0, energy_wh=Decimal("1500"), power_w=Decimal("7200"))
    for minute, wh in enumerate((1000, 1600, 2500)):
        reading(tx, minute, "Energy.Active.Import.Register", wh)
    reading(tx, 1, "Power.Active.Import", 7200)
    response = viewer_client.get(reverse("transaction_detail", args=[tx.pk]))
    page = response.content.decode()
    for text in ("CARD-D", "Blocked", "Dana", "1.500", "7.20"):
        assert text in page
    chart = json.loads(re.search(r'<script id="tx-chart-data" type="application/json">(.*?)</script>', page,
                                 re.S).group(1))
    minute_ms = 60_000
    start = int(T0.timestamp() * 1000)
    assert chart == {"energy": [[start, 1000.0], [start + minute_ms, 1600.0], [start + 2 * minute_ms, 2500.0]],
                     "power": [[start + minute_ms, 7200.0]], "tz": "UTC"}
    assert "vendor/chartjs/chart.umd.min.js" in page


def test_detail_shows_events_notes_and_the_remote_start(viewer_client):
    tx = TransactionFactory(ocpp_version="2.0.1", station_tx_id="abc-1")
    tx.command = Command.objects.create(station=tx.station, ocpp_version="2.0.1", action="RequestStartTransaction",
                                        payload={}, message_id="msg-42", requested_by="olga")
    tx.save()
    TransactionEventRecord.objects.create(transaction=tx, seq_no=0, event_type=EventType.STARTED,
                                          trigger_reason="RemoteStart", timestamp=T0, payload={}, received_at=T0)
    DataQualityNote.objects.create(station=tx.station, transaction=tx, kind=NoteKind.SEQ_GAP,
                                   detail="seqNo 1 not received before seqNo 2", at=T0)
    page = viewer_client.get(reverse("transaction_detail", args=[tx.pk])).content.decode()
    for text in ("RemoteStart", "seqNo 1 not received before seqNo 2", "RequestStartTransaction", "msg-42", "olga"):
        assert text in page


def test_unknown_transaction_is_404(viewer_client):
    assert viewer_client.get(reverse("transaction_detail", args=[999])).status_code == 404


def test_meter_series_keeps_at_most_max_points_with_first_and_last(db):
    tx = TransactionFactory()
    for minute in range(100):
        reading(tx, minute, "Energy.Active.Import.Register", 1000 + minute)
    series = selectors.meter_series(tx, max_points=10)
    values = [v for _, v in series.energy_wh]
    assert len(values) <= 10
    assert values[0] == 1000 and values[-1] == 1099
    assert values == sorted(values)
    assert series.total_energy == 100 and series.downsampled


def test_meter_series_sums_phases_when_there_is_no_total_power(db):
    tx = TransactionFactory()
    for phase in ("L1", "L2", "L3"):
        reading(tx, 0, "Power.Active.Import", 2000, phase=phase)
    assert selectors.meter_series(tx).power_w == [(T0, Decimal(6000))]


def test_active_session_polls_its_live_fragment(viewer_client):
    tx = TransactionFactory(energy_wh=Decimal("2000"))
    live = reverse("transaction_live", args=[tx.pk])
    assert f'hx-get="{live}" hx-trigger="every 5s"' in viewer_client.get(
        reverse("transaction_detail", args=[tx.pk])).content.decode()
    tx.energy_wh = Decimal("3250")
    tx.save()
    fragment = viewer_client.get(live).content.decode()
    assert "3.250" in fragment and "hx-trigger" in fragment


def test_an_ended_sessions_fragment_stops_the_polling(viewer_client):
    tx = TransactionFactory(status=TransactionStatus.ENDED, ended_at=timezone.now())
    assert "hx-trigger" not in viewer_client.get(reverse("transaction_live", args=[tx.pk])).content.decode()


# --- closing by hand -----------------------------------------------------------------------------------------

def test_operator_closes_an_active_session_with_a_reason(operator_client):
    tx = TransactionFactory()
    detail = reverse("transaction_detail", args=[tx.pk])
    assert "Close</button>" in operator_client.get(detail).content.decode()
    response = operator_client.post(reverse("transaction_close", args=[tx.pk]), {"reason": "station replaced"},
                                     follow=True)
    tx.refresh_from_db()
    assert (tx.status, tx.closed_by, tx.close_note) == (TransactionStatus.ENDED, "operator", "station replaced")
    assert f"Transaction {tx.pk} closed." in response.content.decode()
    assert tx.notes.filter(kind=NoteKind.OPERATOR_CLOSED).exists()


def test_close_without_a_reason_changes_nothing(operator_client):
    tx = TransactionFactory()
    response = operator_client.post(reverse("transaction_close", args=[tx.pk]), {"reason": "  "}, follow=True)
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.ACTIVE
    assert "Give a reason" in response.content.decode()


def test_viewer_sees_no_close_form_and_is_refused_with_403(viewer_client):
    tx = TransactionFactory()
    assert "Close</button>" not in viewer_client.get(reverse("transaction_detail", args=[tx.pk])).content.decode()
    assert viewer_client.post(reverse("transaction_close", args=[tx.pk]), {"reason": "x"}).status_code == 403
    assert Transaction.objects.get(pk=tx.pk).status == TransactionStatus.ACTIVE


def test_pages_need_a_login(client, db):
    tx = TransactionFactory()
    for url in (LIST, EXPORT, reverse("transaction_detail", args=[tx.pk]), reverse("transaction_live", args=[tx.pk])):
        assert client.get(url).status_code == 302
