"""Domain errors: rejections a caller should see, raised by services.

The OCPP edge turns them into a CALLERROR code, the API into a 4xx naming the
field, the portal into a message. Anything that is not one of these is a bug:
logged with the station and message id and answered InternalError.
"""


class CsmsError(Exception):
    """Base of the errors a caller is meant to see. `code` is the OCPP CALLERROR code."""

    code = "GenericError"

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownStation(CsmsError):
    """The station id is not provisioned (or is disabled)."""

    code = "SecurityError"


class NotAccepted(CsmsError):
    """A 2.0.1 station that is not Accepted sent something other than BootNotification."""

    code = "SecurityError"


class ActionNotSupported(CsmsError):
    """A valid OCPP action this CSMS does not handle (yet)."""

    code = "NotSupported"


class InvalidValue(CsmsError):
    """A schema-valid payload with a value the CSMS cannot use (e.g. connector 0 for an EVSE)."""

    code = "PropertyConstraintViolation"


class InvalidCommand(CsmsError):
    """An operator's command that cannot be sent: unknown operation, parameters the schema refuses, no station."""

    code = "PropertyConstraintViolation"
