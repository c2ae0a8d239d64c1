"""Audit personas: portal session clients (viewer, operator, no role), API token clients, and the superuser's admin."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from csms.roles import OPERATOR, VIEWER


def _user(username: str, group: str | None = None) -> User:
    user = User.objects.create_user(username, password="pw")
    if group:
        user.groups.add(Group.objects.get(name=group))  # the groups come from a migration
    return user


def _session(user: User) -> Client:
    client = Client(REMOTE_ADDR="192.0.2.7")
    client.force_login(user)
    return client


def _token(user: User) -> APIClient:
    client = APIClient(REMOTE_ADDR="198.51.100.9")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def operator_client(db):
    return _session(_user("olga", OPERATOR))


@pytest.fixture
def viewer_client(db):
    return _session(_user("victor", VIEWER))


@pytest.fixture
def roleless_client(db):
    return _session(_user("nobody"))


@pytest.fixture
def api_operator(db):
    return _token(_user("integrator", OPERATOR))


@pytest.fixture
def api_viewer(db):
    return _token(_user("reader", VIEWER))


@pytest.fixture
def superuser_client(db):
    return _session(User.objects.create_superuser("root", "root@example.invalid", "pw"))
