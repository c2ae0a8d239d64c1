"""The Celery app of central's worker and beat; nodes use it only to publish envelopes.

Queues: `csms.central` is a quorum queue whose delivery limit bounds
redeliveries (a message that kills workers again and again is dead-lettered to
`csms.dead` for an operator, not looped forever). Every periodic job is declared
here, with the reason it exists.
"""

import os

from celery import Celery, signals
from django.conf import settings
from django.db import close_old_connections
from kombu import Exchange, Queue

from csms import heap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csms.settings")

DEAD_LETTERS = Exchange("csms.dead", type="fanout", durable=True)
DEAD_QUEUE = Queue("csms.dead", DEAD_LETTERS, durable=True)  # kept for an operator to inspect

app = Celery("csms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (
    # topic, not direct: Celery's native delayed delivery on quorum queues needs it.
    Queue(settings.CENTRAL_QUEUE, Exchange(settings.CENTRAL_QUEUE, type="topic", durable=True),
          routing_key=settings.CENTRAL_QUEUE, durable=True,
          queue_arguments={"x-queue-type": "quorum", "x-delivery-limit": settings.BUS_REDELIVERY_LIMIT,
                           "x-dead-letter-exchange": DEAD_LETTERS.name}),
)
app.conf.beat_schedule = {
    # A crashed node cannot say goodbye: its stations must not stay "online" forever.
    "mark-silent-nodes-offline": {
        "task": "stations.mark_silent_nodes_offline",
        "schedule": max(1.0, settings.NODE_SILENT_AFTER / 4),
    },
    # Queued commands must expire on time, and a command whose node died must not stay "sent" forever.
    "expire-commands": {
        "task": "stations.expire_commands",
        "schedule": 5.0,
    },
    # An expired reservation must free its connector for other drivers in the operator's view.
    "expire-reservations": {
        "task": "transactions.expire_reservations",
        "schedule": 60.0,
    },
    # A session whose station went silent (or never sent its stop) must not look active forever unnoticed;
    # checked four times per threshold, between once a minute and once an hour.
    "flag-stale-transactions": {
        "task": "transactions.flag_stale_transactions",
        "schedule": min(3600.0, max(60.0, settings.TRANSACTION_STALE_AFTER / 4)),
    },
    # The OCPP message log gains a row per message: rows past OCPP_LOG_RETENTION_DAYS go, in bounded batches.
    "prune-message-log": {
        "task": "stations.prune_message_log",
        "schedule": 3600.0,
    },
    # A webhook whose receiver failed is retried with backoff even if its Celery retry was lost, and in the
    # embedded mode (no worker) this is the only retry; every 10 s, the shortest backoff step.
    "retry-webhook-deliveries": {
        "task": "webhooks.retry_due_deliveries",
        "schedule": 10.0,
    },
}
app.autodiscover_tasks(["csms", "stations", "transactions", "webhooks"])


@signals.task_prerun.connect
@signals.task_postrun.connect
def recycle_database_connections(task=None, **kwargs) -> None:
    """Keep a connection across tasks (CELERY_DB_REUSE_MAX), but never one that failed (a PostgreSQL restart)
    or has outlived CONN_MAX_AGE: the check Django runs around each request. An eager run belongs to its
    caller's connection and transaction (a test, an embedded-mode call): closing it there would end them."""
    if task is not None and task.request.is_eager:
        return
    close_old_connections()


@signals.worker_process_init.connect  # a prefork child, after the fork
@signals.worker_ready.connect  # the process that runs tasks under the solo and threads pools
def settle_heap(**kwargs) -> None:
    heap.settle()


@signals.worker_ready.connect
def declare_dead_letters(sender=None, **kwargs) -> None:
    """Messages over the delivery limit must land somewhere, not vanish."""
    with app.connection_for_write() as conn:
        DEAD_QUEUE(conn.default_channel).declare()
