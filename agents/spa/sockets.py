"""`/ws/dashboard/`, `/ws/metrics/`, `/ws/alerts/` (SPA.md §2). Without a token: accepted, one cached public frame
for the path, nothing personal, no channel group, no database query once the snapshot is cached. With a token: it
is checked before the handshake is accepted (a bad one is refused: HTTP 403, so the SPA's client stops retrying),
then the learner's own frames. A token that goes bad while open closes the socket with 4401."""

import logging
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from agents.spa import panels
from common.logs import new_request_id, request_id_var

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
RECHECK_SECONDS = 60
FRAME_FOR_PATH = {"dashboard": "dashboard_update", "metrics": "realtime_metrics", "alerts": None}


def panel_name(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    return parts[-1] if parts else ""


def token_from(scope: dict[str, Any]) -> str:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return (query.get("token") or [""])[0]


class PanelsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        from agents.consumers import authenticate

        request_id_var.set(new_request_id())
        self.panel = panel_name(self.scope.get("path", ""))
        self.user: Any = None
        raw = token_from(self.scope)
        if raw:
            user, token = await database_sync_to_async(authenticate)(raw)
            if user is None:
                logger.debug("Refused a %s socket with a bad token", self.panel)
                await self.close()  # before accept: the handshake is refused (HTTP 403)
                return
            self.user, self.token = user, token
            self.expires_at = float(token["exp"])
            self.checked_at = time.time()
        await self.accept()
        logger.debug("Opened a %s socket (%s)", self.panel, "signed in" if self.user else "anonymous")
        await self.send_frame()

    async def frames(self) -> dict[str, Any] | None:
        if self.user is not None:
            return await database_sync_to_async(panels.personal_snapshot)(user=self.user)
        snapshot = panels.public_cached()
        if snapshot is None and panels.public_claim_refresh():
            snapshot = await database_sync_to_async(panels.public_refresh)()
        return snapshot  # a cold cache that another connection is filling sends nothing

    async def send_frame(self) -> None:
        frame_type = FRAME_FOR_PATH.get(self.panel)
        if frame_type is None:
            return
        frames = await self.frames()
        if frames is not None:
            await self.send_json(frames[frame_type])

    async def authorised(self) -> bool:
        if self.user is None:
            return True
        from agents.consumers import still_valid

        now = time.time()
        ok = now < self.expires_at
        if ok and now - self.checked_at >= RECHECK_SECONDS:
            ok = await database_sync_to_async(still_valid)(self.user.pk, self.token)
            self.checked_at = now
        if not ok:
            await self.close(code=CLOSE_UNAUTHENTICATED)
        return ok

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not await self.authorised() or not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "request_update" and self.panel == "dashboard":
            await self.send_frame()
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        # acknowledge_alert and anything else: nothing to answer (the SPA never expects an error here)

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None
