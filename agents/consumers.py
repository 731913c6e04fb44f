"""WebSocket consumers. `/ws/agents/` (and the SPA's `/ws/dashboard/`, `/ws/metrics/`, `/ws/alerts/`) push
`agent_status` and `task_update` events; `/ws/ai-interaction/` also answers `agent_message` through the chat assistant:
the reply streams as `agent_response` partials (`partial: true`, `delta`), then one final `agent_response` with the
stored ChatMessage (authoritative: it replaces the partials' text).

The access token comes in the query string (`?token=`), the way the SPA opens them. A missing, invalid, expired or
revoked token is refused before the handshake is accepted (HTTP 403): the SPA's client then backs off and stops,
where an accept-then-close made it retry every second forever (../shared/SPA.md §2). A token that goes bad while the
socket is open closes it with 4401. The dashboard panels' anonymous sockets are agents.spa.sockets.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from agents import realtime
from common.logs import new_request_id, request_id_var

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
RECHECK_SECONDS = 60  # a logout or password change closes open sockets within this long (at their next event)


def authenticate(raw: str) -> tuple[Any, Any]:
    from users.authentication import JWTAuthentication

    if not raw:
        return None, None
    auth = JWTAuthentication()
    try:
        token = auth.get_validated_token(raw.encode())
        user = auth.get_user(token)
    except (InvalidToken, AuthenticationFailed, TokenError):
        return None, None
    return (user, token) if user.is_active else (None, None)


def still_valid(user_id: Any, token: Any) -> bool:
    from users.models import User
    from users.tokens import token_is_current

    user = User.objects.filter(pk=user_id, is_active=True).only("pk", "token_version").first()
    return user is not None and token_is_current(token=token, user=user)


def _snapshot() -> list[dict[str, Any]]:
    from agents.selectors import agent_list
    from agents.services import agent_event

    return [agent_event(agent) for agent in agent_list()]


class AgentEventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        # WebSockets bypass Django's middleware: give the connection its own request id for the logs.
        request_id_var.set(new_request_id())
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        user, token = await database_sync_to_async(authenticate)((query.get("token") or [""])[0])
        if user is None:
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        await self.accept()
        self.user, self.token = user, token
        self.expires_at = float(token["exp"])
        self.checked_at = time.time()
        # Staff receive every task on the staff group (their own included), others only their own.
        self.joined = [realtime.AGENTS_GROUP] + (
            [realtime.STAFF_TASKS_GROUP] if user.is_staff else [realtime.user_tasks_group(user.pk)]
        )
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "connection_established", "user": str(user.pk), "is_staff": user.is_staff})
        for event in await database_sync_to_async(_snapshot)():
            await self.send_json(event)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def authorised(self) -> bool:
        """The connection's token still holds: not expired (checked every time), not revoked by a logout or password
        change (checked at most every RECHECK_SECONDS). Otherwise the socket is closed with 4401."""
        now = time.time()
        ok = now < self.expires_at
        if ok and now - self.checked_at >= RECHECK_SECONDS:
            ok = await database_sync_to_async(still_valid)(self.user.pk, self.token)
            self.checked_at = now
        if not ok:
            await self.close(code=CLOSE_UNAUTHENTICATED)
        return ok

    async def push(self, event: dict[str, Any]) -> None:
        if await self.authorised():
            await self.send_json(event["payload"])

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not await self.authorised():
            return
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
            return
        await self.send_json(_error("Unsupported message on this socket.", "unsupported_message"))

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None


def _error(detail: str, code: str) -> dict[str, Any]:
    return {"type": "error", "detail": detail, "errors": [{"attr": None, "code": code, "detail": detail}]}


def _chat(user: Any, content: dict[str, Any], on_chunk: Any = None) -> dict[str, Any]:
    from agents.serializers import ChatMessageInputSerializer, ChatMessageOutputSerializer
    from agents.services import chat_message_send
    from common.errors import DomainError
    from common.exceptions import api_exception, error_body

    data = ChatMessageInputSerializer(data=content)
    try:
        data.is_valid(raise_exception=True)
        v = data.validated_data
        chat = chat_message_send(
            user=user,
            message=v["message"],
            session_id=v.get("session_id") or None,
            module_id=v.get("module_id"),
            on_chunk=on_chunk,
        )
    except DomainError as exc:
        return {"type": "error", **error_body(api_exception(exc))}
    except APIException as exc:
        return {"type": "error", **error_body(exc)}
    data = ChatMessageOutputSerializer(chat).data
    # SPA.md §8's fields ride along: `content` (= response), `agent_id`, `timestamp` (= created_at).
    return {
        "type": "agent_response",
        "agent_type": "chat_assistant",
        "agent_id": "chat_assistant",
        "content": data.get("response") or "",
        "timestamp": data.get("created_at"),
        **data,
    }


def _persona(user: Any, persona: str, text: str, session_id: str) -> dict[str, Any]:
    from django.utils import timezone

    from agents.services import chat_rate_limit
    from agents.spa.personas import persona_reply
    from common.errors import DomainError
    from common.exceptions import api_exception, error_body

    try:
        chat_rate_limit(user)
        reply = persona_reply(user=user, persona=persona, text=text, session_id=session_id)
    except (APIException, DomainError) as exc:
        if isinstance(exc, DomainError):
            exc = api_exception(exc)
        body = error_body(exc)
        return {"type": "error", "code": exc.default_code, "message": body.get("detail", ""), **body}
    return {
        "type": "agent_response",
        "agent_id": persona,
        "agent_type": persona,
        "content": reply.content,
        "response": reply.content,
        "timestamp": timezone.now().isoformat(),
        "session_id": session_id,
        "metadata": {"sources": reply.sources},
    }


def _message_text(content: dict[str, Any]) -> str:
    """The SPA sends the text in `content` (then `data.user_message`); API.md's clients in `message`."""
    data = content.get("data") if isinstance(content.get("data"), dict) else {}
    for value in (content.get("content"), data.get("user_message"), content.get("message")):
        if isinstance(value, str) and value.strip():
            return value
    return ""


