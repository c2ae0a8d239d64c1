"""/api/v1/ URLs of sessions, meter values, id tokens, reservations and charging profiles."""

from rest_framework.routers import SimpleRouter

from transactions.api import views

router = SimpleRouter()
router.register("transactions", views.TransactionViewSet, basename="api-transaction")
router.register(r"transactions/(?P<transaction_pk>[0-9]+)/meter-values", views.MeterValueViewSet,
                basename="api-transaction-meter-value")
router.register("id-tokens", views.IdTokenViewSet, basename="api-id-token")
router.register("reservations", views.ReservationViewSet, basename="api-reservation")
router.register("charging-profiles", views.ChargingProfileViewSet, basename="api-charging-profile")

urlpatterns = router.urls
