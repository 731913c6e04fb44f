"""Worker heartbeats: how readiness knows that each queue has a live worker, without a broadcast ping.

Every Celery worker writes, every HEARTBEAT_INTERVAL seconds, one entry per queue it consumes into a Redis hash on
the broker (`<HEALTH_HEARTBEAT_KEY>:<queue>`, field = the worker's hostname, value = JSON with the time and, on
workers of the executor queue, whether the sandbox is usable there). A worker that stops cleanly removes its entries
at once; one that dies stops refreshing them, and they count as dead HEALTH_WORKER_TTL seconds later.
`live_workers()` reads them (common/health.py, common/queue_metrics.py).
"""

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

EXECUTOR_QUEUE = "executor"
_state: dict[str, Any] = {}


def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2)


def queue_key(queue: str) -> str:
    return f"{settings.HEALTH_HEARTBEAT_KEY}:{queue}"


_SANDBOX_CHECK: list[Callable[[], bool]] = []


def register_sandbox_check(check: Callable[[], bool]) -> None:
    """The executor registers how to tell whether its sandbox can run here (common imports no app)."""
    _SANDBOX_CHECK[:] = [check]


def _sandbox_status() -> str:
    if not _SANDBOX_CHECK:
        return "unavailable"
    try:
        usable = _SANDBOX_CHECK[0]()
    except Exception:
        logger.exception("Heartbeat: the sandbox check failed")
        return "unavailable"
    return "ok" if usable else "unavailable"


def beat_once(hostname: str, queues: list[str], client: redis.Redis | None = None) -> None:
    client = client or _client()
    now = time.time()
    ttl = max(int(settings.HEALTH_WORKER_TTL * 10), 60)
    with client.pipeline(transaction=False) as pipe:
        for queue in queues:
            value: dict[str, Any] = {"ts": now}
            if queue == EXECUTOR_QUEUE:
                value["sandbox"] = _state.get("sandbox") or _sandbox_status()
            pipe.hset(queue_key(queue), hostname, json.dumps(value))
            pipe.expire(queue_key(queue), ttl)  # the whole hash goes once no worker of the queue is left
        pipe.execute()


def _loop(hostname: str, queues: list[str], stop: threading.Event) -> None:
    client = _client()
    last_sandbox_check = 0.0
    while not stop.is_set():
        try:
            if EXECUTOR_QUEUE in queues and time.monotonic() - last_sandbox_check > 60:
                _state["sandbox"] = _sandbox_status()
                last_sandbox_check = time.monotonic()
            beat_once(hostname, queues, client)
        except redis.RedisError:
            logger.warning("Heartbeat: the broker is unreachable", exc_info=True)
        stop.wait(settings.HEALTH_HEARTBEAT_INTERVAL)


def start(sender: Any = None, **kwargs: Any) -> None:
    """celery `worker_ready`: start the heartbeat thread of this worker (its hostname and queues)."""
    if settings.CELERY_TASK_ALWAYS_EAGER or _state.get("thread"):
        return
    hostname = sender.hostname
    queues = sorted(sender.app.amqp.queues.consume_from or sender.app.amqp.queues)
    stop = threading.Event()
    thread = threading.Thread(target=_loop, args=(hostname, queues, stop), name="heartbeat", daemon=True)
    _state.update(thread=thread, stop=stop, hostname=hostname, queues=queues)
    thread.start()
    logger.info("Heartbeat started for %s on %s", hostname, ", ".join(queues))


def stop(**kwargs: Any) -> None:
    """celery `worker_shutdown`: stop beating and remove this worker's entries, so readiness sees it gone at once."""
    thread, event = _state.pop("thread", None), _state.pop("stop", None)
    if thread is None:
        return
    event.set()
    thread.join(5)
    try:
        client = _client()
        for queue in _state.get("queues", []):
            client.hdel(queue_key(queue), _state["hostname"])
    except redis.RedisError:
        logger.warning("Heartbeat: could not remove this worker's entries", exc_info=True)


def live_workers(queues: list[str], client: redis.Redis | None = None) -> dict[str, list[dict[str, Any]]]:
    """For each queue, the workers whose heartbeat is younger than HEALTH_WORKER_TTL."""
    client = client or _client()
    cutoff = time.time() - settings.HEALTH_WORKER_TTL
    with client.pipeline(transaction=False) as pipe:
        for queue in queues:
            pipe.hgetall(queue_key(queue))
        replies = pipe.execute()
    live: dict[str, list[dict[str, Any]]] = {}
    for queue, entries in zip(queues, replies, strict=True):
        live[queue] = []
        for host, raw in entries.items():
            try:
                value = json.loads(raw)
            except ValueError:
                continue
            if float(value.get("ts", 0)) >= cutoff:
                live[queue].append({"hostname": host.decode(), **value})
    return live


def install(app: Any) -> None:
    from celery import signals

    signals.worker_ready.connect(start, weak=False)
    signals.worker_shutdown.connect(stop, weak=False)
