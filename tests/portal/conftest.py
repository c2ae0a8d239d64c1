"""Portal personas: a viewer (sees) and an operator (also acts), each a user in the group of that name."""

import pytest
from django.contrib.auth.models import Group, User

from csms.roles import OPERATOR, VIEWER


def _member_of(group: str, username: str) -> User:
    user = User.objects.create_user(username, password="pw")
    user.groups.add(Group.objects.get(name=group))  # the groups come from a migration
    return user


@pytest.fixture
def viewer(db) -> User:
    return _member_of(VIEWER, "viewer")


@pytest.fixture
def operator(db) -> User:
    return _member_of(OPERATOR, "operator")


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client
