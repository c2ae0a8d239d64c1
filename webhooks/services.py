"""Webhooks: store an event once per subscribed endpoint, send it signed after commit, retry with backoff.

`emit(event, payload)` runs inside the caller's transaction: the deliveries are rows of that
transaction, and sending starts only once it commits (nothing is announced that was not stored).
Distributed, each delivery is a Celery task (webhooks.deliver, retried with self.retry); embedded
(no broker, no worker) a short-lived thread sends them. Either way the periodic job
`webhooks.retry_due_deliveries` sends whatever is due, so a retry survives a lost task or a restart.
An attempt first claims its delivery with a conditional UPDATE (healthchecks' sendalerts pattern),
so the task, the thread and the periodic job never send one delivery twice at once.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from csms import batchscope
from webhooks.choices import DeliveryStatus, Event
from webhooks.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

RETRY_DELAYS = (10, 30, 120, 600, 3600)  # seconds before retry 1..5: six attempts in all over about 75 minutes
TIMEOUT = 5.0  # seconds per attempt: a slow receiver must not hold a worker
LEASE = timedelta(seconds=TIMEOUT + 25)  # a claimed delivery whose sender died is due again after this
SWEEP_BUDGET = 30.0  # seconds one run of the periodic job may spend sending
RESPONSE_READ = 1024  # bytes of a receiver's answer read (and dropped)
SIGNATURE_HEADER = "X-CSMS-Signature"
Payload = dict[str, Any] | Callable[[], dict[str, Any]]


def sign(secret: str, body: bytes) -> str:
    """The X-CSMS-Signature value: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the secret>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def emit(event: Event, payload: Payload) -> list[int]:
    """Store a delivery per active endpoint subscribed to `event`, and start sending them after commit.

    `payload` may be a function, called only when some endpoint subscribes (no endpoint: one query).
    Returns the new deliveries' ids.
    """
    active = batchscope.memo("webhooks.active", lambda: list(
        WebhookEndpoint.objects.filter(active=True).values_list("pk", "events")))  # once per batch of messages
    endpoint_ids = [pk for pk, events in active if isinstance(events, list) and event in events]
    if not endpoint_ids:
        return []
    data = payload() if callable(payload) else payload
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint_id=pk, event=event, payload=data, next_attempt_at=now) for pk in endpoint_ids])
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: dispatch(ids), robust=True)  # a broker hiccup must not fail the message
    return ids


def dispatch(delivery_ids: list[int]) -> None:
    """Start sending now: a Celery task each where a worker runs, else a thread in this process."""
    if settings.BROKER_URL:
        from csms.celery import app

        for pk in delivery_ids:
            app.send_task("webhooks.deliver", args=[pk])
    else:
        threading.Thread(target=_send_in_thread, args=(delivery_ids,), name="webhooks", daemon=True).start()


def _send_in_thread(delivery_ids: list[int]) -> None:
    try:
        for pk in delivery_ids:
            attempt_delivery(delivery_id=pk)
    except Exception:  # the periodic job retries what is left
        log.exception("webhook deliveries %s", delivery_ids)
    finally:
        connection.close()  # this thread's own connection


def body_of(delivery: WebhookDelivery) -> bytes:
    """The POST body: the delivery id, the event, when it happened and its data, as compact JSON."""
    envelope = {"id": delivery.pk, "event": delivery.event, "created_at": delivery.created_at.isoformat(),
                "data": delivery.payload}
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def attempt_delivery(*, delivery_id: int, now: datetime | None = None) -> WebhookDelivery | None:
    """POST one pending delivery that is due; returns it as updated, or None when it was not due or not pending.

    Call outside a transaction: the claim commits at once and no lock is held during the request.
    """
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING,
                                             next_attempt_at__lte=now).update(next_attempt_at=now + LEASE)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.active:
        return _record(delivery, now=now, status_code=None, error="endpoint deactivated", ms=0, final=True)
    body = body_of(delivery)
    headers = {"Content-Type": "application/json", "User-Agent": "csms-webhooks/1",
               "X-CSMS-Event": delivery.event, "X-CSMS-Delivery": str(delivery.pk),
               SIGNATURE_HEADER: sign(endpoint.secret, body)}
    status_code, error, ms = _post(endpoint.url, body, headers)
    return _record(delivery, now=now, status_code=status_code, error=error, ms=ms)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is an answer, not a new address to POST the signed body to


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, int]:
    """(HTTP status or None, error text ('' for a 2xx), milliseconds)."""
    started = time.monotonic()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            response.read(RESPONSE_READ)
            code, error = response.status, ""
    except urllib.error.HTTPError as exc:
        code, error = exc.code, f"HTTP {exc.code} {exc.reason}"
    except (OSError, http.client.HTTPException, ValueError) as exc:  # refused, DNS, timeout, bad URL
        code, error = None, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    ms = int((time.monotonic() - started) * 1000)
    if code is not None and not 200 <= code < 300 and not error:
        error = f"HTTP {code}"
    return code, error, ms


def _record(delivery: WebhookDelivery, *, now: datetime, status_code: int | None, error: str, ms: int,
            final: bool = False) -> WebhookDelivery:
    delivery.attempts += 1
    delivery.attempt_log = [*delivery.attempt_log, {"at": now.isoformat(), "status_code": status_code,
                                                    "error": error[:500], "ms": ms}]
    delivery.last_status_code, delivery.last_error = status_code, error[:500]
    if not error:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
    elif final or delivery.attempts > len(RETRY_DELAYS):
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        delivery.next_attempt_at = now + timedelta(seconds=RETRY_DELAYS[delivery.attempts - 1])
    delivery.save(update_fields=["attempts", "attempt_log", "last_status_code", "last_error", "status",
                                 "delivered_at", "next_attempt_at"])
    if error:
        log.warning("webhook %s #%d to %s: attempt %d failed: %s", delivery.event, delivery.pk, delivery.endpoint.url,
                    delivery.attempts, error)
    return delivery


def retry_due_deliveries(*, now: datetime | None = None, budget: float = SWEEP_BUDGET) -> int:
    """Attempt every pending delivery that is due (oldest first) for at most `budget` seconds; returns attempts."""
    now = now or timezone.now()
    deadline = time.monotonic() + budget
    due = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id").values_list("pk", flat=True)
    attempted = 0
    for pk in list(due[:500]):
        if time.monotonic() >= deadline:
            break
        attempted += attempt_delivery(delivery_id=pk, now=now) is not None
    return attempted
