"""The events integrators can subscribe to, and where a delivery stands."""

from django.db import models


class Event(models.TextChoices):
    """What happened; the payload of each is built in webhooks/payloads.py."""

    SESSION_STARTED = "session.started"
    SESSION_ENDED = "session.ended"
    STATION_ONLINE = "station.online"
    STATION_OFFLINE = "station.offline"
    STATION_STATUS_CHANGED = "station.status_changed"
    COMMAND_ANSWERED = "command.answered"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending (first attempt or a retry due)"
    DELIVERED = "delivered"
    FAILED = "failed", "failed (attempts used up)"
