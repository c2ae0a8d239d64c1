"""Provisioning stations from the command line (add_station) and from a CSV file (import_stations)."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stations.choices import Registration
from stations.models import ChargingStation
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db
HEADER = "station_id,password,registration,name,lat,lon,address\n"


def run(command, *args, **options):
    out = StringIO()
    call_command(command, *args, stdout=out, **options)
    return out.getvalue().strip()


def add_full(**overrides):
    options = {"password": "s3cret", "registration": "Pending", "name": "Depot bay 1", "lat": "52.520008",
               "lon": "13.404954", "address": "Alexanderplatz 1, Berlin"} | overrides
    return run("add_station", "CP-0001", **options)


def test_add_station_creates_the_station_with_every_field():
    assert add_full() == "CP-0001: created"

    station = ChargingStation.objects.get(station_id="CP-0001")
    assert (station.name, station.registration, station.latitude, station.longitude, station.address) == (
        "Depot bay 1", Registration.PENDING, Decimal("52.520008"), Decimal("13.404954"), "Alexanderplatz 1, Berlin")


def test_add_station_stores_the_password_hashed():
    add_full(password="s3cret")

    station = ChargingStation.objects.get(station_id="CP-0001")
    assert station.password != "s3cret"
    assert station.check_password("s3cret")
    assert not station.check_password("S3cret")


def test_add_station_accepts_registration_in_any_case():
    add_full(registration="rejected")

    assert ChargingStation.objects.get(station_id="CP-0001").registration == Registration.REJECTED


def test_running_add_station_twice_changes_nothing():
    add_full()
    before = ChargingStation.objects.values("updated_at", "password").get(station_id="CP-0001")

    assert add_full() == "CP-0001: unchanged"

    assert ChargingStation.objects.values("updated_at", "password").get(station_id="CP-0001") == before


def test_add_station_with_a_change_updates_the_station():
    add_full()

    assert add_full(name="Depot bay 2") == "CP-0001: updated"

    assert ChargingStation.objects.get(station_id="CP-0001").name == "Depot bay 2"


def test_add_station_with_a_new_password_updates_it():
    add_full(password="old-one")

    assert add_full(password="new-one") == "CP-0001: updated"

    assert ChargingStation.objects.get(station_id="CP-0001").check_password("new-one")


def test_add_station_without_options_leaves_existing_fields_alone():
    StationFactory(station_id="CP-0001", name="Kept", registration=Registration.PENDING, password="kept")

    assert run("add_station", "CP-0001") == "CP-0001: unchanged"

    station = ChargingStation.objects.get(station_id="CP-0001")
    assert (station.name, station.registration, station.check_password("kept")) == ("Kept", Registration.PENDING, True)


@pytest.mark.parametrize("options, field", [
    ({"registration": "Maybe"}, "registration"),
    ({"lat": "91", "lon": "13"}, "lat"),
    ({"lat": "52", "lon": "-180.5"}, "lon"),
    ({"lat": "north", "lon": "13"}, "lat"),
    ({"lat": "52"}, "lat and lon"),
], ids=["unknown registration", "latitude out of range", "longitude out of range", "latitude not a number",
        "latitude without longitude"])
def test_add_station_refuses_a_bad_value_naming_the_field(options, field):
    with pytest.raises(CommandError, match=f"^{field}"):
        run("add_station", "CP-0001", **options)

    assert not ChargingStation.objects.exists()


@pytest.mark.parametrize("station_id", ["CP/0001", "CP 0001", "x" * 49, "CP%2F1"],
                         ids=["slash", "space", "49 characters", "percent"])
def test_add_station_refuses_a_station_id_that_does_not_fit_a_url(station_id):
    with pytest.raises(CommandError, match="^station_id"):
        run("add_station", station_id)

    assert not ChargingStation.objects.exists()


def test_add_station_refuses_a_name_longer_than_100_characters_naming_the_field():
    with pytest.raises(CommandError, match="^name: .*100 characters"):
        run("add_station", "CP-0001", name="n" * 101)

    assert not ChargingStation.objects.exists()


def test_a_station_id_of_48_characters_is_accepted():
    assert run("add_station", "x" * 48) == f"{'x' * 48}: created"


@pytest.fixture
def csv_file(tmp_path):
    def write(text):
        path = tmp_path / "stations.csv"
        path.write_text(text, encoding="utf-8")
        return path
    return write


ROWS = (HEADER
        + "CP-0001,s3cret,Accepted,Depot bay 1,52.520008,13.404954,\"Alexanderplatz 1, Berlin\"\n"
        + "CP-0002,,Pending,Depot bay 2,,,\n"
        + "CP-0003,,,,,,\n")


def test_import_stations_creates_every_row(csv_file):
    assert run("import_stations", str(csv_file(ROWS))) == "3 created, 0 updated, 0 unchanged"

    assert dict(ChargingStation.objects.values_list("station_id", "registration")) == {
        "CP-0001": Registration.ACCEPTED, "CP-0002": Registration.PENDING, "CP-0003": Registration.ACCEPTED}
    first = ChargingStation.objects.get(station_id="CP-0001")
    assert (first.address, first.latitude, first.check_password("s3cret")) == (
        "Alexanderplatz 1, Berlin", Decimal("52.520008"), True)


def test_importing_the_same_file_twice_changes_nothing(csv_file):
    path = csv_file(ROWS)
    run("import_stations", str(path))
    before = list(ChargingStation.objects.values("station_id", "updated_at", "password"))

    assert run("import_stations", str(path)) == "0 created, 0 updated, 3 unchanged"

    assert list(ChargingStation.objects.values("station_id", "updated_at", "password")) == before


def test_import_stations_counts_updated_rows(csv_file):
    StationFactory(station_id="CP-0002", name="Old name")

    assert run("import_stations", str(csv_file(ROWS))) == "2 created, 1 updated, 0 unchanged"


def test_an_unknown_column_fails_naming_file_header_line_and_column_and_imports_nothing(csv_file):
    path = csv_file("station_id,colour\nCP-0001,red\n")

    with pytest.raises(CommandError, match=f"^{re.escape(str(path))}:1: unknown columns colour"):
        run("import_stations", str(path))

    assert not ChargingStation.objects.exists()


def test_a_header_without_station_id_fails_naming_file_and_header_line(csv_file):
    path = csv_file("name,address\nDepot,Berlin\n")

    with pytest.raises(CommandError, match=f"^{re.escape(str(path))}:1: .*station_id"):
        run("import_stations", str(path))


@pytest.mark.parametrize("bad_row, field", [
    ("CP-0002,,Sometimes,,,,", "registration"),
    ("CP-0002,,,,95,10,", "lat"),
    ("CP/0002,,,,,,", "station_id"),
    (f"CP-0002,,,{'n' * 101},,,", "name"),
    ("CP-0002,,,,52.1,13.1,Alexanderplatz 1, Berlin", "more cells than columns"),
], ids=["unknown registration", "latitude out of range", "station id with a slash", "name too long",
        "unquoted comma"])
def test_a_bad_row_fails_naming_file_and_line_and_imports_nothing(csv_file, bad_row, field):
    path = csv_file(HEADER + "CP-0001,,,,,,\n" + bad_row + "\nCP-0003,,,,,,\n")

    with pytest.raises(CommandError, match=f"^{re.escape(str(path))}:3: .*{field}"):
        run("import_stations", str(path))

    assert not ChargingStation.objects.exists()


def test_an_unquoted_comma_in_the_first_row_fails_naming_file_and_line(csv_file):
    path = csv_file("station_id,address\nCP-0001,Alexanderplatz 1, Berlin\n")

    with pytest.raises(CommandError, match=f"^{re.escape(str(path))}:2: more cells than columns"):
        run("import_stations", str(path))


def test_the_line_named_is_the_line_in_the_file_despite_blank_lines(csv_file):
    path = csv_file(HEADER + "CP-0001,,,,,,\n\n\nCP-0002,,Sometimes,,,,\n")

    with pytest.raises(CommandError, match=f"^{re.escape(str(path))}:5: registration"):
        run("import_stations", str(path))


def test_a_file_that_is_not_utf8_fails_naming_it(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("station_id,name\nCP-0001,Gare de l'Est \u2013 Quai 3\n".encode("cp1252"))

    with pytest.raises(CommandError, match=f"^cannot read {re.escape(str(path))}"):
        run("import_stations", str(path))

    assert not ChargingStation.objects.exists()


def test_a_missing_file_fails_naming_it(tmp_path):
    with pytest.raises(CommandError, match="cannot read .*nowhere.csv"):
        run("import_stations", str(tmp_path / "nowhere.csv"))
