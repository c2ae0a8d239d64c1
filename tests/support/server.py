"""A real uvicorn server in a thread of the test process, configured exactly as production (csms.server)."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import uvicorn

from csms.server import config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(app: str = "csms.asgi:application", **overrides):
    """Serve `app` on 127.0.0.1:<free port>; yields the base ws:// URL of /ocpp/."""
    port = free_port()
    server = uvicorn.Server(config(app, host="127.0.0.1", port=port, log_level="warning", **overrides))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"ws://127.0.0.1:{port}/ocpp/"
    finally:
        server.should_exit = True
        thread.join(15)
