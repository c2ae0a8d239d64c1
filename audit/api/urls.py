"""/api/v1/audit-entries/ (mounted by csms/urls.py)."""

from rest_framework.routers import SimpleRouter

from audit.api import views

router = SimpleRouter()
router.register("audit-entries", views.AuditEntryViewSet, basename="api-audit-entry")

urlpatterns = router.urls
