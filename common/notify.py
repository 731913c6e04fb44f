"""Telling a waiting web request that a run finished: a Redis list per run (BLPOP wakes the waiter at once);
without Redis (embedded mode) the run has already finished eagerly, or the database is polled."""

import time
from collections.abc import Callable
from functools import cache

import redis
from django.conf import settings
from django.db import connection

from common.cache import CACHE_ERRORS


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=30)


def _key(name: str) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:done:{name}"


def notify_done(name: str) -> None:
    """Wake whoever waits on `name` (e.g. "run:42")."""
    if not settings.REDIS_URL:
        return
    try:
        pipe = _client().pipeline()
        pipe.rpush(_key(name), 1)
        pipe.expire(_key(name), 120)
        pipe.execute()
    except CACHE_ERRORS:
        pass  # waiters fall back to polling the database


def wait_done(name: str, timeout: float, is_finished: Callable[[], bool]) -> bool:
    """Wait until `is_finished()` or the timeout; True if finished."""
    deadline = time.monotonic() + timeout
    if is_finished():
        return True
    if not connection.in_atomic_block:
        # Hand the database connection back (to the pool) while blocked: a request waiting seconds for a run must not
        # hold one of its process's DB_POOL_MAX_SIZE connections; the next query takes one again.
        connection.close()
    if settings.REDIS_URL:
        try:
            remaining = deadline - time.monotonic()
            if remaining > 0 and _client().blpop([_key(name)], timeout=max(remaining, 0.01)):
                return True
        except CACHE_ERRORS:
            pass
    while time.monotonic() < deadline:
        if is_finished():
            return True
        time.sleep(0.05)
    return is_finished()