class AiInteractionConsumer(AgentEventsConsumer):
    """Chat over WebSocket: API.md's `agent_message` with `message` (the chat assistant), and the SPA's personas
    (`content`, `agent_id` one of six persona ids, `join_room`/`leave_room` accepted silently; SPA.md §8)."""

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind in ("join_room", "leave_room"):
            await self.authorised()
            return
        if kind != "agent_message":
            await super().receive_json(content, **kwargs)
            return
        if not await self.authorised():
            return
        request_id_var.set(new_request_id())  # one id per chat message, like one per HTTP request
        from agents.spa.personas import PERSONAS

        persona = content.get("agent_id") or content.get("agent_type") or "chat_assistant"
        if persona in PERSONAS:
            await self._persona_message(persona, content)
            return
        agent_type = "chat_assistant"
        # Partials only for API.md's clients (`message`): an SPA-style client (`content`) renders every
        # agent_response as a message of its own, so it gets the final reply alone (SPA.md §8).
        stream = "message" in content
        if not stream:
            content = {**content, "message": _message_text(content)}
        await self.send_json({"type": "agent_typing", "agent_type": agent_type, "is_typing": True})
        session_id = content.get("session_id") if isinstance(content.get("session_id"), str) else None

        def partial(delta: str) -> None:
            # Called in the worker thread while the reply is written: hand each chunk to the event loop at once.
            async_to_sync(self.send_json)(
                {
                    "type": "agent_response",
                    "agent_type": agent_type,
                    "partial": True,
                    "delta": delta,
                    "session_id": session_id,
                }
            )

        try:
            reply = await database_sync_to_async(_chat)(self.user, content, partial if stream else None)
        except Exception:
            logger.exception("Chat over WebSocket failed")
            reply = _error("A server error occurred.", "server_error")
        await self.send_json({"type": "agent_typing", "agent_type": agent_type, "is_typing": False})
        await self.send_json(reply)

    async def _persona_message(self, persona: str, content: dict[str, Any]) -> None:
        text = _message_text(content)
        if not text.strip():
            await self.send_json({**_error("The message is empty.", "blank"), "message": "The message is empty."})
            return
        session = str(content.get("session_id") or (content.get("data") or {}).get("session_id") or "ws")[:60]
        await self.send_json({"type": "agent_typing", "agent_id": persona})
        try:
            reply = await database_sync_to_async(_persona)(self.user, persona, text[:4000], session)
        except Exception:
            logger.exception("Persona chat over WebSocket failed")
            reply = {**_error("A server error occurred.", "server_error"), "message": "A server error occurred."}
        await self.send_json(reply)
