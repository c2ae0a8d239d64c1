"""Session-side operations as (action, payload) for a station's OCPP version, from plain keyword arguments.

Admin, portal, API and CLI build requests here and hand them to `stations.services.issue_command`,
which stores and sends them. Every payload is checked against the version's schema before it is
returned (InvalidCommand names the field at fault). Ids central chooses (remoteStartId, reservation
id, charging profile id, requestId) come from OperationId, a database sequence, so they never repeat.
What follows from the station's answers lives in transactions/ocpp/answers.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ocpp.v16.enums import AuthorizationStatus, ChargingProfilePurposeType, UpdateType
from ocpp.v201.enums import AuthorizationStatusEnumType, IdTokenEnumType, UpdateEnumType

from csms.exceptions import InvalidCommand
from node import rpc, schemas
from transactions.choices import ChargingProfilePurpose, TokenStatus, TransactionStatus
from transactions.models import ChargingProfile, IdToken, OperationId, Transaction
from transactions.services import local_lists
from transactions.services.tokens import find_token

V16, V201 = "1.6", "2.0.1"
Built = tuple[str, dict[str, Any]]
ID_TAG_16 = 20  # 1.6 idTag maxLength; 2.0.1 allows 36, as IdToken.value does

PURPOSE_16 = {
    ChargingProfilePurpose.STATION_MAX: ChargingProfilePurposeType.charge_point_max_profile,
    ChargingProfilePurpose.TX_DEFAULT: ChargingProfilePurposeType.tx_default_profile,
    ChargingProfilePurpose.TX: ChargingProfilePurposeType.tx_profile,
}
PURPOSE_FROM_16 = {protocol.value: ours for ours, protocol in PURPOSE_16.items()}
TOKEN_STATUS_16 = {
    TokenStatus.ACCEPTED: AuthorizationStatus.accepted, TokenStatus.BLOCKED: AuthorizationStatus.blocked,
    TokenStatus.EXPIRED: AuthorizationStatus.expired, TokenStatus.INVALID: AuthorizationStatus.invalid,
}
TOKEN_STATUS_201 = {
    TokenStatus.ACCEPTED: AuthorizationStatusEnumType.accepted,
    TokenStatus.BLOCKED: AuthorizationStatusEnumType.blocked,
    TokenStatus.EXPIRED: AuthorizationStatusEnumType.expired,
    TokenStatus.INVALID: AuthorizationStatusEnumType.invalid,
}
# A token central starts or reserves for that it does not store: an id it vouches for itself.
DEFAULT_TOKEN_TYPE = IdTokenEnumType.central.value


def next_operation_id(purpose: str) -> int:
    """A fresh integer for a station-facing id; unique across all stations and callers."""
    return OperationId.objects.create(purpose=purpose).pk


def _checked(version: str, action: str, payload: dict[str, Any]) -> Built:
    try:
        schemas.validate(version, action, payload)
    except rpc.RpcError as exc:
        raise InvalidCommand(f"{action} {version}: {exc.description}", field="payload") from None
    return action, payload


def _version(version: str, *, only_201: str = "") -> str:
    if version not in (V16, V201):
        raise InvalidCommand(f"unknown OCPP version {version!r}", field="version")
    if only_201 and version != V201:
        raise InvalidCommand(f"{only_201} exists only in OCPP 2.0.1", field="action")
    return version


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _some(**fields: Any) -> dict[str, Any]:
    """The fields that have a value (optional OCPP fields are left out, never sent as null)."""
    return {name: value for name, value in fields.items() if value is not None}


def _id_tag(value: str) -> str:
    if len(value) > ID_TAG_16:
        raise InvalidCommand(f"an OCPP 1.6 idTag has at most {ID_TAG_16} characters", field="id_token")
    return value


def _id_token(value: str, token_type: str | None = None) -> dict[str, str]:
    """2.0.1 IdTokenType: the type given, else the stored token's, else Central."""
    if token_type is None:
        token = find_token(value)
        token_type = token.type if token is not None else DEFAULT_TOKEN_TYPE
    return {"idToken": value, "type": token_type}


