"""Webhook endpoints (viewers read, operators manage) and the log of their deliveries (read)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.response import Response

from webhooks.api import filters
from webhooks.api.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
)
from webhooks.models import WebhookDelivery, WebhookEndpoint


@extend_schema_view(create=extend_schema(responses={201: WebhookEndpointCreatedSerializer}))
class WebhookEndpointViewSet(viewsets.ModelViewSet):
    """Where events go. Each POST carries `X-CSMS-Event`, `X-CSMS-Delivery` and `X-CSMS-Signature:
    sha256=<hex HMAC-SHA256 of the body keyed with the secret>`; a non-2xx answer is retried with backoff."""

    queryset = WebhookEndpoint.objects.select_related("created_by")
    serializer_class = WebhookEndpointSerializer
    filterset_class = filters.WebhookEndpointFilter
    ordering_fields = ["id", "created_at", "url"]

    def create(self, request, *args, **kwargs):
        body = WebhookEndpointSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        endpoint = body.save(created_by=request.user)
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Every delivery and its attempts, newest first; filter by endpoint, event, status, time."""

    queryset = WebhookDelivery.objects.all()
    serializer_class = WebhookDeliverySerializer
    filterset_class = filters.WebhookDeliveryFilter
    ordering_fields = ["created_at", "id", "next_attempt_at"]
