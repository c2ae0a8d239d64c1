"""The stations API's representations; writes go through the provisioning and command services."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from csms.api.serializers import ModelSerializer, StrictSerializer
from stations import selectors
from stations.choices import ConnectorStatus, FirmwareStatus, Registration, UploadStatus
from stations.models import (
    ChargingStation,
    Command,
    ConfigurationKey,
    ConnectionLog,
    Connector,
    DeviceVariable,
    Node,
    SecurityProfile,
)
from stations.services.provisioning import STATION_ID_MAX

STATION = serializers.SlugRelatedField(slug_field="station_id", read_only=True, help_text="The station id.")


class ConnectorSerializer(ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="station_id", read_only=True, help_text="The station id.")

    class Meta:
        model = Connector
        fields = ["id", "station", "evse_id", "connector_id", "status", "error_code", "info", "vendor_id",
                  "vendor_error_code", "status_at", "updated_at"]


class StationConnectorSerializer(ConnectorSerializer):
    """A connector inside its station: the station is implied."""

    class Meta(ConnectorSerializer.Meta):
        fields = [name for name in ConnectorSerializer.Meta.fields if name != "station"]


class StationSerializer(ModelSerializer):
    """A station with its connectors and live state (from selectors.with_status and an active-session count)."""

    node = serializers.SlugRelatedField(slug_field="node_id", read_only=True, allow_null=True,
                                        help_text="The node holding its socket; null when none.")
    status = serializers.ChoiceField(source="display_status", choices=selectors.STATION_STATUSES, read_only=True,
                                     help_text="As the portal shows it: faulted, offline, charging or online "
                                               "(first match wins).")
    ocpp_status = serializers.ChoiceField(source="status", choices=ConnectorStatus.choices, read_only=True,
                                          allow_blank=True, help_text="The station-wide OCPP status (connector 0).")
    current_sessions = serializers.IntegerField(read_only=True, help_text="Active sessions on the station.")
    connectors = StationConnectorSerializer(many=True, read_only=True)
    password_change_pending = serializers.SerializerMethodField(
        help_text="A new password was sent and the station has not accepted it yet.")
    # Blank until the station reports them; read-only model fields lose allow_blank, so it is said here.
    boot_status = serializers.ChoiceField(choices=Registration.choices, allow_blank=True, read_only=True)
    firmware_status = serializers.ChoiceField(choices=FirmwareStatus.choices, allow_blank=True, read_only=True)
    diagnostics_status = serializers.ChoiceField(choices=UploadStatus.choices, allow_blank=True, read_only=True)

    class Meta:
        model = ChargingStation
        fields = ["station_id", "name", "enabled", "registration", "vendor", "model", "serial_number",
                  "charge_box_serial_number", "firmware_version", "iccid", "imsi", "meter_type",
                  "meter_serial_number", "ocpp_version", "boot_status", "last_boot_at", "online", "last_seen", "node",
                  "status", "ocpp_status", "error_code", "status_at", "current_sessions", "firmware_status",
                  "firmware_status_at", "diagnostics_status", "diagnostics_status_at", "latitude", "longitude",
                  "address", "connectors", "security_profile", "password_change_pending", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_password_change_pending(self, station: ChargingStation) -> bool:
        return station.password_command_id is not None


class StationWriteSerializer(StrictSerializer):
    """What an operator sets up (provisioning); omitted fields are left as they are."""

    station_id = serializers.CharField(max_length=STATION_ID_MAX, help_text="The identity in the station's URL; "
                                       "printable ASCII without spaces, '/', '%', '?' or '#'. Set on create only.")
    password = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=128,
                                     trim_whitespace=False, style={"input_type": "password"},
                                     help_text="HTTP Basic password (security profile 1); empty: none.")
    registration = serializers.ChoiceField(choices=Registration.choices, required=False)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False,
                                        allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180,
                                         required=False, allow_null=True)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    security_profile = serializers.ChoiceField(choices=SecurityProfile.choices, required=False,
                                               help_text="0..3; 1 and 2 need a password (set with it or before).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:  # the id names the station: it cannot be changed
            self.fields.pop("station_id")


class NodeSerializer(ModelSerializer):
    stations_total = serializers.IntegerField(read_only=True)
    stations_online = serializers.IntegerField(read_only=True)
    silent = serializers.SerializerMethodField(help_text="No heartbeat for longer than NODE_SILENT_AFTER seconds.")

    class Meta:
        model = Node
        fields = ["node_id", "first_heartbeat", "last_heartbeat", "silent", "stations_total", "stations_online"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_silent(self, node: Node) -> bool:
        return (timezone.now() - node.last_heartbeat).total_seconds() > settings.NODE_SILENT_AFTER


class ConfigurationKeySerializer(ModelSerializer):
    station = STATION

    class Meta:
        model = ConfigurationKey
        fields = ["id", "station", "key", "value", "readonly", "unknown", "updated_at"]


class DeviceVariableSerializer(ModelSerializer):
    station = STATION

    class Meta:
        model = DeviceVariable
        fields = ["id", "station", "component", "component_instance", "evse_id", "connector_id", "variable",
                  "variable_instance", "attribute_type", "value", "mutability", "persistent", "constant", "data_type",
                  "unit", "min_limit", "max_limit", "values_list", "supports_monitoring", "source", "updated_at"]


class ConnectionLogSerializer(ModelSerializer):
    station = serializers.CharField(source="station_ident", read_only=True,
                                    help_text="The station id as presented (also for unknown stations).")
    known_station = serializers.SerializerMethodField(help_text="False: a refused identity no station has.")

    class Meta:
        model = ConnectionLog
        fields = ["id", "station", "known_station", "event", "reason", "remote_addr", "node_id", "conn",
                  "ocpp_version", "subprotocols", "at"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_known_station(self, log: ConnectionLog) -> bool:
        return log.station_id is not None


class CommandSerializer(ModelSerializer):
    station = STATION
    final = serializers.BooleanField(read_only=True, help_text="The status will not change any more.")

    class Meta:
        model = Command
        fields = ["id", "station", "ocpp_version", "action", "payload", "message_id", "requested_by", "status",
                  "final", "node_id", "created_at", "expires_at", "sent_at", "answered_at", "response", "error_code",
                  "error_description"]


MAX_QUEUE_FOR = 7 * 24 * 3600
MAX_WAIT = 60


class CommandRequestSerializer(StrictSerializer):
    """One remote operation: validated against the station's OCPP version by the command service."""

    station = serializers.CharField(max_length=STATION_ID_MAX, help_text="The station id.")
    action = serializers.CharField(max_length=48, help_text="The OCPP action of the station's version, e.g. Reset.")
    payload = serializers.DictField(required=False, default=dict,
                                    help_text="The request, as the action's OCPP JSON schema defines it.")
    queue_for = serializers.IntegerField(required=False, min_value=0, max_value=MAX_QUEUE_FOR, default=0,
                                         help_text="Seconds to keep the command queued if the station is offline; "
                                                   "0: fail it at once (status station_offline).")


class WaitSerializer(serializers.Serializer):
    """The `wait` query parameter."""

    wait = serializers.FloatField(required=False, default=0, min_value=0, max_value=MAX_WAIT,
                                  help_text=f"Seconds (at most {MAX_WAIT}) to wait for the final status before "
                                            "answering; 0: answer at once.")


class PasswordRotationSerializer(StrictSerializer):
    """POST /stations/{id}/password/: send the station a new HTTP Basic password."""

    password = serializers.CharField(required=False, allow_blank=True, max_length=40, trim_whitespace=False,
                                     write_only=True, help_text="The new password; omitted or empty: a random one. "
                                                                "1.6: 16 to 20 characters, 2.0.1: 16 to 40.")
    queue_for = serializers.IntegerField(required=False, default=24 * 3600, min_value=0, max_value=7 * 24 * 3600,
                                         help_text="Seconds an offline station's command waits for it; 0: fail now.")


class PasswordRotationResultSerializer(serializers.Serializer):
    password = serializers.CharField(help_text="The new password: returned this once, stored hashed.")
    command = CommandSerializer(allow_null=True, help_text="The command that sends it; null: the station never "
                                                           "connected, so the password was set at once.")
