"""Admin for id tokens: the list a CPO works in, with the same rules as add_idtoken / import_idtokens."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import ngettext

from audit import services as audit
from csms.exceptions import InvalidValue
from transactions.choices import TokenStatus, TokenType, TransactionStatus
from transactions.models import IdToken
from transactions.services.token_provisioning import validate_parent, validate_value
from transactions.services.tokens import find_token


class ExpiryFilter(admin.SimpleListFilter):
    title = "expiry"
    parameter_name = "expiry"

    def lookups(self, request, model_admin):
        return [("none", "No expiry"), ("future", "Expires later"), ("expired", "Expired")]

    def queryset(self, request, queryset):
        now = timezone.now()
        return {
            "none": lambda: queryset.filter(expiry__isnull=True),
            "future": lambda: queryset.filter(expiry__gt=now),
            "expired": lambda: queryset.filter(expiry__lte=now),
        }.get(self.value(), lambda: queryset)()


class IdTokenForm(forms.ModelForm):
    class Meta:
        model = IdToken
        fields = "__all__"
        help_texts = {"max_concurrent": "Authorize answers ConcurrentTx once this many sessions are active; "
                                        "empty or 0 = no limit."}

    def clean_value(self):
        value = self.cleaned_data["value"]
        _check(validate_value, value)
        same = find_token(value)
        if same is not None and same.pk != self.instance.pk:
            raise forms.ValidationError(f"{same.value} already exists; tokens match without regard to case.")
        return value

    def clean_type(self):
        if self.cleaned_data["type"] == TokenType.NO_AUTHORIZATION:
            raise forms.ValidationError("NoAuthorization tokens are accepted without lookup; nothing to store.")
        return self.cleaned_data["type"]

    def clean_max_concurrent(self):
        return self.cleaned_data["max_concurrent"] or None  # 0 means no limit, as in add_idtoken

    def clean(self):
        cleaned = super().clean()
        parent = cleaned.get("parent")
        if parent is not None and "value" in cleaned:
            probe = IdToken(pk=self.instance.pk, value=cleaned["value"])
            try:
                validate_parent(probe, parent)
            except InvalidValue as exc:
                self.add_error("parent", str(exc))
        return cleaned


def _check(validator, value):
    try:
        validator(value)
    except InvalidValue as exc:
        raise forms.ValidationError(str(exc)) from exc


@admin.register(IdToken)
class IdTokenAdmin(admin.ModelAdmin):
    form = IdTokenForm
    list_display = ("value", "type", "status", "expiry", "owner", "parent", "max_concurrent", "active_sessions")
    list_filter = ("status", "type", ExpiryFilter)
    search_fields = ("value", "owner")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)
    ordering = ("value",)  # Meta.ordering does not survive the GROUP BY of the active-session count
    readonly_fields = ("created_at", "updated_at")
    fields = ("value", "type", "status", "expiry", "parent", "owner", "max_concurrent", "created_at", "updated_at")
    actions = ["block", "unblock"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            active_count=Count("transactions", filter=Q(transactions__status=TransactionStatus.ACTIVE)))

    @admin.display(description="active sessions", ordering="active_count")
    def active_sessions(self, obj):
        return obj.active_count

    @admin.action(description="Block selected tokens (answered Blocked, and so are their group's members)")
    def block(self, request, queryset):
        self._set_status(request, queryset, TokenStatus.BLOCKED)

    @admin.action(description="Unblock selected tokens (set to Accepted)")
    def unblock(self, request, queryset):
        self._set_status(request, queryset, TokenStatus.ACCEPTED)

    def _set_status(self, request, queryset, status):
        changed = queryset.exclude(status=status).update(status=status, updated_at=timezone.now())
        audit.record_each(action="admin_set_token_status", target_type="id_token", params={"status": status},
                          targets=list(queryset.values_list("value", flat=True)))
        self.message_user(request, ngettext("%d token set to %s.", "%d tokens set to %s.", changed) % (
            changed, status.label), messages.SUCCESS)
