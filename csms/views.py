"""The dashboard: fleet figures, energy per day and the latest events; `?fragment=live` is its 5-second refresh."""

import datetime as dt

from django.shortcuts import render
from django.utils import timezone

from stations import selectors

ENERGY_DAYS = 30
EVENTS = 15


def dashboard(request):
    now = timezone.now()
    context = {"summary": selectors.dashboard_summary(now), "events": selectors.latest_events(EVENTS), "now": now}
    if request.GET.get("fragment") == "live":
        return render(request, "stations/_dashboard_live.html", {**context, "oob": True})
    today = timezone.localdate(now)
    days = selectors.energy_by_day(today - dt.timedelta(days=ENERGY_DAYS - 1), today)
    context["energy_chart"] = {"labels": [day.isoformat() for day, _ in days],
                               "kwh": [round(float(wh) / 1000, 3) for _, wh in days]}
    context["energy_total_kwh"] = sum(wh for _, wh in days) / 1000
    context["energy_days"] = ENERGY_DAYS
    return render(request, "dashboard.html", context)
