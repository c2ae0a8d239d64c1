"""What the node reads from a WebSocket handshake: subprotocol, HTTP Basic credentials, peer address."""

from __future__ import annotations

import base64
import binascii

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
    client = scope.get("client") or ("", 0)
    return f"{client[0]}:{client[1]}" if client[0] else ""
