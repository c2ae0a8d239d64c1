"""How API clients authenticate, and why the portal's login middleware lets them through.

Integrators send `Authorization: Token <key>` (a DRF authtoken made in the admin, one per integrator user);
the portal's own JavaScript sends its session cookie (SessionAuthentication, with CSRF on writes). The
portal's LoginRequiredMiddleware would redirect an API request without a session to /login/: every API
URL is marked `login_required = False` once, by `exempt_from_login` on the router, so DRF answers 401 JSON.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver
from rest_framework import authentication


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`; the key is a rest_framework.authtoken Token of an active user."""


def exempt_from_login(patterns: list) -> list:
    """Mark every view under `patterns` (nested includes too) as not needing the portal login; returns them."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            exempt_from_login(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback.login_required = False
    return patterns
