"""What the API shows of sessions, tokens, reservations and charging profiles, and what it accepts for tokens.

Token writes go through transactions.services.token_provisioning, so the API, the CLI and the CSV
import apply one set of rules; the serializers here only check types and turn a body into an IdTokenSpec.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from csms.api.serializers import ModelSerializer, StrictSerializer
from transactions.choices import TokenStatus, TokenType
from transactions.models import (
    ChargingProfile,
    DataQualityNote,
    IdToken,
    MeterValue,
    Reservation,
    Transaction,
    TransactionEventRecord,
)
from transactions.services.token_provisioning import KEEP, OWNER_MAX, VALUE_MAX, IdTokenSpec

STATION = dict(slug_field="station_id", read_only=True)
INLINE_MAX = 200  # notes and events shown in a session's detail; a session rarely has more


class TransactionSerializer(ModelSerializer):
    station = serializers.SlugRelatedField(**STATION, help_text="Station id.")
    id_token = serializers.CharField(source="id_token_value", read_only=True, help_text="As presented.")

    class Meta:
        model = Transaction
        fields = ["id", "station", "ocpp_version", "station_tx_id", "evse_id", "connector_id", "status", "orphan",
                  "stale", "id_token", "id_token_type", "auth_status", "stop_id_token_value", "reservation_id",
                  "remote_start_id", "command", "started_at", "ended_at", "stop_reason", "charging_state",
                  "trigger_reason", "meter_start_wh", "meter_stop_wh", "energy_wh", "power_w", "power_at",
                  "last_message_at", "closed_by", "close_note", "offline_events"]
        read_only_fields = fields


class NoteSerializer(ModelSerializer):
    class Meta:
        model = DataQualityNote
        fields = ["kind", "detail", "message_id", "at"]
        read_only_fields = fields


class EventSerializer(ModelSerializer):
    class Meta:
        model = TransactionEventRecord
        fields = ["seq_no", "event_type", "trigger_reason", "timestamp", "offline", "message_id", "received_at",
                  "payload"]
        read_only_fields = fields


class TransactionDetailSerializer(TransactionSerializer):
    """A session with its data-quality notes and 2.0.1 events (the first INLINE_MAX of each); meter values are
    the paged sub-resource /transactions/{id}/meter-values/."""

    notes = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    class Meta(TransactionSerializer.Meta):
        fields = [*TransactionSerializer.Meta.fields, "notes", "events"]
        read_only_fields = fields

    @extend_schema_field(NoteSerializer(many=True))
    def get_notes(self, transaction: Transaction) -> list[dict]:
        return NoteSerializer(transaction.notes.order_by("at", "id")[:INLINE_MAX], many=True).data

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, transaction: Transaction) -> list[dict]:
        return EventSerializer(transaction.events.all()[:INLINE_MAX], many=True).data


class MeterValueSerializer(ModelSerializer):
    class Meta:
        model = MeterValue
        fields = ["id", "timestamp", "measurand", "phase", "location", "context", "unit", "format", "value",
                  "raw_value", "signed", "evse_id", "connector_id", "received_at"]
        read_only_fields = fields


class CloseSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=255, help_text="Why the session is closed by hand; kept on it.")


class IdTokenSerializer(ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="value", read_only=True, allow_null=True,
                                          help_text="The group token's value.")
    active_transactions = serializers.IntegerField(source="active_count", read_only=True,
                                                   help_text="Sessions Active now (lists only).")

    class Meta:
        model = IdToken
        fields = ["id", "value", "type", "status", "expiry", "parent", "owner", "max_concurrent",
                  "active_transactions", "created_at", "updated_at"]
        read_only_fields = fields


class IdTokenWriteSerializer(StrictSerializer):
    """A token's settings; a field left out keeps what is stored (a new token: the default shown)."""

    value = serializers.CharField(max_length=VALUE_MAX, trim_whitespace=False,
                                  help_text="As stations send it; 1..36 characters (1.6 stations: 20).")
    status = serializers.ChoiceField(choices=TokenStatus.choices, required=False, help_text="Default Accepted.")
    type = serializers.ChoiceField(choices=[c for c in TokenType.choices if c[0] != TokenType.NO_AUTHORIZATION],
                                   required=False, help_text="Default ISO14443.")
    expiry = serializers.DateTimeField(required=False, allow_null=True, help_text="null: never expires.")
    parent = serializers.CharField(required=False, allow_null=True, max_length=VALUE_MAX,
                                   help_text="Value of an existing group token; null: no group.")
    owner = serializers.CharField(required=False, allow_blank=True, max_length=OWNER_MAX)
    max_concurrent = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1,
                                              help_text="Sessions at once (default 1); null: no limit.")

    def spec(self, *, value: str | None = None, replace: bool = False) -> IdTokenSpec:
        """The validated body as a spec; `replace` (PUT) resets fields left out to their defaults."""
        data = dict(self.validated_data)
        if replace:
            defaults = {"status": TokenStatus.ACCEPTED, "type": TokenType.ISO14443, "expiry": None, "parent": None,
                        "owner": "", "max_concurrent": 1}
            data = {**defaults, **data}
        given = {name: data.get(name, KEEP) for name in ("status", "type", "expiry", "parent", "owner",
                                                           "max_concurrent")}
        return IdTokenSpec(value=value or data["value"], **given)


class IdTokenUpdateSerializer(IdTokenWriteSerializer):
    """PUT / PATCH: `value` names the token and cannot change; it may be repeated unchanged."""

    value = serializers.CharField(max_length=VALUE_MAX, trim_whitespace=False, required=False)

    def validate_value(self, value: str) -> str:
        if self.instance is not None and value != self.instance.value:
            raise serializers.ValidationError("a token's value cannot change: delete it and create a new one")
        return value


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class ReservationSerializer(ModelSerializer):
    station = serializers.SlugRelatedField(**STATION)
    id_token = serializers.CharField(source="id_token_value", read_only=True)
    group_id_token = serializers.CharField(source="group_id_token_value", read_only=True)

    class Meta:
        model = Reservation
        fields = ["id", "station", "reservation_id", "evse_id", "connector_type", "id_token", "group_id_token",
                  "expires_at", "status", "command", "transaction", "created_at", "updated_at"]
        read_only_fields = fields


class ChargingProfileSerializer(ModelSerializer):
    station = serializers.SlugRelatedField(**STATION)

    class Meta:
        model = ChargingProfile
        fields = ["id", "station", "evse_id", "profile_id", "stack_level", "purpose", "kind", "recurrency",
                  "valid_from", "valid_to", "schedules", "transaction", "status", "command", "created_at",
                  "updated_at"]
        read_only_fields = fields
