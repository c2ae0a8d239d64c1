"""Security profiles at the handshake (central's side of `connect`) and password rotation through a command."""

from datetime import UTC, datetime, timedelta

import pytest

from csms.exceptions import InvalidValue
from node import schemas
from stations import services
from stations.choices import CommandStatus
from stations.models import ConfigurationKey, ConnectionLog, DeviceVariable, OcppMessage
from stations.services import security
from tests.support.envelopes import connect, send
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db
AT = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
OLD = "old-password-0123"


def admission(station, *, password=None, username=None, remote="203.0.113.7:5000", version="1.6"):
    reply = send(connect(station, version, username=username or station.station_id if password else None,
                         password=password, remote=remote))
    payload = reply["payload"]
    return payload["accepted"], payload["http_status"], payload["reason"]


def answer(command, response):
    schemas.validate(command.ocpp_version, command.action, response, response=True)
    return services.record_command_result(message_id=command.message_id, outcome="result", response=response, at=AT)


@pytest.fixture
def basic_station(db):
    return StationFactory(station_id="CP-1", ocpp_version="1.6", security_profile=1, password=OLD)


def test_remote_marks_from_the_node_are_read_back():
    assert security.parse_remote("198.51.100.4:443 tls cert cn=CP%201") == security.Transport(
        address="198.51.100.4:443", tls=True, client_cert=True, client_cn="CP 1")
    assert security.parse_remote("198.51.100.4:80") == security.Transport(address="198.51.100.4:80")
    assert security.parse_remote("") == security.Transport(address="")


def test_profile_1_refuses_a_station_without_credentials_with_401_and_logs_it(basic_station):
    assert admission(basic_station) == (False, 401, "bad_credentials")
    log = ConnectionLog.objects.get()
    assert (log.event, log.reason, log.remote_addr) == ("refused", "bad_credentials", "203.0.113.7:5000")


def test_profile_1_without_a_stored_password_lets_nobody_in(db):
    station = StationFactory(station_id="CP-NOPW", security_profile=1)
    assert admission(station, password="anything-at-all-1") == (False, 401, "bad_credentials")


def test_profile_1_admits_the_right_credentials_over_plain_ws(basic_station):
    assert admission(basic_station, password=OLD)[0] is True


def test_profile_2_refuses_plain_ws_with_403_even_with_the_right_password(db):
    station = StationFactory(station_id="CP-2", security_profile=2, password=OLD)
    assert admission(station, password=OLD) == (False, 403, "tls_required")
    assert ConnectionLog.objects.get().reason == "tls_required"


def test_profile_2_over_tls_still_needs_the_password(db):
    station = StationFactory(station_id="CP-2", security_profile=2, password=OLD)
    assert admission(station, password="wrong-password-123", remote="1.2.3.4:1 tls") == (False, 401,
                                                                                      "bad_credentials")
    assert admission(station, password=OLD, remote="1.2.3.4:1 tls")[0] is True


@pytest.mark.parametrize(("remote", "expected"), [
    ("1.2.3.4:1", (False, 403, "tls_required")),
    ("1.2.3.4:1 tls", (False, 403, "client_certificate_required")),
    ("1.2.3.4:1 tls cert cn=CP-OTHER", (False, 403, "client_certificate_mismatch")),
    ("1.2.3.4:1 tls cert cn=CP-3", (True, 101, "")),
    ("1.2.3.4:1 tls cert", (True, 101, "")),  # verified by a CERT_REQUIRED listener, identity unknown
], ids=["plain", "tls without certificate", "certificate of another station", "its own certificate",
        "verified certificate, name unknown"])
def test_profile_3_needs_a_verified_client_certificate_named_after_the_station(db, remote, expected):
    station = StationFactory(station_id="CP-3", security_profile=3)
    assert admission(station, remote=remote) == expected


def test_profile_0_still_checks_a_password_when_one_is_set(db):
    station = StationFactory(station_id="CP-0", password=OLD)
    assert admission(station)[:2] == (False, 401)
    assert admission(station, password=OLD)[0] is True


def test_profiles_1_and_2_cannot_be_set_without_a_password(db):
    StationFactory(station_id="CP-X")
    with pytest.raises(InvalidValue) as refused:
        security.set_security_profile(station_id="CP-X", profile=2)
    assert refused.value.field == "security_profile"
    assert security.set_security_profile(station_id="CP-X", profile=3).security_profile == 3


def test_a_16_rotation_sends_the_hex_encoded_key_and_keeps_the_old_password_until_accepted(basic_station):
    rotation = security.rotate_password(station_id="CP-1", password="new-password-4567")

    command = rotation.command
    assert (command.action, command.payload) == ("ChangeConfiguration", {
        "key": "AuthorizationKey", "value": b"new-password-4567".hex()})
    assert command.status == CommandStatus.PENDING  # offline: queued until it is back
    assert admission(basic_station, password=OLD)[0] is True
    assert admission(basic_station, password="new-password-4567")[0] is True  # it may reconnect before we hear

    answer(command, {"status": "Accepted"})

    assert admission(basic_station, password=OLD) == (False, 401, "bad_credentials")
    assert admission(basic_station, password="new-password-4567")[0] is True


