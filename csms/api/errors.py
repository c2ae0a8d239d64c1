"""One JSON shape for every API error (4xx and 5xx):

    {"error": {"status": 400, "code": "invalid", "message": "station: no station 'CP-9'",
               "fields": {"station": ["no station 'CP-9'"]}}}

`status` repeats the HTTP status; `code` is stable and machine-readable (DRF's codes: invalid, parse_error,
not_authenticated, authentication_failed, permission_denied, not_found, method_not_allowed,
unsupported_media_type, throttled; ours: conflict, server_error, and a domain error's name such as
invalid_command); `message` is for people; `fields` names each field at fault (nested ones dotted:
"items.2.value") and is {} when no single field is. Domain errors (csms.exceptions) are 400, or 409 when the
request is fine but the state of things refuses it. Anything else is a bug: logged and answered 500.
"""

from __future__ import annotations

import logging
import re

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from csms import exceptions as domain

logger = logging.getLogger(__name__)

# Domain errors the request itself causes are 400; those where the state of things refuses a valid request, 409.
DOMAIN_STATUS: dict[type[domain.CsmsError], int] = {
    domain.InvalidCommand: status.HTTP_400_BAD_REQUEST,
    domain.InvalidValue: status.HTTP_400_BAD_REQUEST,
    domain.ActionNotSupported: status.HTTP_400_BAD_REQUEST,
    domain.UnknownStation: status.HTTP_409_CONFLICT,
    domain.NotAccepted: status.HTTP_409_CONFLICT,
}


def error_body(status_code: int, code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"status": status_code, "code": code, "message": message, "fields": fields or {}}}


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail -> {"a.0.b": ["message", ...]}; "" holds errors of no single field."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "" if key == api_settings.NON_FIELD_ERRORS_KEY else str(key)
            for path, messages in _flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name).items():
                out.setdefault(path, []).extend(messages)
        return out
    if isinstance(detail, list | tuple):
        if all(not isinstance(item, dict | list | tuple) for item in detail):
            return {prefix: [str(item) for item in detail]} if detail else {}
        out = {}
        for index, item in enumerate(detail):
            for path, messages in _flatten(item, f"{prefix}.{index}" if prefix else str(index)).items():
                out.setdefault(path, []).extend(messages)
        return out
    return {prefix: [str(detail)]}


def _detailed_body(status_code: int, code: str, detail) -> dict:
    """A detail naming fields (a dict, or a list of messages): message from the first, fields from all."""
    flat = _flatten(detail)
    general = flat.pop("", [])
    if general:
        message = " ".join(general)
    elif flat:
        field, messages = next(iter(flat.items()))
        message = f"{field}: {messages[0]}"
    else:
        message = "Invalid input."
    return error_body(status_code, code, message, flat)


def _code(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception of an API view becomes the error shape above."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))

    set_rollback()
    if isinstance(exc, domain.CsmsError):
        status_code = next((code for cls, code in DOMAIN_STATUS.items() if isinstance(exc, cls)), 409)
        message = str(exc) or type(exc).__doc__ or type(exc).__name__
        fields = {exc.field: [message]} if exc.field else {}
        return Response(error_body(status_code, _code(type(exc).__name__), message, fields), status=status_code)
    if isinstance(exc, IntegrityError):
        return Response(error_body(409, "conflict", "This conflicts with what is stored (a duplicate?)."),
                        status=409)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        if isinstance(exc, exceptions.ValidationError):
            body = _detailed_body(exc.status_code, "invalid", exc.detail)
        elif isinstance(exc.detail, dict | list):
            body = _detailed_body(exc.status_code, exc.default_code, exc.detail)
        else:
            codes = exc.get_codes()
            body = error_body(exc.status_code, codes if isinstance(codes, str) else exc.default_code, str(exc.detail))
        return Response(body, status=exc.status_code, headers=headers)
    view = context.get("view")
    logger.exception("API error in %s", type(view).__name__ if view else "?")
    return Response(error_body(500, "server_error", "Internal server error; it has been logged."), status=500)


def not_found(request, *args, **kwargs) -> JsonResponse:
    """An /api/ URL that matches no endpoint: the error shape, not the portal's HTML 404."""
    return JsonResponse(error_body(404, "not_found", f"No endpoint at {request.path}."), status=404)


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.CharField(help_text="Stable, machine-readable: invalid, not_found, permission_denied, ...")
    message = serializers.CharField(help_text="For people.")
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text="Field at fault (nested: dotted path) -> messages; {} when none.")


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx/5xx answer (for the OpenAPI schema)."""

    error = ErrorDetailSerializer()
