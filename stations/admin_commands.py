"""Admin for operator commands: the Command log, a "Send command" page per station, and quick actions.

Imported at the bottom of stations/admin.py. The station and connector pages get their command buttons by
subclassing the ChargingStationAdmin and ConnectorAdmin defined there and registering the subclasses in their
place (`_replace` below): whatever admin.py adds to those classes is inherited, this module only adds URLs,
actions and a few lines of page. Every send goes through `issue_command`, as the API and `send_command` do,
and needs the `stations.add_command` permission.
"""

import json
import time
from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from ocpp.v16.enums import MessageTrigger  # Heartbeat: the same name in 2.0.1

from csms.actions import COMMAND_ACTIONS
from csms.exceptions import InvalidCommand
from stations.admin import ChargingStationAdmin, ConnectorAdmin
from stations.choices import CommandStatus
from stations.forms import CommandForm
from stations.models import ChargingStation, Command, Connector
from stations.services import issue_command, operations, wait_for_command
from stations.services.command_templates import command_template

SEND_PERMISSION = "stations.add_command"
STATION_COMMANDS_SHOWN = 20
QUICK_ACTION_WAIT = 5.0  # seconds, in all, that a changelist action waits for the stations' answers
FORM_FIELD = {"action": "operation", "payload": "parameters"}  # InvalidCommand.field -> form field


def _pretty(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)


@admin.register(Command)
class CommandAdmin(admin.ModelAdmin):
    """What was asked of which station, by whom, and the answer: a log, never edited or deleted by hand."""

    list_display = ("created_at", "station", "action", "status", "requested_by", "sent_at", "answered_at", "error")
    list_filter = ("status", "action", "ocpp_version", "requested_by")
    search_fields = ("station__station_id", "message_id", "action")
    date_hierarchy = "created_at"
    list_select_related = ("station",)
    fields = ("station", "ocpp_version", "action", "status", "requested_by", "message_id", "created_at",
              "expires_at", "node_id", "conn", "sent_at", "answered_at", "payload_pretty", "response_pretty",
              "error_code", "error_description")
    readonly_fields = fields

    @admin.display(description="error")
    def error(self, obj):
        return ": ".join(part for part in (obj.error_code, obj.error_description) if part)

    @admin.display(description="request")
    def payload_pretty(self, obj):
        return format_html("<pre>{}</pre>", _pretty(obj.payload))

    @admin.display(description="answer")
    def response_pretty(self, obj):
        return "-" if obj.response is None else format_html("<pre>{}</pre>", _pretty(obj.response))

    def has_add_permission(self, request):
        return False  # commands are sent from the station's "Send command" page

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SendCommandForm(CommandForm):
    """The portal's command form, with the admin's wider text box and how long the page waits."""

    wait = forms.IntegerField(label="Wait (s)", min_value=0, max_value=60, initial=5,
                              help_text="How long this page waits for the station's answer.")

    def __init__(self, *args, version: str, **kwargs):
        super().__init__(*args, version=version, **kwargs)
        self.fields["parameters"].widget.attrs.update({"rows": 14, "cols": 80, "class": "vLargeTextField"})
        self.fields["queue_for"].help_text = ("If the station is offline, keep the command this long for it; "
                                              "0: fail at once.")


# Changelist actions: (label, builder of the request for a station's version).
QUICK_COMMANDS = {
    "reset_soft": ("Reset (soft)", lambda version: operations.reset(version)),
    "reset_hard": ("Reset (hard)", lambda version: operations.reset(version, hard=True)),
    "clear_cache": ("Clear cache", operations.clear_cache),
    "get_configuration": ("Get configuration / base report", lambda version: operations.get_configuration(version)),
    "trigger_heartbeat": ("Trigger heartbeat",
                          lambda version: operations.trigger_message(version, message=MessageTrigger.heartbeat.value)),
}


def connector_commands(connector: Connector, version: str) -> list[tuple[str, operations.Operation]]:
    """(label, request) for the one-connector operations; none if the version cannot address the connector."""
    where = {"evse_id": connector.evse_id, "connector_id": connector.connector_id}
    try:
        return [("Unlock", operations.unlock_connector(version, **where)),
                ("Set operative", operations.change_availability(version, operative=True, **where)),
                ("Set inoperative", operations.change_availability(version, operative=False, **where))]
    except InvalidCommand:  # e.g. a 1.6 row with connector 2, which 1.6 cannot name
        return []


def send_command_url(station: ChargingStation, action: str = "", payload: dict | None = None) -> str:
    url = reverse("admin:stations_chargingstation_send_command", args=[station.pk])
    query = {"operation": action} if action else {}
    if payload is not None:
        query["parameters"] = _pretty(payload)
    return url + ("?" + urlencode(query) if query else "")


def _issue(station: ChargingStation, action: str, payload: dict, *, requested_by: str, queue_for: int = 0) -> Command:
    with transaction.atomic(durable=True):  # committed before anyone waits for the answer
        return issue_command(station_id=station.station_id, action=action, payload=payload,
                             requested_by=requested_by,
                             queue_for=timedelta(seconds=queue_for) if queue_for else None)


def _outcome_level(command: Command) -> int:
    if command.status == CommandStatus.ACCEPTED:
        return messages.SUCCESS
    return messages.ERROR if command.final else messages.WARNING


