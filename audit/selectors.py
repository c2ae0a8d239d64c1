"""Reads of the audit log shared by the portal page and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from audit.models import AuditEntry


def audit_entries(*, actor: str = "", station: str = "", action: str = "") -> QuerySet[AuditEntry]:
    """Newest first, each with its command (for the command's current status); empty filters select all."""
    entries = AuditEntry.objects.select_related("command")
    if actor:
        entries = entries.filter(actor=actor)
    if station:
        entries = entries.filter(station_id=station)
    if action:
        entries = entries.filter(action=action)
    return entries.order_by("-at", "-id")


def known_actions() -> list[str]:
    return list(AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct())
