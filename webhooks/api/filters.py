import django_filters as filters

from webhooks.choices import DeliveryStatus, Event
from webhooks.models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointFilter(filters.FilterSet):
    active = filters.BooleanFilter()

    class Meta:
        model = WebhookEndpoint
        fields = ["active"]


class WebhookDeliveryFilter(filters.FilterSet):
    endpoint = filters.NumberFilter(field_name="endpoint_id")
    event = filters.ChoiceFilter(choices=Event.choices)
    status = filters.ChoiceFilter(choices=DeliveryStatus.choices)
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint", "event", "status", "created_after", "created_before"]
