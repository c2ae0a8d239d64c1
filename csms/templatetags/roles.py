"""Role checks for templates: `{% load roles %}{% if user|can_view %}` (the portal's menu)."""

from django import template

from csms.roles import can_operate

register = template.Library()
# Every role holds it (stations migration 0006); checked as a permission, it costs no query on a page whose
# context already loaded the user's permissions (csms.roles.context), where the group lookup of
# csms.api.permissions.can_view would cost one on every page.
VIEW_PERMISSION = "stations.view_chargingstation"


@register.filter
def can_view(user) -> bool:
    """Viewers, operators and superusers: who may read the pages that refuse users without a role (audit log)."""
    return can_operate(user) or bool(user.is_authenticated and user.is_active and user.has_perm(VIEW_PERMISSION))
