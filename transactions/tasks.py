"""Periodic jobs about charging sessions (scheduled in csms/celery.py)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from transactions.services import reservations, sessions

log = logging.getLogger(__name__)


@shared_task(name="transactions.flag_stale_transactions", ignore_result=True, time_limit=300)
def flag_stale_transactions() -> int:
    with transaction.atomic(durable=True):
        flagged = sessions.flag_stale_transactions(now=timezone.now(),
                                                   silent_for=timedelta(seconds=settings.TRANSACTION_STALE_AFTER))
    if flagged:
        log.warning("%d active transactions silent for over %ss flagged stale: %s", len(flagged),
                    settings.TRANSACTION_STALE_AFTER, ", ".join(str(t) for t in flagged[:20]))
    return len(flagged)


@shared_task(name="transactions.expire_reservations", ignore_result=True, time_limit=60)
def expire_reservations() -> int:
    with transaction.atomic(durable=True):
        expired = reservations.expire_reservations(now=timezone.now())
    if expired:
        log.info("%d reservations expired", expired)
    return expired
