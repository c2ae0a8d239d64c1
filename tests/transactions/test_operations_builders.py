"""Session-side operation builders: the exact request for each OCPP version, always valid against its schema."""

from datetime import UTC, datetime

import pytest

from csms.exceptions import InvalidCommand
from node import schemas
from tests.support.transaction_factories import IdTokenFactory, TransactionFactory
from transactions.choices import TokenStatus, TokenType, TransactionStatus
from transactions.models import LocalListVersion, OperationId
from transactions.services import operations

pytestmark = pytest.mark.django_db

EXPIRES = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def built(result, version, action):
    got_action, payload = result
    assert got_action == action
    schemas.validate(version, action, payload)
    return payload


def test_remote_start_16_names_the_tag_and_connector():
    payload = built(operations.remote_start("1.6", id_token="TAG-1", evse_id=2), "1.6", "RemoteStartTransaction")
    assert payload == {"idTag": "TAG-1", "connectorId": 2}


def test_remote_start_201_types_the_token_and_allocates_a_fresh_remote_start_id():
    IdTokenFactory(value="TAG-1", type=TokenType.ISO15693)

    first = built(operations.remote_start("2.0.1", id_token="TAG-1", evse_id=1), "2.0.1", "RequestStartTransaction")
    second = built(operations.remote_start("2.0.1", id_token="APP-7"), "2.0.1", "RequestStartTransaction")

    assert first == {"idToken": {"idToken": "TAG-1", "type": "ISO15693"}, "remoteStartId": first["remoteStartId"],
                     "evseId": 1}
    assert second == {"idToken": {"idToken": "APP-7", "type": "Central"}, "remoteStartId": second["remoteStartId"]}
    assert first["remoteStartId"] != second["remoteStartId"]
    assert OperationId.objects.filter(purpose="remoteStartId").count() == 2


