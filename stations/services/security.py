"""OCPP security profiles: what a station must show at the handshake, and rotating its HTTP Basic password.

Profiles (ChargingStation.security_profile): 0 Basic auth checked only if a password is set; 1 Basic auth
required; 2 TLS and Basic auth; 3 TLS with a verified client certificate whose CN, when the node knows it, is the
station id. The node reports the socket's TLS state in the connect envelope's "remote" (node.handshake.peer).

Rotation sends the new password to the station (1.6 ChangeConfiguration AuthorizationKey, hex-encoded as OCPP-J
1.6 and the security whitepaper say; 2.0.1 SetVariables SecurityCtrlr.BasicAuthPassword). It is stored hashed as
pending; the old password keeps working, and the pending one is let in too (a station that took it may reconnect
before its answer is stored). `settle_rotation` makes it the password once the station accepted the command and
drops it if the command failed; it also blanks the password wherever the command left it in clear. It runs as soon
as the station answers (`settle_answer`, from stations/ocpp/answers.py); for a command that got no answer (timed
out, station offline, expired) at the station's next connect or when the portal or the API stop waiting.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import unquote

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction

from csms.exceptions import InvalidValue
from stations.choices import CommandStatus, MessageKind, RefusalReason
from stations.models import ChargingStation, Command, ConfigurationKey, DeviceVariable, OcppMessage, SecurityProfile
from stations.services.commands import issue_command
from stations.services.operations import change_configuration

AUTHORIZATION_KEY = "AuthorizationKey"  # 1.6
PASSWORD_COMPONENT, PASSWORD_VARIABLE = "SecurityCtrlr", "BasicAuthPassword"  # 2.0.1
# 2.0.1 passwordString: letters, digits and these; 1.6 takes any bytes, but one alphabet serves both.
PASSWORD_CHARACTERS = frozenset(string.ascii_letters + string.digits + "*-_=:+|@.")
PASSWORD_LENGTH = {"1.6": (16, 20), "2.0.1": (16, 40)}  # 1.6: 16..20 bytes (40 hex characters at most)
REDACTED = "********"
ROTATION_QUEUE = timedelta(days=1)  # an offline station gets the new key when it is back within a day


@dataclass(frozen=True)
class Transport:
    """How the station's socket reached the node, as node.handshake.peer describes it."""

    address: str
    tls: bool = False
    client_cert: bool = False  # a certificate the node (or the TLS proxy) verified against the CA
    client_cn: str | None = None  # its common name, when known


def parse_remote(remote: str) -> Transport:
    """Read node.handshake.peer's "host:port[ tls[ cert[ cn=<percent-encoded>]]]"."""
    address, *marks = (remote or "").split(" ")
    cn = next((unquote(m[3:]) for m in marks if m.startswith("cn=")), None)
    return Transport(address=address, tls="tls" in marks, client_cert="cert" in marks, client_cn=cn)


def security_refusal(station: ChargingStation, transport: Transport, username: str | None,
                     password: str | None) -> tuple[str, int] | None:
    """Why the station's profile refuses this handshake, and the HTTP status; None: let it in.

    Lock: the caller holds the station row (admit_connection), so settling a rotation here is safe."""
    profile = station.security_profile
    if profile >= SecurityProfile.TLS_BASIC and not transport.tls:
        return RefusalReason.TLS_REQUIRED, 403
    if profile == SecurityProfile.TLS_CLIENT_CERT:
        if not transport.client_cert:
            return RefusalReason.CLIENT_CERTIFICATE_REQUIRED, 403
        if transport.client_cn is not None and transport.client_cn != station.station_id:
            return RefusalReason.CLIENT_CERTIFICATE_MISMATCH, 403
        return None  # profile 3 authenticates by certificate; Basic auth is not used
    if profile == SecurityProfile.NONE and not station.password and not station.pending_password:
        return None
    if username != station.station_id or not credentials_match(station, password):
        return RefusalReason.BAD_CREDENTIALS, 401
    return None


def credentials_match(station: ChargingStation, password: str | None) -> bool:
    """The password, or the one a rotation in flight sent; settles the rotation first."""
    settle_rotation(station=station)
    if station.check_password(password):
        return True
    return bool(station.pending_password) and password is not None and check_password(password,
                                                                                        station.pending_password)


def set_security_profile(*, station_id: str, profile: int) -> ChargingStation:
    """Set the profile; profiles 1 and 2 need a password first, or the station could never connect."""
    with transaction.atomic():
        station = ChargingStation.objects.select_for_update().get(station_id=station_id)
        if profile not in SecurityProfile.values:
            raise InvalidValue(f"security profile {profile!r}: use 0, 1, 2 or 3", field="security_profile")
        if profile in (SecurityProfile.BASIC, SecurityProfile.TLS_BASIC) and not station.password:
            raise InvalidValue(f"security profile {profile} needs a password: set one first",
                               field="security_profile")
        station.security_profile = profile
        station.save(update_fields=["security_profile", "updated_at"])
    return station


def generate_password(version: str | None) -> str:
    """A random password as long as the station's version allows (1.6: 20, 2.0.1: 40), letters and digits."""
    length = PASSWORD_LENGTH.get(version or "", (16, 20))[1]
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def check_password_rules(password: str, version: str | None) -> None:
    """16..20 (1.6, or version unknown) or 16..40 (2.0.1) characters of the 2.0.1 passwordString alphabet."""
    low, high = PASSWORD_LENGTH.get(version or "", (16, 20))
    if not low <= len(password) <= high:
        raise InvalidValue(f"the password must have {low} to {high} characters", field="password")
    if not set(password) <= PASSWORD_CHARACTERS:
        raise InvalidValue("the password may hold letters, digits and * - _ = : + | @ . only", field="password")


