"""`manage.py runserver` serving through uvicorn (csms.server), exactly what the run command and nodes use.

Django's and daphne's runserver would serve through a different server than
production; this one keeps the name and the address argument, and on the
embedded default prints where to open the portal and where stations connect.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from csms.server import serve
from node.transport import WebSocketProtocol


class Command(BaseCommand):
    help = "Serve the portal, admin, API and /ocpp/<station id> through uvicorn (addrport default 127.0.0.1:8000)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--noreload", action="store_true", help="Accepted for compatibility; never reloads.")
        parser.add_argument("--nostatic", action="store_true", help="Accepted for compatibility.")
        parser.add_argument("--insecure", action="store_true", help="Accepted for compatibility.")

    def handle(self, *args, addrport: str, **options):
        host, _, port = addrport.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        if not port.isdigit():
            raise CommandError(f"{addrport!r} is not host:port or port")
        if settings.DEMO:
            call_command("seed_demo", host=host, port=int(port))
        self.stdout.write(f"CSMS on http://{host}:{port}/admin/  stations: ws://{host}:{port}/ocpp/<station id>")
        # The node's protocol, as `python -m node` runs: it names a client certificate's CN (security profile 3).
        serve("csms.asgi:application", host=host, port=int(port), ws=WebSocketProtocol)