def test_remote_start_201_keeps_a_given_remote_start_id_and_profile():
    profile = {"profile_id": 9, "periods": [{"start_period": 0, "limit": 16.0}]}
    payload = built(operations.remote_start("2.0.1", id_token="T", remote_start_id=42, charging_profile=profile,
                                            token_type="KeyCode"), "2.0.1", "RequestStartTransaction")
    assert payload == {"idToken": {"idToken": "T", "type": "KeyCode"}, "remoteStartId": 42, "chargingProfile": {
        "id": 9, "stackLevel": 0, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Absolute",
        "chargingSchedule": [{"id": 9, "chargingRateUnit": "A",
                              "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}]}}


def test_remote_start_16_refuses_a_tag_longer_than_20_characters():
    with pytest.raises(InvalidCommand) as error:
        operations.remote_start("1.6", id_token="X" * 21)
    assert error.value.field == "id_token"


def test_remote_stop_uses_our_id_in_16_and_the_stations_id_in_201():
    session_16 = TransactionFactory()
    session_201 = TransactionFactory(ocpp_version="2.0.1", station_tx_id="tx-abc")

    assert built(operations.remote_stop("1.6", transaction=session_16), "1.6", "RemoteStopTransaction") == {
        "transactionId": session_16.pk}
    assert built(operations.remote_stop("2.0.1", transaction=session_201), "2.0.1", "RequestStopTransaction") == {
        "transactionId": "tx-abc"}


def test_remote_stop_of_an_ended_or_other_version_session_is_refused():
    with pytest.raises(InvalidCommand):
        operations.remote_stop("1.6", transaction=TransactionFactory(status=TransactionStatus.ENDED))
    with pytest.raises(InvalidCommand):
        operations.remote_stop("2.0.1", transaction=TransactionFactory())


def test_reserve_now_in_both_versions_with_the_tokens_group():
    IdTokenFactory(value="TAG-1", parent=IdTokenFactory(value="FLEET", type=TokenType.CENTRAL))

    p16 = built(operations.reserve_now("1.6", id_token="TAG-1", expires_at=EXPIRES, evse_id=2, reservation_id=5),
                "1.6", "ReserveNow")
    p201 = built(operations.reserve_now("2.0.1", id_token="TAG-1", expires_at=EXPIRES, reservation_id=6,
                                        connector_type="cType2"), "2.0.1", "ReserveNow")

    assert p16 == {"connectorId": 2, "expiryDate": "2025-03-01T12:00:00Z", "idTag": "TAG-1", "reservationId": 5,
                   "parentIdTag": "FLEET"}
    assert p201 == {"id": 6, "expiryDateTime": "2025-03-01T12:00:00Z",
                    "idToken": {"idToken": "TAG-1", "type": "ISO14443"},
                    "groupIdToken": {"idToken": "FLEET", "type": "Central"}, "connectorType": "cType2"}


def test_reserve_now_16_without_a_connector_reserves_connector_0_with_a_fresh_id():
    payload = built(operations.reserve_now("1.6", id_token="X", expires_at=EXPIRES), "1.6", "ReserveNow")
    assert payload["connectorId"] == 0 and payload["reservationId"] > 0


def test_cancel_reservation_and_get_local_list_version_in_both_versions():
    for version in ("1.6", "2.0.1"):
        assert built(operations.cancel_reservation(version, reservation_id=5), version, "CancelReservation") == {
            "reservationId": 5}
        assert built(operations.get_local_list_version(version), version, "GetLocalListVersion") == {}


def tokens():
    fleet = IdTokenFactory(value="FLEET", type=TokenType.CENTRAL)
    IdTokenFactory(value="A-1", parent=fleet, expiry=EXPIRES)
    IdTokenFactory(value="B-2", status=TokenStatus.BLOCKED)
    IdTokenFactory(value="L" * 30, type=TokenType.EMAID)


def test_a_full_local_list_16_holds_every_token_that_fits_with_its_info(station):
    tokens()

    payload = built(operations.send_local_list("1.6", station_id=station.station_id, full=True), "1.6",
                    "SendLocalList")

    assert payload == {"listVersion": 1, "updateType": "Full", "localAuthorizationList": [
        {"idTag": "A-1", "idTagInfo": {"status": "Accepted", "expiryDate": "2025-03-01T12:00:00Z",
                                       "parentIdTag": "FLEET"}},
        {"idTag": "B-2", "idTagInfo": {"status": "Blocked"}},
        {"idTag": "FLEET", "idTagInfo": {"status": "Accepted"}},
    ]}


def test_a_full_local_list_201_types_its_tokens_and_numbers_versions_upwards(station):
    tokens()

    first = built(operations.send_local_list("2.0.1", station_id=station.station_id, full=True), "2.0.1",
                  "SendLocalList")
    second = built(operations.send_local_list("2.0.1", station_id=station.station_id, full=True), "2.0.1",
                   "SendLocalList")

    assert first["versionNumber"] == 1 and second["versionNumber"] == 2
    assert first["updateType"] == "Full"
    assert first["localAuthorizationList"] == [
        {"idToken": {"idToken": "A-1", "type": "ISO14443"}, "idTokenInfo": {
            "status": "Accepted", "cacheExpiryDateTime": "2025-03-01T12:00:00Z",
            "groupIdToken": {"idToken": "FLEET", "type": "Central"}}},
        {"idToken": {"idToken": "B-2", "type": "ISO14443"}, "idTokenInfo": {"status": "Blocked"}},
        {"idToken": {"idToken": "FLEET", "type": "Central"}, "idTokenInfo": {"status": "Accepted"}},
        {"idToken": {"idToken": "L" * 30, "type": "eMAID"}, "idTokenInfo": {"status": "Accepted"}},
    ]
    assert LocalListVersion.objects.get(station=station).issued == 2


def test_an_empty_full_list_clears_the_station_list(station):
    assert built(operations.send_local_list("2.0.1", station_id=station.station_id, full=True), "2.0.1",
                 "SendLocalList") == {"versionNumber": 1, "updateType": "Full"}


def test_a_local_list_for_an_unknown_station_is_refused(db):
    with pytest.raises(InvalidCommand) as error:
        operations.send_local_list("1.6", station_id="nope", full=True)
    assert error.value.field == "station"


@pytest.mark.parametrize("version, expected", [
    ("1.6", {"connectorId": 1, "csChargingProfiles": {
        "chargingProfileId": 3, "stackLevel": 2, "chargingProfilePurpose": "ChargePointMaxProfile",
        "chargingProfileKind": "Recurring", "recurrencyKind": "Daily", "validFrom": "2025-03-01T12:00:00Z",
        "chargingSchedule": {"chargingRateUnit": "W", "duration": 3600, "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 11000.0, "numberPhases": 3}, {"startPeriod": 1800, "limit": 7400.0}]}}}),
    ("2.0.1", {"evseId": 1, "chargingProfile": {
        "id": 3, "stackLevel": 2, "chargingProfilePurpose": "ChargingStationMaxProfile",
        "chargingProfileKind": "Recurring", "recurrencyKind": "Daily", "validFrom": "2025-03-01T12:00:00Z",
        "chargingSchedule": [{"id": 3, "chargingRateUnit": "W", "duration": 3600, "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 11000.0, "numberPhases": 3}, {"startPeriod": 1800, "limit": 7400.0}]}]}}),
])
def test_set_charging_profile_in_each_versions_shape(version, expected):
    payload = built(operations.set_charging_profile(
        version, evse_id=1, profile_id=3, stack_level=2, purpose="ChargingStationMaxProfile", kind="Recurring",
        recurrency="Daily", valid_from=EXPIRES, rate_unit="W", duration=3600,
        periods=[{"start_period": 0, "limit": 11000.0, "number_phases": 3}, {"start_period": 1800, "limit": 7400.0}]),
        version, "SetChargingProfile")
    assert payload == expected


def test_a_tx_profile_names_the_session_in_each_versions_terms():
    session_16 = TransactionFactory()
    session_201 = TransactionFactory(ocpp_version="2.0.1", station_tx_id="tx-9")
    periods = [{"start_period": 0, "limit": 10.0}]

    p16 = built(operations.set_charging_profile("1.6", evse_id=1, profile_id=1, purpose="TxProfile", periods=periods,
                                                transaction=session_16), "1.6", "SetChargingProfile")
    p201 = built(operations.set_charging_profile("2.0.1", evse_id=1, profile_id=1, purpose="TxProfile",
                                                 periods=periods, transaction=session_201), "2.0.1",
                 "SetChargingProfile")

    assert p16["csChargingProfiles"]["transactionId"] == session_16.pk
    assert p201["chargingProfile"]["transactionId"] == "tx-9"


def test_a_stored_profile_can_be_sent_again(station):
    from transactions.models import ChargingProfile

    row = ChargingProfile.objects.create(
        station=station, evse_id=0, profile_id=4, stack_level=1, purpose="TxDefaultProfile", kind="Absolute",
        schedules=[{"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6.0}]}],
        status="installed")

    payload = built(operations.set_charging_profile("1.6", evse_id=0, profile=row), "1.6", "SetChargingProfile")

    assert payload == {"connectorId": 0, "csChargingProfiles": {
        "chargingProfileId": 4, "stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6.0}]}}}


def test_profiles_16_cannot_carry_a_purpose_or_limit_it_lacks():
    with pytest.raises(InvalidCommand) as purpose:
        operations.set_charging_profile("1.6", evse_id=0, profile_id=1, purpose="ChargingStationExternalConstraints",
                                        periods=[{"start_period": 0, "limit": 6.0}])
    with pytest.raises(InvalidCommand) as limit:
        operations.set_charging_profile("1.6", evse_id=0, profile_id=1, periods=[{"start_period": 0, "limit": 6.05}])
    assert (purpose.value.field, limit.value.field) == ("purpose", "payload")


def test_clear_charging_profile_by_id_or_criteria():
    assert built(operations.clear_charging_profile("1.6", profile_id=3), "1.6", "ClearChargingProfile") == {"id": 3}
    assert built(operations.clear_charging_profile("1.6", evse_id=1, purpose="ChargingStationMaxProfile",
                                                   stack_level=0), "1.6", "ClearChargingProfile") == {
        "connectorId": 1, "chargingProfilePurpose": "ChargePointMaxProfile", "stackLevel": 0}
    assert built(operations.clear_charging_profile("2.0.1", profile_id=3), "2.0.1", "ClearChargingProfile") == {
        "chargingProfileId": 3}
    assert built(operations.clear_charging_profile("2.0.1", evse_id=1, purpose="TxProfile"), "2.0.1",
                 "ClearChargingProfile") == {"chargingProfileCriteria": {"evseId": 1, "chargingProfilePurpose":
                                                                         "TxProfile"}}
    assert built(operations.clear_charging_profile("2.0.1"), "2.0.1", "ClearChargingProfile") == {}


def test_get_composite_schedule_in_both_versions():
    assert built(operations.get_composite_schedule("1.6", evse_id=1, duration=600, rate_unit="W"), "1.6",
                 "GetCompositeSchedule") == {"connectorId": 1, "duration": 600, "chargingRateUnit": "W"}
    assert built(operations.get_composite_schedule("2.0.1", evse_id=0, duration=600), "2.0.1",
                 "GetCompositeSchedule") == {"evseId": 0, "duration": 600}


def test_get_charging_profiles_and_get_transaction_status_are_201_only():
    session = TransactionFactory(ocpp_version="2.0.1", station_tx_id="tx-1")

    profiles = built(operations.get_charging_profiles("2.0.1", request_id=7, evse_id=1, purpose="TxProfile",
                                                      profile_ids=[1, 2], sources=["CSO"]), "2.0.1",
                     "GetChargingProfiles")
    any_profile = built(operations.get_charging_profiles("2.0.1"), "2.0.1", "GetChargingProfiles")
    status = built(operations.get_transaction_status("2.0.1", transaction=session), "2.0.1", "GetTransactionStatus")

    assert profiles == {"requestId": 7, "evseId": 1, "chargingProfile": {
        "chargingProfilePurpose": "TxProfile", "chargingProfileId": [1, 2], "chargingLimitSource": ["CSO"]}}
    assert any_profile == {"requestId": any_profile["requestId"], "chargingProfile": {}}
    assert status == {"transactionId": "tx-1"}
    assert built(operations.get_transaction_status("2.0.1"), "2.0.1", "GetTransactionStatus") == {}
    for builder in (operations.get_charging_profiles, operations.get_transaction_status):
        with pytest.raises(InvalidCommand) as error:
            builder("1.6")
        assert error.value.field == "action"


def test_an_unknown_version_is_refused():
    with pytest.raises(InvalidCommand) as error:
        operations.cancel_reservation("2.1", reservation_id=1)
    assert error.value.field == "version"
