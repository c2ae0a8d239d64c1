"""The integrator API, versioned: /api/v1/... (included by csms/urls.py as `path("api/", ...)`).

Each app adds its endpoints in <app>/api/urls.py (a DRF router; URL names "api-<thing>-list/-detail").
Every view here is exempt from the portal's login middleware (csms.api.auth): DRF authenticates.
"""

from importlib import import_module

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from csms.api.auth import exempt_from_login
from csms.api.errors import not_found


def _app_urls(module: str) -> list:
    """An app's API URLs, if the app has an API yet."""
    try:
        return import_module(module).urlpatterns
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            return []
        raise


v1 = [
    *_app_urls("stations.api.urls"),
    *_app_urls("transactions.api.urls"),
    *_app_urls("webhooks.api.urls"),
    # The schema and its docs page are public: they describe the API, not its data.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
         name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[AllowAny],
                                                 authentication_classes=[]), name="api-docs"),
]

urlpatterns = exempt_from_login([
    path("v1/", include(v1)),
    re_path(r"^", not_found),  # anything else under /api/: a JSON 404
])
