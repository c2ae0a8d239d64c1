"""The portal's audit log page: who did what, newest first, filtered by user, station and action, paged."""

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from audit import selectors
from csms.api.permissions import can_view

PAGE_SIZE = 50


def audit_log(request):
    if not can_view(request.user):  # a logged-in user without a role sees nothing, as in the API
        raise PermissionDenied("viewers and operators only")
    filters = {name: request.GET.get(name, "").strip() for name in ("actor", "station", "action")}
    page = Paginator(selectors.audit_entries(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/audit_log.html", {
        "page": page, "filters": filters, "actions": selectors.known_actions(),
        "query": urlencode({name: value for name, value in filters.items() if value})})
