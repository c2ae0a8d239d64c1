"""/api/v1/ endpoints of the stations app (mounted by csms/api/urls.py)."""

from rest_framework.routers import SimpleRouter

from stations.api import views

router = SimpleRouter()
router.register("stations", views.StationViewSet, basename="api-station")
router.register("connectors", views.ConnectorViewSet, basename="api-connector")
router.register("nodes", views.NodeViewSet, basename="api-node")
router.register("configuration-keys", views.ConfigurationKeyViewSet, basename="api-configuration-key")
router.register("device-variables", views.DeviceVariableViewSet, basename="api-device-variable")
router.register("connection-log", views.ConnectionLogViewSet, basename="api-connection-log")
router.register("commands", views.CommandViewSet, basename="api-command")

urlpatterns = router.urls
