"""What follows from stations' answers to session commands: reservations, remote starts, local lists, profiles."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from ocpp.v16.enums import ReservationStatus as ReserveNowStatus16
from ocpp.v201.enums import ReserveNowStatusEnumType

from stations import services as station_services
from stations.choices import CommandStatus
from stations.models import Command
from tests.support.envelopes import call, send
from tests.support.factories import StationFactory
from tests.support.transaction_factories import IdTokenFactory
from transactions.choices import ChargingProfileStatus, NoteKind, ReservationStatus, TokenStatus
from transactions.models import ChargingProfile, DataQualityNote, LocalListVersion, Reservation, Transaction
from transactions.ocpp import answers
from transactions.services import operations, reservations
from transactions.services.remote_starts import transaction_started_by

pytestmark = pytest.mark.django_db

ACCEPTED = {"status": "Accepted"}


@pytest.fixture
def cp16(db):
    return StationFactory(station_id="CP-16", ocpp_version="1.6")


@pytest.fixture
def cp201(db):
    return StationFactory(station_id="CP-201", ocpp_version="2.0.1")


def sent(station, built):
    action, payload = built
    return Command.objects.create(station=station, ocpp_version=station.ocpp_version, action=action, payload=payload,
                                  message_id=str(uuid.uuid4()), status=CommandStatus.SENT, sent_at=timezone.now())


def answer(command, response):
    return station_services.record_command_result(message_id=command.message_id, outcome="result", response=response,
                                                  at=timezone.now())


def reserved(station, *, token="TAG-1", evse_id=1, reservation_id=5, response=ACCEPTED, minutes=30):
    built = operations.reserve_now(station.ocpp_version, id_token=token, evse_id=evse_id,
                                   reservation_id=reservation_id,
                                   expires_at=timezone.now() + timedelta(minutes=minutes))
    command = sent(station, built)
    answer(command, response)
    return command


def start_16(station, *, tag="TAG-1", connector=1, **extra):
    payload = {"connectorId": connector, "idTag": tag, "meterStart": 0, "timestamp": "2025-03-01T10:00:00Z"} | extra
    reply = send(call(station, "1.6", "StartTransaction", payload))
    return Transaction.objects.get(pk=reply["payload"]["transactionId"]), reply["payload"]["idTagInfo"]


def event_201(station, *, tx="tx-1", token="TAG-1", evse=1, **extra):
    payload = {"eventType": "Started", "timestamp": "2025-03-01T10:00:00Z", "triggerReason": "Authorized",
               "seqNo": 0, "transactionInfo": {"transactionId": tx}, "evse": {"id": evse, "connectorId": 1},
               "idToken": {"idToken": token, "type": "ISO14443"}} | extra
    reply = send(call(station, "2.0.1", "TransactionEvent", payload))
    return Transaction.objects.get(station=station, station_tx_id=tx), reply["payload"]["idTokenInfo"]


# --- Reservations -----------------------------------------------------------------------------------------------

def test_both_versions_spell_reserve_now_answers_alike():
    assert {s.value for s in ReserveNowStatus16} == {s.value for s in ReserveNowStatusEnumType}


def test_an_accepted_reservation_is_active_with_what_was_asked(cp16):
    IdTokenFactory(value="TAG-1", parent=IdTokenFactory(value="FLEET"))

    command = reserved(cp16, evse_id=2)

    reservation = Reservation.objects.get()
    assert (reservation.station, reservation.reservation_id, reservation.evse_id, reservation.id_token_value,
            reservation.group_id_token_value, reservation.status, reservation.command) == (
        cp16, 5, 2, "TAG-1", "FLEET", ReservationStatus.ACCEPTED, command)
    assert reservation.expires_at == datetime.fromisoformat(command.payload["expiryDate"])


def test_a_refused_reservation_is_kept_as_refused_and_never_overwrites_an_active_one(cp201):
    reserved(cp201, reservation_id=5)
    reserved(cp201, reservation_id=5, token="OTHER", response={"status": "Occupied"})
    reserved(cp201, reservation_id=6, response={"status": "Faulted"})

    assert dict(Reservation.objects.values_list("reservation_id", "status")) == {
        5: ReservationStatus.ACCEPTED, 6: ReservationStatus.FAULTED}
    assert Reservation.objects.get(reservation_id=5).id_token_value == "TAG-1"


@pytest.mark.parametrize("response, status", [(ACCEPTED, ReservationStatus.CANCELLED),
                                               ({"status": "Rejected"}, ReservationStatus.ACCEPTED)])
def test_cancel_reservation_cancels_only_when_accepted(cp16, response, status):
    reserved(cp16)

    answer(sent(cp16, operations.cancel_reservation("1.6", reservation_id=5)), response)

    assert Reservation.objects.get().status == status


def test_a_start_by_the_holder_uses_the_reservation(cp16):
    IdTokenFactory(value="TAG-1")
    reserved(cp16)

    transaction, info = start_16(cp16, tag="tag-1", reservationId=5)

    reservation = Reservation.objects.get()
    assert info == ACCEPTED
    assert (reservation.status, reservation.transaction) == (ReservationStatus.USED, transaction)


def test_a_start_by_a_group_member_uses_the_groups_reservation(cp16):
    IdTokenFactory(value="MEMBER", parent=IdTokenFactory(value="FLEET"))
    reserved(cp16, token="FLEET")

    _, info = start_16(cp16, tag="MEMBER")

    assert info["status"] == "Accepted"
    assert Reservation.objects.get().status == ReservationStatus.USED


def test_another_tokens_start_on_a_reserved_connector_is_recorded_answered_invalid_and_noted(cp16):
    IdTokenFactory(value="INTRUDER")
    reserved(cp16)

    transaction, info = start_16(cp16, tag="INTRUDER")

    assert info == {"status": "Invalid"}
    assert transaction.status == "Active"
    assert DataQualityNote.objects.filter(transaction=transaction, kind=NoteKind.RESERVATION).count() == 1
    assert Reservation.objects.get().status == ReservationStatus.ACCEPTED


def test_a_start_on_another_connector_or_after_expiry_ignores_the_reservation(cp16):
    IdTokenFactory(value="OTHER", max_concurrent=None)
    reserved(cp16, evse_id=1)
    reserved(cp16, evse_id=2, reservation_id=6, minutes=-1)

    _, on_2 = start_16(cp16, tag="OTHER", connector=2)
    _, on_3 = start_16(cp16, tag="OTHER", connector=3, timestamp="2025-03-01T10:05:00Z")

    assert on_2 == on_3 == ACCEPTED


def test_201_started_event_uses_or_refuses_a_reservation(cp201):
    IdTokenFactory(value="TAG-1")
    IdTokenFactory(value="OTHER")
    reserved(cp201, evse_id=1)
    reserved(cp201, evse_id=2, reservation_id=6)

    holder, holder_info = event_201(cp201, tx="tx-1", evse=1, reservationId=5)
    _, other_info = event_201(cp201, tx="tx-2", token="OTHER", evse=2)

    assert holder_info == ACCEPTED and other_info == {"status": "Invalid"}
    assert Reservation.objects.get(reservation_id=5).transaction == holder
    assert Reservation.objects.get(reservation_id=6).status == ReservationStatus.ACCEPTED


def test_reservations_expire_by_the_periodic_job_and_by_the_station(cp201):
    reserved(cp201, reservation_id=5, minutes=-1)
    reserved(cp201, reservation_id=6)
    reserved(cp201, reservation_id=7)

    assert reservations.expire_reservations(now=timezone.now()) == 1
    answers.reservation_status_update(station_id="CP-201", payload={"reservationId": 6,
                                                                    "reservationUpdateStatus": "Removed"})

    assert dict(Reservation.objects.values_list("reservation_id", "status")) == {
        5: ReservationStatus.EXPIRED, 6: ReservationStatus.REMOVED, 7: ReservationStatus.ACCEPTED}


# --- Remote start -----------------------------------------------------------------------------------------------

def test_16_remote_start_is_linked_to_the_first_matching_start(cp16):
    command = sent(cp16, operations.remote_start("1.6", id_token="TAG-1", evse_id=1))
    answer(command, ACCEPTED)

    other_tag, _ = start_16(cp16, tag="TAG-2")
    other_connector, _ = start_16(cp16, connector=2)
    first, _ = start_16(cp16, timestamp="2025-03-01T10:01:00Z")
    second, _ = start_16(cp16, timestamp="2025-03-01T10:02:00Z")

    assert transaction_started_by(command) == first
    assert [t.command for t in (other_tag, other_connector, second)] == [None, None, None]


def test_16_a_start_before_the_answer_is_linked_and_a_rejection_unlinks_it(cp16):
    command = sent(cp16, operations.remote_start("1.6", id_token="TAG-1"))
    start_16(cp16, connector=3)
    assert transaction_started_by(command) is not None

    answer(command, {"status": "Rejected"})

    assert transaction_started_by(command) is None


def test_201_remote_start_is_linked_by_its_remote_start_id(cp201):
    command = sent(cp201, operations.remote_start("2.0.1", id_token="TAG-1", evse_id=1))
    answer(command, ACCEPTED)
    unrelated = sent(cp201, operations.remote_start("2.0.1", id_token="TAG-1"))

    transaction, _ = event_201(cp201, triggerReason="RemoteStart",
                               transactionInfo={"transactionId": "tx-1",
                                                "remoteStartId": command.payload["remoteStartId"]})

    assert transaction_started_by(command) == transaction
    assert transaction_started_by(unrelated) is None


def test_201_an_answer_naming_a_running_session_links_it(cp201):
    transaction, _ = event_201(cp201, tx="tx-7")
    command = sent(cp201, operations.remote_start("2.0.1", id_token="TAG-1"))

    answer(command, {"status": "Accepted", "transactionId": "tx-7"})

    assert transaction_started_by(command) == transaction


# --- Local list -------------------------------------------------------------------------------------------------

def test_an_accepted_full_list_sets_the_version_and_a_differential_sends_only_changes(cp201):
    keep, block, drop = IdTokenFactory(value="KEEP"), IdTokenFactory(value="BLOCK"), IdTokenFactory(value="DROP")
    full = sent(cp201, operations.send_local_list("2.0.1", station_id="CP-201", full=True))
    answer(full, ACCEPTED)

    current = LocalListVersion.objects.get(station=cp201)
    assert (current.version, current.count, set(current.tokens)) == (1, 3, {"KEEP", "BLOCK", "DROP"})

    block.status = TokenStatus.BLOCKED
    block.save()
    drop.delete()
    IdTokenFactory(value="NEW")
    _, payload = operations.send_local_list("2.0.1", station_id="CP-201", full=False)

    assert payload == {"versionNumber": 2, "updateType": "Differential", "localAuthorizationList": [
        {"idToken": {"idToken": "BLOCK", "type": "ISO14443"}, "idTokenInfo": {"status": "Blocked"}},
        {"idToken": {"idToken": "NEW", "type": "ISO14443"}, "idTokenInfo": {"status": "Accepted"}},
        {"idToken": {"idToken": "DROP", "type": "ISO14443"}},
    ]}
    answer(sent(cp201, ("SendLocalList", payload)), ACCEPTED)
    current.refresh_from_db()
    assert (current.version, current.count, set(current.tokens)) == (2, 3, {"KEEP", "BLOCK", "NEW"})
    assert keep.value in current.tokens


def test_16_differential_removes_by_tag_and_a_failed_list_changes_nothing(cp16):
    IdTokenFactory(value="A")
    gone = IdTokenFactory(value="B")
    answer(sent(cp16, operations.send_local_list("1.6", station_id="CP-16", full=True)), ACCEPTED)
    gone.delete()

    _, payload = operations.send_local_list("1.6", station_id="CP-16", full=False)
    answer(sent(cp16, ("SendLocalList", payload)), {"status": "Failed"})

    assert payload == {"listVersion": 2, "updateType": "Differential", "localAuthorizationList": [{"idTag": "B"}]}
    current = LocalListVersion.objects.get(station=cp16)
    assert (current.version, current.count, current.issued) == (1, 2, 2)


@pytest.mark.parametrize("station_fixture, response", [("cp16", {"listVersion": 4}),
                                                      ("cp201", {"versionNumber": 4})])
def test_the_reported_list_version_is_stored(request, station_fixture, response):
    station = request.getfixturevalue(station_fixture)

    command = sent(station, operations.get_local_list_version(station.ocpp_version))
    answer(command, response)

    assert LocalListVersion.objects.get(station=station).reported_version == 4
    command.refresh_from_db()
    assert command.response == response


# --- Charging profiles ------------------------------------------------------------------------------------------

PERIODS = [{"start_period": 0, "limit": 16.0}]


def profile(station, response=ACCEPTED, **fields):
    command = sent(station, operations.set_charging_profile(station.ocpp_version, **({"evse_id": 1, "periods": PERIODS}
                                                                                      | fields)))
    answer(command, response)
    return command


def test_an_accepted_profile_is_installed_and_replaces_the_same_id_or_slot(cp16):
    session = start_16(cp16)[0]
    first = profile(cp16, profile_id=1, stack_level=0)
    profile(cp16, profile_id=2, stack_level=1, purpose="TxProfile", transaction=session)
    profile(cp16, profile_id=1, stack_level=3)

    rows = {(p.profile_id, p.stack_level): p for p in ChargingProfile.objects.all()}
    assert rows[1, 0].status == ChargingProfileStatus.REPLACED and rows[1, 0].command == first
    assert rows[1, 3].status == rows[2, 1].status == ChargingProfileStatus.INSTALLED
    assert rows[2, 1].transaction == session and rows[2, 1].purpose == "TxProfile"
    assert rows[1, 3].schedules == [{"chargingRateUnit": "A",
                                     "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}]


def test_a_rejected_profile_changes_nothing_installed(cp201):
    profile(cp201, profile_id=1)
    profile(cp201, {"status": "Rejected"}, profile_id=1)

    assert sorted(ChargingProfile.objects.values_list("status", flat=True)) == [
        ChargingProfileStatus.INSTALLED, ChargingProfileStatus.REJECTED]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_clear_charging_profile_clears_matching_profiles_when_accepted(request, version):
    station = request.getfixturevalue("cp16" if version == "1.6" else "cp201")
    profile(station, profile_id=1, evse_id=1, stack_level=0)
    profile(station, profile_id=2, evse_id=2, stack_level=0)
    profile(station, profile_id=3, evse_id=1, stack_level=1)

    answer(sent(station, operations.clear_charging_profile(version, profile_id=1)), {"status": "Unknown"})
    answer(sent(station, operations.clear_charging_profile(version, evse_id=1)), ACCEPTED)

    assert dict(ChargingProfile.objects.values_list("profile_id", "status")) == {
        1: ChargingProfileStatus.CLEARED, 2: ChargingProfileStatus.INSTALLED, 3: ChargingProfileStatus.CLEARED}


def test_reported_profiles_are_installed_once(cp201):
    _, payload = operations.set_charging_profile("2.0.1", evse_id=1, profile_id=8, periods=PERIODS)
    report = {"requestId": 1, "chargingLimitSource": "CSO", "evseId": 1,
              "chargingProfile": [payload["chargingProfile"]]}

    answers.report_charging_profiles(station_pk=cp201.pk, payload=report)
    answers.report_charging_profiles(station_pk=cp201.pk, payload=report)

    assert list(ChargingProfile.objects.values_list("profile_id", "status", "command")) == [
        (8, ChargingProfileStatus.INSTALLED, None)]
