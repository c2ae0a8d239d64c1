"""What a simulated station does: the same `Script` for every station in a fleet."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Script:
    """Where a station connects and what it does there; the same for every station in a fleet."""

    url: str = "ws://127.0.0.1:8000/ocpp/"
    password: str | None = None
    compression: bool = True
    open_timeout: float = 10.0
    call_timeout: float = 30.0
    max_size: int = 1024 * 1024
    boots: int = 1
    connectors: int = 2
    heartbeats: int = 3
    heartbeat_interval: float = 1.0
    # The session scenario (sessions.py); none by default.
    sessions: int = 0
    session_seconds: float = 30.0
    meter_interval: float = 10.0
    power_w: int = 11_000
    meter_start: int = 0  # Wh on each station's register before its first session
    id_tag: str | None = None  # None: each station its own, see FleetConfig.id_tag_of
    # Re-sending transaction messages, and opening a dropped connection again.
    tx_attempts: int = 3
    retry_interval: float = 1.0
    tx_queue: int = 100
    reconnects: int = 0
    # After the script, stay connected (heartbeats at the CSMS's interval) until --duration ends.
    stay: bool = False
