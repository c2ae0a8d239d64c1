"""The node's URLs: /ocpp/<station id> for stations and /health for load balancers."""

from django.urls import re_path

from node.consumers import NotFoundConsumer, OcppConsumer

# The consumer checks the id's length (1..48, OCPP 2.0.1 identity); any other path is a 404, not a 500.
websocket_urlpatterns = [
    re_path(r"^ocpp/(?P<station_id>[^/]+)/?$", OcppConsumer.as_asgi()),
    re_path(r"", NotFoundConsumer.as_asgi()),
]


async def health(scope, receive, send):
    """Plain HTTP on the node: 200 at /health (load balancer checks), 404 elsewhere."""
    ok = scope["path"] == "/health"
    body = b"ok\n" if ok else b"not found\n"
    await send({"type": "http.response.start", "status": 200 if ok else 404,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})
