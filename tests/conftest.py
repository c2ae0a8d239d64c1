"""Fixtures every test folder may use; data comes from tests/support/factories.py."""

import pytest

from tests.support.factories import StationFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Station and admin passwords are hashed in many tests; PBKDF2's cost is for attackers, not for us."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def station(db):
    """One provisioned, enabled, Accepted station without a password."""
    return StationFactory(station_id="CP-0042")
