"""`manage.py simulate`: open N simulated stations against a CSMS and report what it answered.

A client only: it touches no database and may run on another machine than the CSMS.
Exit status 1 when anything went wrong (a refusal, a failed connect, a boot not Accepted,
a CALLERROR, a timeout, or a station still running when --duration ran out).
"""

import argparse
import asyncio
import sys
from typing import ClassVar

from django.core.management.base import BaseCommand, CommandError

from stations.simulator import FleetConfig, Script, render_summary, run_fleet, write_json
from stations.simulator.fleet import MODES


def _at_least(minimum: float, kind: type = int):
    def parse(text: str):
        value = kind(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return value

    return parse


class Command(BaseCommand):
    help = "Open simulated charging stations (OCPP 1.6J / 2.0.1) against a CSMS and report."
    # A client: no checks, no migrations, no database.
    requires_system_checks: ClassVar[list[str]] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        add = parser.add_argument
        add("--url", default="ws://127.0.0.1:8000/ocpp/", help="station id is appended")
        add("--stations", type=_at_least(1), default=5)
        add("--ocpp", choices=MODES, default="mixed", help="mixed alternates 1.6 and 2.0.1")
        add("--prefix", default="SIM-", help="ids are PREFIX0001, PREFIX0002, ...")
        add("--first", type=_at_least(0), default=1, help="number of the first station id")
        add("--connectors", type=_at_least(0), default=2)
        add("--boots", type=_at_least(1), default=1, help="BootNotifications per station")
        add("--heartbeats", type=_at_least(0), default=3, help="per station")
        add("--heartbeat-interval", type=_at_least(0, float), default=1.0, metavar="SECONDS")
        add("--password", help="HTTP Basic password; the username is the station id")
        add("--concurrency", type=_at_least(1), default=100, help="handshakes at once")
        add("--duration", type=_at_least(0.1, float), default=120.0, help="hard cap, seconds")
        add("--call-timeout", type=_at_least(0.1, float), default=30.0, metavar="SECONDS")
        add("--open-timeout", type=_at_least(0.1, float), default=10.0, metavar="SECONDS")
        add("--json", metavar="FILE", help="also write the counts and percentiles as JSON")
        add("--no-compression", action="store_true", help="do not offer permessage-deflate")

    def handle(self, *args, **options):
        script = Script(
            url=options["url"],
            password=options["password"],
            compression=not options["no_compression"],
            open_timeout=options["open_timeout"],
            call_timeout=options["call_timeout"],
            boots=options["boots"],
            connectors=options["connectors"],
            heartbeats=options["heartbeats"],
            heartbeat_interval=options["heartbeat_interval"],
        )
        config = FleetConfig(
            script=script,
            stations=options["stations"],
            ocpp=options["ocpp"],
            prefix=options["prefix"],
            first=options["first"],
            concurrency=options["concurrency"],
            duration=options["duration"],
        )
        # Progress goes to the real stderr so it stays visible when stdout is redirected.
        progress = sys.stderr if options["verbosity"] > 0 else None
        stats = asyncio.run(run_fleet(config, progress=progress))
        self.stdout.write(render_summary(stats, config))
        if options["json"]:
            write_json(stats, options["json"])
        if not stats.ok:
            failed = stats.stations - stats.completed
            raise CommandError(
                f"{failed} of {stats.stations} stations did not complete, "
                f"errors: {stats.error_count}",
                returncode=1,
            )
