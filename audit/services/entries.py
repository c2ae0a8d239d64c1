"""Recording operator actions: `record(...)` writes one entry; `@audited(...)` records each call of a service.

A successful action is recorded in the caller's transaction, so the entry commits or rolls back with what it
describes. A refused or failed one is recorded too: inside a request it is kept until the request ends and
written then, since the request's own rollback (a refused form, an API error) would otherwise erase it.
Parameters are stored with secrets replaced (`redact`).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.utils import timezone

from audit.context import Actor, current_actor, current_request
from audit.models import AuditEntry

log = logging.getLogger(__name__)

REDACTED = "[redacted]"
# Names whose value is a secret: station and user passwords, OCPP AuthorizationKey / BasicAuthPassword,
# APN passwords, webhook secrets, API keys.
SECRET_NAME = re.compile(r"passw(or)?d|secret|authorization_?key|api_?key|private_?key", re.IGNORECASE)
MAX_TEXT = 500  # a certificate or a long data blob is clipped: the log says what was done, not everything sent
MAX_DEPTH = 8


def redact(value: Any, depth: int = 0) -> Any:
    """A JSON-able copy of `value` with secrets replaced, long strings clipped and URL passwords hidden."""
    if depth > MAX_DEPTH:
        return "..."
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            secret = SECRET_NAME.search(str(key)) is not None
            out[str(key)] = REDACTED if secret and item not in (None, "") else redact(item, depth + 1)
        # A configuration key and its value (1.6 ChangeConfiguration), or a variable and its value (2.0.1).
        variable = value.get("variable")
        named = value.get("key") if "key" in value else variable.get("name") if isinstance(variable, dict) else None
        if isinstance(named, str) and SECRET_NAME.search(named):
            for field in ("value", "attributeValue"):
                if field in out:
                    out[field] = REDACTED
        return out
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item, depth + 1) for item in value]
    if isinstance(value, str):
        return _clip(_hide_url_password(value))
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return redact({f.name: getattr(value, f.name) for f in dataclasses.fields(value)
                       if not _keep(getattr(value, f.name))}, depth)
    if hasattr(value, "_meta") and hasattr(value, "pk"):  # a model instance: its id, never its fields
        return f"{value._meta.label_lower}:{value.pk}"
    return _clip(str(value))


def _keep(value: Any) -> bool:
    """The provisioning specs' leave-as-is marker (transactions.services.token_provisioning.KEEP)."""
    return isinstance(value, Enum) and value.name == "KEEP"


def _hide_url_password(text: str) -> str:
    if "@" not in text or "://" not in text:
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if parts.password is None:
        return text
    netloc = f"{parts.username}:{REDACTED}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 3] + "..."


def record(*, action: str, target_type: str = "", target: Any = "", station_id: str = "",
           params: dict[str, Any] | None = None, outcome: str = "", error: str | None = None, command=None,
           actor: Actor | None = None) -> AuditEntry:
    """Record one action by the current actor (see audit.context); `error` set means it was refused or failed.

    Returns the entry; a failure inside a request is saved when the request ends (see the module docstring).
    """
    actor = actor or current_actor()
    entry = AuditEntry(
        at=timezone.now(), actor=actor.name[:150], user=actor.user, via=actor.via, token_auth=actor.token_auth,
        ip=actor.ip, action=action[:64], target_type=target_type[:64], target=str(target)[:191],
        station_id=station_id[:48], params=redact(params or {}), ok=error is None, outcome=outcome[:32],
        error=(error or "")[:500], command=command)
    request = current_request()
    if error is not None and request is not None and hasattr(request, "_audit_deferred"):
        request._audit_deferred.append(entry)
    else:
        entry.save()
    return entry


def record_each(*, action: str, target_type: str, targets: list[str], stations: bool = False,
                params: dict[str, Any] | None = None) -> list[AuditEntry]:
    """One entry per target of a bulk action (an admin action on selected rows); `stations`: targets are stations."""
    actor = current_actor()
    return AuditEntry.objects.bulk_create([
        AuditEntry(at=timezone.now(), actor=actor.name[:150], user=actor.user, via=actor.via,
                   token_auth=actor.token_auth, ip=actor.ip, action=action[:64], target_type=target_type,
                   target=str(target)[:191], station_id=str(target)[:48] if stations else "",
                   params=redact(params or {})) for target in targets])


def store_deferred(entries: list[AuditEntry]) -> None:
    """Save the failures a request recorded (called by AuditMiddleware once the response is made)."""
    for entry in entries:
        try:
            entry.save()
        except Exception:  # the response is made; losing one entry must not turn it into a 500
            log.exception("could not store audit entry %s", entry)


def audited(*, target_type: str, target: str, station: str = "", skip: tuple[str, ...] = ("at",),
            action: str = "") -> Callable:
    """Record every call of the decorated service, named after it, with its arguments and result.

    `target` and `station` are dotted paths into the arguments ("spec.station_id"); `skip` names arguments
    left out of the parameters. Place it above @transaction.atomic so a refusal is recorded after the
    service's own rollback. The result sets the outcome: a (object, "created") pair its word, a Command its
    status and its link, None "unchanged".
    """

    def decorate(service: Callable) -> Callable:
        name = action or service.__name__
        signature = inspect.signature(service)

        @functools.wraps(service)
        def wrapper(*args, **kwargs):
            arguments = signature.bind(*args, **kwargs).arguments
            params = {key: value for key, value in arguments.items() if key not in skip}
            if len(params) == 1 and dataclasses.is_dataclass(next(iter(params.values()))):
                params = next(iter(params.values()))  # a spec: its fields are the parameters
            described = {"action": name, "target_type": target_type, "target": _resolve(arguments, target),
                         "station_id": str(_resolve(arguments, station)) if station else "",
                         "params": params}
            try:
                result = service(*args, **kwargs)
            except Exception as exc:
                record(**described, error=_message(exc))
                raise
            outcome, command, station_id = _result(result)
            record(**{**described, "station_id": described["station_id"] or station_id}, outcome=outcome,
                   command=command)
            return result

        return wrapper

    return decorate


def _resolve(arguments: dict[str, Any], path: str) -> Any:
    value: Any = arguments
    for part in path.split("."):
        value = value.get(part, "") if isinstance(value, dict) else getattr(value, part, "")
    return value


def _message(exc: Exception) -> str:
    text = str(exc) or (type(exc).__doc__ or "").strip()
    field = getattr(exc, "field", None)
    return f"{field}: {text}" if field else f"{type(exc).__name__}: {text}"


def _result(result: Any) -> tuple[str, Any, str]:
    """(outcome, command or None, station id) read from what a service returned."""
    outcome = ""
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], str):
        result, outcome = result
    if result is None:
        return outcome or "unchanged", None, ""
    label = getattr(getattr(result, "_meta", None), "label_lower", "")
    command = result if label == "stations.command" else None
    if command is not None:
        outcome = command.status
    if label == "stations.chargingstation":
        station_id = result.station_id
    elif label in ("stations.command", "transactions.transaction"):
        station_id = result.station.station_id  # loaded by the service already
    else:
        station_id = ""
    return outcome, command, station_id
