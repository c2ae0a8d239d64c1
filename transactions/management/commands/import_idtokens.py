import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from csms.exceptions import CsmsError
from transactions.services import provision_token, spec_from_text
from transactions.services.token_provisioning import COLUMNS, TOO_MANY_CELLS, CsvFileError, read_token_csv


class Command(BaseCommand):
    help = ("Create or update id tokens from a CSV file with a header row; columns: " + ", ".join(COLUMNS)
            + " (only value is required; an empty cell keeps what is stored). A parent must exist or come on an "
            "earlier row. All rows or none; running it twice changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, '-' for standard input")

    def handle(self, *args, file: str, **options):
        try:
            with (open(file, newline="", encoding="utf-8-sig") if file != "-" else _stdin()) as handle:
                rows = read_token_csv(handle)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        except CsvFileError as exc:
            raise CommandError(f"{file}:{exc.line}: {exc}" if exc.line else f"cannot read {file}: {exc}") from exc
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        with transaction.atomic():
            for line, row in rows:
                if None in row:  # DictReader's key for cells beyond the header, e.g. an unquoted comma
                    raise CommandError(f"{file}:{line}: {TOO_MANY_CELLS}")
                try:
                    _, outcome = provision_token(spec=spec_from_text(row))
                except CsmsError as exc:
                    raise CommandError(f"{file}:{line}: {exc.field or 'value'}: {exc}") from exc
                counts[outcome] += 1
        self.stdout.write(", ".join(f"{n} {k}" for k, n in counts.items()))


def _stdin():
    return open(sys.stdin.fileno(), newline="", encoding="utf-8-sig", closefd=False)
