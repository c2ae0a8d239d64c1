"""What central stores about id tokens, charging sessions and their meter readings. Central only."""

from django.db import models

from stations.models import ChargingStation, Command
from transactions.choices import (
    AuthStatus,
    ChargingProfilePurpose,
    ChargingProfileStatus,
    EventType,
    NoteKind,
    ReservationStatus,
    TokenStatus,
    TokenType,
    TransactionStatus,
)

ENERGY = dict(max_digits=20, decimal_places=3)  # Wh to the milliwatt-hour; Decimal keeps sums exact


class IdToken(models.Model):
    """An RFID card, app account or other identifier that may start a session; matched on its value alone."""

    value = models.CharField(max_length=36, unique=True,
                             help_text="As the station sends it (1.6 idTag, 2.0.1 idToken).")
    type = models.CharField(max_length=16, choices=TokenType.choices, default=TokenType.ISO14443,
                            help_text="As last registered or seen; stations disagree, so never used to match.")
    status = models.CharField(max_length=10, choices=TokenStatus.choices, default=TokenStatus.ACCEPTED)
    expiry = models.DateTimeField(null=True, blank=True, help_text="Answered Expired from this moment.")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children",
                               help_text="Group token (1.6 parentIdTag, 2.0.1 groupIdToken).")
    owner = models.CharField(max_length=100, blank=True, help_text="Who holds it: a driver, a fleet, a customer id.")
    max_concurrent = models.PositiveIntegerField(
        "max concurrent transactions", null=True, blank=True, default=1,
        help_text="Authorize answers ConcurrentTx once this many sessions are active; empty = no limit.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["value"]
        verbose_name = "id token"

    def __str__(self) -> str:
        return self.value


class Transaction(models.Model):
    """One charging session, whatever the protocol; its pk is the 1.6 transactionId."""

    station = models.ForeignKey(ChargingStation, on_delete=models.PROTECT, related_name="transactions")
    ocpp_version = models.CharField("OCPP", max_length=8)
    station_tx_id = models.CharField(
        "station's transaction id", max_length=36, blank=True,
        help_text="2.0.1 transactionId; for 1.6 only when the station reported an id central never issued.")
    evse_id = models.PositiveIntegerField("EVSE", null=True, blank=True)
    connector_id = models.PositiveIntegerField("connector", null=True, blank=True)
    status = models.CharField(max_length=8, choices=TransactionStatus.choices, default=TransactionStatus.ACTIVE,
                              db_index=True)
    orphan = models.BooleanField(default=False, help_text="Known only from messages after its start.")

    # Who: the token as presented (also when unknown) and what its authorisation said.
    id_token = models.ForeignKey(IdToken, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="transactions")
    id_token_value = models.CharField("id token", max_length=36, blank=True, db_index=True)
    id_token_type = models.CharField(max_length=16, blank=True)
    auth_status = models.CharField(max_length=12, choices=AuthStatus.choices, blank=True,
                                   help_text="Answered when the session started.")
    stop_id_token_value = models.CharField("stopped by token", max_length=36, blank=True)
    reservation_id = models.IntegerField(null=True, blank=True)
    remote_start_id = models.IntegerField(null=True, blank=True)
    command = models.ForeignKey(Command, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="started_transactions",
                                help_text="The remote start (RemoteStart/RequestStartTransaction) that started it.")

    # When: the station's clock.
    started_at = models.DateTimeField(null=True, blank=True, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=32, blank=True, help_text="1.6 reason or 2.0.1 stoppedReason.")
    charging_state = models.CharField(max_length=16, blank=True)
    trigger_reason = models.CharField("last trigger reason", max_length=32, blank=True)

    # How much: meterStart/meterStop (1.6) and the Energy.Active.Import.Register readings (both).
    meter_start_wh = models.DecimalField(null=True, blank=True, **ENERGY)
    meter_stop_wh = models.DecimalField(null=True, blank=True, **ENERGY)
    first_register_wh = models.DecimalField(null=True, blank=True, **ENERGY)
    first_register_at = models.DateTimeField(null=True, blank=True)
    last_register_wh = models.DecimalField(null=True, blank=True, **ENERGY)
    last_register_at = models.DateTimeField(null=True, blank=True)
    energy_wh = models.DecimalField("energy (Wh)", null=True, blank=True, **ENERGY)
    power_w = models.DecimalField("latest power (W)", null=True, blank=True, max_digits=14, decimal_places=3)
    power_at = models.DateTimeField(null=True, blank=True)

    # 2.0.1 event bookkeeping.
    last_seq_no = models.IntegerField(null=True, blank=True, help_text="Highest seqNo seen.")
    offline_events = models.PositiveIntegerField(default=0)

    # Operator's view.
    # Not indexed: every reading moves it, and an indexed column changed makes PostgreSQL write a new entry in every
    # index of the table (no HOT update). The stale-session sweep finds active sessions by status.
    last_message_at = models.DateTimeField(null=True, blank=True,
                                           help_text="Central's clock at the latest message about it.")
    stale = models.BooleanField(default=False, help_text="Flagged: silent for longer than TRANSACTION_STALE_AFTER.")
    closed_by = models.CharField(max_length=150, blank=True, help_text="The operator who closed it by hand.")
    close_note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["station", "status"]), models.Index(fields=["id_token_value", "status"]),
                   models.Index(fields=["-ended_at"], name="transaction_ended_at_idx")]  # dashboard's latest events
        constraints = [
            # A re-sent 2.0.1 event, or a re-sent stop for an id central never issued, finds its row.
            models.UniqueConstraint(fields=["station", "station_tx_id"], condition=~models.Q(station_tx_id=""),
                                    name="transaction_station_tx_id_unique"),
            # A re-sent 1.6 StartTransaction is the same start: same connector, tag, time and meter.
            models.UniqueConstraint(fields=["station", "evse_id", "id_token_value", "started_at",
                                            "meter_start_wh"],
                                    condition=models.Q(ocpp_version="1.6", orphan=False),
                                    name="transaction_v16_start_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.station.station_id} #{self.pk}" + (f" ({self.station_tx_id})" if self.station_tx_id else "")


class MeterValue(models.Model):
    """One sampled value, normalised to Wh / W / A / V / ... from the kWh / kW the station may use."""

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="meter_values")
    transaction = models.ForeignKey(Transaction, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="meter_values")
    evse_id = models.PositiveIntegerField("EVSE", default=0)
    connector_id = models.PositiveIntegerField("connector", default=0)
    timestamp = models.DateTimeField(help_text="The station's clock.")
    measurand = models.CharField(max_length=48, default="Energy.Active.Import.Register")
    phase = models.CharField(max_length=8, blank=True)
    location = models.CharField(max_length=8, blank=True)
    context = models.CharField(max_length=24, blank=True)
    unit = models.CharField(max_length=12, blank=True, help_text="After normalisation (Wh, W, ...).")
    format = models.CharField(max_length=12, blank=True, help_text="Raw or SignedData.")
    value = models.DecimalField(null=True, blank=True, max_digits=24, decimal_places=4,
                                help_text="Normalised; empty for signed data.")
    raw_value = models.TextField(blank=True, help_text="As sent, when it is not a plain number or was scaled.")
    signed = models.JSONField(null=True, blank=True, help_text="2.0.1 signedMeterValue.")
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["timestamp", "id"]
        indexes = [models.Index(fields=["transaction", "measurand", "timestamp"])]
        constraints = [
            # The same sample replayed after a reconnect is stored once.
            models.UniqueConstraint(fields=["station", "evse_id", "connector_id", "timestamp", "measurand", "phase",
                                            "location", "context"], name="meter_value_sample_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.measurand}={self.value}{self.unit} @ {self.timestamp:%Y-%m-%d %H:%M:%S}"


class DataQualityNote(models.Model):
    """Something odd about a station's transaction messages: stored, answered normally, shown to the operator."""

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="data_quality_notes")
    transaction = models.ForeignKey(Transaction, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="notes")
    kind = models.CharField(max_length=24, choices=NoteKind.choices)
    detail = models.CharField(max_length=500)
    message_id = models.CharField("OCPP message id", max_length=36, blank=True)
    at = models.DateTimeField(help_text="Central's clock.")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "data-quality note"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.detail[:60]}"


class TransactionEventRecord(models.Model):
    """One 2.0.1 TransactionEvent as received: the session's event history; a re-sent seqNo finds its row."""

    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="events")
    seq_no = models.IntegerField("seqNo")  # the schema sets no minimum: a negative one is stored, not refused
    event_type = models.CharField(max_length=8, choices=EventType.choices)
    trigger_reason = models.CharField(max_length=32)
    timestamp = models.DateTimeField(help_text="The station's clock.")
    offline = models.BooleanField(default=False, help_text="Sent after the station was offline.")
    payload = models.JSONField(help_text="The request as received.")
    message_id = models.CharField("OCPP message id", max_length=36, blank=True)
    received_at = models.DateTimeField(help_text="Central's clock.")

    class Meta:
        ordering = ["seq_no"]
        verbose_name = "transaction event"
        constraints = [models.UniqueConstraint(fields=["transaction", "seq_no"],
                                               name="transaction_event_seq_no_unique")]

    def __str__(self) -> str:
        return f"{self.transaction_id} #{self.seq_no} {self.event_type}"


