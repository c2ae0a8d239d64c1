"""Production settings: CSRF on portal forms and session API writes, Secure/HttpOnly cookies, a clean check --deploy."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from csms.roles import OPERATOR
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db
PRODUCTION_ENV = {"DEBUG": "false", "DATABASE_URL": "postgres://csms@127.0.0.1:5432/csms",
                  "SECRET_KEY": "x" * 60 + "-production-test-key-not-secret", "DEMO": "false",
                  "ALLOWED_HOSTS": "csms.example"}
SECURITY_SETTINGS = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
                     "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS", "SECURE_HSTS_SECONDS",
                     "SECURE_PROXY_SSL_HEADER"]
# Left on purpose, and documented in the README: HTTPS redirects belong to the proxy, HSTS for subdomains and
# preloading are each site's decision.
DOCUMENTED_DEPLOY_WARNINGS = {"security.W005", "security.W008", "security.W021"}


def _run(code: str, extra_env: dict) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and not k.startswith("SECURE")},
           **PRODUCTION_ENV, **extra_env, "DJANGO_SETTINGS_MODULE": "csms.settings"}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                          cwd=django_settings.BASE_DIR)


def production_settings(**extra_env) -> dict:
    code = ("import json, django; django.setup(); from django.conf import settings as s; "
            f"print(json.dumps({{n: getattr(s, n, None) for n in {SECURITY_SETTINGS!r}}}))")
    done = _run(code, extra_env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def operator(db):
    user = User.objects.create_user("olga", password="pw")
    user.groups.add(Group.objects.get(name=OPERATOR))
    return user


def test_production_settings_flag_cookies_and_send_the_security_headers():
    values = production_settings(PROXY_SSL_HEADER="X-Forwarded-Proto")

    assert values == {"SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "SESSION_COOKIE_HTTPONLY": True,
                      "SECURE_CONTENT_TYPE_NOSNIFF": True, "X_FRAME_OPTIONS": "DENY", "SECURE_HSTS_SECONDS": 31536000,
                      "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"]}


def test_debug_turns_hsts_and_secure_cookies_off():
    values = production_settings(DEBUG="true")

    assert (values["SESSION_COOKIE_SECURE"], values["SECURE_HSTS_SECONDS"]) == (False, 0)


def test_check_deploy_reports_only_the_documented_warnings():
    done = _run("import sys; from django.core.management import execute_from_command_line; "
                "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'ERROR'])", {})

    assert done.returncode == 0, done.stderr
    reported = {word.strip("():") for word in done.stderr.split() if word.startswith("(security.")}
    assert reported == DOCUMENTED_DEPLOY_WARNINGS, done.stderr


def test_a_login_under_production_settings_sets_secure_http_only_cookies(settings, operator):
    for name, value in production_settings().items():
        if name != "SECURE_PROXY_SSL_HEADER":
            setattr(settings, name, value)
    client = Client()

    response = client.post(reverse("login"), {"username": "olga", "password": "pw"}, secure=True)

    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_portal_post_without_the_csrf_token_is_refused(operator):
    StationFactory(station_id="CP-C", ocpp_version="1.6")
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)

    response = client.post(reverse("station_command", args=["CP-C"]), {"quick": "reset_soft"})

    assert response.status_code == 403


def test_a_portal_post_with_the_csrf_token_is_accepted(operator):
    StationFactory(station_id="CP-C", ocpp_version="1.6")
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    client.get(reverse("station_detail", args=["CP-C"]))

    response = client.post(reverse("station_command", args=["CP-C"]), {"quick": "reset_soft"},
                           headers={"X-CSRFToken": client.cookies["csrftoken"].value})

    assert response.status_code == 302


def test_a_session_authenticated_api_write_without_the_csrf_token_is_refused(operator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)

    response = client.post("/api/v1/id-tokens/", {"value": "CARD-X"}, content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
