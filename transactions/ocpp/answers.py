"""What central does with stations' answers to session commands: reservations, local lists, charging profiles,
remote starts. Each effect reads the request from the Command (the truth of what was asked), translates it
and calls one service, inside the transaction that stores the answer. A refusal changes nothing installed.

RemoteStop / RequestStop, GetCompositeSchedule, GetChargingProfiles and GetTransactionStatus need no
effect: their answer is kept on the Command.
"""

from datetime import datetime
from typing import Any

from ocpp.v16.enums import Action as Action16
from ocpp.v16.enums import ReservationStatus as ReserveNowStatus16
from ocpp.v16.enums import UpdateType
from ocpp.v201.enums import Action as Action201
from ocpp.v201.enums import ReservationUpdateStatusEnumType, UpdateEnumType

from csms.router import handles_answer
from stations.choices import CommandStatus
from stations.models import Command
from transactions.choices import ReservationStatus
from transactions.services import charging_profiles, local_lists, remote_starts, reservations
from transactions.services.charging_profiles import ProfileData
from transactions.services.operations import PURPOSE_FROM_16, V16, V201, purpose_of

# 1.6 ReservationStatus; 2.0.1 ReserveNowStatusEnumType spells the same five values (tests compare them).
RESERVE_NOW_STATUS = {
    ReserveNowStatus16.accepted.value: ReservationStatus.ACCEPTED,
    ReserveNowStatus16.faulted.value: ReservationStatus.FAULTED,
    ReserveNowStatus16.occupied.value: ReservationStatus.OCCUPIED,
    ReserveNowStatus16.rejected.value: ReservationStatus.REJECTED,
    ReserveNowStatus16.unavailable.value: ReservationStatus.UNAVAILABLE,
}
# 2.0.1 ReservationStatusUpdate (a station CALL, handled in stations/ocpp/notifications_v201.py).
RESERVATION_UPDATE_STATUS = {
    ReservationUpdateStatusEnumType.expired.value: ReservationStatus.EXPIRED,
    ReservationUpdateStatusEnumType.removed.value: ReservationStatus.REMOVED,
}


def _accepted(command: Command) -> bool:
    return command.status == CommandStatus.ACCEPTED


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --- Remote start -----------------------------------------------------------------------------------------------

@handles_answer(V16, Action16.remote_start_transaction)
def on_remote_start_transaction_answer(command: Command, response: dict[str, Any]) -> None:
    remote_starts.record_remote_start_answer(command, accepted=_accepted(command))


@handles_answer(V201, Action201.request_start_transaction)
def on_request_start_transaction_answer(command: Command, response: dict[str, Any]) -> None:
    remote_starts.record_remote_start_answer(command, accepted=_accepted(command),
                                             station_tx_id=response.get("transactionId", ""))


# --- Reservations -----------------------------------------------------------------------------------------------

@handles_answer(V16, Action16.reserve_now)
def on_reserve_now_answer_16(command: Command, response: dict[str, Any]) -> None:
    p = command.payload
    reservations.record_reserve_now_answer(
        command, reservation_id=p["reservationId"], evse_id=p["connectorId"], id_token_value=p["idTag"],
        group_id_token_value=p.get("parentIdTag", ""), connector_type="", expires_at=_time(p["expiryDate"]),
        status=RESERVE_NOW_STATUS[response["status"]])


@handles_answer(V201, Action201.reserve_now)
def on_reserve_now_answer_201(command: Command, response: dict[str, Any]) -> None:
    p = command.payload
    reservations.record_reserve_now_answer(
        command, reservation_id=p["id"], evse_id=p.get("evseId"), id_token_value=p["idToken"]["idToken"],
        group_id_token_value=p.get("groupIdToken", {}).get("idToken", ""), connector_type=p.get("connectorType", ""),
        expires_at=_time(p["expiryDateTime"]), status=RESERVE_NOW_STATUS[response["status"]])


@handles_answer(V16, Action16.cancel_reservation)
@handles_answer(V201, Action201.cancel_reservation)
def on_cancel_reservation_answer(command: Command, response: dict[str, Any]) -> None:
    if _accepted(command):
        reservations.record_cancel_answer(command, reservation_id=command.payload["reservationId"])


# --- Local authorisation list -----------------------------------------------------------------------------------

@handles_answer(V16, Action16.send_local_list)
def on_send_local_list_answer_16(command: Command, response: dict[str, Any]) -> None:
    if not _accepted(command):
        return
    p = command.payload
    entries = p.get("localAuthorizationList", [])
    local_lists.record_send_list_answer(
        command, version=p["listVersion"], full=p["updateType"] == UpdateType.full.value,
        updates={e["idTag"]: "" for e in entries if "idTagInfo" in e},
        removals=[e["idTag"] for e in entries if "idTagInfo" not in e])


