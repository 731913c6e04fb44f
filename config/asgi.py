"""ASGI entry point: HTTP goes to Django (its middleware chain run synchronously in one thread hop, behind a
body-size limit that acts before Django reads the body; see common/asgi.py), WebSockets to the agents' consumers
(Channels)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

from common.asgi import get_sync_chain_asgi_application

django_asgi_app = get_sync_chain_asgi_application()  # sets Django up before the routing imports models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from agents.routing import websocket_urlpatterns  # noqa: E402
from common.asgi import BodyLimit  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodyLimit(django_asgi_app, max_bytes=lambda: settings.API_MAX_BODY_BYTES),
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
