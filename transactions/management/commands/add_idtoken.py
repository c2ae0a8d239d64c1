from django.core.management.base import BaseCommand, CommandError

from csms.exceptions import CsmsError
from transactions.services import provision_token, spec_from_text


class Command(BaseCommand):
    help = ("Create or update one id token (idempotent: running it twice changes nothing). "
            "Options left out keep what is stored.")

    def add_arguments(self, parser):
        parser.add_argument("value", help="the idTag / idToken as stations send it (1..36 characters; 1.6: 20)")
        parser.add_argument("--status", help="Accepted (default), Blocked, Expired or Invalid")
        parser.add_argument("--type", help="ISO14443 (default), ISO15693, eMAID, KeyCode, Local, MacAddress, Central")
        parser.add_argument("--expiry",
                            help="ISO-8601, e.g. 2026-12-31T23:59:59Z (no offset: in TIME_ZONE); 'none' clears")
        parser.add_argument("--parent", help="value of an existing group token; 'none' leaves the group")
        parser.add_argument("--owner", help="who holds it: a driver, a fleet, a customer id")
        parser.add_argument("--max-concurrent", help="sessions at once (default 1); 0 or 'none': no limit")

    def handle(self, *args, **options):
        try:
            token, outcome = provision_token(spec=spec_from_text(options))
        except CsmsError as exc:
            raise CommandError(f"{exc.field or 'value'}: {exc}") from exc
        self.stdout.write(f"{token.value}: {outcome}")
