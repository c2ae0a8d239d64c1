"""The node's WebSocket protocol: uvicorn's, plus what the ASGI scope lacks for security profiles 2 and 3.

uvicorn puts "wss" in scope["scheme"] for a TLS socket, but neither the socket's own peer address (its proxy
headers middleware rewrites scope["client"] before the app runs) nor the client certificate. This subclass adds
both as scope["extensions"][EXTENSION], read by node.handshake.peer. Used by `python -m node` (node/__main__.py).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

EXTENSION = "csms.transport"


class WebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # absent when the upgrade itself was refused
        if scope is not None:  # the app's task is created but has not run yet: it sees this
            scope["extensions"][EXTENSION] = describe(self.transport, self.client)


def describe(transport: Any, client: tuple[str, int] | None) -> dict[str, Any]:
    """{"peer": (host, port) of the socket, "tls": bool, "client_cn": CN of a verified client certificate or None,
    "client_cert": whether a verified client certificate was presented}."""
    ssl_object = transport.get_extra_info("ssl_object")
    # getpeercert() is None without a certificate, {} when one was sent but not verified (CERT_NONE): neither counts.
    cert = ssl_object.getpeercert() if ssl_object is not None else None
    return {"peer": client, "tls": ssl_object is not None, "client_cert": bool(cert), "client_cn": _cn(cert or {})}


def _cn(cert: dict) -> str | None:
    for rdn in cert.get("subject", ()):
        for name, value in rdn:
            if name == "commonName":
                return value
    return None
