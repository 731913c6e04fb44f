"""A PostgreSQL connection pool that tells "busy" from "down".

Django's pool (psycopg_pool) waits DB_POOL_TIMEOUT seconds for a connection, then the request answers a JSON 503.
That timeout has to be short (1 s) so that requests fail fast while PostgreSQL is unreachable, but under a burst a
short timeout turns ordinary queuing into 503s: with every connection of the process checked out by requests that
are still running, the next request waited 1 s and gave up, although a connection would be back in milliseconds
(bench/serving.py, c=16 over 2 workers × 8 connections: 27 × 503 in 8,366 requests).

When a wait times out while the database is busy — every connection of the process checked out by running requests,
or new connections being opened successfully (a burst of threads on a fresh pool) — and no attempt to connect has
failed meanwhile, the request keeps waiting, in short slices, up to DB_POOL_QUEUE_TIMEOUT more seconds. Otherwise
(PostgreSQL down or refusing: failed attempts, or none made) the timeout stands and the caller answers 503 at once,
as before.
"""

import select
import threading
from time import monotonic
from typing import Any

from psycopg_pool import ConnectionPool, PoolTimeout

QUEUE_SLICE = 0.25
# A connection handed back less than this many seconds ago, whose socket has nothing to read, skips the health
# check's round trip (see _check_connection).
RECENT_SECONDS = 5.0


class PatientConnectionPool(ConnectionPool):
    queue_timeout: float = 0.0
    _out: int = 0
    _out_lock: threading.Lock
    _returned_at: dict[int, float]

    def getconn(self, timeout: float | None = None) -> Any:
        before = self._attempts()
        try:
            conn = super().getconn(timeout)
        except PoolTimeout:
            conn = self._keep_waiting(before)
        with self._out_lock:
            self._out += 1
        return conn

    def _keep_waiting(self, before: tuple[int, int]) -> Any:
        """After a timed-out wait: go on waiting, in short slices, while the pool is busy — every connection checked
        out, or new ones being opened successfully — and no attempt to connect has failed since the wait began;
        otherwise (PostgreSQL down or refusing) give up: PoolTimeout, a 503."""
        deadline = monotonic() + self.queue_timeout
        while True:
            attempts, errors = self._attempts()
            failed = errors > before[1]
            opened = (attempts - errors) > (before[0] - before[1])
            remaining = deadline - monotonic()
            if failed or remaining <= 0 or not (opened or self.checked_out >= self.max_size):
                raise PoolTimeout(f"couldn't get a connection (PostgreSQL unreachable, or {self.max_size} busy)")
            try:
                return super().getconn(min(QUEUE_SLICE, remaining))
            except PoolTimeout:
                continue

    def _attempts(self) -> tuple[int, int]:
        """Connection attempts and failed attempts so far (psycopg_pool's counters)."""
        stats = self._stats
        return int(stats.get(self._CONNECTIONS_NUM, 0)), int(stats.get(self._CONNECTIONS_ERRORS, 0))

    def putconn(self, conn: Any) -> None:
        with self._out_lock:
            self._out = max(0, self._out - 1)
            now = monotonic()
            if len(self._returned_at) > 4 * max(self.max_size, 1):  # connections the pool closed meanwhile
                self._returned_at = {k: t for k, t in self._returned_at.items() if now - t < RECENT_SECONDS}
            if not conn.closed:
                self._returned_at[id(conn)] = now
        super().putconn(conn)

    def _check_connection(self, conn: Any) -> None:
        """The health check (an empty query, a round trip) only where it can tell something: a connection used
        within RECENT_SECONDS whose socket is quiet is alive as far as a round trip could tell. PostgreSQL writes
        an error and closes the socket when it shuts down or terminates a backend, and a crashed server's sockets
        are reset: either makes the socket readable, and then the full check runs (and fails). The round trip was
        ~0.5 ms of a request's CPU under the ASGI workers (py-spy, bench/executor.py --serving-only)."""
        with self._out_lock:
            returned = self._returned_at.pop(id(conn), None)
        if self._check is not None and returned is not None and monotonic() - returned < RECENT_SECONDS:
            try:
                readable, _, _ = select.select([conn.fileno()], [], [], 0)
            except (OSError, ValueError):
                readable = [True]
            if not readable and not conn.closed:
                return
        super()._check_connection(conn)

    @property
    def checked_out(self) -> int:
        return self._out


def make_patient(pool: Any, queue_timeout: float) -> None:
    """Turn Django's pool object (created closed, before any connection) into a PatientConnectionPool."""
    if type(pool) is ConnectionPool:
        pool._out_lock = threading.Lock()
        pool._out = 0
        pool._returned_at = {}
        pool.queue_timeout = queue_timeout
        pool.__class__ = PatientConnectionPool