@handles_answer(V201, Action201.send_local_list)
def on_send_local_list_answer_201(command: Command, response: dict[str, Any]) -> None:
    if not _accepted(command):
        return
    p = command.payload
    entries = p.get("localAuthorizationList", [])
    local_lists.record_send_list_answer(
        command, version=p["versionNumber"], full=p["updateType"] == UpdateEnumType.full.value,
        updates={e["idToken"]["idToken"]: e["idToken"]["type"] for e in entries if "idTokenInfo" in e},
        removals=[e["idToken"]["idToken"] for e in entries if "idTokenInfo" not in e])


@handles_answer(V16, Action16.get_local_list_version)
def on_get_local_list_version_answer_16(command: Command, response: dict[str, Any]) -> None:
    local_lists.record_reported_version(command, version=response["listVersion"])


@handles_answer(V201, Action201.get_local_list_version)
def on_get_local_list_version_answer_201(command: Command, response: dict[str, Any]) -> None:
    local_lists.record_reported_version(command, version=response["versionNumber"])


# --- Charging profiles ------------------------------------------------------------------------------------------

def profile_data_16(evse_id: int, profile: dict[str, Any]) -> ProfileData:
    return ProfileData(
        evse_id=evse_id, profile_id=profile["chargingProfileId"], stack_level=profile["stackLevel"],
        purpose=PURPOSE_FROM_16[profile["chargingProfilePurpose"]], kind=profile["chargingProfileKind"],
        schedules=[profile["chargingSchedule"]], recurrency=profile.get("recurrencyKind", ""),
        valid_from=_time(profile.get("validFrom")), valid_to=_time(profile.get("validTo")),
        transaction_id=profile.get("transactionId"))


def profile_data_201(evse_id: int, profile: dict[str, Any]) -> ProfileData:
    """A 2.0.1 ChargingProfileType in our words; also for ReportChargingProfiles (see report_charging_profiles)."""
    return ProfileData(
        evse_id=evse_id, profile_id=profile["id"], stack_level=profile["stackLevel"],
        purpose=purpose_of(profile["chargingProfilePurpose"]), kind=profile["chargingProfileKind"],
        schedules=profile["chargingSchedule"], recurrency=profile.get("recurrencyKind", ""),
        valid_from=_time(profile.get("validFrom")), valid_to=_time(profile.get("validTo")),
        station_tx_id=profile.get("transactionId", ""))


@handles_answer(V16, Action16.set_charging_profile)
def on_set_charging_profile_answer_16(command: Command, response: dict[str, Any]) -> None:
    p = command.payload
    charging_profiles.record_set_profile_answer(command, profile_data_16(p["connectorId"], p["csChargingProfiles"]),
                                                accepted=_accepted(command))


@handles_answer(V201, Action201.set_charging_profile)
def on_set_charging_profile_answer_201(command: Command, response: dict[str, Any]) -> None:
    p = command.payload
    charging_profiles.record_set_profile_answer(command, profile_data_201(p["evseId"], p["chargingProfile"]),
                                                accepted=_accepted(command))


@handles_answer(V16, Action16.clear_charging_profile)
def on_clear_charging_profile_answer_16(command: Command, response: dict[str, Any]) -> None:
    if _accepted(command):
        p = command.payload
        purpose = p.get("chargingProfilePurpose")
        charging_profiles.clear_profiles(
            station_pk=command.station_id, profile_id=p.get("id"), evse_id=p.get("connectorId"),
            purpose=None if purpose is None else PURPOSE_FROM_16[purpose], stack_level=p.get("stackLevel"))


@handles_answer(V201, Action201.clear_charging_profile)
def on_clear_charging_profile_answer_201(command: Command, response: dict[str, Any]) -> None:
    if _accepted(command):
        p = command.payload
        criteria = p.get("chargingProfileCriteria", {})
        purpose = criteria.get("chargingProfilePurpose")
        charging_profiles.clear_profiles(
            station_pk=command.station_id, profile_id=p.get("chargingProfileId"), evse_id=criteria.get("evseId"),
            purpose=None if purpose is None else purpose_of(purpose), stack_level=criteria.get("stackLevel"))


# --- Station calls handled elsewhere: one line each from stations/ocpp/notifications_v201.py ---------------------

def report_charging_profiles(*, station_pk: int, payload: dict[str, Any]) -> None:
    """2.0.1 ReportChargingProfiles: the profiles the station says it has installed become installed rows."""
    charging_profiles.record_reported_profiles(
        station_pk=station_pk, profiles=[profile_data_201(payload["evseId"], p) for p in payload["chargingProfile"]])


def reservation_status_update(*, station_id: str, payload: dict[str, Any]) -> None:
    """2.0.1 ReservationStatusUpdate: the station expired or removed a reservation."""
    reservations.record_reservation_status(station_id=station_id, reservation_id=payload["reservationId"],
                                           status=RESERVATION_UPDATE_STATUS[payload["reservationUpdateStatus"]])