class StationCommandsAdmin(ChargingStationAdmin):
    """The station admin plus: a Send command page, quick actions, and the station's latest commands."""

    change_form_template = "admin/stations/chargingstation/change_form_commands.html"
    actions = [*ChargingStationAdmin.actions, "send_command", *QUICK_COMMANDS]

    def get_urls(self):
        view = self.admin_site.admin_view(self.send_command_view)
        return [path("<path:object_id>/send-command/", view, name="stations_chargingstation_send_command"),
                *super().get_urls()]

    def has_send_command_permission(self, request):
        return request.user.has_perm(SEND_PERMISSION)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        station = self.get_object(request, unquote(object_id))
        if station is not None:
            extra_context = {
                **(extra_context or {}),
                "station_commands": station.commands.all()[:STATION_COMMANDS_SHOWN],
                "station_commands_url": reverse("admin:stations_command_changelist")
                + f"?station__id__exact={station.pk}",
                "send_command_url": send_command_url(station)
                if self.has_send_command_permission(request) and station.ocpp_version else "",
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def send_command_view(self, request, object_id):
        station = self.get_object(request, unquote(object_id))
        if station is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not (self.has_send_command_permission(request) and self.has_view_or_change_permission(request, station)):
            raise PermissionDenied
        version, form, command = station.ocpp_version, None, None
        templates = {action: _pretty(command_template(version, action)) for action in COMMAND_ACTIONS.get(version, ())}
        if version and request.method == "POST":
            form = SendCommandForm(request.POST, version=version)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    command = _issue(station, data["operation"], data["parameters"],
                                     requested_by=request.user.get_username(), queue_for=data["queue_for"])
                except InvalidCommand as exc:
                    form.add_error(FORM_FIELD.get(exc.field), str(exc))
                else:
                    if data["wait"] and not command.final:
                        command = wait_for_command(command.pk, timeout=data["wait"])
        elif version:
            operation = request.GET.get("operation", "")
            operation = operation if operation in templates else "Reset"
            form = SendCommandForm(version=version, initial={
                "operation": operation, "parameters": request.GET.get("parameters") or templates[operation]})
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "original": station, "form": form,
            "title": f"Send a command to {station.station_id}", "command": command, "templates": templates,
            "response": _pretty(command.response) if command and command.response is not None else "",
        }
        return TemplateResponse(request, "admin/stations/chargingstation/send_command.html", context)

    @admin.action(description="Send a command… (one station)", permissions=["send_command"])
    def send_command(self, request, queryset):
        station = queryset.first() if queryset.count() == 1 else None
        if station is None:
            self.message_user(request, "Select exactly one station to send it a command.", messages.WARNING)
            return None
        return HttpResponseRedirect(send_command_url(station))

    @admin.action(description="Reset (soft)", permissions=["send_command"])
    def reset_soft(self, request, queryset):
        self._send_quick(request, queryset, "reset_soft")

    @admin.action(description="Reset (hard)", permissions=["send_command"])
    def reset_hard(self, request, queryset):
        self._send_quick(request, queryset, "reset_hard")

    @admin.action(description="Clear cache", permissions=["send_command"])
    def clear_cache(self, request, queryset):
        self._send_quick(request, queryset, "clear_cache")

    @admin.action(description="Get configuration / base report", permissions=["send_command"])
    def get_configuration(self, request, queryset):
        self._send_quick(request, queryset, "get_configuration")

    @admin.action(description="Trigger heartbeat", permissions=["send_command"])
    def trigger_heartbeat(self, request, queryset):
        self._send_quick(request, queryset, "trigger_heartbeat")

    def _send_quick(self, request, queryset, key: str) -> None:
        label, build = QUICK_COMMANDS[key]
        issued = []
        for station in queryset:
            if not station.ocpp_version:
                self.message_user(request, f"{station}: {label} not sent: the station never connected, its OCPP "
                                           "version is unknown.", messages.ERROR)
                continue
            try:
                action, payload = build(station.ocpp_version)
                issued.append((station, _issue(station, action, payload, requested_by=request.user.get_username())))
            except InvalidCommand as exc:
                self.message_user(request, f"{station}: {label} not sent: {exc}", messages.ERROR)
        deadline = time.monotonic() + QUICK_ACTION_WAIT
        for station, command in issued:
            if not command.final:
                command = wait_for_command(command.pk, timeout=deadline - time.monotonic())
            detail = ": ".join(part for part in (command.error_code, command.error_description) if part)
            if not command.final:
                detail = f"no answer within {QUICK_ACTION_WAIT:g} s"
            self.message_user(request, format_html(
                '{}: {} <a href="{}">{}</a>{}', station.station_id, label,
                reverse("admin:stations_command_change", args=[command.pk]), command.get_status_display(),
                f" ({detail})" if detail else ""), _outcome_level(command))


class ConnectorCommandsAdmin(ConnectorAdmin):
    """The connector admin plus buttons that open the station's Send command page prefilled for this connector."""

    change_form_template = "admin/stations/connector/change_form_commands.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        connector = self.get_object(request, unquote(object_id))
        buttons = []
        if connector is not None and connector.station.ocpp_version and request.user.has_perm(SEND_PERMISSION):
            buttons = [(label, send_command_url(connector.station, *operation))
                       for label, operation in connector_commands(connector, connector.station.ocpp_version)]
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "command_buttons": buttons})


def _replace(model, model_admin) -> None:
    admin.site.unregister(model)
    admin.site.register(model, model_admin)


_replace(ChargingStation, StationCommandsAdmin)
_replace(Connector, ConnectorCommandsAdmin)
