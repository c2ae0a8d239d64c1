"""Example parameters for an operator's command, generated from the version's request schema.

`command_template(version, action)` fills every required property, recursively, with a placeholder
an operator edits before sending: an enum's first value, 1 for integers (0 where 0 is what one
means: the first schedule period, the lowest stack level), 0 for other numbers, false, "" for
strings, now in RFC 3339 for date-times, and one item for a required array. Optional properties
are left out, so the template shows what must be given and nothing else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from node import schemas

# Integers whose sensible example is 0: a schedule's first period starts at 0, stack level 0 is the lowest.
ZERO_INTEGERS = frozenset({"startPeriod", "stackLevel"})


def command_template(version: str, action: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The request of `action` in OCPP `version` with its required properties filled with placeholders.

    Raises KeyError for an action the version does not define.
    """
    schema = schemas.schema(version, action)
    now = (now or timezone.now()).astimezone(UTC).replace(microsecond=0)
    return _value(schema, schema, name="", now=now.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _resolve(node: dict, root: dict) -> dict:
    """Follow local references (2.0.1 puts its types under #/definitions)."""
    while "$ref" in node:
        path = node["$ref"].removeprefix("#/").split("/")
        node = root
        for part in path:
            node = node[part]
    return node


def _value(node: dict, root: dict, *, name: str, now: str) -> Any:
    node = _resolve(node, root)
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object":
        properties = node.get("properties", {})
        return {key: _value(properties[key], root, name=key, now=now) for key in node.get("required", [])}
    if kind == "array":
        count = max(node.get("minItems", 1), 1) if node.get("maxItems", 1) else 0
        return [_value(node.get("items", {}), root, name=name, now=now) for _ in range(count)]
    if kind == "integer":
        return max(0 if name in ZERO_INTEGERS else 1, node.get("minimum", 0))
    if kind == "number":
        return max(0, node.get("minimum", 0))
    if kind == "boolean":
        return False
    if kind == "string" and node.get("format") == "date-time":
        return now
    return ""