def purpose_of(value: str) -> ChargingProfilePurpose:
    """Ours, or a 1.6 spelling (ChargePointMaxProfile)."""
    try:
        return PURPOSE_FROM_16.get(value) or ChargingProfilePurpose(value)
    except ValueError:
        raise InvalidCommand(f"unknown charging profile purpose {value!r}", field="purpose") from None


def _transaction_id_16(transaction: Transaction) -> int:
    """Our pk, or the station's own id for a session central never issued an id for."""
    return int(transaction.station_tx_id) if transaction.orphan and transaction.station_tx_id else transaction.pk


def _same_version(version: str, transaction: Transaction) -> None:
    if transaction.ocpp_version != version:
        raise InvalidCommand(f"transaction {transaction.pk} is an OCPP {transaction.ocpp_version} session",
                             field="transaction")


# --- Sessions -------------------------------------------------------------------------------------------------

def remote_start(version: str, *, id_token: str, evse_id: int | None = None, remote_start_id: int | None = None,
                 charging_profile: Mapping[str, Any] | None = None, token_type: str | None = None) -> Built:
    """1.6 RemoteStartTransaction / 2.0.1 RequestStartTransaction. `charging_profile` takes the keyword arguments
    of `charging_profile_payload` (purpose defaults to TxProfile). The 2.0.1 remoteStartId is allocated when not
    given; `remote_starts.transaction_started_by(command)` finds the session it started, in both versions."""
    profile = None
    if charging_profile is not None:
        profile = charging_profile_payload(version, **({"purpose": ChargingProfilePurpose.TX} | dict(charging_profile)))
    if _version(version) == V16:
        return _checked(V16, "RemoteStartTransaction",
                        _some(idTag=_id_tag(id_token), connectorId=evse_id, chargingProfile=profile))
    remote_start_id = next_operation_id("remoteStartId") if remote_start_id is None else remote_start_id
    return _checked(V201, "RequestStartTransaction",
                    _some(idToken=_id_token(id_token, token_type), remoteStartId=remote_start_id, evseId=evse_id,
                          chargingProfile=profile))


def remote_stop(version: str, *, transaction: Transaction) -> Built:
    """1.6 RemoteStopTransaction {transactionId: our id} / 2.0.1 RequestStopTransaction {the station's id}."""
    _same_version(_version(version), transaction)
    if transaction.status == TransactionStatus.ENDED:
        raise InvalidCommand(f"transaction {transaction.pk} has already ended", field="transaction")
    if version == V16:
        return _checked(V16, "RemoteStopTransaction", {"transactionId": _transaction_id_16(transaction)})
    return _checked(V201, "RequestStopTransaction", {"transactionId": transaction.station_tx_id})


def get_transaction_status(version: str, *, transaction: Transaction | None = None) -> Built:
    """2.0.1 GetTransactionStatus, of one session or (none given) of the station's queued messages in general."""
    _version(version, only_201="GetTransactionStatus")
    if transaction is not None:
        _same_version(version, transaction)
    return _checked(V201, "GetTransactionStatus",
                    _some(transactionId=transaction.station_tx_id if transaction is not None else None))


# --- Reservations ---------------------------------------------------------------------------------------------

def reserve_now(version: str, *, id_token: str, expires_at: datetime, evse_id: int | None = None,
                reservation_id: int | None = None, group_id_token: str | None = None, token_type: str | None = None,
                connector_type: str | None = None) -> Built:
    """1.6 / 2.0.1 ReserveNow; `evse_id` None reserves any connector (1.6 connector 0). The group defaults to the
    stored token's parent; the reservation id is allocated when not given (the same id replaces a reservation)."""
    _version(version)
    if group_id_token is None:
        token = find_token(id_token)
        group_id_token = token.parent.value if token is not None and token.parent else None
    reservation_id = next_operation_id("reservationId") if reservation_id is None else reservation_id
    if version == V16:
        if connector_type is not None:
            raise InvalidCommand("OCPP 1.6 reservations name no connector type", field="connector_type")
        return _checked(V16, "ReserveNow", _some(
            connectorId=evse_id or 0, expiryDate=_time(expires_at), idTag=_id_tag(id_token),
            reservationId=reservation_id, parentIdTag=None if group_id_token is None else _id_tag(group_id_token)))
    return _checked(V201, "ReserveNow", _some(
        id=reservation_id, expiryDateTime=_time(expires_at), idToken=_id_token(id_token, token_type), evseId=evse_id,
        groupIdToken=None if group_id_token is None else _id_token(group_id_token), connectorType=connector_type))


