"""API personas: a viewer and an operator (users in the group of that name), each with an API token, and anonymous.

`viewer_client` / `operator_client` are DRF APIClients sending `Authorization: Token <key>`, with no session.
"""

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from csms.roles import OPERATOR, VIEWER


def _member_of(group: str, username: str) -> User:
    user = User.objects.create_user(username, password="pw")
    user.groups.add(Group.objects.get(name=group))  # the groups come from a migration
    return user


def _token_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def viewer(db) -> User:
    return _member_of(VIEWER, "api-viewer")


@pytest.fixture
def operator(db) -> User:
    return _member_of(OPERATOR, "api-operator")


@pytest.fixture
def viewer_client(viewer) -> APIClient:
    return _token_client(viewer)


@pytest.fixture
def operator_client(operator) -> APIClient:
    return _token_client(operator)


@pytest.fixture
def anon_client(db) -> APIClient:
    return APIClient()