class OperationId(models.Model):
    """One integer central handed a station (remoteStartId, reservation id, profile id, requestId): its pk.

    A database sequence, so two callers building commands at once never get the same value.
    """

    purpose = models.CharField(max_length=32)
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "operation id"

    def __str__(self) -> str:
        return f"{self.purpose} {self.pk}"


class Reservation(models.Model):
    """A ReserveNow the station answered: which EVSE (empty = any) is held for which token until when."""

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="reservations")
    reservation_id = models.IntegerField("reservation id", help_text="The id the station knows it by.")
    evse_id = models.PositiveIntegerField("EVSE", null=True, blank=True,
                                          help_text="1.6 connectorId; empty: any connector (1.6 connector 0).")
    connector_type = models.CharField(max_length=24, blank=True, help_text="2.0.1 connectorType, if asked for.")
    id_token_value = models.CharField("id token", max_length=36, db_index=True)
    group_id_token_value = models.CharField("parent / group token", max_length=36, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=12, choices=ReservationStatus.choices, db_index=True)
    command = models.ForeignKey(Command, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="reservations", help_text="The ReserveNow that made it.")
    transaction = models.ForeignKey(Transaction, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="reservations", help_text="The session that used it.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["station", "status", "evse_id"])]
        constraints = [models.UniqueConstraint(fields=["station", "reservation_id"], name="reservation_id_unique")]

    def __str__(self) -> str:
        return f"{self.station_id} reservation {self.reservation_id} ({self.status})"


class ChargingProfile(models.Model):
    """A charging profile sent with SetChargingProfile (or reported by the station) and what became of it."""

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="charging_profiles")
    evse_id = models.PositiveIntegerField("EVSE", default=0, help_text="0: the whole station (1.6 connectorId).")
    profile_id = models.IntegerField("profile id")
    stack_level = models.IntegerField()
    purpose = models.CharField(max_length=40, choices=ChargingProfilePurpose.choices)
    kind = models.CharField(max_length=10, help_text="Absolute, Recurring or Relative.")
    recurrency = models.CharField(max_length=8, blank=True, help_text="Daily or Weekly, for a Recurring profile.")
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True)
    schedules = models.JSONField(help_text="The chargingSchedule(s) as sent, in the station's OCPP version.")
    transaction = models.ForeignKey(Transaction, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="charging_profiles")
    status = models.CharField(max_length=10, choices=ChargingProfileStatus.choices, db_index=True)
    command = models.ForeignKey(Command, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="charging_profiles", help_text="The SetChargingProfile that sent it.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["station", "evse_id", "-stack_level", "-id"]
        indexes = [models.Index(fields=["station", "status"])]

    def __str__(self) -> str:
        return f"{self.station_id} profile {self.profile_id} on EVSE {self.evse_id} ({self.status})"


class LocalListVersion(models.Model):
    """The local authorisation list a station holds, as far as central knows: its version and its tokens."""

    station = models.OneToOneField(ChargingStation, on_delete=models.CASCADE, related_name="local_list")
    version = models.IntegerField(default=0, help_text="The last version the station accepted (0: none).")
    issued = models.IntegerField(default=0, help_text="The highest version number handed out in a SendLocalList.")
    tokens = models.JSONField(default=dict, help_text="The tokens the station holds after that version: value -> type.")
    count = models.PositiveIntegerField(default=0)
    built_at = models.DateTimeField(null=True, blank=True,
                                    help_text="When the accepted list was built: a differential sends changes since.")
    command = models.ForeignKey(Command, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                help_text="The SendLocalList the station accepted last.")
    reported_version = models.IntegerField(null=True, blank=True,
                                           help_text="What the station answered to GetLocalListVersion last.")
    reported_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["station"]
        verbose_name = "local list version"

    def __str__(self) -> str:
        return f"{self.station_id} local list v{self.version} ({self.count} tokens)"
