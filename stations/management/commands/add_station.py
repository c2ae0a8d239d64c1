from django.core.management.base import BaseCommand, CommandError

from csms.exceptions import CsmsError
from stations.management.commands._station_options import spec_from
from stations.services import provision_station


class Command(BaseCommand):
    help = "Create or update one station (idempotent: running it twice changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("station_id")
        parser.add_argument("--password", help="HTTP Basic password (security profile 1); stored hashed")
        parser.add_argument("--registration", help="Accepted (default), Pending or Rejected")
        parser.add_argument("--name")
        parser.add_argument("--lat", help="latitude, -90..90")
        parser.add_argument("--lon", help="longitude, -180..180")
        parser.add_argument("--address")

    def handle(self, *args, **options):
        spec = spec_from(options)
        try:
            station, outcome = provision_station(spec)
        except CsmsError as exc:
            raise CommandError(f"{exc.field or 'station'}: {exc}") from exc
        self.stdout.write(f"{station.station_id}: {outcome}")
