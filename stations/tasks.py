"""Periodic jobs about stations (scheduled in csms/celery.py)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from stations import services
from stations.services import message_log

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


@shared_task(name="stations.expire_commands", ignore_result=True, time_limit=60)
def expire_commands() -> dict[str, int]:
    # A node that dies with a command in flight never reports: such commands time out here.
    with transaction.atomic(durable=True):
        counts = services.expire_commands(now=timezone.now(),
                                          answer_timeout=timedelta(seconds=3 * settings.OCPP_CALL_TIMEOUT))
    if any(counts.values()):
        log.info("commands: %(expired)d expired in the queue, %(timed_out)d timed out without a report", counts)
    return counts


PRUNE_BATCH = 5000  # rows per DELETE: each batch is its own short transaction
PRUNE_MAX_BATCHES = 200  # per run, so one run stays bounded; the next run takes the rest


@shared_task(name="stations.prune_message_log", ignore_result=True, time_limit=600)
def prune_message_log() -> int:
    before = timezone.now() - timedelta(days=settings.OCPP_LOG_RETENTION_DAYS)
    deleted = 0
    for _ in range(PRUNE_MAX_BATCHES):
        with transaction.atomic(durable=True):
            batch = message_log.prune_messages(before=before, batch_size=PRUNE_BATCH)
        deleted += batch
        if batch < PRUNE_BATCH:
            break
    if deleted:
        log.info("message log: %d messages older than %d days deleted", deleted, settings.OCPP_LOG_RETENTION_DAYS)
    return deleted
