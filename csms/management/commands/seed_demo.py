"""Create the demo login and a few demo stations on the embedded database, once; print where to go."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from stations.services import StationSpec, provision_station
from transactions.services import IdTokenSpec, provision_token

DEMO_USER, DEMO_PASSWORD = "admin", "admin"
DEMO_STATIONS = [
    StationSpec(station_id="CP-DEMO-1", name="Depot bay 1", latitude=Decimal("52.520008"),
                longitude=Decimal("13.404954"), address="Alexanderplatz 1, Berlin"),
    StationSpec(station_id="CP-DEMO-2", name="Depot bay 2", latitude=Decimal("52.516275"),
                longitude=Decimal("13.377704"), address="Pariser Platz, Berlin"),
    StationSpec(station_id="CP-DEMO-3", name="Office car park", latitude=Decimal("48.137154"),
                longitude=Decimal("11.576124"), address="Marienplatz, Munich"),
]
# What `manage.py simulate` connects as by default (prefix SIM-, numbered from 1).
# Spread around Berlin so the map has something to show.
DEMO_STATIONS += [StationSpec(station_id=f"SIM-{n:04d}", name=f"Simulated station {n}",
                              latitude=Decimal("52.50") + Decimal(n % 5) * Decimal("0.02"),
                              longitude=Decimal("13.30") + Decimal(n // 5) * Decimal("0.05"))
                  for n in range(1, 11)]
# The id tags `simulate --sessions N` uses by default (one per simulated station).
DEMO_TOKENS = [f"SIM-TAG-{n:04d}" for n in range(1, 11)]


class Command(BaseCommand):
    help = "Embedded mode only: create the demo admin login and demo stations if missing, and print the URLs."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options):
        if not settings.DEMO:
            raise CommandError("DEMO is off: the demo login exists only on the embedded SQLite database")
        User = get_user_model()
        if not User.objects.filter(username=DEMO_USER).exists():
            User.objects.create_superuser(DEMO_USER, "admin@example.invalid", DEMO_PASSWORD)
            for spec in DEMO_STATIONS:
                provision_station(spec)
            for value in DEMO_TOKENS:
                provision_token(spec=IdTokenSpec(value=value, owner="demo"))
        self.stdout.write(
            f"\n  Portal:   http://{host}:{port}/   login {DEMO_USER} / {DEMO_PASSWORD} (demo only)\n"
            f"  Admin:    http://{host}:{port}/admin/\n"
            f"  Stations: ws://{host}:{port}/ocpp/<station id>   e.g. ws://{host}:{port}/ocpp/CP-DEMO-1\n"
            f"  Try:      python manage.py simulate --url ws://{host}:{port}/ocpp/ --stations 10\n")
