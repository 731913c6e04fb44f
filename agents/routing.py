"""WebSocket routes: /ws/agents/ and the SPA's other sockets (same events), /ws/ai-interaction/ (chat too)."""

from django.urls import re_path

from agents.consumers import AgentEventsConsumer, AiInteractionConsumer

websocket_urlpatterns = [
    re_path(r"^ws/(?:agents|dashboard|metrics|alerts)/?$", AgentEventsConsumer.as_asgi()),
    re_path(r"^ws/ai-interaction/?$", AiInteractionConsumer.as_asgi()),
]
