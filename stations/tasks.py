"""Periodic jobs about stations (scheduled in csms/celery.py)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from stations import services

log = logging.getLogger(__name__)


@shared_task(name="stations.mark_silent_nodes_offline", ignore_result=True, time_limit=60)
def mark_silent_nodes_offline() -> dict[str, int]:
    with transaction.atomic(durable=True):
        marked = services.mark_silent_nodes_offline(now=timezone.now(),
                                                    silent_for=timedelta(seconds=settings.NODE_SILENT_AFTER))
    for node_id, count in marked.items():
        log.warning("node %s silent for over %ss: %d stations marked offline", node_id, settings.NODE_SILENT_AFTER,
                    count)
    return marked
