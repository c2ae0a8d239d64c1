"""ASGI application of central's web process; in the embedded mode it also is the node (/ocpp/...)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csms.settings")
django_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402 - after Django is set up

from node.routing import websocket_urlpatterns  # noqa: E402
from node.runtime import with_lifespan  # noqa: E402

application = with_lifespan(ProtocolTypeRouter({
    "http": django_app,
    "websocket": URLRouter(websocket_urlpatterns),
}))
