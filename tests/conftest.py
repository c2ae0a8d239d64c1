"""Fixtures every test folder may use; data comes from tests/support/factories.py."""

import pytest

from tests.support.factories import StationFactory


def pytest_collection_modifyitems(config, items):
    """`postgres` tests need what SQLite lacks; ./dev test runs them in a second pass on PostgreSQL."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: ./dev test runs it in its PostgreSQL pass")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Station and admin passwords are hashed in many tests; PBKDF2's cost is for attackers, not for us."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def station(db):
    """One provisioned, enabled, Accepted station without a password."""
    return StationFactory(station_id="CP-0042")