def cancel_reservation(version: str, *, reservation_id: int) -> Built:
    return _checked(_version(version), "CancelReservation", {"reservationId": reservation_id})


# --- Local authorisation list ---------------------------------------------------------------------------------

def _entry_16(token: IdToken) -> dict[str, Any]:
    info = _some(status=TOKEN_STATUS_16[token.status].value, expiryDate=_time(token.expiry) if token.expiry else None,
                 parentIdTag=token.parent.value if token.parent and len(token.parent.value) <= ID_TAG_16 else None)
    return {"idTag": token.value, "idTagInfo": info}


def _entry_201(token: IdToken) -> dict[str, Any]:
    info = _some(status=TOKEN_STATUS_201[token.status].value,
                 cacheExpiryDateTime=_time(token.expiry) if token.expiry else None,
                 groupIdToken={"idToken": token.parent.value, "type": token.parent.type} if token.parent else None)
    return {"idToken": {"idToken": token.value, "type": token.type}, "idTokenInfo": info}


def send_local_list(version: str, *, station_id: str, full: bool) -> Built:
    """SendLocalList for the station, with the next list version: full = every stored token with its status
    (blocked ones too, so the station refuses them offline); differential = tokens changed since the accepted
    list was built, plus removals of tokens central no longer has. 1.6 lists leave out values over 20 characters."""
    if _version(version) == V16:
        plan = local_lists.plan_list(station_id=station_id, full=full, fits=lambda t: len(t.value) <= ID_TAG_16)
        entries = [_entry_16(t) for t in plan.updates] + [{"idTag": value} for value in plan.removals
                                                          if len(value) <= ID_TAG_16]
        update_type = (UpdateType.full if full else UpdateType.differential).value
        return _checked(V16, "SendLocalList", _some(listVersion=plan.version, updateType=update_type,
                                                    localAuthorizationList=entries or None))
    plan = local_lists.plan_list(station_id=station_id, full=full)
    entries = [_entry_201(t) for t in plan.updates] + [{"idToken": {"idToken": value, "type": type_}}
                                                       for value, type_ in plan.removals.items()]
    update_type = (UpdateEnumType.full if full else UpdateEnumType.differential).value
    return _checked(V201, "SendLocalList", _some(versionNumber=plan.version, updateType=update_type,
                                                 localAuthorizationList=entries or None))


def get_local_list_version(version: str) -> Built:
    return _checked(_version(version), "GetLocalListVersion", {})


# --- Smart charging -------------------------------------------------------------------------------------------

def _period(version: str, period: Mapping[str, Any]) -> dict[str, Any]:
    extra = {"phaseToUse": period.get("phase_to_use")} if version == V201 else {}
    return _some(startPeriod=period["start_period"], limit=period["limit"], numberPhases=period.get("number_phases"),
                 **extra)


def charging_profile_payload(version: str, *, profile_id: int | None = None, stack_level: int = 0,
                             purpose: str = ChargingProfilePurpose.TX_DEFAULT, kind: str = "Absolute",
                             periods: Sequence[Mapping[str, Any]] = (), rate_unit: str = "A",
                             recurrency: str | None = None, valid_from: datetime | None = None,
                             valid_to: datetime | None = None, duration: int | None = None,
                             start_schedule: datetime | None = None, min_rate: float | None = None,
                             transaction: Transaction | None = None) -> dict[str, Any]:
    """A chargingProfile object in the version's shape; `periods` are {start_period, limit, number_phases?,
    phase_to_use? (2.0.1)}; `purpose` one of ChargingProfilePurpose. The profile id is allocated when not given."""
    profile_id = next_operation_id("chargingProfileId") if profile_id is None else profile_id
    purpose = purpose_of(purpose)
    schedule = _some(chargingRateUnit=rate_unit, chargingSchedulePeriod=[_period(version, p) for p in periods],
                     duration=duration, startSchedule=_time(start_schedule) if start_schedule else None,
                     minChargingRate=min_rate)
    common = _some(stackLevel=stack_level, chargingProfileKind=kind, recurrencyKind=recurrency,
                   validFrom=_time(valid_from) if valid_from else None, validTo=_time(valid_to) if valid_to else None)
    if transaction is not None:
        _same_version(version, transaction)
    if version == V16:
        if purpose not in PURPOSE_16:
            raise InvalidCommand(f"OCPP 1.6 has no {purpose} profiles", field="purpose")
        return {"chargingProfileId": profile_id, "chargingProfilePurpose": PURPOSE_16[purpose].value,
                "chargingSchedule": schedule, **common,
                **_some(transactionId=_transaction_id_16(transaction) if transaction else None)}
    return {"id": profile_id, "chargingProfilePurpose": purpose.value, "chargingSchedule": [{"id": profile_id,
                                                                                              **schedule}],
            **common, **_some(transactionId=transaction.station_tx_id if transaction else None)}


