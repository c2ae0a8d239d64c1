"""Refused connection attempts, grouped by the station id presented; operators admit unknown stations in one click.

Admitting provisions the station with defaults (accepted, enabled, no password): its next connect is let in.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db.models import Count, Max, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from csms.exceptions import InvalidValue
from csms.roles import operator_required
from stations.choices import ConnectionEvent, RefusalReason
from stations.models import ChargingStation, ConnectionLog
from stations.services import StationSpec, provision_station

REFUSED_DAYS = 7
REFUSED_GROUPS = 200


@require_GET
def refused_list(request: HttpRequest) -> HttpResponse:
    since = timezone.now() - timedelta(days=REFUSED_DAYS)
    refused = ConnectionLog.objects.filter(event=ConnectionEvent.REFUSED, at__gte=since)
    latest = refused.filter(station_ident=OuterRef("station_ident")).order_by("-at", "-id")
    groups = list(refused.values("station_ident")
                  .annotate(count=Count("id"), last_at=Max("at"),
                            reason=Subquery(latest.values("reason")[:1]),
                            remote_addr=Subquery(latest.values("remote_addr")[:1]))
                  .order_by("-last_at")[:REFUSED_GROUPS])
    known = set(ChargingStation.objects.filter(station_id__in=[g["station_ident"] for g in groups])
                .values_list("station_id", flat=True))
    reasons = dict(RefusalReason.choices)
    for group in groups:
        group["known"] = group["station_ident"] in known
        group["reason_text"] = reasons.get(group["reason"], group["reason"])
    return render(request, "stations/refused.html", {"groups": groups, "days": REFUSED_DAYS,
                                                     "limit": REFUSED_GROUPS})


@require_POST
@operator_required
def admit(request: HttpRequest) -> HttpResponse:
    station_id = request.POST.get("station_id", "").strip()
    try:
        station, outcome = provision_station(StationSpec(station_id=station_id))
    except InvalidValue as exc:
        messages.error(request, f"{station_id!r} not admitted: {exc}")
    else:
        if outcome == "created":
            messages.success(request, f"Station {station.station_id} admitted: it can connect now (accepted, no "
                                      "password; set one in the admin for security profile 1).")
        else:
            messages.info(request, f"Station {station.station_id} was already known; nothing changed.")
    return redirect("refused_list")
