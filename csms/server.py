"""The ASGI server every entry point uses (run command, runserver, nodes): uvicorn.

Chosen over daphne for the node because OCPP 2.0.1 requires permessage-deflate
(RFC 7692) and a refused handshake needs an HTTP 404/401 (the ASGI WebSocket
Denial Response extension): uvicorn does both, daphne 4.2 neither. It also costs
less CPU per message (DESIGN.md: 129 vs 210 us) for about the same idle memory.
"""

from __future__ import annotations

import logging

import uvicorn
from django.conf import settings
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.server import ServerProtocol

_running: uvicorn.Server | None = None


def config(app: str | object, *, host: str, port: int, **overrides) -> uvicorn.Config:
    options = dict(
        host=host, port=port,
        ws="websockets-sansio",
        ws_max_size=settings.OCPP_MAX_FRAME_BYTES,  # larger frames: close 1009
        ws_per_message_deflate=settings.WS_PER_MESSAGE_DEFLATE,
        ws_ping_interval=settings.WS_PING_INTERVAL or None,
        ws_ping_timeout=settings.WS_PING_INTERVAL or None,
        lifespan="on",
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=10,
        proxy_headers=True,
        # TLS for wss:// (security profiles 2 and 3); client certificates asked for only with NODE_TLS_CA.
        ssl_certfile=settings.NODE_TLS_CERT or None,
        ssl_keyfile=settings.NODE_TLS_KEY or None,
        ssl_ca_certs=settings.NODE_TLS_CA or None,
        ssl_cert_reqs=settings.NODE_TLS_CERT_REQS,
    )
    options.update(overrides)
    if options["ws_per_message_deflate"]:
        options["ws"] = tuned_deflate(options["ws"])
    return uvicorn.Config(app, **options)


def deflate_factory() -> ServerPerMessageDeflateFactory:
    """permessage-deflate as settings.WS_DEFLATE_* say (uvicorn's own: 12-bit windows, memLevel 5, contexts kept).

    Without context takeover (the default) neither side keeps a zlib stream between messages, so an idle socket
    holds no compression state at all; RFC 7692 lets the server impose client_no_context_takeover unasked.
    """
    no_takeover = not settings.WS_DEFLATE_CONTEXT_TAKEOVER
    bits = settings.WS_DEFLATE_WINDOW_BITS
    return ServerPerMessageDeflateFactory(
        server_no_context_takeover=no_takeover, client_no_context_takeover=no_takeover,
        server_max_window_bits=bits, client_max_window_bits=bits,
        compress_settings={"memLevel": settings.WS_DEFLATE_MEM_LEVEL})


def tuned_deflate(ws: str | type) -> type:
    """`ws` (uvicorn's websockets-sansio protocol or a subclass of it) negotiating deflate_factory()."""
    base = WebSocketsSansIOProtocol if ws == "websockets-sansio" else ws
    if not (isinstance(base, type) and issubclass(base, WebSocketsSansIOProtocol)):
        raise ValueError(f"permessage-deflate settings need the websockets-sansio protocol, not {ws!r}")

    class TunedDeflate(base):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            # uvicorn hard-codes its deflate parameters; the sans-I/O protocol has sent nothing yet, so swap it.
            self.conn = ServerProtocol(extensions=[deflate_factory()], max_size=self.config.ws_max_size,
                                       logger=self.conn.logger)

    TunedDeflate.__qualname__ = f"TunedDeflate[{base.__name__}]"
    return TunedDeflate


class Server(uvicorn.Server):
    """uvicorn's server, reachable by `request_exit` (a drained node stops itself, exiting 0)."""

    async def serve(self, sockets=None) -> None:
        global _running
        _running = self
        try:
            await super().serve(sockets)
        finally:
            _running = None


def request_exit() -> bool:
    """Ask the server of this process to stop as on SIGTERM, without the signal; False if none runs here."""
    if _running is None:
        return False
    logging.getLogger(__name__).info("server asked to exit")
    _running.should_exit = True
    return True


def serve(app: str | object, *, host: str, port: int, **overrides) -> None:
    Server(config(app, host=host, port=port, **overrides)).run()
