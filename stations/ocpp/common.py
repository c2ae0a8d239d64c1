"""Small helpers the version modules share; no protocol knowledge of its own."""

from datetime import datetime

from django.conf import settings

from csms.envelope import Envelope, utc_now


def received_at(envelope: Envelope) -> datetime:
    """When the node received the message (central's clock, not the station's)."""
    return datetime.fromisoformat(envelope.at)


def station_time(value: str | None, envelope: Envelope) -> datetime:
    """A timestamp the station sent (schema-checked RFC 3339), or receipt time when absent."""
    return datetime.fromisoformat(value) if value else received_at(envelope)


def heartbeat_interval() -> int:
    return settings.HEARTBEAT_INTERVAL


def now() -> str:
    return utc_now()
