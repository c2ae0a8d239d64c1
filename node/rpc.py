"""OCPP-J framing for 1.6 and 2.0.1: parse a frame exactly, render CALL/CALLRESULT/CALLERROR.

A frame is ``[2, id, action, payload]`` (CALL), ``[3, id, payload]`` (CALLRESULT) or
``[4, id, code, description, details]`` (CALLERROR). ``parse`` raises ``RpcError`` for a CALL
we must answer with a CALLERROR; the code is canonical (2.0.1 spelling) and ``call_error``
spells it per version. How each fault is answered:

=====================================================  ====================  =======================
Fault in the received frame                            1.6                   2.0.1
=====================================================  ====================  =======================
not JSON, not an array, empty, type not an integer     FormationViolation    RpcFrameworkError
unpaired surrogate (not Unicode), number beyond double  FormationViolation    RpcFrameworkError
message id not a string, empty or over 36 characters   FormationViolation    RpcFrameworkError
unknown message type (5, 7...)                         ignored (None)        MessageTypeNotSupported
CALL with wrong element count or non-string action     ProtocolError         RpcFrameworkError
CALL payload not an object (null counts as {})         FormationViolation    FormatViolation
action the version does not define                     NotImplemented        NotImplemented
payload against the action's schema                    see ``node.schemas``  see ``node.schemas``
malformed CALLRESULT or CALLERROR                      ignored (None)        ignored (None)
=====================================================  ====================  =======================

The CALLERROR carries the message id when it could be read, else "-1". A malformed CALLRESULT
or CALLERROR is ignored because the spec forbids answering either with a CALLERROR; the caller
logs it. CALLRESULT payloads are not validated here: their action is only known from the
pending CALL, so the caller runs ``node.schemas.validate(..., response=True)``.
"""

import json
import math
import re
from dataclasses import dataclass

from node import schemas  # used at call time only, since node.schemas imports this module too

MAX_MESSAGE_ID_LEN = 36
MAX_DESCRIPTION_LEN_201 = 255
CALL, CALLRESULT, CALLERROR = 2, 3, 4

VERSIONS = ("1.6", "2.0.1")
CODES = frozenset(
    {
        "FormatViolation",
        "GenericError",
        "InternalError",
        "MessageTypeNotSupported",
        "NotImplemented",
        "NotSupported",
        "OccurrenceConstraintViolation",
        "PropertyConstraintViolation",
        "ProtocolError",
        "RpcFrameworkError",
        "SecurityError",
        "TypeConstraintViolation",
    }
)
# 1.6 misspells two codes and lacks the two 2.0.1 framework codes (GenericError stands in).
_SPELLING_16 = {
    "FormatViolation": "FormationViolation",
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
    "RpcFrameworkError": "GenericError",
    "MessageTypeNotSupported": "GenericError",
}
_FRAME_FAULT = {"1.6": "FormatViolation", "2.0.1": "RpcFrameworkError"}
_CALL_SHAPE_FAULT = {"1.6": "ProtocolError", "2.0.1": "RpcFrameworkError"}
# A surrogate escape (or, in text handed over as str, a raw surrogate): checked further only when present.
_MAYBE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Call:
    message_id: str
    action: str
    payload: dict


@dataclass(frozen=True, slots=True)
class CallResult:
    message_id: str
    payload: dict


@dataclass(frozen=True, slots=True)
class CallError:
    """A CALLERROR received from a station; ``code`` is as the station spelled it."""

    message_id: str
    code: str
    description: str
    details: dict


class RpcError(Exception):
    """A fault to answer with a CALLERROR; ``code`` is canonical, see ``error_code``."""

    def __init__(
        self, code: str, description: str = "", *, message_id: str = "-1", details: dict | None = None
    ) -> None:
        if code not in CODES:
            raise ValueError(f"not an OCPP-J error code: {code!r}")
        super().__init__(description)
        self.code = code
        self.description = description
        self.message_id = message_id
        self.details = dict(details or {})

    def __repr__(self) -> str:
        return f"RpcError({self.code!r}, {self.description!r}, message_id={self.message_id!r})"


def error_code(code: str, version: str) -> str:
    """Spell canonical error ``code`` as ``version`` does (1.6: "FormationViolation"...)."""
    if code not in CODES:
        raise ValueError(f"not an OCPP-J error code: {code!r}")
    if version == "1.6":
        return _SPELLING_16.get(code, code)
    if version == "2.0.1":
        return code
    raise ValueError(f"unknown OCPP version {version!r}")


