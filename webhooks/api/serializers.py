"""Webhook endpoints (operators manage, viewers read; the secret is never shown again after create) and
deliveries (read)."""

from __future__ import annotations

from rest_framework import serializers

from csms.api.serializers import ModelSerializer, StrictModelSerializer
from webhooks.choices import Event
from webhooks.models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(StrictModelSerializer):
    url = serializers.URLField(max_length=500, help_text="http(s) URL that receives a signed POST per event.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices), min_length=1,
                                   help_text="Events to receive.")
    secret = serializers.CharField(write_only=True, required=False, min_length=16, max_length=128,
                                   help_text="HMAC key (16..128 characters); left out on create: generated and "
                                             "returned once, in the create answer.")
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "secret", "description", "active", "created_by", "created_at",
                  "updated_at"]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]

    def validate_url(self, url: str) -> str:
        if not url.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("an http:// or https:// URL")
        return url

    def validate_events(self, events: list[str]) -> list[str]:
        return sorted(set(events))


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The create answer: the only time the secret is shown."""

    secret = serializers.CharField(read_only=True)


class WebhookDeliverySerializer(ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "endpoint", "event", "payload", "status", "attempts", "last_status_code", "last_error",
                  "attempt_log", "next_attempt_at", "delivered_at", "created_at"]
        read_only_fields = fields
