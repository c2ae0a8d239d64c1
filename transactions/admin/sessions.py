"""Admin for transactions, meter values and data-quality notes.

What stations reported is shown, never edited: the pages are read-only. The one write is the
"close" action for sessions a station never ended, which asks for a reason and records who closed it.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction as db_transaction
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from csms.admin_base import ImmutableAdmin
from transactions.choices import TransactionStatus
from transactions.models import DataQualityNote, MeterValue, Transaction, TransactionEventRecord
from transactions.services import sessions

INLINE_ROWS = 50  # a long session has thousands of readings: the page shows the latest, the link shows all


class LatestRows(BaseInlineFormSet):
    """Only the first INLINE_ROWS rows of the inline's ordering."""

    def get_queryset(self):
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset()[:INLINE_ROWS]
        return self._latest


class ReadOnlyInline(admin.TabularInline):
    formset = LatestRows
    extra = max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MeterValueInline(ReadOnlyInline):
    model = MeterValue
    verbose_name_plural = f"meter values (latest {INLINE_ROWS})"
    fields = ("timestamp", "measurand", "phase", "location", "context", "value", "unit", "raw_value", "received_at")
    readonly_fields = fields
    ordering = ("-timestamp", "-id")


class NoteInline(ReadOnlyInline):
    model = DataQualityNote
    verbose_name_plural = f"data-quality notes (latest {INLINE_ROWS})"
    fields = ("at", "kind", "detail", "message_id")
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = TransactionEventRecord
    verbose_name_plural = f"2.0.1 events (first {INLINE_ROWS})"
    fields = ("seq_no", "event_type", "trigger_reason", "timestamp", "offline", "received_at", "message_id")
    readonly_fields = fields


class CloseForm(forms.Form):
    reason = forms.CharField(max_length=200, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                             help_text="Why the session is closed by hand; kept on the session with your name.")


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = ("id", "station", "station_tx_id", "status", "id_token_value", "started_at", "ended_at",
                    "energy_kwh", "power_w", "stale", "orphan")
    list_filter = ("status", "stale", "orphan", "ocpp_version", ("station", admin.RelatedOnlyFieldListFilter))
    search_fields = ("station__station_id", "id_token_value", "station_tx_id")
    list_select_related = ("station",)
    date_hierarchy = "started_at"
    actions = ["close_selected"]
    inlines = [NoteInline, EventInline, MeterValueInline]
    readonly_fields = ("energy_kwh", "all_meter_values")
    fieldsets = (
        (None, {"fields": ("station", "ocpp_version", "station_tx_id", "evse_id", "connector_id", "status",
                           "orphan", "stale")}),
        ("Who", {"fields": ("id_token", "id_token_value", "id_token_type", "auth_status", "stop_id_token_value",
                            "reservation_id", "remote_start_id")}),
        ("When (station's clock)", {"fields": ("started_at", "ended_at", "stop_reason", "charging_state",
                                               "trigger_reason")}),
        ("Energy", {"fields": ("energy_kwh", "energy_wh", "meter_start_wh", "meter_stop_wh", "first_register_wh",
                               "first_register_at", "last_register_wh", "last_register_at", "power_w", "power_at",
                               "all_meter_values")}),
        ("Messages", {"fields": ("last_seq_no", "offline_events", "last_message_at", "closed_by", "close_note",
                                 "created_at", "updated_at")}),
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The page of one session is read-only; the change permission is what the close action needs.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="energy (kWh)", ordering="energy_wh")
    def energy_kwh(self, obj):
        return None if obj.energy_wh is None else f"{obj.energy_wh / 1000:.3f}"

    @admin.display(description="meter values")
    def all_meter_values(self, obj):
        url = reverse("admin:transactions_metervalue_changelist") + f"?transaction__id__exact={obj.pk}"
        return format_html('<a href="{}">all meter values of this session</a>', url)

    @admin.action(description="Close selected transactions the station never ended…", permissions=["change"])
    def close_selected(self, request, queryset):
        active = queryset.filter(status=TransactionStatus.ACTIVE).select_related("station")
        form = CloseForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            closed = 0
            for pk in active.values_list("pk", flat=True):
                with db_transaction.atomic():
                    closed += sessions.close_transaction(transaction_id=pk, by=request.user.get_username(),
                                                         reason=form.cleaned_data["reason"],
                                                         at=timezone.now()) is not None
            self.message_user(request, f"{closed} transaction(s) closed.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request), "title": "Close transactions", "opts": self.model._meta,
            "form": form, "transactions": active, "skipped": queryset.count() - active.count(),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME), "action": "close_selected",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/transactions/transaction/close_selected.html", context)


@admin.register(MeterValue)
class MeterValueAdmin(ImmutableAdmin):
    list_display = ("timestamp", "station", "transaction", "evse_id", "connector_id", "measurand", "phase", "value",
                    "unit", "context", "location")
    list_filter = ("measurand", "context", "location")
    search_fields = ("station__station_id", "transaction__station_tx_id")
    list_select_related = ("station", "transaction__station")
    show_full_result_count = False  # the biggest table: no second COUNT(*) per page


@admin.register(DataQualityNote)
class DataQualityNoteAdmin(ImmutableAdmin):
    list_display = ("at", "station", "transaction", "kind", "detail")
    list_filter = ("kind",)
    search_fields = ("station__station_id", "transaction__station_tx_id", "detail")
    list_select_related = ("station", "transaction__station")
    date_hierarchy = "at"
