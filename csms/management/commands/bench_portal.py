"""`manage.py bench_portal`: how fast every portal page answers with a large data set, and in how many queries.

The command makes a throw-away database (SQLite in a temporary directory, or with --database-url a database
created on that PostgreSQL server and dropped afterwards) and runs itself again in a child process pointed at it
(the settings read DATABASE_URL once, at start-up). The child migrates, fills the data set with bulk inserts
(csms/bench_portal_data.py), logs a user of the operator group in with Django's test Client and requests every
page: once to count its queries, then --runs times to time it (the whole response, streamed ones included).
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.core.management.base import BaseCommand, CommandError

TARGET_MS = 300
INNER = "--inner"


class Command(BaseCommand):
    help = "Fill a throw-away database and time every portal page (median / p95 ms, queries per page)."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--stations", type=int, default=10000, help="stations, 2 connectors each (10000)")
        parser.add_argument("--transactions", type=int, default=100000, help="transactions over 60 days (100000)")
        parser.add_argument("--runs", type=int, default=5, help="timed requests per page (5)")
        parser.add_argument("--json", dest="json_file", metavar="FILE", help="write the figures here")
        parser.add_argument("--database-url", metavar="URL",
                            help="a PostgreSQL server (postgres://user@host:port/); a throw-away database is "
                                 "created on it and dropped afterwards. Default: SQLite in a temporary directory")
        parser.add_argument(INNER, action="store_true", help="(internal) run against the current DATABASE_URL")

    def handle(self, *args, stations: int, transactions: int, runs: int, json_file: str | None,
               database_url: str | None, inner: bool, **options):
        if stations < 1 or transactions < 1 or runs < 1:
            raise CommandError("--stations, --transactions and --runs must be at least 1")
        if inner:
            return self._measure(stations, transactions, runs, json_file)
        argv = [sys.executable, str(Path(__file__).resolve().parents[3] / "manage.py"), "bench_portal", INNER,
                f"--stations={stations}", f"--transactions={transactions}", f"--runs={runs}"]
        if json_file:
            argv.append(f"--json={Path(json_file).resolve()}")
        with _database(database_url) as url:
            self.stderr.write(f"bench_portal: throw-away database {_redacted(url)}")
            env = {k: v for k, v in os.environ.items() if k not in ("BROKER_URL", "DEBUG", "DJANGO_SETTINGS_MODULE")}
            env.update(DATABASE_URL=url, SECRET_KEY="bench", DEMO="false", LOG_LEVEL="WARNING",
                       ALLOWED_HOSTS="testserver", PYTHONUNBUFFERED="1")
            code = subprocess.run(argv, env=env).returncode
        if code:
            raise CommandError(f"the measuring process exited with {code}")

    def _measure(self, stations: int, transactions: int, runs: int, json_file: str | None) -> None:
        from django.contrib.auth.models import Group, User
        from django.core.management import call_command
        from django.db import connection

        from csms import bench_portal_data as data
        from csms.roles import OPERATOR

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        self._progress(f"migrated in {time.perf_counter() - started:.1f} s; filling {stations} stations, "
                       f"{transactions} transactions")
        started = time.perf_counter()
        filled = data.fill(stations=stations, transactions=transactions)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics, as a database that has lived a while has them
        fill_s = time.perf_counter() - started
        self._progress(f"filled in {fill_s:.1f} s")
        user = User.objects.create_user("bench-operator", password="unused")
        user.groups.add(Group.objects.get(name=OPERATOR))
        results = {label: _page(data.page_url(page, filled), user, runs) for label, page in data.PAGES.items()}
        self._table(results, stations, transactions, runs, connection.vendor)
        if json_file:
            Path(json_file).write_text(json.dumps({
                "database": connection.vendor, "stations": stations, "transactions": transactions, "runs": runs,
                "fill_seconds": round(fill_s, 1), "target_ms": TARGET_MS, "pages": results}, indent=2) + "\n")
            self._progress(f"wrote {json_file}")

    def _table(self, results: dict, stations: int, transactions: int, runs: int, vendor: str) -> None:
        header = ("page", "status", "median ms", "p95 ms", "queries", "KiB", f"< {TARGET_MS} ms")
        rows = [header]
        for name, r in results.items():
            if r["status"] != 200:
                rows.append((name, str(r["status"]), "-", "-", "-", "-", r.get("note", "")))
                continue
            rows.append((name, "200", f"{r['median_ms']:.1f}", f"{r['p95_ms']:.1f}", str(r["queries"]),
                         f"{r['kib']:.0f}", "yes" if r["p95_ms"] < TARGET_MS else "NO"))
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        self.stdout.write(f"{stations} stations, {transactions} transactions on {vendor}; {runs} timed runs per page")
        for n, row in enumerate(rows):
            self.stdout.write(" | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                         for i, (c, w) in enumerate(zip(row, widths, strict=True))))
            if n == 0:
                self.stdout.write("-+-".join("-" * w for w in widths))
        missed = [name for name, r in results.items() if r["status"] == 200 and r["p95_ms"] >= TARGET_MS]
        self.stdout.write(f"over {TARGET_MS} ms (p95): {', '.join(missed) or 'none'}")

    def _progress(self, text: str) -> None:
        self.stderr.write(f"bench_portal: {text}")


def _page(url: str, user, runs: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(raise_request_exception=False)
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        status, size = _get(client, url)
    # read now: the list is a slice of the connection's log, which the next request resets
    count, slowest = len(queries), max(queries.captured_queries, key=lambda q: float(q["time"]), default=None)
    if status != 200:
        return {"url": url, "status": status, "note": "placeholder" if status == 404 else "error"}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        _get(client, url)
        times.append((time.perf_counter() - started) * 1000)
    ordered = sorted(times)
    return {"url": url, "status": status, "queries": count, "kib": size / 1024,
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(ordered[math.ceil(0.95 * len(ordered)) - 1], 1), "times_ms": [round(t, 1) for t in times],
            "slowest_query": slowest and {"ms": round(float(slowest["time"]) * 1000, 1), "sql": slowest["sql"][:400]}}


def _get(client, url: str) -> tuple[int, int]:
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, len(body)


@contextmanager
def _database(server_url: str | None):
    """A database URL nobody else uses, removed on exit."""
    if not server_url:
        with tempfile.TemporaryDirectory(prefix="bench_portal-") as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    import psycopg

    parts = urlsplit(server_url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise CommandError("--database-url: a postgres:// server URL")
    name = f"bench_portal_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urlunsplit(parts)
