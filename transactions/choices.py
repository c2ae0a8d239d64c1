"""Our own states for tokens and sessions; the OCPP spellings map onto these in ocpp/v16.py and ocpp/v201.py."""

from django.db import models


class TokenType(models.TextChoices):
    """The 2.0.1 IdTokenEnumType values; a 1.6 idTag is ISO14443 (an RFID card) or Central."""

    CENTRAL = "Central"
    EMAID = "eMAID"
    ISO14443 = "ISO14443"
    ISO15693 = "ISO15693"
    KEY_CODE = "KeyCode"
    LOCAL = "Local"
    MAC_ADDRESS = "MacAddress"
    NO_AUTHORIZATION = "NoAuthorization"


class TokenStatus(models.TextChoices):
    """What the operator set on a token; Unknown and ConcurrentTx are answers, never stored on a token."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"


class AuthStatus(models.TextChoices):
    """The answer to an authorisation: 1.6 AuthorizationStatus and 2.0.1 AuthorizationStatusEnumType in one."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    UNKNOWN = "Unknown", "unknown token"
    CONCURRENT_TX = "ConcurrentTx", "already in a transaction"


class TransactionStatus(models.TextChoices):
    ACTIVE = "Active"
    ENDED = "Ended"


class NoteKind(models.TextChoices):
    """Oddities of a station's transaction messages, kept for the operator; never an error to the station."""

    DUPLICATE = "duplicate", "duplicate message"
    OUT_OF_ORDER = "out_of_order", "out of order"
    SEQ_GAP = "seq_gap", "missing sequence numbers"
    METER_BACKWARDS = "meter_backwards", "meter going backwards"
    UNKNOWN_TRANSACTION = "unknown_transaction", "unknown transaction id"
    UNKNOWN_TOKEN = "unknown_token", "unknown or refused token"
    AFTER_END = "after_end", "message after the transaction ended"
    CONFLICT = "conflict", "conflicting data"
    STALE = "stale", "no message for a long time"
    OPERATOR_CLOSED = "operator_closed", "closed by an operator"
    RESERVATION = "reservation", "reserved for another token"


class EventType(models.TextChoices):
    """2.0.1 TransactionEvent eventType."""

    STARTED = "Started"
    UPDATED = "Updated"
    ENDED = "Ended"


class ReservationStatus(models.TextChoices):
    """Where a reservation stands: the station's answer to ReserveNow, then what became of an accepted one."""

    ACCEPTED = "accepted", "active (accepted by the station)"
    REJECTED = "rejected"
    OCCUPIED = "occupied", "refused: connector occupied"
    FAULTED = "faulted", "refused: connector faulted"
    UNAVAILABLE = "unavailable", "refused: connector unavailable"
    CANCELLED = "cancelled"
    REMOVED = "removed", "removed by the station"
    USED = "used", "used by a transaction"
    EXPIRED = "expired"


class ChargingProfilePurpose(models.TextChoices):
    """2.0.1 ChargingProfilePurposeEnumType; 1.6 ChargePointMaxProfile is the station's max profile."""

    STATION_MAX = "ChargingStationMaxProfile", "station maximum"
    TX_DEFAULT = "TxDefaultProfile", "default for transactions"
    TX = "TxProfile", "one transaction"
    EXTERNAL = "ChargingStationExternalConstraints", "external constraints"


class ChargingProfileStatus(models.TextChoices):
    INSTALLED = "installed"
    CLEARED = "cleared"
    REPLACED = "replaced", "replaced by a newer profile"
    REJECTED = "rejected", "rejected by the station"
