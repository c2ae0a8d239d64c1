"""The ASGI server every entry point uses (run command, runserver, nodes): uvicorn.

Chosen over daphne for the node because OCPP 2.0.1 requires permessage-deflate
(RFC 7692) and a refused handshake needs an HTTP 404/401 (the ASGI WebSocket
Denial Response extension): uvicorn does both, daphne 4.2 neither. It also costs
less CPU per message (DESIGN.md: 129 vs 210 us) for about the same idle memory.
"""

from __future__ import annotations

import uvicorn
from django.conf import settings


def config(app: str | object, *, host: str, port: int, **overrides) -> uvicorn.Config:
    options = dict(
        host=host, port=port,
        ws="websockets-sansio",
        ws_max_size=settings.OCPP_MAX_FRAME_BYTES,  # larger frames: close 1009
        ws_per_message_deflate=True,
        ws_ping_interval=settings.WS_PING_INTERVAL or None,
        ws_ping_timeout=settings.WS_PING_INTERVAL or None,
        lifespan="on",
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=10,
        proxy_headers=True,
    )
    options.update(overrides)
    return uvicorn.Config(app, **options)


def serve(app: str | object, *, host: str, port: int, **overrides) -> None:
    uvicorn.Server(config(app, host=host, port=port, **overrides)).run()
