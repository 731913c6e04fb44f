"""Django's Redis cache backend, with one connection pool and one client per process.

- Django builds a new `redis.Redis` for every cache operation; constructing one costs ~0.3 ms (it fills a
  response-callback table), which was the largest fixed cost of a cached request here. A client is a thin,
  thread-safe wrapper around its pool, so one per pool is enough.
- Django keeps cache objects in a context-local store, and under ASGI every request runs in a context of its own: each
  request built a new cache object, hence a new connection pool, hence a new TCP connection to Redis (left to the
  garbage collector). Pools and clients are therefore kept per process, keyed by server and pool options, and
  shared by every cache object of that configuration.
"""

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from django_prometheus.cache.metrics import (
    django_cache_get_fail_total,
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)

_MISSING = object()


_PROCESS_CLIENTS: dict[tuple[str, str], Any] = {}
_PROCESS_CLIENTS_LOCK = threading.Lock()


class ReusingRedisCacheClient(DjangoRedisCacheClient):
    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        server = self._servers[self._get_connection_pool_index(write)]
        # The pool options are plain values (timeouts, sizes, a class): their repr identifies the configuration.
        ident = (server, repr(sorted(self._pool_options.items())))
        client = _PROCESS_CLIENTS.get(ident)  # redis-py's pools notice a fork themselves (they compare pids)
        if client is None:
            with _PROCESS_CLIENTS_LOCK:
                client = _PROCESS_CLIENTS.get(ident)
                if client is None:
                    pool = self._pool_class.from_url(server, **self._pool_options)
                    client = _PROCESS_CLIENTS[ident] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient


class MetricsRedisCache(RedisCache):
    """The same backend, counting gets, hits, misses and failures in django-prometheus' cache metrics.

    django-prometheus' own Redis backends either need django-redis or subclass Django's backend directly (losing
    the client reuse above), hence this small subclass with the same metric names (backend="redis")."""

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        django_cache_get_total.labels(backend="redis").inc()
        try:
            result = super().get(key, default=_MISSING, version=version)
        except Exception:
            django_cache_get_fail_total.labels(backend="redis").inc()
            raise
        if result is _MISSING:
            django_cache_misses_total.labels(backend="redis").inc()
            return default
        django_cache_hits_total.labels(backend="redis").inc()
        return result
