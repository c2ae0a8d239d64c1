"""Admin bases shared by the apps' record pages."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the services (what stations said or did, what answers left behind): looked at and,
    where stale, deleted, but never added or edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ImmutableAdmin(ReadOnlyAdmin):
    """Records that must stay as written (meter readings, the audit log): not even deleted here."""

    def has_delete_permission(self, request, obj=None):
        return False
