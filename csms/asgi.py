"""ASGI application of central's web process; in the embedded mode it also is the node (/ocpp/...)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csms.settings")
django_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402 - after Django is set up
from django.conf import settings  # noqa: E402

from csms import periodic  # noqa: E402
from node.routing import websocket_urlpatterns  # noqa: E402
from node.runtime import with_lifespan  # noqa: E402

# Distributed, Celery beat runs the periodic jobs; embedded, this process does.
application = with_lifespan(ProtocolTypeRouter({
    "http": django_app,
    "websocket": URLRouter(websocket_urlpatterns),
}), also=[(periodic.start, periodic.stop)] if settings.EMBEDDED else [])
