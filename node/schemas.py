"""Every OCPP 1.6 and 2.0.1 JSON schema, compiled once at import.

The schemas come from the installed ``ocpp`` package (1.6: ``X.json`` / ``XResponse.json``;
2.0.1: ``XRequest.json`` / ``XResponse.json``). All are read and compiled here, so validating a
message never touches the disk. Each file is checked with the draft it declares (the 1.6
security-extension files say draft-06, the rest of 1.6 draft-04, all of 2.0.1 draft-06), with
three corrections where jsonschema alone is lax or wrong for OCPP:

* ``date-time`` is checked as strict RFC 3339 (jsonschema skips it without extra packages).
  Accepted values always parse with ``datetime.fromisoformat``: upper-case ``T`` and ``Z`` only
  and no leap second ``:60``, which RFC 3339 permits but Python cannot represent.
* ``integer`` means a JSON number written without fraction or exponent in both versions, as in
  draft-04: ``1.0`` is refused (draft-06 would accept it), so handlers always get an ``int``.
* ``multipleOf`` is computed exactly (1.6 charging limits are multiples of 0.1, and 21.4 / 0.1
  is not a whole number in binary floating point).

``format: uri`` (two 1.6 fields) is left unchecked, so every format fault is a date-time.

Which violation is reported when there are several: the shallowest field first, then by
severity (missing, not allowed, wrong type, bad length or format, out of range), then by path.
"""

import functools
import json
import re
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

import fastjsonschema
import ocpp
from jsonschema import Draft4Validator, Draft6Validator, FormatChecker, ValidationError, validators

from node import rpc  # used at call time only, since node.rpc imports this module too

_SCHEMA_DIRS = {"1.6": ("v16", ""), "2.0.1": ("v201", "Request")}  # version: (folder, suffix)

_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"(Z|[+-]([0-9]{2}):([0-9]{2}))"
)

_format_checker = FormatChecker(formats=())


@_format_checker.checks("date-time")
def _is_rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True  # format only constrains strings; "type" judges the rest
    match = _RFC3339.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(part) for part in match.group(1, 2, 3, 4, 5, 6))
    off_hour, off_minute = int(match.group(9) or 0), int(match.group(10) or 0)
    if off_hour > 23 or off_minute > 59:
        return False
    try:
        datetime(year, month, day, hour, minute, second, tzinfo=timezone(timedelta(hours=off_hour, minutes=off_minute)))
    except ValueError:  # month 13, February 30, hour 24, second 60...
        return False
    return True