@dataclass(frozen=True)
class Rotation:
    """A new password and the command that sends it (None: the station never connected, so it was set at once)."""

    password: str
    command: Command | None


def rotate_password(*, station_id: str, password: str = "", requested_by: str = "",
                    queue_for: timedelta | None = ROTATION_QUEUE) -> Rotation:
    """Give the station a new password (`password`, or a generated one): send it, keep it pending until accepted.

    Raises InvalidValue (field "password") for a password the station's version cannot take, or while an earlier
    rotation still waits for the station's answer (a second key could leave the station with one we dropped).
    """
    with transaction.atomic():
        station = ChargingStation.objects.select_for_update().get(station_id=station_id)
        settle_rotation(station=station)
        if station.password_command_id:
            raise InvalidValue("a password change is still waiting for the station's answer", field="password")
        version = station.ocpp_version or None
        password = password or generate_password(version)
        check_password_rules(password, version)
        if version is None:  # nothing to tell: whoever installs the station configures it with this password
            station.set_password(password)
            station.pending_password, station.password_command = "", None
            station.save(update_fields=["password", "pending_password", "password_command", "updated_at"])
            return Rotation(password=password, command=None)
        if version == "1.6":
            action, payload = change_configuration(version, key=AUTHORIZATION_KEY, value=password.encode().hex())
        else:
            action, payload = change_configuration(version, component=PASSWORD_COMPONENT, variable=PASSWORD_VARIABLE,
                                                   value=password)
        command = issue_command(station_id=station_id, action=action, payload=payload, requested_by=requested_by,
                                queue_for=queue_for)
        station.refresh_from_db()
        station.pending_password, station.password_command = make_password(password), command
        station.save(update_fields=["pending_password", "password_command", "updated_at"])
        settle_rotation(station=station)  # a station that was offline failed the command at once
    return Rotation(password=password, command=command)


def settle(*, station_id: str) -> bool:
    """settle_rotation for callers that hold no lock (the portal and the API after waiting for the answer)."""
    with transaction.atomic():
        return settle_rotation(station=ChargingStation.objects.select_for_update().get(station_id=station_id))


def settle_rotation(*, station: ChargingStation) -> bool:
    """Adopt the pending password if its command was accepted, drop it if the command failed. Returns whether the
    password changed. The caller holds the station row (select_for_update)."""
    if not station.password_command_id:
        if station.pending_password:  # its command was deleted: nothing can confirm it any more
            station.pending_password = ""
            station.save(update_fields=["pending_password", "updated_at"])
        return False
    command = Command.objects.filter(pk=station.password_command_id).first()
    if command is not None and not command.final:
        return False
    adopted = command is not None and command.status == CommandStatus.ACCEPTED and _station_took_it(command)
    if adopted:
        station.password = station.pending_password
    if command is not None:
        _redact(command)
    station.pending_password, station.password_command = "", None
    station.save(update_fields=["password", "pending_password", "password_command", "updated_at"])
    return adopted


def settle_answer(*, command: Command) -> bool:
    """The station answered a command that sets its password: settle the rotation now, not at the next connect, and
    blank the password in this command and its log even when it is no rotation's (an operator sent it by hand).
    Returns whether the password changed. Lock: record_command_result holds the station row already."""
    station = ChargingStation.objects.select_for_update().get(pk=command.station_id)
    adopted = settle_rotation(station=station)
    _redact(command)  # the caller's copy too: it builds the command.answered webhook and is returned to callers
    return adopted


def sets_password(command: Command) -> bool:
    """Whether the command sends the station a password (AuthorizationKey, SecurityCtrlr.BasicAuthPassword)."""
    if command.action == "ChangeConfiguration":
        return command.payload.get("key") == AUTHORIZATION_KEY
    return command.action == "SetVariables" and any(is_password(d) for d in command.payload.get("setVariableData", []))


def is_password(item: dict) -> bool:
    """Whether a 2.0.1 SetVariableData or SetVariableResult is about SecurityCtrlr.BasicAuthPassword."""
    return (item.get("component", {}).get("name") == PASSWORD_COMPONENT
            and item.get("variable", {}).get("name") == PASSWORD_VARIABLE)


def _station_took_it(command: Command) -> bool:
    # 2.0.1 SetVariables has no overall status: the command counts as accepted; the variable's result decides.
    if command.action != "SetVariables":
        return True
    results = (command.response or {}).get("setVariableResult", [])
    return any(is_password(r) and r.get("attributeStatus") in ("Accepted", "RebootRequired") for r in results)


def redacted(command: Command) -> dict:
    """The command's payload with the password blanked (only the password: other variables set beside it stay)."""
    payload = command.payload
    if command.action == "ChangeConfiguration":
        return {**payload, "value": REDACTED}
    return {**payload, "setVariableData": [{**d, "attributeValue": REDACTED} if is_password(d) else d
                                           for d in payload.get("setVariableData", [])]}


def _redact(command: Command) -> None:
    """Blank the password in the command (this copy and the row), its logged CALL and the stored setting."""
    payload = redacted(command)
    if command.action == "ChangeConfiguration":
        ConfigurationKey.objects.filter(station_id=command.station_id, key=AUTHORIZATION_KEY).update(value=None)
    else:
        DeviceVariable.objects.filter(station_id=command.station_id, component=PASSWORD_COMPONENT,
                                      variable=PASSWORD_VARIABLE).update(value=None)
    command.payload = payload
    Command.objects.filter(pk=command.pk).update(payload=payload)
    OcppMessage.objects.filter(station_id=command.station_id, message_id=command.message_id,
                               kind=MessageKind.CALL).update(payload=payload)
