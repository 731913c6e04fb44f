"""ASGI entry point: HTTP goes to Django (behind a body-size limit that acts before Django reads the body), WebSockets
to the agents' consumers (Channels)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django_asgi_app = get_asgi_application()  # sets Django up before the routing imports models

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