def _is_integer(checker, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


def _multiple_of(validator, step, instance, schema):
    if not validator.is_type(instance, "number"):
        return
    # repr() gives the shortest decimal that round-trips, i.e. what the station wrote
    exact = Fraction(repr(instance)) / Fraction(repr(step))
    if exact.denominator != 1:
        yield ValidationError(f"{instance!r} is not a multiple of {step!r}")


def _strict(base):
    return validators.extend(
        base,
        validators={"multipleOf": _multiple_of},
        type_checker=base.TYPE_CHECKER.redefine("integer", _is_integer),
    )


_VALIDATOR_FOR_DRAFT = {
    "http://json-schema.org/draft-04/schema#": _strict(Draft4Validator),
    "http://json-schema.org/draft-06/schema#": _strict(Draft6Validator),
}


def _compile(path: Path):
    schema = json.loads(path.read_text(encoding="utf-8-sig"))  # 2.0.1 files start with a BOM
    cls = _VALIDATOR_FOR_DRAFT[schema["$schema"]]
    return cls(schema, format_checker=_format_checker)


def _load(version: str) -> dict:
    folder, request_suffix = _SCHEMA_DIRS[version]
    compiled = {}
    for path in sorted((Path(ocpp.__file__).parent / folder / "schemas").glob("*.json")):
        name = path.stem
        is_response = name.endswith("Response")
        action = name.removesuffix("Response") if is_response else name
        if not is_response and request_suffix:
            if not name.endswith(request_suffix):
                raise RuntimeError(f"unexpected OCPP {version} schema file {path.name}")
            action = name.removesuffix(request_suffix)
        compiled[action, is_response] = _compile(path)
    requests = {action for action, is_response in compiled if not is_response}
    if unpaired := requests ^ {action for action, is_response in compiled if is_response}:
        raise RuntimeError(f"OCPP {version} schemas without request/response pair: {unpaired}")
    return compiled


_VALIDATORS = {version: _load(version) for version in _SCHEMA_DIRS}


@functools.cache
def _fast(version: str, action: str, response: bool):
    """The same schema compiled to Python by fastjsonschema, about 20 times faster than jsonschema on valid payloads.

    Only ever trusted to say "valid", so it must be at least as strict as the full check: draft-04 rules for every
    file (the OCPP schemas use no draft-06 keyword, and draft-04 keeps ``1.0`` from being an integer), our strict
    date-time, exact multipleOf (it divides Decimals); it also checks ``uri``, which is stricter. Never fills
    defaults into the payload (use_default=False): a station's message is stored as it was sent.
    """
    schema = dict(_VALIDATORS[version][action, response].schema, **{"$schema": "http://json-schema.org/draft-04/schema#"})
    return fastjsonschema.compile(schema, formats={"date-time": _is_rfc3339}, use_default=False)

ACTIONS: dict[str, frozenset[str]] = {
    version: frozenset(action for action, _ in compiled) for version, compiled in _VALIDATORS.items()
}

# keyword: (canonical error code, severity rank at one field, description after "field: ").
# The type names of OCPP (CiString20Type, dateTime) are types in OCPP's sense, hence
# TypeConstraintViolation for lengths and formats too.
_KEYWORDS = {
    "required": ("OccurrenceConstraintViolation", 0, "required property missing"),
    "additionalProperties": ("FormatViolation", 1, "not allowed"),
    "type": ("TypeConstraintViolation", 2, "expected {limit}, got {type}"),
    "maxLength": ("TypeConstraintViolation", 3, "longer than {limit} characters"),
    "minLength": ("TypeConstraintViolation", 3, "shorter than {limit} characters"),
    "format": ("TypeConstraintViolation", 3, "{value} is not an RFC 3339 date-time"),
    "enum": ("PropertyConstraintViolation", 4, "{value} is not an allowed value"),
    "const": ("PropertyConstraintViolation", 4, "{value} is not the allowed value"),
    "pattern": ("PropertyConstraintViolation", 4, "{value} does not match {limit}"),
    "minimum": ("PropertyConstraintViolation", 4, "{value} is below the minimum {limit}"),
    "exclusiveMinimum": ("PropertyConstraintViolation", 4, "{value} is not above {limit}"),
    "maximum": ("PropertyConstraintViolation", 4, "{value} is above the maximum {limit}"),
    "exclusiveMaximum": ("PropertyConstraintViolation", 4, "{value} is not below {limit}"),
    "multipleOf": ("PropertyConstraintViolation", 4, "{value} is not a multiple of {limit}"),
    "minItems": ("PropertyConstraintViolation", 4, "fewer than {limit} items"),
    "maxItems": ("PropertyConstraintViolation", 4, "more than {limit} items"),
}
_OTHER = ("FormatViolation", 5, "violates {keyword} {limit}")
_JSON_TYPE = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


def schema(version: str, action: str, *, response: bool = False) -> dict:
    """The official JSON schema of a request (or response) as loaded; read only. KeyError if undefined."""
    return _VALIDATORS[version][action, response].schema


def validate(version: str, action: str, payload: dict, *, response: bool = False) -> None:
    """Check a CALL payload (or a CALLRESULT payload with ``response=True``) of ``action``.

    Raises ``node.rpc.RpcError`` with the canonical code of the most relevant violation (see
    the module docstring), a short description naming the field, and details
    ``{"field": "<path>"}`` such as ``meterValue[0].sampledValue[1].value``. The error's
    message id is left "-1" for the caller to set. An action the version does not define is
    NotImplemented; an unknown version is a programming error (KeyError).
    """
    validator = _VALIDATORS[version].get((action, response))
    if validator is None:
        raise rpc.RpcError("NotImplemented", f"action not defined in OCPP {version}")
    try:
        _fast(version, action, response)(payload)
        return
    except fastjsonschema.JsonSchemaException:
        pass  # the full check below names (and ranks) the fault, or accepts what the fast one is stricter about
    faults = [fault for error in validator.iter_errors(payload) for fault in _faults(error)]
    if faults:
        _, _, field, code, description = min(faults)
        raise rpc.RpcError(code, description, details={"field": field})


def _faults(error: ValidationError):
    """Yield (depth, rank, field, code, description) for each field ``error`` is about."""
    keyword, limit, value = error.validator, error.validator_value, error.instance
    code, rank, template = _KEYWORDS.get(keyword, _OTHER)
    path = tuple(error.absolute_path)
    if keyword == "required":
        names = [name for name in limit if name not in value]
    elif keyword == "additionalProperties":
        names = sorted(_clip(name) for name in set(value) - set(error.schema.get("properties", {})))
    else:
        # the allowed types read as words; any other limit as data ('^[0-9]+$', 20)
        shown = (limit if isinstance(limit, str) else " or ".join(limit)) if keyword == "type" else _show(limit)
        text = template.format(
            limit=shown, value=_show(value), type=_JSON_TYPE.get(type(value), "null"), keyword=keyword
        )
        yield _fault(path, rank, code, text)
        return
    for name in names:  # a missing or unexpected property is reported at its own path
        yield _fault(path + (name,), rank, code, template)


def _fault(path: tuple, rank: int, code: str, text: str) -> tuple:
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)
    field = field.removeprefix(".")
    return len(path), rank, field, code, f"{field or 'payload'}: {text}"


def _show(value: object) -> str:
    return _clip(repr(value) if isinstance(value, str) else json.dumps(value, default=repr))


def _clip(text: str, limit: int = 40) -> str:
    """Station input cut short, lone surrogates escaped: an answer must stay small and UTF-8."""
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
