"""What central stores about stations. Only central imports this module (never a node)."""

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from ocpp.v201.enums import AttributeEnumType, MutabilityEnumType

from stations.choices import (
    FINAL_COMMAND_STATUSES,
    CommandStatus,
    ConnectionEvent,
    ConnectorStatus,
    FirmwareStatus,
    MessageDirection,
    MessageKind,
    Registration,
    UploadStatus,
)


class Node(models.Model):
    """An edge process that holds station sockets; known from its heartbeats."""

    node_id = models.CharField(max_length=64, unique=True)
    first_heartbeat = models.DateTimeField()
    last_heartbeat = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["node_id"]

    def __str__(self) -> str:
        return self.node_id


class SecurityProfile(models.IntegerChoices):
    """OCPP security profiles (1.6 security whitepaper, 2.0.1 part 2 A00): what a station must show to connect."""

    NONE = 0, "0: unsecured (Basic auth checked only if a password is set)"
    BASIC = 1, "1: HTTP Basic auth required"
    TLS_BASIC = 2, "2: TLS and HTTP Basic auth"
    TLS_CLIENT_CERT = 3, "3: TLS with a client certificate"


class ChargingStation(models.Model):
    """One charging station, whatever OCPP version it speaks, as it reported itself and as the operator set it up."""

    station_id = models.CharField("station id", max_length=48, unique=True,
                                  help_text="The identity in the station's URL (/ocpp/<station id>).")
    name = models.CharField(max_length=100, blank=True)
    enabled = models.BooleanField(default=True, help_text="A disabled station is refused at the handshake.")
    registration = models.CharField(max_length=10, choices=Registration.choices, default=Registration.ACCEPTED,
                                    help_text="Answered to BootNotification.")
    password = models.CharField(max_length=128, blank=True, editable=False,
                                help_text="HTTP Basic password (security profile 1), hashed.")
    security_profile = models.PositiveSmallIntegerField(
        choices=SecurityProfile.choices, default=SecurityProfile.NONE, db_default=SecurityProfile.NONE,
        help_text="A station connecting below its profile is refused at the handshake.")
    # A rotation in flight (stations/services/security.py): the new password, hashed, becomes `password` once the
    # station accepts the command that sent it; until then both the old and the new one are let in.
    # db_default: rows written by SQL that predates these columns (tests' fixtures, scripts) stay valid.
    pending_password = models.CharField(max_length=128, blank=True, editable=False, default="", db_default="")
    password_command = models.ForeignKey("Command", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+", editable=False,
                                         help_text="The command that sent the pending password to the station.")

    # Identity, as the station reports it in BootNotification.
    vendor = models.CharField(max_length=50, blank=True)
    model = models.CharField(max_length=50, blank=True)
    serial_number = models.CharField(max_length=50, blank=True)
    charge_box_serial_number = models.CharField(max_length=50, blank=True)
    firmware_version = models.CharField(max_length=50, blank=True)
    iccid = models.CharField("modem ICCID", max_length=20, blank=True)
    imsi = models.CharField("modem IMSI", max_length=20, blank=True)
    meter_type = models.CharField(max_length=25, blank=True)
    meter_serial_number = models.CharField(max_length=25, blank=True)

    # Protocol and connection state.
    ocpp_version = models.CharField("OCPP", max_length=8, blank=True)
    boot_status = models.CharField(max_length=10, choices=Registration.choices, blank=True,
                                   help_text="What the last BootNotification was answered.")
    last_boot_at = models.DateTimeField(null=True, blank=True)
    online = models.BooleanField(default=False, db_index=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    node = models.ForeignKey(Node, null=True, blank=True, on_delete=models.SET_NULL, related_name="stations")
    conn = models.CharField("connection", max_length=64, blank=True, help_text="The socket that owns the station.")
    # Station-wide state (1.6 connectorId 0).
    status = models.CharField(max_length=16, choices=ConnectorStatus.choices, blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)
    # Firmware update and diagnostics / log upload, as last notified (what an operator checks at a glance).
    firmware_status = models.CharField(max_length=32, choices=FirmwareStatus.choices, blank=True)
    firmware_status_at = models.DateTimeField(null=True, blank=True, help_text="When central received it.")
    diagnostics_status = models.CharField("diagnostics / log upload", max_length=32, choices=UploadStatus.choices,
                                          blank=True)
    diagnostics_status_at = models.DateTimeField(null=True, blank=True, help_text="When central received it.")
    # Which request the statuses above belong to: set when the station accepts an UpdateFirmware / GetDiagnostics /
    # GetLog command, and (when a notification carries a requestId) moved to the command with that requestId.
    firmware_command = models.ForeignKey("Command", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+", help_text="The firmware update the status belongs to.")
    diagnostics_command = models.ForeignKey("Command", null=True, blank=True, on_delete=models.SET_NULL,
                                            related_name="+", help_text="The diagnostics / log upload the status "
                                                                        "belongs to.")

    # Location, for the map.
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    address = models.CharField(max_length=255, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["station_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90) | models.Q(latitude=None),
                name="station_latitude_range"),
            models.CheckConstraint(
                condition=models.Q(longitude__gte=-180, longitude__lte=180) | models.Q(longitude=None),
                name="station_longitude_range"),
        ]

    def __str__(self) -> str:
        return self.station_id

    def set_password(self, raw: str) -> None:
        self.password = make_password(raw) if raw else ""

    def check_password(self, raw: str | None) -> bool:
        return bool(self.password) and raw is not None and check_password(raw, self.password)


class Connector(models.Model):
    """A connector: 2.0.1 (EVSE id, connector id); a 1.6 connector N is EVSE N with connector 1."""

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="connectors")
    evse_id = models.PositiveIntegerField("EVSE")
    connector_id = models.PositiveIntegerField("connector")
    status = models.CharField(max_length=16, choices=ConnectorStatus.choices, default=ConnectorStatus.UNAVAILABLE)
    error_code = models.CharField(max_length=50, blank=True)
    info = models.CharField(max_length=50, blank=True)
    vendor_id = models.CharField(max_length=255, blank=True)
    vendor_error_code = models.CharField(max_length=50, blank=True)
    status_at = models.DateTimeField("reported at", null=True, blank=True,
                                     help_text="The station's timestamp of the status.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["station", "evse_id", "connector_id"]
        constraints = [models.UniqueConstraint(fields=["station", "evse_id", "connector_id"], name="connector_unique")]

    def __str__(self) -> str:
        return f"{self.station_id}/{self.evse_id}/{self.connector_id}"


class ConnectionLog(models.Model):
    """One accepted or refused connect, or one disconnect, with its reason and the remote address."""

    station = models.ForeignKey(ChargingStation, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="connection_log")
    station_ident = models.CharField("station id", max_length=255, db_index=True,
                                     help_text="As presented, also for unknown stations.")
    event = models.CharField(max_length=16, choices=ConnectionEvent.choices)
    reason = models.CharField(max_length=255, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    node_id = models.CharField(max_length=64, blank=True)
    conn = models.CharField(max_length=64, blank=True)
    ocpp_version = models.CharField(max_length=8, blank=True)
    subprotocols = models.CharField("offered subprotocols", max_length=255, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["station", "-at"])]

    def __str__(self) -> str:
        return f"{self.station_ident} {self.event} {self.at:%Y-%m-%d %H:%M:%S}"


class StationMessage(models.Model):
    """A notification with no table of its own (firmware, logs, security events, reports...), kept whole."""

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="messages")
    ocpp_version = models.CharField("OCPP", max_length=8)
    action = models.CharField(max_length=48, db_index=True)
    message_id = models.CharField("OCPP message id", max_length=36, blank=True)
    summary = models.CharField(max_length=255, blank=True, help_text="The gist: a status, an event type, a vendor.")
    payload = models.JSONField()
    station_time = models.DateTimeField(null=True, blank=True, help_text="The timestamp inside the message, if any.")
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["station", "action", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.station_id} {self.action} {self.summary}"


class OcppMessage(models.Model):
    """One OCPP-J message on a station's socket, either way: a CALL, its CALLRESULT or its CALLERROR.

    Written by stations/services/message_log.py only; pruned after OCPP_LOG_RETENTION_DAYS.
    """

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="ocpp_messages")
    conn = models.CharField("connection", max_length=64, blank=True)
    direction = models.CharField(max_length=3, choices=MessageDirection.choices)
    kind = models.CharField(max_length=6, choices=MessageKind.choices)
    action = models.CharField(max_length=48, blank=True, help_text="A result or error: the action of its CALL.")
    message_id = models.CharField("OCPP message id", max_length=36, blank=True)
    payload = models.JSONField(help_text="A CALLERROR: its code, description and details.")
    error_code = models.CharField(max_length=32, blank=True)
    at = models.DateTimeField(help_text="When it was received or sent (central's clock).")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "OCPP message"
        indexes = [models.Index(fields=["station", "-at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.station_id} {self.direction} {self.kind} {self.action} {self.message_id}"


class Command(models.Model):
    """One CSMS -> station operation: what was asked, by whom, where it went and what the station answered."""

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="commands")
    ocpp_version = models.CharField("OCPP", max_length=8)
    action = models.CharField(max_length=48, help_text="The OCPP action of the station's version.")
    payload = models.JSONField(help_text="The request, valid against that version's schema.")
    message_id = models.CharField("OCPP message id", max_length=36, unique=True)
    requested_by = models.CharField(max_length=150, blank=True, help_text="User name, API client or 'system'.")
    status = models.CharField(max_length=16, choices=CommandStatus.choices, default=CommandStatus.PENDING,
                              db_index=True)
    node_id = models.CharField("sent via node", max_length=64, blank=True)
    conn = models.CharField("connection", max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True,
                                      help_text="Queued for an offline station until then; empty: not queued.")
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True, help_text="The station's CALLRESULT payload.")
    error_code = models.CharField(max_length=32, blank=True)
    error_description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["station", "status"]), models.Index(fields=["status", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.action} -> {self.station_id} ({self.status})"

    @property
    def final(self) -> bool:
        return self.status in FINAL_COMMAND_STATUSES


class ConfigurationKey(models.Model):
    """One OCPP 1.6 configuration key of a station, as its last GetConfiguration / accepted ChangeConfiguration says."""

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="configuration_keys")
    key = models.CharField(max_length=50)
    value = models.CharField(max_length=500, null=True, blank=True,
                             help_text="Empty (null): the station did not tell (write-only, or unknown key).")
    readonly = models.BooleanField("read-only", default=False)
    unknown = models.BooleanField(default=False, help_text="The station answered that it does not know this key.")
    updated_at = models.DateTimeField(help_text="When central received the answer this comes from.")

    class Meta:
        ordering = ["station", "key"]
        constraints = [models.UniqueConstraint(fields=["station", "key"], name="configuration_key_unique")]

    def __str__(self) -> str:
        return f"{self.station_id} {self.key}={self.value}"


