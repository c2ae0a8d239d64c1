from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from audit.models import AuditEntry, LoginFailure
from csms.admin_base import ImmutableAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ImmutableAdmin):  # written by the services only
    list_display = ("at", "actor", "via", "ip", "action", "target_type", "target", "ok", "outcome", "command_link")
    list_filter = ("via", "ok", "action", "target_type")
    search_fields = ("actor", "target", "station_id", "action")
    date_hierarchy = "at"
    list_select_related = ("command",)
    fields = ("at", "actor", "user", "via", "token_auth", "ip", "action", "target_type", "target", "station_id",
              "params", "ok", "outcome", "error", "command_link")
    readonly_fields = fields

    @admin.display(description="command")
    def command_link(self, obj):
        if obj.command_id is None:
            return "-"
        url = reverse("admin:stations_command_change", args=[obj.command_id])
        return format_html('<a href="{}">#{} (now {})</a>', url, obj.command_id, obj.command.status)


@admin.register(LoginFailure)
class LoginFailureAdmin(ImmutableAdmin):  # written by the services only
    list_display = ("at", "username", "ip")
    search_fields = ("username", "ip")
    date_hierarchy = "at"

    def has_delete_permission(self, request, obj=None):
        return True  # deleting a user's failures lifts their lock early
