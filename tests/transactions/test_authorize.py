"""Authorize in both versions, through central's entry point: what each token's standing is answered as.

Every request sent is schema-valid, and every answer is checked against the version's response schema.
"""

from datetime import datetime, timedelta

import pytest

from node import schemas
from tests.support.envelopes import call, send
from tests.support.transaction_factories import IdTokenFactory, TransactionFactory
from transactions.choices import TokenStatus, TokenType, TransactionStatus
from transactions.models import IdToken

pytestmark = pytest.mark.django_db

AT = "2025-03-01T08:00:00.000Z"
RECEIVED = datetime.fromisoformat(AT)
versions = pytest.mark.parametrize("version", ["1.6", "2.0.1"])
INFO = {"1.6": "idTagInfo", "2.0.1": "idTokenInfo"}
EXPIRY = {"1.6": "expiryDate", "2.0.1": "cacheExpiryDateTime"}
UNKNOWN = {"1.6": "Invalid", "2.0.1": "Unknown"}  # 1.6 has no Unknown
HASH_DATA = [{"hashAlgorithm": "SHA256", "issuerNameHash": "a1" * 32, "issuerKeyHash": "b2" * 32,
              "serialNumber": "5c6a", "responderURL": "http://ocsp.example.com/"}]


def authorize(station, version, value, *, token_type="ISO14443", at=AT, **extra):
    """Send Authorize as a station would and return the (schema-checked) answer payload."""
    if version == "1.6":
        payload = {"idTag": value}
    else:
        payload = {"idToken": {"idToken": value, "type": token_type}} | extra
    schemas.validate(version, "Authorize", payload)
    reply = send(call(station, version, "Authorize", payload, at=at))
    assert reply["kind"] == "result", reply
    schemas.validate(version, "Authorize", reply["payload"], response=True)
    return reply["payload"]


def status(station, version, value, **kwargs):
    return authorize(station, version, value, **kwargs)[INFO[version]]["status"]


@versions
def test_an_accepted_token_is_accepted_and_nothing_more_is_said(station, version):
    IdTokenFactory(value="CARD-1")

    assert authorize(station, version, "CARD-1") == {INFO[version]: {"status": "Accepted"}}


@versions
def test_an_unknown_token_is_invalid_in_16_and_unknown_in_201(station, version):
    assert authorize(station, version, "NOBODY") == {INFO[version]: {"status": UNKNOWN[version]}}


@versions
@pytest.mark.parametrize("stored", [TokenStatus.BLOCKED, TokenStatus.EXPIRED, TokenStatus.INVALID])
def test_a_token_the_operator_refused_is_answered_with_its_status(station, version, stored):
    IdTokenFactory(value="CARD-1", status=stored)

    assert status(station, version, "CARD-1") == stored.value


@versions
def test_a_token_past_its_expiry_is_expired_and_the_answer_says_when(station, version):
    IdTokenFactory(value="CARD-1", expiry=RECEIVED - timedelta(days=1))

    info = authorize(station, version, "CARD-1")[INFO[version]]

    assert info == {"status": "Expired", EXPIRY[version]: "2025-02-28T08:00:00Z"}


@versions
def test_a_token_expiring_later_is_accepted_and_the_answer_carries_the_expiry(station, version):
    IdTokenFactory(value="CARD-1", expiry=RECEIVED + timedelta(days=30))

    info = authorize(station, version, "CARD-1")[INFO[version]]

    assert info == {"status": "Accepted", EXPIRY[version]: "2025-03-31T08:00:00Z"}


@versions
def test_expiry_is_judged_at_central_receipt_time_not_when_the_worker_runs(station, version):
    # Expired by now, but not yet when the node received the message.
    IdTokenFactory(value="CARD-1", expiry=RECEIVED + timedelta(seconds=1))

    assert status(station, version, "CARD-1") == "Accepted"


@versions
def test_a_token_expiring_at_the_moment_of_receipt_is_expired(station, version):
    IdTokenFactory(value="CARD-1", expiry=RECEIVED)

    assert status(station, version, "CARD-1") == "Expired"


@versions
def test_a_member_of_a_group_is_answered_with_the_group(station, version):
    group = IdTokenFactory(value="FLEET-7", type=TokenType.CENTRAL)
    IdTokenFactory(value="CARD-1", parent=group)

    info = authorize(station, version, "CARD-1")[INFO[version]]

    expected_group = {"parentIdTag": "FLEET-7"} if version == "1.6" else {
        "groupIdToken": {"idToken": "FLEET-7", "type": "Central"}}
    assert info == {"status": "Accepted"} | expected_group


