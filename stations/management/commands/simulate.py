"""`manage.py simulate`: open N simulated stations against a CSMS and report what it answered.

A client only: it touches no database and may run on another machine than the CSMS.
Exit status 1 when anything went wrong (a refusal, a failed connect, a boot not Accepted,
a CALLERROR, a timeout, or a station still running when --duration ran out). With --sessions,
a transaction message given up after its attempts and a tag not Authorized count as wrong too;
a re-send that was answered in the end does not.

Stations answer every operation the CSMS sends (stations/simulator/operations.py). For a demo
driven from the admin, --stay keeps them connected after their script, heartbeating at the
interval the CSMS gave at boot, until --duration ends; that end is then not an error:

    manage.py simulate --stations 4 --stay --duration 3600
"""

import argparse
import asyncio
import sys
from typing import ClassVar

from django.core.management.base import BaseCommand, CommandError

from stations.simulator import FleetConfig, Script, render_summary, run_fleet, write_json
from stations.simulator.fleet import MODES

# 1.6 caps an idTag at 20 characters (2.0.1 an idToken at 36).
ID_TAG_MAX = 20


def _at_least(minimum: float, kind: type = int, *, most: float | None = None):
    def parse(text: str):
        value = kind(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        if most is not None and value > most:
            raise argparse.ArgumentTypeError(f"must be at most {most}")
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
        add("--stay", action="store_true",
            help="after the script, stay connected and answer the CSMS until --duration ends (a demo)")
        session = parser.add_argument_group("charging sessions (after boot and status, before heartbeats)").add_argument
        session("--sessions", type=_at_least(0, most=10_000), default=0, help="per station, one after the other")
        session("--session-seconds", type=_at_least(0, float), default=30.0, metavar="SECONDS")
        session("--meter-interval", type=_at_least(0.01, float), default=10.0, metavar="SECONDS",
                help="periodic MeterValues / TransactionEvent Updated")
        session("--power-w", type=_at_least(0), default=11_000, metavar="W",
                help="energy per interval = power x interval")
        session("--meter-start", type=_at_least(0), default=0, metavar="WH", help="register before the first session")
        session("--id-tag", help="one tag for every station (default SIM-TAG-0001 for station 1, ...)")
        session("--tx-attempts", type=_at_least(1, most=100), default=3,
                help="sends of a transaction message before it is given up; a 1.6 StopTransaction is held")
        session("--tx-queue", type=_at_least(1, most=100_000), default=100, metavar="MESSAGES",
                help="transaction messages a station keeps to re-send; periodic readings go first when full")
        session("--retry-interval", type=_at_least(0.01, float), default=1.0, metavar="SECONDS",
                help="before re-sending a transaction message, and before reconnecting")
        session("--reconnects", type=_at_least(0, most=100), default=0,
                help="times a station opens a dropped connection again and re-sends its queue")

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
            sessions=options["sessions"],
            session_seconds=options["session_seconds"],
            meter_interval=options["meter_interval"],
            power_w=options["power_w"],
            meter_start=options["meter_start"],
            id_tag=options["id_tag"],
            tx_attempts=options["tx_attempts"],
            tx_queue=options["tx_queue"],
            retry_interval=options["retry_interval"],
            reconnects=options["reconnects"],
            stay=options["stay"],
        )
        self._check_sessions(script, options["duration"])
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

    def _check_sessions(self, script: Script, duration: float) -> None:
        if not script.sessions:
            return
        if script.connectors < 1:
            raise CommandError("--sessions needs --connectors of at least 1")
        if script.id_tag is not None and not 0 < len(script.id_tag) <= ID_TAG_MAX:
            raise CommandError(f"--id-tag must be 1 to {ID_TAG_MAX} characters")
        needed = script.sessions * script.session_seconds + script.heartbeats * script.heartbeat_interval
        if needed > duration:
            self.stderr.write(f"warning: the script takes at least {needed:g}s, --duration is {duration:g}s")
