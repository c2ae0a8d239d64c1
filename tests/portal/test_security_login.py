"""Login throttling: after LOGIN_FAILURE_LIMIT failures per user name or per address, logins are refused for a while."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import LoginFailure

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW, settings.LOGIN_LOCKOUT = 3, 600, 300


@pytest.fixture
def alice(db):
    return User.objects.create_superuser("alice", "alice@example.invalid", "right-pw")


def login(client, password, username="alice", url="login"):
    return client.post(reverse(url), {"username": username, "password": password})


def test_after_the_limit_even_the_right_password_is_refused_with_a_clear_message(alice):
    client = Client(REMOTE_ADDR="203.0.113.1")
    for _ in range(3):
        assert login(client, "wrong").status_code == 200

    response = login(client, "right-pw")

    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode() and "_auth_user_id" not in client.session


def test_the_limit_counts_per_user_name_across_addresses(alice):
    for n in range(3):
        login(Client(REMOTE_ADDR=f"203.0.113.{n + 1}"), "wrong", username="ALICE")

    assert login(Client(REMOTE_ADDR="203.0.113.99"), "right-pw").status_code == 429


def test_the_limit_counts_per_address_across_user_names(alice):
    client = Client(REMOTE_ADDR="203.0.113.5")
    for name in ("bob", "carol", "dave"):
        login(client, "guess", username=name)

    assert login(client, "right-pw").status_code == 429
    assert login(Client(REMOTE_ADDR="203.0.113.6"), "right-pw").status_code == 302


def test_logins_are_accepted_again_once_the_lockout_has_passed(alice):
    client = Client(REMOTE_ADDR="203.0.113.1")
    for _ in range(3):
        login(client, "wrong")
    LoginFailure.objects.update(at=timezone.now() - timedelta(seconds=301))

    assert login(client, "right-pw").status_code == 302


def test_a_successful_login_clears_the_user_names_failures(alice):
    client = Client(REMOTE_ADDR="203.0.113.1")
    login(client, "wrong")
    login(client, "wrong")
    assert login(client, "right-pw").status_code == 302

    assert not LoginFailure.objects.filter(username="alice").exists()


def test_the_admin_login_is_throttled_too(alice):
    client = Client(REMOTE_ADDR="203.0.113.1")
    for _ in range(3):
        login(client, "wrong", url="admin:login")

    response = login(client, "right-pw", url="admin:login")

    assert "Too many failed logins" in response.content.decode() and "_auth_user_id" not in client.session
