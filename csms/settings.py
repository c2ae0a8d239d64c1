"""Settings of central (and of the embedded one-process mode).

Read once from the environment; see the README's settings table. With no
DATABASE_URL the database is SQLite in var/, with no BROKER_URL the bus is
in-process: that is the embedded default a newcomer runs.
"""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from csms.config import *  # noqa: F403 - the shared, already validated values
from csms.config import BASE_DIR, env, read, read_secret

VAR_DIR = BASE_DIR / "var"

DEBUG = read("DEBUG", env.bool, False)
DATABASE_URL = read_secret("DATABASE_URL", "")
try:
    DATABASES = {"default": env.db_url_config(DATABASE_URL) if DATABASE_URL else {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "csms.sqlite3"),
        # IMMEDIATE: a transaction takes the write lock up front; a deferred one that upgrades later fails at
        # once with "database is locked" when another thread writes, whatever the timeout.
        "OPTIONS": {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"},
        # Per process, so two test runs on one checkout never share a file.
        "TEST": {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")},
    }}
except Exception as exc:
    raise ImproperlyConfigured(f"DATABASE_URL: cannot parse {DATABASE_URL!r} ({exc})") from exc
DATABASES["default"].setdefault("CONN_MAX_AGE", read("DB_CONN_MAX_AGE", env.int, 60))
SQLITE = DATABASES["default"]["ENGINE"].endswith("sqlite3")
# psycopg prepares a server-bound statement once a connection has run it 5 times (Django turns that off
# for the sake of poolers; its own client-bound queries are never prepared either way). csms.pgsql's batch statements
# keep their text whatever the batch's size (values travel as arrays), so PostgreSQL parses and plans each once per
# connection (manage.py bench at 2,000 offered, 3 runs each way: 1,931 against 1,836 calls/s). Off behind a pooler
# in transaction mode without prepared-statement support (PgBouncer before 1.21).
if not SQLITE and read("DB_PREPARED_STATEMENTS", env.bool, True):
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)

# The demo login and stations exist only on the embedded SQLite database.
DEMO = read("DEMO", env.bool, SQLITE)
if DEMO and not SQLITE:
    raise ImproperlyConfigured("DEMO: the demo login may only be created on the embedded SQLite database")


def _secret_key() -> str:
    key = read_secret("SECRET_KEY")
    if key:
        return key
    if not SQLITE:
        raise ImproperlyConfigured("SECRET_KEY: required when DATABASE_URL points at a real database")
    # Embedded mode: one random key per checkout, kept so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(exist_ok=True)
        path.write_text(get_random_secret_key())
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = read("ALLOWED_HOSTS", env.list, ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = read("CSRF_TRUSTED_ORIGINS", env.list, [])

INSTALLED_APPS = [
    "csms",  # before staticfiles: its runserver serves through uvicorn
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",  # integrators' tokens, managed in the admin
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served by us, no CDN
    "stations",
    "transactions",
    "webhooks",  # integrators' webhook endpoints and deliveries
    "audit",  # the log of operator actions, login throttling
]

MIDDLEWARE = [
    "csms.health.HealthCheckMiddleware",  # first: answers probes whatever their Host header
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.context.AuditMiddleware",  # after authentication: operator actions are recorded with their user
    # Every portal page needs a login; the login page, the admin and /health opt out.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "csms.urls"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
ASGI_APPLICATION = "csms.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "templates"],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
        "csms.roles.context",
    ]},
}]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = read("TIME_ZONE", env.str, "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start without it
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True  # serve without collectstatic in the embedded mode
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The integrator REST API (/api/v1/, csms/api/): integrators send a token made in the admin, the portal its
# session; roles as in the portal (csms/roles.py). Errors: one JSON shape, csms/api/errors.py.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "csms.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["csms.api.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "csms.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "csms.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "csms.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CSMS integrator API",
    "DESCRIPTION": "Stations, sessions, tokens and commands of the charge station management system. "
                   "Authenticate with `Authorization: Token <key>` (tokens are made in the admin).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # One schema name per choice set, whichever field uses it (drf-spectacular names them by field otherwise).
    "ENUM_NAME_OVERRIDES": {
        "ConnectorStatusEnum": "stations.choices.ConnectorStatus",
        "CommandStatusEnum": "stations.choices.CommandStatus",
        "RegistrationEnum": "stations.choices.Registration",
        "ConnectionEventEnum": "stations.choices.ConnectionEvent",
        "StationStatusEnum": "stations.selectors.STATION_STATUSES",
        "TokenTypeEnum": "transactions.choices.TokenType",
        "IssuableTokenTypeEnum": "csms.api.schema.issuable_token_types",
        "TokenStatusEnum": "transactions.choices.TokenStatus",
        "TransactionStatusEnum": "transactions.choices.TransactionStatus",
    },
}

# Where central finds the node transport and the node finds central; the embedded
# mode wires both ends in-process (csms.bus), the distributed mode over RabbitMQ.
CENTRAL_HANDLER = "csms.dispatch.handle_envelopes"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": read("LOG_LEVEL", env.str, "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Security (README "Portal and API security"). `manage.py check --deploy` leaves W005 (HSTS without
# subdomains), W008 (no HTTPS redirect: the proxy's job) and W021 (no HSTS preload) unless they are configured.
# Production means DEBUG off on a real database: the embedded SQLite mode is served over plain HTTP on
# 127.0.0.1, where a browser drops Secure cookies. SECURE_COOKIES overrides either way.
PRODUCTION = not DEBUG and not SQLITE
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = read("SECURE_COOKIES", env.bool, PRODUCTION)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if DEBUG:  # the env values stand for production; a debug site keeps plain HTTP working
    SECURE_HSTS_SECONDS, SECURE_SSL_REDIRECT = 0, False
if PROXY_SSL_HEADER:  # noqa: F405 - from csms.config
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + PROXY_SSL_HEADER.upper().replace("-", "_"), "https")  # noqa: F405
