"""seed_demo: the demo login and stations of the embedded mode, created once, never on a real database."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from stations.models import ChargingStation

pytestmark = pytest.mark.django_db
DEMO_STATIONS = {"CP-DEMO-1", "CP-DEMO-2", "CP-DEMO-3"} | {f"SIM-{n:04d}" for n in range(1, 11)}


def seed(**options):
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_seed_demo_creates_the_admin_login(client):
    seed()

    assert client.login(username="admin", password="admin")
    assert get_user_model().objects.get(username="admin").is_superuser


def test_seed_demo_creates_the_demo_and_simulator_stations():
    seed()

    assert set(ChargingStation.objects.values_list("station_id", flat=True)) == DEMO_STATIONS


def test_seeding_twice_creates_nothing_more():
    seed()
    before = (list(ChargingStation.objects.values("station_id", "updated_at")),
              list(get_user_model().objects.values("username", "password")))

    seed()

    assert (list(ChargingStation.objects.values("station_id", "updated_at")),
            list(get_user_model().objects.values("username", "password"))) == before


def test_seed_demo_prints_where_to_log_in():
    assert "http://127.0.0.1:8123/admin/" in seed(port=8123)


def test_seed_demo_refuses_when_demo_is_off(settings):
    settings.DEMO = False

    with pytest.raises(CommandError, match="DEMO"):
        seed()

    assert not get_user_model().objects.exists()
    assert not ChargingStation.objects.exists()
