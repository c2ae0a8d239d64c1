"""GET /health for load balancers and orchestrators: 200 when the database answers, 503 when not.

A middleware placed first, so a health probe is answered whatever Host header it
sends (ALLOWED_HOSTS is checked later by CommonMiddleware) and costs one query.
"""

import logging

from django.db import DatabaseError, connection
from django.http import HttpResponse

log = logging.getLogger(__name__)


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != "/health":
            return self.get_response(request)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError as exc:
            log.warning("health check: database unavailable: %s", exc)
            return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
        return HttpResponse("ok\n", content_type="text/plain")
