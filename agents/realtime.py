"""Pushing events to WebSocket clients through the channel layer (Redis in production, so an event raised in a Celery
worker reaches the consumers of every web process). Publishing never fails the work that triggered it."""

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

AGENTS_GROUP = "agents"  # every authenticated connection: agent status is not private
STAFF_TASKS_GROUP = "tasks.staff"  # staff see every task


def user_tasks_group(user_id: Any) -> str:
    return f"tasks.user.{str(user_id).replace('-', '')}"


def publish(groups: list[str], payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        for group in groups:
            async_to_sync(layer.group_send)(group, {"type": "push", "payload": payload})
    except Exception:  # a WebSocket push is best effort: the Task row is the source of truth
        logger.warning("Could not publish %s to %s", payload.get("type"), groups, exc_info=True)
