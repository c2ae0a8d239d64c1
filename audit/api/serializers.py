from rest_framework import serializers

from audit.models import AuditEntry
from csms.api.serializers import ModelSerializer


class AuditEntrySerializer(ModelSerializer):
    command_status = serializers.CharField(source="command.status", read_only=True, allow_null=True, default=None,
                                           help_text="The issued command's status now (null: no command).")

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "via", "token_auth", "ip", "action", "target_type", "target", "station_id",
                  "params", "ok", "outcome", "error", "command", "command_status"]
        read_only_fields = fields
