"""Who may do what through the API: the portal's roles (csms/roles.py).

Reading needs the viewer or operator role (or superuser); changing anything needs `can_operate`
(the `stations.add_command` permission the operator group holds), as in the portal.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from csms.roles import OPERATOR, VIEWER, can_operate


def can_view(user) -> bool:
    """A viewer, an operator or a superuser; the group lookup is cached on the user for the request."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    if not hasattr(user, "_api_can_view"):
        user._api_can_view = user.groups.filter(name__in=[VIEWER, OPERATOR]).exists() or can_operate(user)
    return user._api_can_view


class RolePermission(BasePermission):
    """Safe methods: can_view. Any other method: can_operate. Anonymous: 401 (from the authenticators)."""

    message = "Your role does not allow this: reading needs the viewer role, changing needs the operator role."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return can_view(request.user)
        return can_view(request.user) and can_operate(request.user)


class OperatorOnly(RolePermission):
    """Every method needs can_operate (for reads that reveal what only operators see)."""

    def has_permission(self, request, view) -> bool:
        return can_operate(request.user)
