"""Webhook sending (webhooks.deliver per delivery) and its periodic retry job (scheduled in csms/celery.py)."""

import logging

from celery import shared_task

from webhooks import services
from webhooks.choices import DeliveryStatus

log = logging.getLogger(__name__)


@shared_task(name="webhooks.deliver", bind=True, ignore_result=True, max_retries=None,
             time_limit=int(services.TIMEOUT) + 30)
def deliver(self, delivery_id: int) -> None:
    """One attempt; a failure schedules the next after its backoff delay. The delivery counts attempts (the
    periodic job makes some too), so Celery's own retry count sets no limit."""
    delivery = services.attempt_delivery(delivery_id=delivery_id)
    if delivery is not None and delivery.status == DeliveryStatus.PENDING:
        raise self.retry(countdown=services.RETRY_DELAYS[delivery.attempts - 1])


@shared_task(name="webhooks.retry_due_deliveries", ignore_result=True, time_limit=int(services.SWEEP_BUDGET) + 30)
def retry_due_deliveries() -> int:
    attempted = services.retry_due_deliveries()
    if attempted:
        log.info("webhooks: %d due deliveries attempted", attempted)
    return attempted