def set_charging_profile(version: str, *, evse_id: int, profile: ChargingProfile | None = None,
                         **fields: Any) -> Built:
    """SetChargingProfile on an EVSE (0: the whole station), from the keyword arguments of
    `charging_profile_payload`, or re-sending a stored `profile` (its schedules as stored)."""
    _version(version)
    if profile is not None:
        body = charging_profile_payload(
            version, profile_id=profile.profile_id, stack_level=profile.stack_level, purpose=profile.purpose,
            kind=profile.kind, recurrency=profile.recurrency or None, valid_from=profile.valid_from,
            valid_to=profile.valid_to, transaction=profile.transaction)
        body["chargingSchedule"] = profile.schedules[0] if version == V16 else profile.schedules
    else:
        body = charging_profile_payload(version, **fields)
    if version == V16:
        return _checked(V16, "SetChargingProfile", {"connectorId": evse_id, "csChargingProfiles": body})
    return _checked(V201, "SetChargingProfile", {"evseId": evse_id, "chargingProfile": body})


def clear_charging_profile(version: str, *, profile_id: int | None = None, evse_id: int | None = None,
                           purpose: str | None = None, stack_level: int | None = None) -> Built:
    """ClearChargingProfile by id, or by criteria (EVSE, purpose, stack level); nothing given clears all."""
    purpose = None if purpose is None else purpose_of(purpose)
    if _version(version) == V16:
        if purpose is not None and purpose not in PURPOSE_16:
            raise InvalidCommand(f"OCPP 1.6 has no {purpose} profiles", field="purpose")
        return _checked(V16, "ClearChargingProfile", _some(
            id=profile_id, connectorId=evse_id, stackLevel=stack_level,
            chargingProfilePurpose=None if purpose is None else PURPOSE_16[purpose].value))
    criteria = _some(evseId=evse_id, stackLevel=stack_level, chargingProfilePurpose=purpose and purpose.value)
    return _checked(V201, "ClearChargingProfile", _some(chargingProfileId=profile_id,
                                                        chargingProfileCriteria=criteria or None))


def get_composite_schedule(version: str, *, evse_id: int, duration: int, rate_unit: str | None = None) -> Built:
    if _version(version) == V16:
        return _checked(V16, "GetCompositeSchedule", _some(connectorId=evse_id, duration=duration,
                                                           chargingRateUnit=rate_unit))
    return _checked(V201, "GetCompositeSchedule", _some(evseId=evse_id, duration=duration,
                                                        chargingRateUnit=rate_unit))


def get_charging_profiles(version: str, *, request_id: int | None = None, evse_id: int | None = None,
                          purpose: str | None = None, stack_level: int | None = None,
                          profile_ids: Sequence[int] | None = None, sources: Sequence[str] | None = None) -> Built:
    """2.0.1 GetChargingProfiles; the station answers with ReportChargingProfiles carrying `request_id`."""
    _version(version, only_201="GetChargingProfiles")
    criterion = _some(chargingProfilePurpose=None if purpose is None else purpose_of(purpose).value,
                      stackLevel=stack_level, chargingProfileId=list(profile_ids) if profile_ids else None,
                      chargingLimitSource=list(sources) if sources else None)
    request_id = next_operation_id("requestId") if request_id is None else request_id
    return _checked(V201, "GetChargingProfiles", _some(requestId=request_id, evseId=evse_id,
                                                       chargingProfile=criterion))
