"""Admin for what session commands left behind: reservations, charging profiles, local list versions.

Rows follow from stations' answers, so the pages are read-only; commands are issued elsewhere.
"""

from django.contrib import admin

from csms.admin_base import ReadOnlyAdmin as BaseReadOnlyAdmin
from transactions.models import ChargingProfile, LocalListVersion, Reservation


class ReadOnlyAdmin(BaseReadOnlyAdmin):
    list_select_related = ["station"]
    list_per_page = 100


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["reservation_id", "station", "evse_id", "id_token_value", "status", "expires_at", "transaction",
                    "updated_at"]
    list_filter = ["status", "expires_at"]
    search_fields = ["station__station_id", "id_token_value", "group_id_token_value", "=reservation_id"]
    date_hierarchy = "expires_at"
    raw_id_fields = ["station", "command", "transaction"]


@admin.register(ChargingProfile)
class ChargingProfileAdmin(ReadOnlyAdmin):
    list_display = ["profile_id", "station", "evse_id", "purpose", "stack_level", "kind", "status", "valid_to",
                    "updated_at"]
    list_filter = ["status", "purpose", "kind"]
    search_fields = ["station__station_id", "=profile_id"]
    raw_id_fields = ["station", "command", "transaction"]


@admin.register(LocalListVersion)
class LocalListVersionAdmin(ReadOnlyAdmin):
    list_display = ["station", "version", "count", "reported_version", "reported_at", "updated_at"]
    search_fields = ["station__station_id"]
    exclude = ["tokens"]
    readonly_fields = ["token_values"]
    raw_id_fields = ["station", "command"]

    @admin.display(description="tokens held")
    def token_values(self, obj):
        return ", ".join(sorted(obj.tokens)) or "-"
