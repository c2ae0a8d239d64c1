"""Who is acting: the request being served (set by `AuditMiddleware`), else the OS user of this process.

Services have no request argument, so the middleware keeps the request in a context variable for the
length of the request; `audit.services.record` reads the user at record time, after DRF has
authenticated it (DRF sets `user` and `auth` on the underlying Django request too). The client address
is REMOTE_ADDR: uvicorn already rewrites it from X-Forwarded-For for the proxies listed in its
FORWARDED_ALLOW_IPS (127.0.0.1 by default), so a client cannot forge it with a header.
"""

from __future__ import annotations

import getpass
import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest

from audit.choices import Via

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


@dataclass(frozen=True)
class Actor:
    name: str
    user: object | None  # the User, or None outside a request
    via: Via
    token_auth: bool = False
    ip: str | None = None


def current_request() -> HttpRequest | None:
    return _request.get()


def client_ip(request: HttpRequest) -> str | None:
    address = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def via_of(request: HttpRequest) -> Via:
    path = request.path_info
    if path.startswith("/admin/"):
        return Via.ADMIN
    if path.startswith("/api/"):
        return Via.API
    return Via.PORTAL


def os_user() -> str:
    try:
        return getpass.getuser() or "system"
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return "system"


def current_actor() -> Actor:
    request = current_request()
    if request is None:
        return Actor(name=os_user(), user=None, via=Via.COMMAND)
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    token = getattr(request, "auth", None)
    return Actor(name=user.get_username() if authenticated else "anonymous", user=user if authenticated else None,
                 via=via_of(request), token_auth=token is not None and hasattr(token, "key"), ip=client_ip(request))


class AuditMiddleware:
    """Keep the request for `current_actor`; after the response, store the refusals the request's rollback undid."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from audit.services import entries

        reset = _request.set(request)
        request._audit_deferred = []
        try:
            return self.get_response(request)
        finally:
            _request.reset(reset)
            entries.store_deferred(request._audit_deferred)
