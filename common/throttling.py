"""Rate limits and lockouts counted in a store every process shares, with rates read from settings at request time.

The store (RATE_LIMIT_STORE) is the cache when it is shared (Redis: atomic INCR), else "sqlite" (the embedded
default, whose local-memory cache is per process): a SQLite file of its own that every process of the host opens,
one row per window moved by a single atomic upsert (common/counters.py), so two gunicorn workers count together.

Rates are "N/<k><unit>" with unit s, m, h or d: "5/15m" is five per fifteen minutes. A window opens at the first hit
of a key and lasts the whole period (no doubled burst at aligned window edges). Counting is atomic in both stores, so
concurrent requests cannot slip past a limit; neither store is part of the request's database transaction.
"""

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from common import counters
from common.cache import CACHE_ERRORS as _CACHE_ERRORS
from common.exceptions import ServiceUnavailable
from common.redis_cache import ReusingRedisCacheClient

# What an unreachable store raises: callers choose to fail open or closed.
CACHE_ERRORS = (*_CACHE_ERRORS, *counters.ERRORS)

logger = logging.getLogger(__name__)

_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'5/15m' → (5, 900); '20/min' → (20, 60)."""
    match = _RATE_RE.match(rate)
    if not match:
        raise ValueError(f"Bad rate {rate!r}: expected N/<k><s|m|h|d>")
    number, multiplier, unit = match.groups()
    return int(number), int(multiplier or 1) * _UNITS[unit]


def rate_for(scope: str) -> tuple[int, int]:
    return parse_rate(settings.THROTTLE_RATES[scope])


def _key(scope: str, ident: str) -> str:
    digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"rl:{scope}:{digest}"


@dataclass(frozen=True)
class RateState:
    count: int
    limit: int
    retry_after: int

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def _retry_after(key: str, period: int) -> int:
    started = cache.get(f"{key}:t")
    if started is None:
        return period
    return max(1, int(float(started) + period - time.time()) + 1)


def _sqlite() -> counters.SqliteCounters | None:
    if settings.RATE_LIMIT_STORE == "sqlite":
        return counters.store(settings.RATE_LIMIT_SQLITE_PATH)
    return None


def _redis() -> Any | None:
    """The Redis client behind the default cache, when it is our Redis backend (else None: generic cache calls)."""
    client = getattr(cache, "_cache", None)
    if isinstance(client, ReusingRedisCacheClient):
        return client.get_client(write=True)
    return None


def _expires_at(ttl_ms: int, period: int) -> float:
    # PTTL: -2 no key, -1 no expiry (neither happens after SET EX NX + INCR, but a peek can see -2).
    return time.time() + (ttl_ms / 1000 if ttl_ms and ttl_ms > 0 else period)


def _state(count: int, expires_at: float, limit: int, *, at: int) -> RateState:
    retry = max(1, int(expires_at - time.time()) + 1) if count >= at else 0
    return RateState(count=count, limit=limit, retry_after=retry)


def hit(scope: str, ident: str) -> RateState:
    """Count one event for (scope, ident) and return the state after it."""
    limit, period = rate_for(scope)
    key = _key(scope, ident)
    if (shared := _sqlite()) is not None:
        count, expires_at = shared.hit(key, period)
        return _state(count, expires_at, limit, at=limit + 1)
    if (redis := _redis()) is not None:
        # One round trip: open the window if none is open, count, and read how long it has left.
        name = cache.make_and_validate_key(f"{key}:n")
        pipe = redis.pipeline(transaction=False)
        pipe.set(name, 0, ex=period, nx=True)
        pipe.incr(name)
        pipe.pttl(name)
        _, count, ttl_ms = pipe.execute()
        return _state(int(count), _expires_at(ttl_ms, period), limit, at=limit + 1)
    try:
        count = cache.incr(f"{key}:n")
    except ValueError:  # no open window
        if cache.add(f"{key}:n", 1, timeout=period):
            cache.set(f"{key}:t", time.time(), timeout=period)
            count = 1
        else:
            count = cache.incr(f"{key}:n")
    retry = _retry_after(key, period) if count > limit else 0
    return RateState(count=count, limit=limit, retry_after=retry)


def peek(scope: str, ident: str) -> RateState:
    """The state of (scope, ident) without counting anything."""
    limit, period = rate_for(scope)
    key = _key(scope, ident)
    if (shared := _sqlite()) is not None:
        count, expires_at = shared.peek(key)
        return _state(count, expires_at, limit, at=limit)
    if (redis := _redis()) is not None:
        name = cache.make_and_validate_key(f"{key}:n")
        pipe = redis.pipeline(transaction=False)
        pipe.get(name)
        pipe.pttl(name)
        raw, ttl_ms = pipe.execute()
        return _state(int(raw or 0), _expires_at(ttl_ms, period), limit, at=limit)
    count = int(cache.get(f"{key}:n") or 0)
    retry = _retry_after(key, period) if count >= limit else 0
    return RateState(count=count, limit=limit, retry_after=retry)


def reset(scope: str, ident: str) -> None:
    key = _key(scope, ident)
    if (shared := _sqlite()) is not None:
        shared.reset(key)
        return
    cache.delete_many([f"{key}:n", f"{key}:t"])


class ScopedRateThrottle(BaseThrottle):
    """Counts every request of a view per client IP (or per user with `per_user`).

    `fail_closed` throttles (login, register) answer 503 when the cache is unreachable rather than let
    unlimited password guesses through; the global burst throttles let requests through instead.
    """

    scope = ""
    per_user = False
    fail_closed = True

    def __init__(self) -> None:
        self._wait: int | None = None

    def get_cache_ident(self, request: Request) -> str | None:
        if self.per_user:
            user = getattr(request, "user", None)
            if not (user and user.is_authenticated):
                return None
            return f"user:{user.pk}"
        return f"ip:{self.get_ident(request)}"

    def allow_request(self, request: Request, view: object) -> bool:
        ident = self.get_cache_ident(request)
        if ident is None:
            return True
        try:
            state = hit(self.scope, ident)
        except CACHE_ERRORS:
            if self.fail_closed:
                logger.error("Rate-limit cache unreachable; refusing %s request", self.scope)
                raise ServiceUnavailable("Rate limiting is unavailable; try again shortly.") from None
            logger.warning("Rate-limit cache unreachable; letting %s request through", self.scope)
            return True
        if state.exceeded:
            self._wait = state.retry_after
            return False
        return True

    def wait(self) -> int | None:
        return self._wait


class AnonBurstThrottle(ScopedRateThrottle):
    scope = "anon"
    fail_closed = False

    def get_cache_ident(self, request: Request) -> str | None:
        user = getattr(request, "user", None)
        if user and user.is_authenticated:
            return None
        return f"ip:{self.get_ident(request)}"


class UserBurstThrottle(ScopedRateThrottle):
    scope = "user"
    per_user = True
    fail_closed = False


class LoginIPThrottle(ScopedRateThrottle):
    scope = "login_ip"


class RegisterIPThrottle(ScopedRateThrottle):
    scope = "register_ip"
