"""Pushing events to WebSocket clients through the channel layer (Redis in production, so an event raised in a Celery
worker reaches the consumers of every web process). Publishing never fails the work that triggered it."""

import asyncio
import logging
import os
import threading
import time
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.core import RedisChannelLayer

logger = logging.getLogger(__name__)

AGENTS_GROUP = "agents"  # every authenticated connection: agent status is not private
STAFF_TASKS_GROUP = "tasks.staff"  # staff see every task


def user_tasks_group(user_id: Any) -> str:
    return f"tasks.user.{str(user_id).replace('-', '')}"


def publish(groups: list[str], payload: dict[str, Any]) -> None:
    publish_all([(groups, payload)])


def publish_all(messages: list[tuple[list[str], dict[str, Any]]]) -> None:
    """Push each payload to its groups, in order, in one hand-over to the event loop. Groups nobody listens to are
    skipped after one membership read for all of them (the Redis layer: one pipelined round trip; its group_send
    spends two round trips per group before finding nobody there, and a code run's events go to three groups)."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all() -> None:
        live = await _listened(layer, sorted({group for groups, _ in messages for group in groups}))
        for groups, payload in messages:
            message = {"type": "push", "payload": payload}
            for group in groups:
                if group in live:
                    await layer.group_send(group, message)

    try:
        loop = _publisher_loop(layer)
        if loop is None:
            async_to_sync(send_all)()
        else:
            asyncio.run_coroutine_threadsafe(send_all(), loop).result(timeout=PUBLISH_TIMEOUT)
    except Exception:  # a WebSocket push is best effort: the Task row is the source of truth
        kinds = [payload.get("type") for _, payload in messages]
        logger.warning("Could not publish %s to %s", kinds, [groups for groups, _ in messages], exc_info=True)


async def _listened(layer: Any, groups: list[str]) -> set[str]:
    """The groups with at least one member that group_send would still deliver to (channels_redis drops members
    older than `group_expiry` first). Other layers: every group."""
    if not isinstance(layer, RedisChannelLayer):
        return set(groups)
    by_shard: dict[int, list[str]] = {}
    for group in groups:
        by_shard.setdefault(layer.consistent_hash(group), []).append(group)
    live: set[str] = set()
    since = int(time.time()) - layer.group_expiry
    for index, members in by_shard.items():
        pipe = layer.connection(index).pipeline(transaction=False)
        for group in members:
            pipe.zcount(layer._group_key(group), since, "+inf")
        counts = await pipe.execute()
        live.update(group for group, count in zip(members, counts, strict=True) if count)
    return live


PUBLISH_TIMEOUT = 5.0
_loop: tuple[int, asyncio.AbstractEventLoop] | None = None
_loop_lock = threading.Lock()


def _publisher_loop(layer: Any) -> asyncio.AbstractEventLoop | None:
    """Where a synchronous caller outside a request (a Celery worker's job listener) publishes: one event loop per
    process, kept in a daemon thread. `async_to_sync` there started a new event loop per call, and the Redis channel
    layer keeps its connections per loop, so every event opened (and dropped) a Redis connection — several per code
    run. Inside a request (a thread with the server's loop) and for the in-memory layers (their queues belong to
    the server's loop) None: `async_to_sync` hands the send to the server's loop, as before."""
    global _loop
    if isinstance(layer, InMemoryChannelLayer):
        return None
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) == os.getpid():
        return None
    try:
        asyncio.get_running_loop()
        return None  # called from async code through a sync shim: leave it to async_to_sync's own checks
    except RuntimeError:
        pass
    with _loop_lock:
        if _loop is None or _loop[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="channel-layer-publisher", daemon=True).start()
            _loop = (os.getpid(), loop)
        return _loop[1]
