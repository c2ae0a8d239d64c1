"""The OpenAPI schema's conventions: every operation documents the error shape of csms/api/errors.py."""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse

from csms.api.errors import ErrorSerializer

ERRORS = {
    "400": "Invalid request: a parameter or field is wrong (named in error.fields).",
    "401": "No or invalid credentials: send `Authorization: Token <key>`.",
    "403": "Your role does not allow this.",
    "404": "No such object (or page).",
    "409": "The request is valid but the current state refuses it.",
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, plus the error responses (400, 401, 403, 404, and 409 on writes)."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        public = any(getattr(p, "__name__", type(p).__name__) == "AllowAny" for p in self.view.get_permissions())
        for code, description in ERRORS.items():
            if (code == "409" and self.method == "GET") or (public and code in ("401", "403")):
                continue
            if code not in responses:
                responses[code] = self._get_response_for_code(OpenApiResponse(ErrorSerializer, description), code,
                                                              direction=direction)
        return responses


def issuable_token_types() -> list[tuple[str, str]]:
    """The token types the id-token API accepts (all but NoAuthorization), for ENUM_NAME_OVERRIDES in settings."""
    from transactions.api.serializers import IdTokenWriteSerializer

    return list(IdTokenWriteSerializer().fields["type"].choices.items())
