"""The audit log, read-only: viewers and operators read it (the default RolePermission), nobody writes it."""

from rest_framework import viewsets

from audit.api.filters import AuditEntryFilter
from audit.api.serializers import AuditEntrySerializer
from audit.models import AuditEntry
from csms.api.pagination import CursorPagination


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """Every recorded operator action, newest first (cursor pages); filter by actor, station, action, time."""

    queryset = AuditEntry.objects.select_related("command")
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    pagination_class = CursorPagination
    search_fields = []
    ordering_fields = []
