"""/api/v1/webhooks/ and /api/v1/webhook-deliveries/."""

from rest_framework.routers import SimpleRouter

from webhooks.api import views

router = SimpleRouter()
router.register("webhooks", views.WebhookEndpointViewSet, basename="api-webhook")
router.register("webhook-deliveries", views.WebhookDeliveryViewSet, basename="api-webhook-delivery")

urlpatterns = router.urls
