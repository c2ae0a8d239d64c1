import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from csms.exceptions import InvalidCommand
from stations.choices import CommandStatus
from stations.models import Command as StationCommand
from stations.services import issue_command, wait_for_command

EXIT_NOT_ACCEPTED, EXIT_BAD_REQUEST = 1, 2


class Command(BaseCommand):
    help = ("Send one OCPP operation to a station, e.g. send_command CP-1 Reset '{\"type\": \"Soft\"}' --wait 10. "
            "Exit 0: accepted (or, without --wait, sent or queued); 1: rejected, failed, timed out, offline or "
            "expired; 2: a bad request (unknown station or operation, parameters the schema refuses).")

    def add_arguments(self, parser):
        parser.add_argument("station", help="the station id")
        parser.add_argument("operation", help="the OCPP action of the station's version, e.g. Reset, TriggerMessage")
        parser.add_argument("params", nargs="?", default="{}", help="the request payload as a JSON object (default {})")
        parser.add_argument("--wait", type=float, default=0, metavar="S",
                            help="wait up to S seconds for the station's answer and print it")
        parser.add_argument("--queue-for", type=int, default=0, metavar="S",
                            help="if the station is offline, keep the command S seconds for it (default: fail at once)")
        parser.add_argument("--as", dest="requested_by", default="cli", metavar="USER",
                            help="who asks, stored on the command (default: cli)")

    def handle(self, *args, station, operation, params, wait, queue_for, requested_by, **options):
        try:
            payload = json.loads(params)
        except json.JSONDecodeError as exc:
            raise CommandError(f"params: not valid JSON ({exc})", returncode=EXIT_BAD_REQUEST) from None
        try:
            with transaction.atomic(durable=True):  # committed before waiting, or the node could not see it
                command = issue_command(station_id=station, action=operation, payload=payload,
                                        requested_by=requested_by,
                                        queue_for=timedelta(seconds=queue_for) if queue_for > 0 else None)
        except InvalidCommand as exc:
            raise CommandError(f"{exc.field or 'request'}: {exc}", returncode=EXIT_BAD_REQUEST) from None
        self.stdout.write(f"command {command.pk}: {command.status} ({operation} -> {station}, "
                          f"message id {command.message_id})")
        if wait > 0 and not command.final:
            command = wait_for_command(command.pk, timeout=wait)
            self.stdout.write(f"command {command.pk}: {command.status}")
            if command.response is not None:
                self.stdout.write(json.dumps(command.response, indent=2, ensure_ascii=False))
        if not self._went_well(command, waited=wait > 0):
            reason = ": ".join(part for part in (command.error_code, command.error_description) if part)
            if not command.final:
                reason = f"no answer within {wait:g} s"
            raise CommandError(f"command {command.pk} {command.status}" + (f" ({reason})" if reason else ""),
                               returncode=EXIT_NOT_ACCEPTED)

    @staticmethod
    def _went_well(command: StationCommand, *, waited: bool) -> bool:
        if command.status == CommandStatus.ACCEPTED:
            return True
        return not waited and not command.final  # sent or queued, and nobody asked to wait for the answer
