"""What the node reads from a WebSocket handshake: subprotocol, HTTP Basic credentials, peer address and TLS."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import ssl
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings

from node.transport import EXTENSION

# Ours, best first: a station offering both gets 2.0.1.
SUPPORTED = {"ocpp2.0.1": "2.0.1", "ocpp1.6": "1.6"}


def negotiate(offered: list[str]) -> str | None:
    """The subprotocol to accept, in the client's order of preference (RFC 6455 §4.2.2), or None."""
    for name in offered:
        if name in SUPPORTED:
            return name
    return None


def basic_credentials(headers: list[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    """(username, password) from an Authorization: Basic header, (None, None) when absent or unreadable."""
    for key, value in headers:
        if key.lower() != b"authorization":
            continue
        scheme, _, token = value.decode("latin-1").partition(" ")
        if scheme.lower() != "basic":
            return None, None
        try:
            # Security profile 1 passwords may be binary-ish; latin-1 never fails to decode.
            decoded = base64.b64decode(token.strip(), validate=True).decode("latin-1")
        except (binascii.Error, ValueError):
            return None, None
        username, sep, password = decoded.partition(":")
        return (username, password) if sep else (None, None)
    return None, None


def peer(scope: dict) -> str:
    """The station's "host:port", then what central checks for security profiles 2 and 3 (stations.services.security
    parses it): " tls" for TLS, " cert" when a verified client certificate came with it, " cn=<percent-encoded>"
    when its common name is known. One string because the consumer already sends it to central as "remote"."""
    client = scope.get("client") or ("", 0)
    return (f"{client[0]}:{client[1]}" if client[0] else "") + _security(scope)


def _security(scope: dict) -> str:
    transport = scope.get("extensions", {}).get(EXTENSION)
    # The socket's own peer: scope["client"] may already be the X-Forwarded-For address (uvicorn's proxy headers).
    socket_peer = transport["peer"] if transport else scope.get("client")
    if socket_peer and _trusted_proxy(socket_peer[0]):
        headers = {key.lower(): value.decode("latin-1").strip() for key, value in scope.get("headers", [])}
        if headers.get(b"x-forwarded-proto", "").lower() in ("https", "wss"):  # the proxy terminated TLS
            verified = headers.get(b"x-ssl-client-verify", "").upper() == "SUCCESS"
            return _marks(tls=True, cert=verified, cn=headers.get(b"x-ssl-client-cn") if verified else None)
    if transport:
        return _marks(tls=transport["tls"], cert=transport["client_cert"], cn=transport["client_cn"])
    # A server without our protocol (the embedded one): TLS from the scheme; the certificate is unknown, but on a
    # listener that requires one every TLS socket carried a verified one.
    tls = scope.get("scheme") == "wss"
    return _marks(tls=tls, cert=tls and settings.NODE_TLS_CERT_REQS == ssl.CERT_REQUIRED, cn=None)


def _marks(*, tls: bool, cert: bool, cn: str | None) -> str:
    if not tls:
        return ""
    if not cert:
        return " tls"
    return " tls cert" + (f" cn={quote(cn, safe='')}" if cn else "")


def _trusted_proxy(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in _trusted_networks(tuple(settings.NODE_TRUSTED_PROXIES)))


@lru_cache(maxsize=4)
def _trusted_networks(values: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values)
