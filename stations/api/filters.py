"""Query parameters of the stations API's lists (django-filter); a bad value is a 400 naming the parameter."""

from __future__ import annotations

import django_filters as filters

from stations import selectors
from stations.choices import CommandStatus, ConnectionEvent, ConnectorStatus
from stations.models import ChargingStation, Command, ConfigurationKey, ConnectionLog, Connector, DeviceVariable


class StationFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=[(s, s) for s in selectors.STATION_STATUSES], method="filter_status",
                                  help_text="As the portal's list: faulted also matches offline faulted stations.")
    online = filters.BooleanFilter()
    node = filters.CharFilter(method="filter_node", help_text="A node id; '-' for stations without a node.")
    ocpp_version = filters.CharFilter()
    vendor = filters.CharFilter()
    model = filters.CharFilter()
    registration = filters.CharFilter()
    enabled = filters.BooleanFilter()

    class Meta:
        model = ChargingStation
        fields = ["status", "online", "node", "ocpp_version", "vendor", "model", "registration", "enabled"]

    def filter_status(self, queryset, name, value):
        return _by_status(queryset, value)

    def filter_node(self, queryset, name, value):
        return queryset.filter(node=None) if value == "-" else queryset.filter(node__node_id=value)


def _by_status(queryset, value: str):
    """The selector's status conditions, on a queryset annotated by selectors.with_status."""
    return queryset.filter(selectors.STATUS_CONDITIONS[value])


class ConnectorFilter(filters.FilterSet):
    station = filters.CharFilter(field_name="station__station_id", help_text="A station id.")
    status = filters.ChoiceFilter(choices=ConnectorStatus.choices)

    class Meta:
        model = Connector
        fields = ["station", "status", "evse_id", "connector_id"]


class ConfigurationKeyFilter(filters.FilterSet):
    station = filters.CharFilter(field_name="station__station_id", help_text="A station id.")

    class Meta:
        model = ConfigurationKey
        fields = ["station", "key", "readonly", "unknown"]


class DeviceVariableFilter(filters.FilterSet):
    station = filters.CharFilter(field_name="station__station_id", help_text="A station id.")

    class Meta:
        model = DeviceVariable
        fields = ["station", "component", "variable", "evse_id", "attribute_type"]


class ConnectionLogFilter(filters.FilterSet):
    station = filters.CharFilter(field_name="station_ident", help_text="A station id, as presented.")
    event = filters.ChoiceFilter(choices=ConnectionEvent.choices)
    since = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte", help_text="At or after (ISO 8601).")
    until = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt", help_text="Before (ISO 8601).")

    class Meta:
        model = ConnectionLog
        fields = ["station", "event", "node_id", "since", "until"]


class CommandFilter(filters.FilterSet):
    station = filters.CharFilter(field_name="station__station_id", help_text="A station id.")
    status = filters.MultipleChoiceFilter(choices=CommandStatus.choices, help_text="Repeat for several.")
    since = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", help_text="Created at or after.")
    until = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="Created before.")

    class Meta:
        model = Command
        fields = ["station", "status", "action", "ocpp_version", "since", "until"]
