"""Answers to the CSMS about charging profiles: kept, cleared, reported, and read back as a
composite schedule (see operations.py). The simulator does not limit its power by them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocpp.v16 import enums as v16
from ocpp.v201 import enums as v201

from . import payloads

if TYPE_CHECKING:
    from .station import Station

Payload = dict[str, Any]
VOLTS, PHASES = 230, 3  # to give the station's power as a current
TX_PROFILE = v16.ChargingProfilePurposeType.tx_profile  # spelled alike in 2.0.1


async def on_set_charging_profile(station: Station, request: Payload) -> Payload:
    """Accepted and kept; a TxProfile needs a session on its connector, an unknown connector is Rejected."""
    if station.version == "1.6":
        number, profile = request["connectorId"], request["csChargingProfiles"]
    else:
        number, profile = request["evseId"], request["chargingProfile"]
    connector = station.state.connector(number)
    if number != 0 and connector is None:
        return {"status": v16.ChargingProfileStatus.rejected}
    if profile["chargingProfilePurpose"] == TX_PROFILE and (connector is None or connector.session is None):
        return {"status": v16.ChargingProfileStatus.rejected}
    station.state.profiles[profile["id" if station.version == "2.0.1" else "chargingProfileId"]] = {
        "connector": number,
        "profile": profile,
    }
    return {"status": v16.ChargingProfileStatus.accepted}


async def on_clear_charging_profile(station: Station, request: Payload) -> Payload:
    """Accepted when a kept profile matched the criteria and was removed, else Unknown."""
    if station.version == "1.6":
        profile_id, criteria = request.get("id"), request
        number = request.get("connectorId")
    else:
        profile_id, criteria = request.get("chargingProfileId"), request.get("chargingProfileCriteria") or {}
        number = criteria.get("evseId")
    matching = [
        key
        for key, kept in station.state.profiles.items()
        if profile_id in (None, key)
        and number in (None, kept["connector"])
        and criteria.get("chargingProfilePurpose") in (None, kept["profile"]["chargingProfilePurpose"])
        and criteria.get("stackLevel") in (None, kept["profile"]["stackLevel"])
    ]
    for key in matching:
        del station.state.profiles[key]
    return {"status": v16.ClearChargingProfileStatus.accepted if matching else v16.ClearChargingProfileStatus.unknown}


async def on_get_composite_schedule(station: Station, request: Payload) -> Payload:
    """One period over the duration: the lowest first limit of the kept profiles, else the station's power."""
    number = request["connectorId" if station.version == "1.6" else "evseId"]
    if number != 0 and station.state.connector(number) is None:
        return {"status": v16.GetCompositeScheduleStatus.rejected}
    unit = request.get("chargingRateUnit") or v16.ChargingRateUnitType.watts
    limit = float(station.script.power_w if unit == "W" else station.script.power_w // (VOLTS * PHASES))
    for kept in station.state.profiles.values():
        if kept["connector"] in (0, number):
            schedules = kept["profile"]["chargingSchedule"]
            for schedule in schedules if isinstance(schedules, list) else [schedules]:
                if schedule["chargingRateUnit"] == unit and schedule["chargingSchedulePeriod"]:
                    limit = min(limit, schedule["chargingSchedulePeriod"][0]["limit"])
    periods = [{"startPeriod": 0, "limit": limit}]
    start = payloads.now()
    if station.version == "1.6":
        schedule = {"duration": request["duration"], "chargingRateUnit": unit, "chargingSchedulePeriod": periods}
        return {"status": "Accepted", "connectorId": number, "scheduleStart": start, "chargingSchedule": schedule}
    composite = {
        "evseId": number,
        "duration": request["duration"],
        "scheduleStart": start,
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": periods,
    }
    return {"status": v201.GenericStatusEnumType.accepted, "schedule": composite}


async def on_get_charging_profiles(station: Station, request: Payload) -> Payload:
    """2.0.1: Accepted and a ReportChargingProfiles per EVSE with kept profiles that match; else NoProfiles."""
    criteria, evse = request["chargingProfile"], request.get("evseId")
    by_evse: dict[int, list[Payload]] = {}
    for key, kept in station.state.profiles.items():
        profile = kept["profile"]
        if (
            evse in (None, kept["connector"])
            and key in criteria.get("chargingProfileId", [key])
            and criteria.get("chargingProfilePurpose") in (None, profile["chargingProfilePurpose"])
            and criteria.get("stackLevel") in (None, profile["stackLevel"])
        ):
            by_evse.setdefault(kept["connector"], []).append(profile)
    if not by_evse:
        return {"status": v201.GetChargingProfileStatusEnumType.no_profiles}
    station.after_answer("charging profiles", lambda: _report(station, request["requestId"], by_evse))
    return {"status": v201.GetChargingProfileStatusEnumType.accepted}


async def _report(station: Station, request_id: int, by_evse: dict[int, list[Payload]]) -> None:
    for n, (evse, profiles) in enumerate(sorted(by_evse.items())):
        report = {
            "requestId": request_id,
            "chargingLimitSource": v201.ChargingLimitSourceEnumType.cso,
            "evseId": evse,
            "chargingProfile": profiles,
            "tbc": n < len(by_evse) - 1,
        }
        await station.call(v201.Action.report_charging_profiles, report)
