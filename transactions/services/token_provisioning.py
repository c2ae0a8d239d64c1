"""Provisioning id tokens from the command line, a CSV file or (later) the portal and API, idempotently.

`provision_token(spec=...)` creates or updates one token; `spec_from_text(...)` turns the text
columns an operator writes (value, status, type, expiry, parent, owner, max_concurrent) into a
spec. Both raise `InvalidValue` naming the field, so each caller can say which column was wrong.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from audit.services import audited
from csms.exceptions import InvalidValue
from transactions.choices import TokenStatus, TokenType
from transactions.models import IdToken
from transactions.services.tokens import find_token

COLUMNS = ("value", "status", "type", "expiry", "parent", "owner", "max_concurrent")
VALUE_MAX = 36  # 2.0.1 idToken; a 1.6 idTag holds 20, so longer values work with 2.0.1 stations only
OWNER_MAX = IdToken._meta.get_field("owner").max_length
MAX_CONCURRENT_MAX = 2**31 - 1  # what the column holds (PositiveIntegerField)
NONE = "none"  # the word that clears expiry and parent and lifts the concurrency limit


class Keep(Enum):
    KEEP = "keep"


KEEP = Keep.KEEP  # leave the field as it is (or at the model default for a new token)


@dataclass(frozen=True)
class IdTokenSpec:
    """The operator's settings for one token; KEEP leaves a field as it is, None clears it."""

    value: str
    status: TokenStatus | Keep = KEEP
    type: TokenType | Keep = KEEP
    expiry: datetime | None | Keep = KEEP
    parent: str | None | Keep = KEEP  # the parent's value
    owner: str | Keep = KEEP
    max_concurrent: int | None | Keep = KEEP  # None: no limit


def validate_value(value: str) -> None:
    if not 1 <= len(value) <= VALUE_MAX:
        raise InvalidValue(f"an id token is 1..{VALUE_MAX} characters", field="value")
    if value != value.strip() or not value.isprintable():
        raise InvalidValue(f"{value!r} holds spaces at its ends or unprintable characters", field="value")


def validate_parent(token: IdToken, parent: IdToken | None) -> None:
    """Groups are one level deep, as OCPP has one parentIdTag / groupIdToken: no self, no group of groups."""
    if parent is None:
        return
    if parent.pk == token.pk or parent.value.lower() == token.value.lower():
        raise InvalidValue("a token cannot be its own parent", field="parent")
    if parent.parent_id is not None:
        raise InvalidValue(f"{parent.value} is itself in group {parent.parent.value}; groups are one level deep",
                           field="parent")
    if token.pk is not None and token.children.exists():
        raise InvalidValue(f"{token.value} is the parent of other tokens, so it cannot join a group", field="parent")


@audited(target_type="id_token", target="spec.value")
@transaction.atomic
def provision_token(*, spec: IdTokenSpec) -> tuple[IdToken, str]:
    """Create or update a token; returns it and "created", "updated" or "unchanged".

    The parent must exist already (in an import: on an earlier row). Creating a missing
    parent would turn a typo into a new Accepted group token, so it is refused instead.
    """
    validate_value(spec.value)
    if spec.type == TokenType.NO_AUTHORIZATION:
        raise InvalidValue("NoAuthorization tokens are accepted without lookup; there is nothing to provision",
                           field="type")
    if isinstance(spec.owner, str) and len(spec.owner) > OWNER_MAX:
        raise InvalidValue(f"an owner is at most {OWNER_MAX} characters", field="owner")
    if isinstance(spec.max_concurrent, int) and not 1 <= spec.max_concurrent <= MAX_CONCURRENT_MAX:
        raise InvalidValue(f"give 1..{MAX_CONCURRENT_MAX}, or None for no limit", field="max_concurrent")
    existing = find_token(spec.value)
    if existing is not None and existing.value != spec.value:
        raise InvalidValue(f"{spec.value} is already stored as {existing.value}; tokens match without regard to case",
                           field="value")
    token, created = IdToken.objects.select_for_update().get_or_create(value=spec.value)
    wanted = {f.name: getattr(spec, f.name) for f in fields(spec) if f.name != "value"}
    if wanted["parent"] is not KEEP:
        wanted["parent"] = _parent(token, wanted["parent"])
    changed = []
    for name, value in wanted.items():
        if value is not KEEP and getattr(token, name) != value:
            setattr(token, name, value)
            changed.append(name)
    if changed and not created:
        token.save(update_fields=[*changed, "updated_at"])
    elif changed:
        token.save()
    return token, "created" if created else ("updated" if changed else "unchanged")


