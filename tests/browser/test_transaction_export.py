"""The transaction list's "Export CSV" downloads every session of the list's filter as CSV."""

import csv
import io

import pytest

from transactions.models import Transaction

pytestmark = pytest.mark.timeout(60)


def test_export_csv_downloads_every_session_with_its_energy(browse, operator, portal_data):
    focus = Transaction.objects.get(pk=portal_data.transaction_pk)
    b = browse("olivia")
    b.goto("/transactions/")

    with b.page.expect_download() as download:
        b.page.get_by_role("link", name="Export CSV").click()

    assert download.value.suggested_filename.startswith("transactions-")
    assert download.value.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert len(rows) == portal_data.transactions
    assert {r["id"] for r in rows} == {str(pk) for pk in Transaction.objects.values_list("pk", flat=True)}
    row = next(r for r in rows if r["id"] == str(focus.pk))
    assert (row["station_id"], row["id_token"], row["status"]) == (portal_data.station_id, focus.id_token_value,
                                                                   focus.status)
    assert float(row["energy_wh"]) == float(focus.energy_wh)
    b.assert_clean()


def test_export_keeps_the_list_s_filter(browse, operator, portal_data):
    b = browse("olivia")
    b.goto("/transactions/")
    b.page.fill("input[name=station]", portal_data.station_id)
    with b.page.expect_navigation():
        b.page.get_by_role("button", name="Filter").click()
    with b.page.expect_download() as download:
        b.page.get_by_role("link", name="Export CSV").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    expected = Transaction.objects.filter(station__station_id=portal_data.station_id).count()
    assert len(rows) == expected and {r["station_id"] for r in rows} == {portal_data.station_id}
    b.assert_clean()
