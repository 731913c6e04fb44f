"""WebSocket routes (filled in by the agents' consumers)."""

websocket_urlpatterns: list = []
