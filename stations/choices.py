"""Our own states, in the operator's words; the OCPP spellings map onto these in ocpp/v16.py and ocpp/v201.py."""

from django.db import models


class Registration(models.TextChoices):
    """What the operator decided; answered to BootNotification."""

    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


class ConnectorStatus(models.TextChoices):
    """One vocabulary for 1.6 ChargePointStatus and 2.0.1 ConnectorStatusEnumType."""

    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EVSE = "SuspendedEVSE", "Suspended by EVSE"
    SUSPENDED_EV = "SuspendedEV", "Suspended by EV"
    FINISHING = "Finishing"
    OCCUPIED = "Occupied"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"


class ConnectionEvent(models.TextChoices):
    CONNECTED = "connected"
    REFUSED = "refused"
    DISCONNECTED = "disconnected"
    REPLACED = "replaced", "replaced by a newer connection"


class RefusalReason(models.TextChoices):
    UNKNOWN_STATION = "unknown_station", "unknown station"
    DISABLED = "disabled", "station disabled"
    BAD_CREDENTIALS = "bad_credentials", "bad or missing credentials"
    NO_SUBPROTOCOL = "no_subprotocol", "no common OCPP subprotocol"