def parse(text: str | bytes, version: str) -> Call | CallResult | CallError | None:
    """Read one frame; None means ignore it. Raises RpcError as tabled in the module docstring."""
    if version not in VERSIONS:
        raise ValueError(f"unknown OCPP version {version!r}")
    frame_fault = _FRAME_FAULT[version]
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")  # json.loads would also guess UTF-16/32; OCPP-J is UTF-8
        frame = _DECODER.decode(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise RpcError(frame_fault, "message is not valid JSON") from None
    # Only a frame holding an escape or a non-ASCII character can hold a surrogate: two cheap tests spare the
    # regex (which scans the whole frame) for nearly every frame.
    if ("\\u" in text or not text.isascii()) and _MAYBE_SURROGATE.search(text) and not _is_unicode(frame):
        # "\ud800" is valid JSON but no character: it could be neither stored nor echoed back as UTF-8.
        raise RpcError(frame_fault, "message holds an unpaired UTF-16 surrogate")
    if not isinstance(frame, list) or not frame:
        raise RpcError(frame_fault, "message is not a non-empty JSON array")
    message_id = frame[1] if len(frame) > 1 and _is_message_id(frame[1]) else None
    kind = frame[0]
    if type(kind) is not int:  # bool is an int subclass; 2.0 is not an integer either
        raise RpcError(frame_fault, "message type is not an integer", message_id=message_id or "-1")
    if kind in (CALLRESULT, CALLERROR):
        return _parse_answer(frame)
    if kind != CALL:
        if version == "1.6":
            return None  # OCPP-J 1.6 §4.1.3: ignore an unknown message type
        raise RpcError(
            "MessageTypeNotSupported", f"message type {kind} is not supported", message_id=message_id or "-1"
        )
    if message_id is None:
        raise RpcError(frame_fault, f"message id must be a string of 1 to {MAX_MESSAGE_ID_LEN} characters")
    if len(frame) != 4 or not isinstance(frame[2], str):
        raise RpcError(_CALL_SHAPE_FAULT[version], "CALL must be [2, id, action, payload]", message_id=message_id)
    action, payload = frame[2], {} if frame[3] is None else frame[3]
    if not isinstance(payload, dict):
        raise RpcError("FormatViolation", "payload is not a JSON object", message_id=message_id)
    if action not in schemas.ACTIONS[version]:
        raise RpcError("NotImplemented", f"action not defined in OCPP {version}", message_id=message_id)
    try:
        schemas.validate(version, action, payload)
    except RpcError as exc:
        exc.message_id = message_id
        raise
    return Call(message_id, action, payload)


def _parse_answer(frame: list) -> CallResult | CallError | None:
    if not _is_message_id(frame[1] if len(frame) > 1 else None):
        return None
    if frame[0] == CALLRESULT:
        if len(frame) != 3:
            return None
        payload = {} if frame[2] is None else frame[2]
        return CallResult(frame[1], payload) if isinstance(payload, dict) else None
    if len(frame) not in (4, 5) or not isinstance(frame[2], str) or not isinstance(frame[3], str):
        return None
    details = {} if len(frame) == 4 or frame[4] is None else frame[4]
    return CallError(frame[1], frame[2], frame[3], details) if isinstance(details, dict) else None


def call(message_id: str, action: str, payload: dict) -> str:
    """Render a CALL we send."""
    return _dump([CALL, _checked_id(message_id), action, payload])


def call_result(message_id: str, payload: dict) -> str:
    """Render the CALLRESULT answering CALL ``message_id``."""
    return _dump([CALLRESULT, _checked_id(message_id), payload])


def call_error(err: RpcError, version: str) -> str:
    """Render ``err`` as a CALLERROR in ``version``; 2.0.1 caps the description at 255."""
    description = err.description
    if version == "2.0.1":
        description = description[:MAX_DESCRIPTION_LEN_201]
    return _dump([CALLERROR, err.message_id, error_code(err.code, version), description, err.details])


def _is_message_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_MESSAGE_ID_LEN


def _checked_id(message_id: str) -> str:
    if not _is_message_id(message_id):
        raise ValueError(f"invalid message id {message_id!r}")
    return message_id


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400: valid JSON, but no double holds it and JSON cannot say Infinity back
        raise ValueError(f"{text} is beyond the range of a number")
    return value


def _is_unicode(frame: object) -> bool:
    try:
        json.dumps(frame, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # Python's json accepts NaN and Infinity; JSON does not


def _dump(frame: list) -> str:
    return _ENCODER.encode(frame)


# Made once: json.loads and json.dumps build a new decoder or encoder on every call given any option.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite)
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
