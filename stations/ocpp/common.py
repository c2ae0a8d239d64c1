"""Small helpers the version modules share; no protocol knowledge of its own."""

from collections.abc import Callable
from datetime import datetime

from django.conf import settings

from csms.envelope import Envelope, utc_now
from stations import services


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


def answer_boots(envelopes: list[Envelope], boot_of: Callable[[Envelope], services.Boot],
                 answer: Callable[[str], dict]) -> list[dict | None]:
    """A batch's boots stored at once; None for an unknown station, left to the one-at-a-time handler to refuse."""
    return [None if status is None else answer(status)
            for status in services.record_boots(boots=[boot_of(e) for e in envelopes])]


def answer_statuses(envelopes: list[Envelope],
                    status_of: Callable[[Envelope], services.StatusReport]) -> list[dict | None]:
    """A batch's statuses stored at once; None for an unknown station, as answer_boots."""
    return [{} if stored else None for stored in services.record_statuses(reports=[status_of(e) for e in envelopes])]