def test_a_rejected_rotation_leaves_the_old_password_alone_and_drops_the_new_one(basic_station):
    rotation = security.rotate_password(station_id="CP-1", password="new-password-4567")
    answer(rotation.command, {"status": "Rejected"})

    assert admission(basic_station, password="new-password-4567")[:2] == (False, 401)
    assert admission(basic_station, password=OLD)[0] is True


def test_after_the_answer_the_key_is_blanked_in_the_command_the_log_and_the_configuration(basic_station):
    rotation = security.rotate_password(station_id="CP-1", password="new-password-4567")
    answer(rotation.command, {"status": "Accepted"})
    basic_station.refresh_from_db()
    security.settle_rotation(station=basic_station)

    rotation.command.refresh_from_db()
    assert rotation.command.payload == {"key": "AuthorizationKey", "value": "********"}
    assert ConfigurationKey.objects.get(station=basic_station, key="AuthorizationKey").value is None
    assert b"new-password-4567".hex() not in str(list(OcppMessage.objects.values_list("payload")))


def test_a_201_rotation_sets_basic_auth_password_and_counts_only_an_accepted_variable(db):
    station = StationFactory(station_id="CP-9", ocpp_version="2.0.1", security_profile=1, password=OLD)
    rotation = security.rotate_password(station_id="CP-9")

    assert 16 <= len(rotation.password) <= 40
    [data] = rotation.command.payload["setVariableData"]
    assert (data["component"], data["variable"], data["attributeValue"]) == (
        {"name": "SecurityCtrlr"}, {"name": "BasicAuthPassword"}, rotation.password)
    answer(rotation.command, {"setVariableResult": [{
        "attributeStatus": "Rejected", "component": {"name": "SecurityCtrlr"},
        "variable": {"name": "BasicAuthPassword"}}]})

    assert admission(station, password=rotation.password, version="2.0.1")[:2] == (False, 401)
    assert admission(station, password=OLD, version="2.0.1")[0] is True


def test_an_accepted_201_rotation_makes_the_new_password_the_only_one(db):
    station = StationFactory(station_id="CP-9", ocpp_version="2.0.1", security_profile=1, password=OLD)
    rotation = security.rotate_password(station_id="CP-9")
    answer(rotation.command, {"setVariableResult": [{
        "attributeStatus": "Accepted", "component": {"name": "SecurityCtrlr"},
        "variable": {"name": "BasicAuthPassword"}}]})

    assert admission(station, password=OLD, version="2.0.1")[:2] == (False, 401)
    assert admission(station, password=rotation.password, version="2.0.1")[0] is True
    assert not DeviceVariable.objects.filter(value=rotation.password).exists()


def test_a_station_that_never_connected_gets_the_password_at_once(db):
    station = StationFactory(station_id="CP-NEW", ocpp_version="")
    rotation = security.rotate_password(station_id="CP-NEW")

    assert rotation.command is None
    station.refresh_from_db()
    assert station.check_password(rotation.password) and len(rotation.password) == 20


def test_a_second_rotation_waits_for_the_answer_to_the_first(basic_station):
    security.rotate_password(station_id="CP-1", password="new-password-4567")
    with pytest.raises(InvalidValue, match="still waiting"):
        security.rotate_password(station_id="CP-1")


def test_a_rotation_to_an_offline_station_not_queued_fails_and_keeps_the_old_password(basic_station):
    rotation = security.rotate_password(station_id="CP-1", password="new-password-4567", queue_for=None)

    assert rotation.command.status == CommandStatus.STATION_OFFLINE
    basic_station.refresh_from_db()
    assert (basic_station.pending_password, basic_station.password_command) == ("", None)
    assert basic_station.check_password(OLD)


@pytest.mark.parametrize(("password", "version"), [("short-pass", "1.6"), ("a" * 21, "1.6"), ("a" * 41, "2.0.1"),
                                                   ("spaces are not ok 123", "2.0.1")])
def test_passwords_a_station_cannot_take_are_refused_naming_the_field(password, version):
    with pytest.raises(InvalidValue) as refused:
        security.check_password_rules(password, version)
    assert refused.value.field == "password"


def test_an_expired_queued_rotation_is_dropped_at_the_next_connect(basic_station):
    rotation = security.rotate_password(station_id="CP-1", password="new-password-4567",
                                        queue_for=timedelta(seconds=1))
    services.record_command_result(message_id=rotation.command.message_id, outcome="timeout", at=AT)

    assert admission(basic_station, password="new-password-4567")[:2] == (False, 401)
    basic_station.refresh_from_db()
    assert basic_station.password_command is None


def test_a_pending_password_whose_command_was_deleted_is_no_longer_let_in(basic_station):
    rotation = security.rotate_password(station_id="CP-1", password="new-password-4567")
    rotation.command.delete()

    assert admission(basic_station, password="new-password-4567")[:2] == (False, 401)
    assert admission(basic_station, password=OLD)[0] is True
