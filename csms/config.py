"""Environment settings shared by central and the node, read and checked once.

Every value comes from the environment (or a `.env` file) through django-environ.
A value that cannot be used stops start-up with ImproperlyConfigured naming the
variable, because a typo in production must not become a silent default.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; a missing file is fine


def read(name: str, parse: Callable[..., Any], default: Any, *, check: Callable[[Any], bool] | None = None,
         rule: str = "") -> Any:
    """Read one variable with `parse` (env.int, env.bool...); a bad value raises naming it."""
    try:
        value = parse(name, default=default)
    except Exception as exc:  # environ raises ValueError/TypeError that do not name the variable
        raise ImproperlyConfigured(f"{name}: invalid value {env.str(name, default='')!r} ({exc})") from exc
    if check is not None and value is not None and not check(value):
        raise ImproperlyConfigured(f"{name}: invalid value {value!r}; {rule}")
    return value


def read_secret(name: str, default: str | None = None) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/K8s secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path!r} ({exc})") from exc
    return env.str(name, default=default)


# --- what both sides need --------------------------------------------------
BROKER_URL = read("BROKER_URL", env.str, "")
EMBEDDED = not BROKER_URL  # no broker: the node's messages run in-process
if BROKER_URL and not BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://")):
    raise ImproperlyConfigured(f"BROKER_URL: expected an amqp:// URL for RabbitMQ, got {BROKER_URL!r}")

NODE_ID = read("NODE_ID", env.str, "embedded" if EMBEDDED else __import__("socket").gethostname(),
               check=lambda v: v.replace("-", "").replace("_", "").replace(".", "").isalnum() and len(v) <= 64,
               rule="use letters, digits, '-', '_' or '.', at most 64 characters")
HEARTBEAT_INTERVAL = read("HEARTBEAT_INTERVAL", env.int, 300, check=lambda v: 10 <= v <= 86400,
                          rule="seconds between station heartbeats, 10..86400")
OCPP_MAX_FRAME_BYTES = read("OCPP_MAX_FRAME_BYTES", env.int, 65536, check=lambda v: 1024 <= v <= 16 * 1024 * 1024,
                            rule="bytes, 1024..16777216")
OCPP_CALL_TIMEOUT = read("OCPP_CALL_TIMEOUT", env.float, 10.0, check=lambda v: 0.1 <= v <= 300,
                         rule="seconds the node waits for central's answer, 0.1..300")
NODE_HEARTBEAT_INTERVAL = read("NODE_HEARTBEAT_INTERVAL", env.float, 10.0, check=lambda v: 0.5 <= v <= 3600,
                               rule="seconds between node heartbeats, 0.5..3600")
WS_PING_INTERVAL = read("WS_PING_INTERVAL", env.float, 60.0, check=lambda v: v >= 0,
                        rule="seconds between WebSocket pings, 0 disables")
NODE_SILENT_AFTER = read("NODE_SILENT_AFTER", env.float, 60.0, check=lambda v: v > 0,
                         rule="seconds without a node heartbeat before its stations are marked offline")
if NODE_SILENT_AFTER <= NODE_HEARTBEAT_INTERVAL:
    raise ImproperlyConfigured("NODE_SILENT_AFTER: must be longer than NODE_HEARTBEAT_INTERVAL "
                               f"({NODE_SILENT_AFTER} <= {NODE_HEARTBEAT_INTERVAL})")
TRANSACTION_STALE_AFTER = read("TRANSACTION_STALE_AFTER", env.int, 86400, check=lambda v: v > 0,
                               rule="seconds without a message before an active transaction is flagged stale")
OCPP_LOG_RETENTION_DAYS = read("OCPP_LOG_RETENTION_DAYS", env.int, 30, check=lambda v: v > 0,
                               rule="days the OCPP message log keeps a message, a positive whole number")
BUS_REDELIVERY_LIMIT = read("BUS_REDELIVERY_LIMIT", env.int, 5, check=lambda v: 1 <= v <= 100,
                            rule="times a message is redelivered after worker crashes before it is dead-lettered")
# Batching node -> central: the envelopes a node's stations send within BUS_BATCH_WINDOW seconds travel as one task
# and commit in one transaction (a savepoint each); see csms.bus.Batcher and csms.dispatch.
BUS_BATCH_WINDOW = read("BUS_BATCH_WINDOW", env.float, 0.004, check=lambda v: 0 <= v <= 1,
                        rule="seconds a node gathers envelopes before sending them as one batch, 0 to 1")
BUS_BATCH_MAX = read("BUS_BATCH_MAX", env.int, 200, check=lambda v: 1 <= v <= 5000,
                     rule="envelopes at most in one batch, 1 to 5000")
# Two in flight: one per worker process of the default pool. More only made batches smaller (more commits, more task
# overhead): measured 1,259 calls/s at 2,000 offered with 4, 1,460 with 2, p50 at 1,000 offered 127 ms -> 56 ms.
BUS_BATCHES_IN_FLIGHT = read("BUS_BATCHES_IN_FLIGHT", env.int, 2, check=lambda v: 1 <= v <= 100,
                             rule="batches a node may have unanswered at central at once, 1 to 100")

# --- the portal's map ---------------------------------------------------------
# Tiles are fetched by the browser; empty MAP_TILE_URL: no tile layer, the markers on a plain background.
MAP_TILE_URL = read("MAP_TILE_URL", env.str, "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                    check=lambda v: not v or (v.startswith(("https://", "http://", "/")) and "{z}" in v),
                    rule="an http(s) or /path URL template with {z}, {x} and {y}, or empty for no tiles")
MAP_TILE_ATTRIBUTION = read("MAP_TILE_ATTRIBUTION", env.str,
                            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors')

# --- Celery, for central's worker and the node's publisher (csms.celery) ----
CENTRAL_QUEUE = "csms.central"
CELERY_BROKER_URL = BROKER_URL or "memory://"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_HEARTBEAT = 10
CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True, "max_retries": 3, "interval_start": 0.2,
                                   "interval_step": 0.5, "interval_max": 2}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves the message to another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a busy worker does not sit on others' work
CELERY_TASK_DEFAULT_QUEUE = CENTRAL_QUEUE
CELERY_TASK_DEFAULT_DELIVERY_MODE = "persistent"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Celery's Django fixup closes every database connection before and after each task unless this is set: a new
# PostgreSQL backend per batch cost more than the batch. Set, it recycles only every 2x this many tasks, and
# csms.celery drops a broken or CONN_MAX_AGE-old connection between tasks as Django does between requests.
CELERY_DB_REUSE_MAX = 100_000

# --- TLS at the node: OCPP security profiles 2 and 3 (README "Security profiles") ----------
# Certificate and key the node (and the embedded server) serve wss:// with; NODE_TLS_CA: the CA bundle that signs
# station client certificates (profile 3), which the node then asks for: "optional" lets profile 2 stations (no
# certificate) share the listener, "required" makes it a profile-3-only listener.
from csms import tls as _tls  # noqa: E402 - its checks need nothing above

NODE_TLS_CERT = read("NODE_TLS_CERT", env.str, "")
NODE_TLS_KEY = read("NODE_TLS_KEY", env.str, "")
NODE_TLS_CA = read("NODE_TLS_CA", env.str, "")
NODE_TLS_CLIENT_CERT = read("NODE_TLS_CLIENT_CERT", env.str, "optional",
                            check=lambda v: v in ("optional", "required"), rule="optional or required")
# Addresses (IPs or CIDR networks) of TLS-terminating proxies whose X-Forwarded-Proto and X-SSL-Client-* headers
# the node believes; from anyone else those headers are ignored. Empty: none.
NODE_TRUSTED_PROXIES = read("NODE_TRUSTED_PROXIES", env.list, [],
                            check=lambda v: all(_tls.is_network(n) for n in v),
                            rule="comma-separated IP addresses or CIDR networks, e.g. 10.0.0.0/8,192.0.2.7")
NODE_TLS_CERT_REQS = _tls.check_files(
    cert=NODE_TLS_CERT, key=NODE_TLS_KEY, ca=NODE_TLS_CA, client_cert=NODE_TLS_CLIENT_CERT)

# --- node limits, node-local Heartbeat, drain, WebSocket compression (README "Node limits and drain") ---------
# 0: the process's open-file limit (raised to its hard limit at start) minus a margin for everything else.
NODE_MAX_CONNECTIONS = read("NODE_MAX_CONNECTIONS", env.int, 0, check=lambda v: v >= 0,
                            rule="stations a node holds at once (sockets being opened count), 0 for the open-file "
                                 "limit minus a margin")
# Per station socket; generous: a compliant station sends about one message a minute, the benchmarks a few a second.
NODE_STATION_RATE = read("NODE_STATION_RATE", env.float, 50.0, check=lambda v: v > 0,
                         rule="messages a second a station may send on average, > 0")
NODE_STATION_BURST = read("NODE_STATION_BURST", env.int, 500, check=lambda v: v >= 1,
                          rule="messages a station may send at once above NODE_STATION_RATE, >= 1")
NODE_SEEN_FLUSH = read("NODE_SEEN_FLUSH", env.float, 5.0, check=lambda v: 0.05 <= v <= 300,
                       rule="seconds between a node's reports of the stations whose Heartbeat it answered, 0.05..300")
NODE_DRAIN_TIMEOUT = read("NODE_DRAIN_TIMEOUT", env.float, 30.0, check=lambda v: 0 < v <= 3600,
                          rule="seconds a draining node waits for the calls in flight on its sockets, 0..3600")
WS_PER_MESSAGE_DEFLATE = read("WS_PER_MESSAGE_DEFLATE", env.bool, True)
# Compression state kept per socket costs memory on every idle station; without context takeover zlib's state
# lives only while one message is compressed or decompressed. OCPP messages are small: a 1 KiB window and
# memLevel 1 compress them as well as zlib's largest (README, "Node limits").
WS_DEFLATE_CONTEXT_TAKEOVER = read("WS_DEFLATE_CONTEXT_TAKEOVER", env.bool, False)
WS_DEFLATE_WINDOW_BITS = read("WS_DEFLATE_WINDOW_BITS", env.int, 10, check=lambda v: 9 <= v <= 15,
                              rule="zlib window of each direction, 9..15 (2**bits bytes)")
WS_DEFLATE_MEM_LEVEL = read("WS_DEFLATE_MEM_LEVEL", env.int, 1, check=lambda v: 1 <= v <= 9,
                            rule="zlib memLevel of the node's compressor, 1..9")

# --- portal and API security (applied in csms/settings.py's security block) ----------------------------------
LOGIN_FAILURE_LIMIT = read("LOGIN_FAILURE_LIMIT", env.int, 5, check=lambda v: 1 <= v <= 1000,
                           rule="failed logins per user name or per address before logins are refused, 1..1000")
LOGIN_FAILURE_WINDOW = read("LOGIN_FAILURE_WINDOW", env.int, 900, check=lambda v: 1 <= v <= 86400 * 30,
                            rule="seconds in which LOGIN_FAILURE_LIMIT failures lock, 1..2592000")
LOGIN_LOCKOUT = read("LOGIN_LOCKOUT", env.int, 900, check=lambda v: 1 <= v <= 86400 * 30,
                     rule="seconds logins stay refused after the last failure, 1..2592000")
# HSTS is only sent on HTTPS responses, so a plain-HTTP site is unaffected; 0 turns it off.
SECURE_HSTS_SECONDS = read("SECURE_HSTS_SECONDS", env.int, 31536000, check=lambda v: v >= 0,
                           rule="seconds browsers keep to HTTPS (Strict-Transport-Security max-age), 0 = off")
SECURE_HSTS_INCLUDE_SUBDOMAINS = read("SECURE_HSTS_INCLUDE_SUBDOMAINS", env.bool, False)
SECURE_HSTS_PRELOAD = read("SECURE_HSTS_PRELOAD", env.bool, False)
SECURE_SSL_REDIRECT = read("SECURE_SSL_REDIRECT", env.bool, False)
PROXY_SSL_HEADER = read("PROXY_SSL_HEADER", env.str, "",
                        check=lambda v: not v or v.replace("-", "").replace("_", "").isalnum(),
                        rule="a request header name such as X-Forwarded-Proto, or empty")
