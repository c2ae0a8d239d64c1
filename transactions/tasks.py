"""Periodic jobs about charging sessions (scheduled in csms/celery.py)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from transactions.services import sessions

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
