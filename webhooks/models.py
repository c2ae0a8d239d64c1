"""Integrators' webhook endpoints and every delivery made to them. Central only."""

import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from webhooks.choices import DeliveryStatus


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A URL that receives the events it subscribed to, signed with its secret."""

    url = models.URLField(max_length=500, help_text="http(s) URL that receives a POST per event.")
    events = models.JSONField(default=list, help_text="Event names, e.g. [\"session.started\", \"station.offline\"].")
    secret = models.CharField(max_length=128, default=new_secret,
                              help_text="Key of the X-CSMS-Signature HMAC-SHA256 of each body.")
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True, help_text="Inactive: no new deliveries, pending ones fail.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: its body, and each attempt to POST it (`attempt_log`)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, db_index=True)
    payload = models.JSONField(encoder=DjangoJSONEncoder, help_text="The event's data, as sent in the body.")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True, help_text="HTTP status of the last attempt.")
    last_error = models.CharField(max_length=500, blank=True)
    attempt_log = models.JSONField(default=list, help_text="One entry per attempt: at, status_code, error, ms.")
    next_attempt_at = models.DateTimeField(null=True, blank=True,
                                           help_text="When the next attempt is due; empty once delivered or failed.")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} -> {self.endpoint_id} ({self.status})"
