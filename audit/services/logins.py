"""Login throttling: after LOGIN_FAILURE_LIMIT failed logins within LOGIN_FAILURE_WINDOW seconds for one user
name, or from one address, further attempts are refused unchecked until LOGIN_LOCKOUT seconds after the last
failure. Counted in the database, so every web process of central sees the same counts.

A refused attempt is not counted (a lock lifts on time, whatever a guesser keeps sending); after it lifts,
each new failure within the window locks again at once. A successful login clears its user name's failures.
User names are counted without regard to case, so "Admin" and "admin" share one count.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from audit.models import LoginFailure

log = logging.getLogger(__name__)


def refusal(*, username: str, ip: str | None, now: datetime | None = None) -> str | None:
    """The message refusing a login attempt now, or None when it may be checked."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    lockout = timedelta(seconds=settings.LOGIN_LOCKOUT)
    counts = [LoginFailure.objects.filter(username=username.lower(), at__gte=since)]
    if ip:
        counts.append(LoginFailure.objects.filter(ip=ip, at__gte=since))
    for failures in counts:
        seen = failures.aggregate(n=Count("id"), last=Max("at"))
        if seen["n"] >= settings.LOGIN_FAILURE_LIMIT and seen["last"] + lockout > now:
            minutes = max(1, math.ceil((seen["last"] + lockout - now).total_seconds() / 60))
            return (f"Too many failed logins for this user name or from this address. "
                    f"Try again in {minutes} minute{'s' if minutes > 1 else ''}.")
    return None


def record_failure(*, username: str, ip: str | None, now: datetime | None = None) -> None:
    now = now or timezone.now()
    username = username.lower()[:150]
    LoginFailure.objects.create(username=username, ip=ip, at=now)
    # Rows past any window or lock are of no use: dropped here, per name and address (indexed), not by a job.
    horizon = now - timedelta(seconds=max(settings.LOGIN_FAILURE_WINDOW, settings.LOGIN_LOCKOUT))
    LoginFailure.objects.filter(username=username, at__lt=horizon).delete()
    if ip:
        LoginFailure.objects.filter(ip=ip, at__lt=horizon).delete()
    log.warning("failed login for %r from %s", username, ip or "?")


def record_success(*, username: str) -> None:
    LoginFailure.objects.filter(username=username.lower()).delete()
