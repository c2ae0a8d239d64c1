import django_filters as filters

from audit.choices import Via
from audit.models import AuditEntry


class AuditEntryFilter(filters.FilterSet):
    actor = filters.CharFilter(help_text="User name (or OS user of a management command).")
    station = filters.CharFilter(field_name="station_id")
    action = filters.CharFilter(help_text="Service or admin action, e.g. issue_command, provision_token.")
    via = filters.ChoiceFilter(choices=Via.choices)
    ok = filters.BooleanFilter()
    since = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields = ["actor", "station", "action", "via", "ok", "since", "until"]
