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
    # Security profiles 2 and 3 (stations/services/security.py)
    TLS_REQUIRED = "tls_required", "TLS required by the station's security profile"
    CLIENT_CERTIFICATE_REQUIRED = "client_certificate_required", "client certificate required (security profile 3)"
    CLIENT_CERTIFICATE_MISMATCH = "client_certificate_mismatch", "client certificate is for another station"


class FirmwareStatus(models.TextChoices):
    """One vocabulary for 1.6 FirmwareStatus (plain and signed) and 2.0.1 FirmwareStatusEnumType."""

    IDLE = "Idle"
    DOWNLOAD_SCHEDULED = "DownloadScheduled", "Download scheduled"
    DOWNLOADING = "Downloading"
    DOWNLOAD_PAUSED = "DownloadPaused", "Download paused"
    DOWNLOADED = "Downloaded"
    DOWNLOAD_FAILED = "DownloadFailed", "Download failed"
    SIGNATURE_VERIFIED = "SignatureVerified", "Signature verified"
    INVALID_SIGNATURE = "InvalidSignature", "Invalid signature"
    INSTALL_SCHEDULED = "InstallScheduled", "Install scheduled"
    INSTALLING = "Installing"
    INSTALL_REBOOTING = "InstallRebooting", "Rebooting to install"
    INSTALLED = "Installed"
    INSTALLATION_FAILED = "InstallationFailed", "Installation failed"
    INSTALL_VERIFICATION_FAILED = "InstallVerificationFailed", "Install verification failed"


class UploadStatus(models.TextChoices):
    """Diagnostics (1.6 DiagnosticsStatus) and log (UploadLogStatus, both versions) uploads in one vocabulary."""

    IDLE = "Idle"
    UPLOADING = "Uploading"
    UPLOADED = "Uploaded"
    UPLOAD_FAILED = "UploadFailed", "Upload failed"
    BAD_MESSAGE = "BadMessage", "Failed: bad message to the server"
    NOT_SUPPORTED = "NotSupportedOperation", "Failed: not supported by the server"
    PERMISSION_DENIED = "PermissionDenied", "Failed: permission denied by the server"
    CANCELED = "AcceptedCanceled", "Canceled by a newer request"


class CommandStatus(models.TextChoices):
    """Where an operator's command to a station stands; the last five are final."""

    PENDING = "pending", "pending (queued for an offline station, or being routed)"
    SENT = "sent", "sent to the station"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FAILED = "failed", "failed (CALLERROR or invalid answer)"
    TIMED_OUT = "timed_out", "timed out"
    STATION_OFFLINE = "station_offline", "station offline"
    EXPIRED = "expired", "expired in the queue"


FINAL_COMMAND_STATUSES = frozenset({CommandStatus.ACCEPTED, CommandStatus.REJECTED, CommandStatus.FAILED,
                                    CommandStatus.TIMED_OUT, CommandStatus.STATION_OFFLINE, CommandStatus.EXPIRED})


class MessageDirection(models.TextChoices):
    """Which way an OCPP message went on the station's socket."""

    IN = "in", "station → central"
    OUT = "out", "central → station"


class MessageKind(models.TextChoices):
    """The OCPP-J message type."""

    CALL = "call", "CALL"
    RESULT = "result", "CALLRESULT"
    ERROR = "error", "CALLERROR"
