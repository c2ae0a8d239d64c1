"""ASGI application of a node process (distributed mode): station sockets only."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "node.settings")
django.setup()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402 - after setup

from node.routing import health, websocket_urlpatterns  # noqa: E402
from node.runtime import with_lifespan  # noqa: E402

application = with_lifespan(ProtocolTypeRouter({
    "http": health,
    "websocket": URLRouter(websocket_urlpatterns),
}))
