import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from common import counters
from tests.factories import PASSWORD, StaffFactory, UserFactory
from tests.sandbox import require_sandbox
from users.tokens import tokens_for_user


@pytest.fixture
def sandbox() -> None:
    """The one sandbox fixture: tests that run code through the configured backend use it."""
    require_sandbox()


def _clear_cache() -> None:
    """Remove this test run's keys only (the Redis database may be shared with a running instance)."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith("RedisCache"):
        client = cache._cache.get_client(None, write=True)  # Django's RedisCache internals: the raw redis client
        prefix = settings.CACHES["default"]["KEY_PREFIX"]
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()
    if settings.REDIS_URL:
        # The job version lives on the broker's Redis (common.jobs): start each test from a fresh number, as a test
        # that writes Job rows directly (no engine transition, so no bump) must not read figures memoised earlier.
        from common import jobs

        jobs._redis().delete(jobs._version_key())
    if settings.RATE_LIMIT_STORE == "sqlite":
        counters.store(settings.RATE_LIMIT_SQLITE_PATH).clear()


@pytest.fixture(autouse=True, scope="session")
def remove_counters_file():
    yield
    for suffix in ("", "-wal", "-shm"):
        Path(settings.RATE_LIMIT_SQLITE_PATH + suffix).unlink(missing_ok=True)
    directory = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("directory")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(autouse=True)
def clean_cache():
    _clear_cache()
    yield
    _clear_cache()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def staff(db):
    return StaffFactory()


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user=user)['access']}")
    return client


@pytest.fixture
def auth_client(user) -> APIClient:
    return client_for(user)


@pytest.fixture
def other_client(other_user) -> APIClient:
    return client_for(other_user)


@pytest.fixture
def staff_client(staff) -> APIClient:
    return client_for(staff)


@pytest.fixture
def celery_worker(settings):
    """Eager mode runs tasks in-process; with a broker (REDIS_URL), a real worker thread consumes every queue, so
    tasks go through serialization and acknowledgement for real. Use with transactional tests: the worker has its
    own database connection and only sees committed rows."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        yield None
        return
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with start_worker(app, pool="solo", concurrency=1, queues=["executor", "default", "llm", "reco", "scrape"],
                      perform_ping_check=False, shutdown_timeout=30) as worker:  # fmt: skip
        yield worker