# Device-model vocabulary is the protocol's own (2.0.1 only), so its choices come from the ocpp enums.
ATTRIBUTE_TYPES = [(e.value, e.value) for e in AttributeEnumType]
MUTABILITIES = [(e.value, e.value) for e in MutabilityEnumType]
# What names one device-model row: its unique constraint, and the conflict target of upserts.
DEVICE_VARIABLE_IDENTITY = ["station", "component", "component_instance", "evse_id", "connector_id", "variable",
                            "variable_instance", "attribute_type"]


class DeviceVariable(models.Model):
    """One attribute of one variable of a 2.0.1 station's device model (component/variable/attribute type).

    Identifying fields use "" and 0 for "none" (not NULL) so the unique constraint holds on every database:
    EVSE 0 / connector 0 mean the component is not EVSE- or connector-specific (2.0.1 numbers them from 1).
    """

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="device_variables")
    component = models.CharField(max_length=50)
    component_instance = models.CharField(max_length=50, blank=True)
    evse_id = models.PositiveIntegerField("EVSE", default=0, help_text="0: not EVSE-specific.")
    connector_id = models.PositiveIntegerField("connector", default=0, help_text="0: not connector-specific.")
    variable = models.CharField(max_length=50)
    variable_instance = models.CharField(max_length=50, blank=True)
    attribute_type = models.CharField(max_length=8, choices=ATTRIBUTE_TYPES,
                                      default=AttributeEnumType.actual.value)
    value = models.CharField(max_length=2500, null=True, blank=True,
                             help_text="Empty (null): not reported (e.g. a write-only variable).")
    mutability = models.CharField(max_length=16, choices=MUTABILITIES, blank=True)
    persistent = models.BooleanField(null=True, blank=True)
    constant = models.BooleanField(null=True, blank=True)
    # variableCharacteristics, when a report gave them
    data_type = models.CharField(max_length=16, blank=True)
    unit = models.CharField(max_length=16, blank=True)
    min_limit = models.FloatField(null=True, blank=True)
    max_limit = models.FloatField(null=True, blank=True)
    values_list = models.CharField(max_length=1000, blank=True)
    supports_monitoring = models.BooleanField(null=True, blank=True)
    source = models.CharField(max_length=40, blank=True,
                              help_text="What told central: a report (with its requestId), GetVariables, SetVariables.")
    updated_at = models.DateTimeField(help_text="When central received what this row says.")

    class Meta:
        ordering = DEVICE_VARIABLE_IDENTITY
        constraints = [models.UniqueConstraint(fields=DEVICE_VARIABLE_IDENTITY, name="device_variable_unique")]

    def __str__(self) -> str:
        return f"{self.station_id} {self.key} ({self.attribute_type}) = {self.value}"

    @property
    def key(self) -> str:
        """Component[instance].Variable[instance], the notation the operation builders read (EVSE aside)."""
        component = f"{self.component}[{self.component_instance}]" if self.component_instance else self.component
        variable = f"{self.variable}[{self.variable_instance}]" if self.variable_instance else self.variable
        return f"{component}.{variable}"