def _parent(token: IdToken, value: str | None) -> IdToken | None:
    if value is None:
        return None
    parent = find_token(value)
    if parent is None:
        raise InvalidValue(f"no id token {value}: add the group token first (or on an earlier row)", field="parent")
    validate_parent(token, parent)
    return parent


def spec_from_text(values: Mapping[str, str | None]) -> IdTokenSpec:
    """A spec from command options or a CSV row; an empty or missing cell leaves the field as it is."""

    def cell(name: str) -> str | None:
        raw = values.get(name)
        text = "" if raw is None else str(raw).strip()  # call_command passes options through unconverted
        return text or None

    value = cell("value") or ""
    status, type_, expiry, parent = cell("status"), cell("type"), cell("expiry"), cell("parent")
    owner, limit = cell("owner"), cell("max_concurrent")
    return IdTokenSpec(
        value=value,
        status=KEEP if status is None else _choice("status", status, TokenStatus),
        type=KEEP if type_ is None else _choice("type", type_, TokenType),
        expiry=KEEP if expiry is None else _expiry(expiry),
        parent=KEEP if parent is None else (None if parent.lower() == NONE else parent),
        owner=KEEP if owner is None else owner,
        max_concurrent=KEEP if limit is None else _max_concurrent(limit),
    )


def _choice(field: str, text: str, choices: type[TokenStatus] | type[TokenType]):
    match = {c.value.lower(): c for c in choices}.get(text.lower())
    if match is None:
        raise InvalidValue(f"{text!r} is not one of {', '.join(choices.values)}", field=field)
    return match


def _expiry(text: str) -> datetime | None:
    if text.lower() == NONE:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not an ISO-8601 date or time, e.g. 2026-12-31T23:59:59Z",
                           field="expiry") from None
    # Without an offset, the operator means the site's time zone (settings.TIME_ZONE, UTC by default).
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _max_concurrent(text: str) -> int | None:
    if text.lower() == NONE:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_CONCURRENT_MAX:
        raise InvalidValue(f"{text!r} is not a whole number 0..{MAX_CONCURRENT_MAX} (0 or 'none': no limit)",
                           field="max_concurrent")
    return int(text) or None


TOO_MANY_CELLS = "more cells than columns; quote a value that holds a comma"


class CsvFileError(ValueError):
    """The file as a whole cannot be imported: `line` is 1 for a header problem, None when it cannot be read."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def read_token_csv(handle: TextIO) -> list[tuple[int, dict[str, str | None]]]:
    """The rows of an id-token CSV with their line numbers, once its header names known columns.

    One reader for `manage.py import_idtokens`, the portal's import and the API's. A row with more cells
    than columns holds a None key (csv.DictReader's); callers report it with TOO_MANY_CELLS.
    """
    try:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        # line_num, not a count of rows: blank lines and quoted line breaks do not shift it
        rows = [(reader.line_num, row) for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CsvFileError(str(exc)) from exc
    if "value" not in columns:
        raise CsvFileError(f"the header must name a value column (columns: {', '.join(COLUMNS)})", line=1)
    unknown = sorted(set(columns) - set(COLUMNS))
    if unknown:
        raise CsvFileError(f"unknown columns {', '.join(unknown)} (allowed: {', '.join(COLUMNS)})", line=1)
    return rows
