import csv
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from csms.exceptions import CsmsError
from transactions.services import provision_token, spec_from_text
from transactions.services.token_provisioning import COLUMNS


class Command(BaseCommand):
    help = ("Create or update id tokens from a CSV file with a header row; columns: " + ", ".join(COLUMNS)
            + " (only value is required; an empty cell keeps what is stored). A parent must exist or come on an "
            "earlier row. All rows or none; running it twice changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, '-' for standard input")

    def handle(self, *args, file: str, **options):
        try:
            with (open(file, newline="", encoding="utf-8-sig") if file != "-" else _stdin()) as handle:
                reader = csv.DictReader(handle)
                columns = reader.fieldnames or []
                # line_num, not a count of rows: blank lines and quoted line breaks do not shift it
                rows = [(reader.line_num, row) for row in reader]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        if "value" not in columns:
            raise CommandError(f"{file}:1: the header must name a value column (columns: {', '.join(COLUMNS)})")
        unknown = set(columns) - set(COLUMNS)
        if unknown:
            raise CommandError(
                f"{file}:1: unknown columns {', '.join(sorted(unknown))} (allowed: {', '.join(COLUMNS)})")
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        with transaction.atomic():
            for line, row in rows:
                if None in row:  # DictReader's key for cells beyond the header, e.g. an unquoted comma
                    raise CommandError(f"{file}:{line}: more cells than columns; quote a value that holds a comma")
                try:
                    _, outcome = provision_token(spec=spec_from_text(row))
                except CsmsError as exc:
                    raise CommandError(f"{file}:{line}: {exc.field or 'value'}: {exc}") from exc
                counts[outcome] += 1
        self.stdout.write(", ".join(f"{n} {k}" for k, n in counts.items()))


def _stdin():
    return open(sys.stdin.fileno(), newline="", encoding="utf-8-sig", closefd=False)
