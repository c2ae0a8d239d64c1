import json

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html

from audit import services as audit
from csms.admin_base import ReadOnlyAdmin
from csms.exceptions import InvalidValue
from stations.choices import Registration
from stations.models import (
    ChargingStation,
    ConfigurationKey,
    ConnectionLog,
    Connector,
    DeviceVariable,
    Node,
    OcppMessage,
    SecurityProfile,
    StationMessage,
)
from stations.services import security
from stations.services.provisioning import validate_station_id


class ConnectorInline(admin.TabularInline):
    model = Connector
    extra = 0
    fields = ("evse_id", "connector_id", "status", "error_code", "info", "vendor_error_code", "status_at")
    readonly_fields = fields
    can_delete = False


class StationForm(forms.ModelForm):
    new_password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False),
                                   help_text="HTTP Basic password (security profile 1). Leave empty to keep; "
                                             "stored hashed.")
    clear_password = forms.BooleanField(required=False, help_text="Remove the password (no Basic auth).")

    class Meta:
        model = ChargingStation
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left out of a POST (a script, an older form): the station keeps its profile.
        self.fields["security_profile"].required = False

    def clean_station_id(self):
        station_id = self.cleaned_data["station_id"]
        try:
            validate_station_id(station_id)
        except InvalidValue as exc:
            raise forms.ValidationError(str(exc)) from exc
        return station_id

    def clean(self):
        cleaned = super().clean()
        profile = cleaned.get("security_profile")
        keeps_password = bool(self.instance.password) and not cleaned.get("clear_password")
        if profile in (SecurityProfile.BASIC, SecurityProfile.TLS_BASIC) and not (
                cleaned.get("new_password") or keeps_password):
            self.add_error("security_profile", f"Security profile {profile} needs a password: set one.")
        return cleaned

    def save(self, commit=True):
        station = super().save(commit=False)
        # Passwords set here go straight to the hash (a station configured by hand); the "Send a new password"
        # action sends one to the station instead (stations.services.security.rotate_password).
        if self.cleaned_data.get("clear_password"):
            station.set_password("")
        elif self.cleaned_data.get("new_password"):
            station.set_password(self.cleaned_data["new_password"])
        if commit:
            station.save()
        return station


# Configuration keys, device model and the command behind firmware / upload statuses (station page parts).


def _command_link(command) -> str:
    if command is None:
        return "-"
    answered = f", accepted {command.answered_at:%Y-%m-%d %H:%M:%S}" if command.answered_at else ""
    request = f" request {command.payload['requestId']}" if "requestId" in command.payload else ""
    url = reverse("admin:stations_command_change", args=[command.pk])
    return format_html('<a href="{}">{} #{}</a>{}{}', url, command.action, command.pk, request, answered)


class StationSettingsMixin:
    """Read-only station-page fields: which command a firmware / upload status belongs to, and links to the
    station's configuration keys (1.6) and device model (2.0.1), which are lists too long for an inline."""

    settings_fields = ("firmware_command_link", "diagnostics_command_link", "settings_links")

    @admin.display(description="firmware status belongs to")
    def firmware_command_link(self, obj):
        return _command_link(obj.firmware_command)

    @admin.display(description="upload status belongs to")
    def diagnostics_command_link(self, obj):
        return _command_link(obj.diagnostics_command)

    @admin.display(description="configuration")
    def settings_links(self, obj):
        if obj.pk is None:
            return "-"
        keys, variables = obj.configuration_keys.count(), obj.device_variables.count()
        query = f"?station__id__exact={obj.pk}"
        return format_html('<a href="{}">configuration keys</a> (1.6): {}; <a href="{}">device-model variables</a> '
                           "(2.0.1): {}", reverse("admin:stations_configurationkey_changelist") + query, keys,
                           reverse("admin:stations_devicevariable_changelist") + query, variables)


