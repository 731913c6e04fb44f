"""A PostgreSQL connection pool that tells "busy" from "down".

Django's pool (psycopg_pool) waits DB_POOL_TIMEOUT seconds for a connection, then the request answers a JSON 503.
That timeout has to be short (1 s) so that requests fail fast while PostgreSQL is unreachable, but under a burst a
short timeout turns ordinary queuing into 503s: with every connection of the process checked out by requests that
are still running, the next request waited 1 s and gave up, although a connection would be back in milliseconds
(bench/serving.py, c=16 over 2 workers × 8 connections: 27 × 503 in 8,366 requests).

This pool counts the connections it has handed out. When a wait times out while all `max_size` of them are checked
out, the database is busy, not down: the request keeps its place for up to DB_POOL_QUEUE_TIMEOUT more seconds. When
fewer are out, the pool could not open one (PostgreSQL down or refusing): the timeout stands and the caller answers
503 at once, as before.
"""

import threading
from typing import Any

from psycopg_pool import ConnectionPool, PoolTimeout


class PatientConnectionPool(ConnectionPool):
    queue_timeout: float = 0.0
    _out: int = 0
    _out_lock: threading.Lock

    def getconn(self, timeout: float | None = None) -> Any:
        try:
            conn = super().getconn(timeout)
        except PoolTimeout:
            if self.queue_timeout <= 0 or self.checked_out < self.max_size:
                raise
            conn = super().getconn(self.queue_timeout)
        with self._out_lock:
            self._out += 1
        return conn

    def putconn(self, conn: Any) -> None:
        with self._out_lock:
            self._out = max(0, self._out - 1)
        super().putconn(conn)

    @property
    def checked_out(self) -> int:
        return self._out


def make_patient(pool: Any, queue_timeout: float) -> None:
    """Turn Django's pool object (created closed, before any connection) into a PatientConnectionPool."""
    if type(pool) is ConnectionPool:
        pool._out_lock = threading.Lock()
        pool._out = 0
        pool.queue_timeout = queue_timeout
        pool.__class__ = PatientConnectionPool
