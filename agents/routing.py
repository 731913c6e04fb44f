"""WebSocket routes: /ws/agents/ (agent and task events), the dashboard panels, /ws/ai-interaction/ (chat)."""

from django.urls import re_path

from agents.consumers import AgentEventsConsumer, AiInteractionConsumer
from agents.spa.sockets import PanelsConsumer

# `/api/ws/<name>/` is the SPA's development proxy's spelling of the same sockets (SPA.md §2).
websocket_urlpatterns = [
    re_path(r"^(?:api/)?ws/agents/?$", AgentEventsConsumer.as_asgi()),
    re_path(r"^(?:api/)?ws/(?:dashboard|metrics|alerts)/?$", PanelsConsumer.as_asgi()),
    re_path(r"^(?:api/)?ws/ai-interaction/?$", AiInteractionConsumer.as_asgi()),
]