@versions
@pytest.mark.parametrize("group_status", [TokenStatus.BLOCKED, TokenStatus.EXPIRED, TokenStatus.INVALID])
def test_a_refused_group_refuses_its_members(station, version, group_status):
    group = IdTokenFactory(value="FLEET-7", status=group_status)
    IdTokenFactory(value="CARD-1", parent=group)

    assert status(station, version, "CARD-1") == group_status.value


@versions
def test_a_group_past_its_expiry_makes_its_members_expired(station, version):
    group = IdTokenFactory(value="FLEET-7", expiry=RECEIVED - timedelta(minutes=1))
    IdTokenFactory(value="CARD-1", parent=group)

    assert status(station, version, "CARD-1") == "Expired"


@versions
def test_a_token_already_in_its_one_allowed_session_is_concurrent_tx(station, version):
    TransactionFactory(id_token=IdTokenFactory(value="CARD-1", max_concurrent=1))

    assert status(station, version, "CARD-1") == "ConcurrentTx"


@versions
def test_an_ended_session_does_not_count_against_the_limit(station, version):
    TransactionFactory(id_token=IdTokenFactory(value="CARD-1", max_concurrent=1), status=TransactionStatus.ENDED)

    assert status(station, version, "CARD-1") == "Accepted"


@versions
def test_a_token_below_its_limit_is_accepted(station, version):
    TransactionFactory(id_token=IdTokenFactory(value="CARD-1", max_concurrent=2))

    assert status(station, version, "CARD-1") == "Accepted"


@versions
def test_a_token_without_a_limit_is_accepted_whatever_runs(station, version):
    TransactionFactory.create_batch(5, station=station, id_token=IdTokenFactory(value="CARD-1", max_concurrent=None))

    assert status(station, version, "CARD-1") == "Accepted"


@versions
def test_a_session_that_names_the_token_by_value_only_counts_too(station, version):
    IdTokenFactory(value="CARD-1", max_concurrent=1)
    TransactionFactory(id_token=None, id_token_value="CARD-1")

    assert status(station, version, "CARD-1") == "ConcurrentTx"


@versions
def test_a_token_matches_without_regard_to_case(station, version):
    IdTokenFactory(value="04A2B3C4D5")

    assert status(station, version, "04a2b3c4d5") == "Accepted"


@pytest.mark.parametrize("sent_type", ["KeyCode", "eMAID", "Central", "Local"])
def test_a_token_matches_whatever_type_the_201_station_sends(station, sent_type):
    IdTokenFactory(value="CARD-1", type=TokenType.ISO14443)

    assert status(station, "2.0.1", "CARD-1", token_type=sent_type) == "Accepted"


def test_a_16_id_tag_matches_a_token_stored_with_another_type(station):
    IdTokenFactory(value="1234", type=TokenType.KEY_CODE)

    assert status(station, "1.6", "1234") == "Accepted"


def test_a_201_no_authorization_token_is_accepted_without_lookup(station):
    assert authorize(station, "2.0.1", "", token_type="NoAuthorization") == {"idTokenInfo": {"status": "Accepted"}}


def test_a_201_central_token_from_a_remote_start_is_looked_up_like_any_other(station):
    IdTokenFactory(value="REMOTE-42", type=TokenType.CENTRAL, status=TokenStatus.BLOCKED)

    assert status(station, "2.0.1", "REMOTE-42", token_type="Central") == "Blocked"


@pytest.mark.parametrize("extra", [{"certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"},
                                   {"iso15118CertificateHashData": HASH_DATA}],
                         ids=["certificate", "hash data"])
def test_a_201_contract_certificate_is_answered_as_not_checkable(station, extra):
    IdTokenFactory(value="DE-8EO-C12345678-X", type=TokenType.EMAID)

    answer = authorize(station, "2.0.1", "DE-8EO-C12345678-X", token_type="eMAID", **extra)

    assert answer == {"idTokenInfo": {"status": "Accepted"}, "certificateStatus": "NoCertificateAvailable"}


def test_a_201_answer_without_a_certificate_in_the_request_has_no_certificate_status(station):
    IdTokenFactory(value="DE-8EO-C12345678-X", type=TokenType.EMAID)

    assert "certificateStatus" not in authorize(station, "2.0.1", "DE-8EO-C12345678-X", token_type="eMAID")


@versions
def test_authorize_stores_nothing(station, version):
    before = IdTokenFactory(value="CARD-1").updated_at

    authorize(station, version, "CARD-1")
    authorize(station, version, "NOBODY")

    assert list(IdToken.objects.values_list("value", "updated_at")) == [("CARD-1", before)]
