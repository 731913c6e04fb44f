"""PostgreSQL connections stay bounded by configuration under ASGI, where every synchronous request runs in a thread
of its own (so per-thread persistent connections used to pile up until PostgreSQL refused new clients)."""

import asyncio

import httpx
import pytest
from django.conf import settings
from django.db import connection

from config.asgi import django_asgi_app
from learning.models import LearningPath

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="connection pooling is a PostgreSQL matter"),
]


def _open_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
            [connection.settings_dict["NAME"]],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def small_pool():
    """The default pool, reopened with a small maximum so that exceeding it would show."""
    options = connection.settings_dict["OPTIONS"]
    saved = options.get("pool")
    connection.close()
    connection.close_pool()
    options["pool"] = {**saved, "min_size": 1, "max_size": 3, "timeout": 10}
    yield 3
    connection.close()
    connection.close_pool()
    options["pool"] = saved


async def _hammer(total: int, concurrency: int) -> list[int]:
    transport = httpx.ASGITransport(app=django_asgi_app)
    statuses: list[int] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for start in range(0, total, concurrency):
            batch = [client.get("/api/learning/learning-paths/") for _ in range(min(concurrency, total - start))]
            statuses += [response.status_code for response in await asyncio.gather(*batch)]
    return statuses


def test_pool_is_the_default_and_not_combined_with_persistent_connections():
    assert settings.DB_POOL is True
    assert connection.settings_dict["OPTIONS"]["pool"]["max_size"] == settings.DB_POOL_MAX_SIZE
    assert connection.settings_dict["CONN_MAX_AGE"] == 0


def test_500_asgi_requests_leave_at_most_the_pool_size_open(small_pool):
    LearningPath.objects.create(slug="pooled", title="Pooled", difficulty_level="beginner")
    statuses = asyncio.run(_hammer(500, concurrency=20))
    assert statuses == [200] * 500
    # The test's own connection comes from the same pool, so it is counted within the bound.
    opened = _open_connections()
    assert 1 <= opened <= small_pool


def test_waiting_for_a_run_hands_the_connection_back_to_the_pool():
    from executor import notify

    assert _open_connections() >= 1  # this thread holds a pooled connection now
    assert connection.connection is not None
    assert notify.wait_done("run:test-release", 0.05, lambda: False) is False
    assert connection.connection is None  # released while it waited; queries after it take one again
    assert _open_connections() >= 1


@pytest.fixture
def tiny_pool():
    """Two connections and a 0.2 s wait: a third request has to queue behind the two."""
    options = connection.settings_dict["OPTIONS"]
    saved = options.get("pool")
    connection.close()
    connection.close_pool()
    options["pool"] = {**saved, "min_size": 0, "max_size": 2, "timeout": 0.2}
    yield connection.pool
    connection.close()
    connection.close_pool()
    options["pool"] = saved


def test_a_request_queues_while_every_connection_is_busy(tiny_pool):
    """All connections checked out by running work is load, not an outage: the request waits its turn (200), where
    the plain pool answered 503 after DB_POOL_TIMEOUT."""
    import threading
    import time

    from common.dbpool import PatientConnectionPool

    assert isinstance(tiny_pool, PatientConnectionPool)
    tiny_pool.open()
    held = [tiny_pool.getconn(), tiny_pool.getconn()]
    assert tiny_pool.checked_out == 2

    def release_later() -> None:
        time.sleep(0.8)
        for conn in held:
            tiny_pool.putconn(conn)

    threading.Thread(target=release_later).start()
    started = time.monotonic()
    response = asyncio.run(_hammer(1, concurrency=1))
    waited = time.monotonic() - started
    assert response == [200]
    assert waited >= 0.6  # it really waited for a connection to come back, past the 0.2 s pool timeout
    assert tiny_pool.checked_out <= 1


def test_an_unreachable_database_still_times_out_at_the_pool_timeout():
    """Nothing checked out and no connection to be had: that is an outage, and the wait stays DB_POOL_TIMEOUT."""
    import time

    from psycopg_pool import ConnectionPool, PoolTimeout

    from common.dbpool import make_patient

    pool = ConnectionPool("host=127.0.0.1 port=1 connect_timeout=1", min_size=0, max_size=2, timeout=0.3, open=False)
    make_patient(pool, queue_timeout=10)
    pool.open(wait=False)
    try:
        started = time.monotonic()
        with pytest.raises(PoolTimeout):
            pool.getconn()
        assert time.monotonic() - started < 2
    finally:
        pool.close(timeout=0)


def _checks_counted(pool):
    """Count the pool's health-check round trips (the callback Django gives it with CONN_HEALTH_CHECKS)."""
    calls = []
    original = pool._check

    def counting(conn):
        calls.append(conn)
        original(conn)

    pool._check = counting
    return calls


def test_a_connection_just_handed_back_skips_the_health_check_round_trip(tiny_pool):
    from common.dbpool import RECENT_SECONDS

    tiny_pool.open()
    calls = _checks_counted(tiny_pool)
    conn = tiny_pool.getconn()
    first = len(calls)  # a connection never handed back before is checked
    tiny_pool.putconn(conn)
    again = tiny_pool.getconn()
    assert again is conn
    assert len(calls) == first  # handed back a moment ago, its socket quiet: no round trip
    tiny_pool.putconn(again)
    tiny_pool._returned_at[id(again)] -= RECENT_SECONDS + 1  # idle for longer than the window
    third = tiny_pool.getconn()
    assert len(calls) == first + 1  # checked again, with the round trip
    tiny_pool.putconn(third)


def test_a_connection_terminated_while_in_the_pool_is_never_handed_to_a_request(tiny_pool):
    """PostgreSQL ends the pooled connections (a restart, pg_terminate_backend) right after they were used: the next
    requests still get working connections, although the round trip of the health check is skipped for recent ones."""
    import time

    import psycopg

    asyncio.run(_hammer(4, concurrency=2))  # both connections used and handed back just now
    connection.close()
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"], port=params["PORT"] or 5432, user=params["USER"], password=params["PASSWORD"],
        dbname=params["NAME"], autocommit=True,
    ) as admin:  # fmt: skip
        terminated = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
            [params["NAME"]],
        ).fetchone()[0]
    assert terminated >= 1
    time.sleep(0.2)  # the termination notices reach the pooled sockets
    assert asyncio.run(_hammer(6, concurrency=2)) == [200] * 6
