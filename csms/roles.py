"""Portal roles: viewers see, operators also act. Superusers are operators; users are managed in the admin.

A role is a Django group (created by a migration in stations: "viewer", "operator"). Acting means sending
commands, editing tokens, admitting stations: the `stations.add_command` permission, which the operator
group holds, decides, so the admin and the portal agree on who may act.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied

VIEWER, OPERATOR = "viewer", "operator"
ACT_PERMISSION = "stations.add_command"


def can_operate(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(ACT_PERMISSION))


def operator_required(view):
    """Views that change something: 403 for viewers (the login itself is enforced by middleware)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_operate(request.user):
            raise PermissionDenied("operators only")
        return view(request, *args, **kwargs)

    return wrapped


def context(request) -> dict:
    """Template context: `can_operate` decides whether buttons that act are shown."""
    user = getattr(request, "user", None)
    return {"can_operate": can_operate(user) if user is not None else False}