@admin.register(ChargingStation)
class ChargingStationAdmin(StationSettingsMixin, admin.ModelAdmin):
    form = StationForm
    list_display = ("station_id", "name", "online", "registration", "enabled", "ocpp_version", "vendor", "model",
                    "firmware_version", "firmware_status", "node", "last_seen")
    list_filter = ("online", "registration", "enabled", "ocpp_version", "vendor", "node")
    search_fields = ("station_id", "name", "vendor", "model", "serial_number", "charge_box_serial_number", "address")
    readonly_fields = ("vendor", "model", "serial_number", "charge_box_serial_number", "firmware_version", "iccid",
                       "imsi", "meter_type", "meter_serial_number", "ocpp_version", "boot_status", "last_boot_at",
                       "online", "last_seen", "node", "conn", "status", "error_code", "status_at", "created_at",
                       "updated_at", "has_password", "firmware_status", "firmware_status_at", "diagnostics_status",
                       "diagnostics_status_at", "station_messages", "password_rotation",
                       *StationSettingsMixin.settings_fields)
    fieldsets = (
        (None, {"fields": ("station_id", "name", "enabled", "registration", "security_profile", "has_password",
                           "new_password", "clear_password", "password_rotation")}),
        ("Location", {"fields": ("latitude", "longitude", "address")}),
        ("Connection", {"fields": ("online", "last_seen", "node", "conn", "ocpp_version", "boot_status",
                                   "last_boot_at", "status", "error_code", "status_at")}),
        ("Firmware and diagnostics", {"fields": ("firmware_status", "firmware_status_at", "firmware_command_link",
                                                 "diagnostics_status", "diagnostics_status_at",
                                                 "diagnostics_command_link", "station_messages")}),
        ("Configuration and device model", {"fields": ("settings_links",)}),
        ("Identity (as reported)", {"fields": ("vendor", "model", "serial_number", "charge_box_serial_number",
                                               "firmware_version", "iccid", "imsi", "meter_type",
                                               "meter_serial_number")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    inlines = [ConnectorInline]
    list_select_related = ("node",)
    actions = ["enable", "disable", "accept", "send_new_password"]

    @admin.display(boolean=True, description="password set")
    def has_password(self, obj):
        return bool(obj.password)

    @admin.display(description="password change in flight")
    def password_rotation(self, obj):
        return _command_link(obj.password_command) if obj.password_command_id else "-"

    @admin.action(description="Send a new random password to the selected stations (shown once)")
    def send_new_password(self, request, queryset):
        for station_id in queryset.values_list("station_id", flat=True):
            try:
                rotation = security.rotate_password(station_id=station_id, requested_by=request.user.get_username())
            except InvalidValue as exc:
                self.message_user(request, f"{station_id}: {exc}", messages.ERROR)
                continue
            status = rotation.command.get_status_display() if rotation.command else "set (station never connected)"
            self.message_user(request, f"{station_id}: new password {rotation.password} ({status}); it replaces the "
                                       "old one when the station accepts it. It is not shown again.", messages.WARNING)

    @admin.display(description="messages")
    def station_messages(self, obj):
        """A link to the station's stored notifications, newest first (a link, not an inline: there are many)."""
        if obj.pk is None:
            return "-"
        latest = obj.messages.only("action", "summary", "received_at").first()
        url = reverse("admin:stations_stationmessage_changelist") + f"?station__id__exact={obj.pk}"
        if latest is None:
            return format_html('<a href="{}">none yet</a>', url)
        return format_html('<a href="{}">all messages</a> (latest: {} {}, {})', url, latest.action, latest.summary,
                           latest.received_at)

    @admin.action(description="Enable selected stations")
    def enable(self, request, queryset):
        queryset.update(enabled=True)
        audit.record_each(action="admin_enable_stations", target_type="station", stations=True,
                          targets=list(queryset.values_list("station_id", flat=True)))

    @admin.action(description="Disable selected stations (refused at the next connect)")
    def disable(self, request, queryset):
        queryset.update(enabled=False)
        audit.record_each(action="admin_disable_stations", target_type="station", stations=True,
                          targets=list(queryset.values_list("station_id", flat=True)))

    @admin.action(description="Set registration to Accepted")
    def accept(self, request, queryset):
        queryset.update(registration=Registration.ACCEPTED)
        audit.record_each(action="admin_accept_stations", target_type="station", stations=True,
                          targets=list(queryset.values_list("station_id", flat=True)))


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    list_display = ("station", "evse_id", "connector_id", "status", "error_code", "vendor_error_code", "status_at")
    list_filter = ("status", "error_code")
    search_fields = ("station__station_id", "vendor_error_code", "info")
    list_select_related = ("station",)
    readonly_fields = ("updated_at",)


@admin.register(Node)
class NodeAdmin(admin.ModelAdmin):
    list_display = ("node_id", "first_heartbeat", "last_heartbeat", "station_count")
    search_fields = ("node_id",)
    readonly_fields = ("node_id", "first_heartbeat", "last_heartbeat")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(online_count=Count("stations", filter=Q(stations__online=True)))

    @admin.display(description="stations online", ordering="online_count")
    def station_count(self, obj):
        return obj.online_count


class PayloadAdmin(ReadOnlyAdmin):
    """A read-only record with an OCPP payload, shown as indented JSON."""

    @admin.display(description="payload")
    def payload_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False, sort_keys=True))


@admin.register(ConnectionLog)
class ConnectionLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "station_ident", "event", "reason", "remote_addr", "node_id", "ocpp_version",
                    "subprotocols")
    list_filter = ("event", "reason", "ocpp_version", "node_id")
    search_fields = ("station_ident", "remote_addr", "conn")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in ConnectionLog._meta.fields]



@admin.register(OcppMessage)
class OcppMessageAdmin(PayloadAdmin):
    """The OCPP message log, both directions: read-only (pruned after OCPP_LOG_RETENTION_DAYS)."""

    list_display = ("at", "station", "direction", "kind", "action", "message_id", "error_code")
    list_filter = ("direction", "kind", "action")
    search_fields = ("station__station_id", "message_id", "action")
    date_hierarchy = "at"
    list_select_related = ("station",)
    show_full_result_count = False  # the log is large: no COUNT(*) over all of it per page
    fields = ("station", "conn", "direction", "kind", "action", "message_id", "error_code", "at", "payload_pretty")
    readonly_fields = fields



@admin.register(StationMessage)
class StationMessageAdmin(PayloadAdmin):
    """Notifications kept whole: read-only, as the station sent them."""

    list_display = ("received_at", "station", "action", "summary", "ocpp_version")
    list_filter = ("action", "ocpp_version")
    search_fields = ("station__station_id", "summary")
    date_hierarchy = "received_at"
    list_select_related = ("station",)
    fields = ("station", "ocpp_version", "action", "message_id", "summary", "station_time", "received_at",
              "payload_pretty")
    readonly_fields = fields




# Configuration keys (1.6) and device model (2.0.1): read-only, as the stations reported them.


@admin.register(ConfigurationKey)
class ConfigurationKeyAdmin(ReadOnlyAdmin):
    """1.6 configuration keys from GetConfiguration answers and accepted ChangeConfiguration commands."""

    list_display = ("station", "key", "value", "readonly", "unknown", "updated_at")
    list_filter = ("readonly", "unknown", "key")
    search_fields = ("station__station_id", "key", "value")
    list_select_related = ("station",)
    readonly_fields = ("station", "key", "value", "readonly", "unknown", "updated_at")


@admin.register(DeviceVariable)
class DeviceVariableAdmin(ReadOnlyAdmin):
    """2.0.1 device model: NotifyReport pages, GetVariables and accepted SetVariables."""

    list_display = ("station", "component", "component_instance", "evse_id", "connector_id", "variable",
                    "variable_instance", "attribute_type", "value", "mutability", "source", "updated_at")
    list_filter = ("attribute_type", "mutability", "data_type", "component")
    search_fields = ("station__station_id", "component", "variable", "value")
    list_select_related = ("station",)
    readonly_fields = [f.name for f in DeviceVariable._meta.fields if f.name != "id"]


from stations import admin_commands  # noqa: E402,F401  (Command admin, Send command page, quick actions)
