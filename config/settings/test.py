"""Test settings: the same stack as production (real PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set),
with throttle rates high enough that only the throttling tests (which lower them) ever hit a limit."""

import os
import tempfile

from django.core.management.utils import get_random_secret_key

from .base import *  # noqa: F403
from .base import CACHE_KEY_PREFIX, CACHES, CHANNEL_LAYERS, DATABASES, DB_POOL_MAX_SIZE, THROTTLE_RATES, env

SECRET_KEY = env("DJANGO_SECRET_KEY", default=None) or get_random_secret_key()
DEBUG = False
THROTTLE_RATES = {
    **THROTTLE_RATES,
    "login_failures": "1000/1m",
    "login_ip": "1000/1m",
    "register_ip": "1000/1m",
    "anon": "100000/1m",
    "user": "100000/1m",
    "chat_message": "1000/1m",
}
# A prefix of its own so a test run never touches a running instance's keys in the same Redis.
CACHES["default"]["KEY_PREFIX"] = f"{CACHE_KEY_PREFIX}-test"
if "prefix" in CHANNEL_LAYERS["default"].get("CONFIG", {}):
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"{CACHE_KEY_PREFIX}-test:ws"
elif "directory" in CHANNEL_LAYERS["default"].get("CONFIG", {}):
    # Never exchange events with a running instance of the same checkout.
    CHANNEL_LAYERS["default"]["CONFIG"]["directory"] = os.path.join(
        tempfile.gettempdir(), f"pathwise-test-ws-{os.getpid()}"
    )
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A counters file per test process (tests/conftest.py empties it around every test and deletes it at the end).
RATE_LIMIT_SQLITE_PATH = os.path.join(tempfile.gettempdir(), f"pathwise-test-ratelimits-{os.getpid()}.sqlite3")

# Concurrency tests run 8–20 request threads beside the test's own connection in one process: the pool must hold
# them all, or a thread waits DB_POOL_TIMEOUT, fails before its barrier and the others wait for it forever.
DB_POOL_MAX_SIZE = max(DB_POOL_MAX_SIZE, 32)
if "pool" in DATABASES["default"].get("OPTIONS", {}):
    DATABASES["default"]["OPTIONS"]["pool"]["max_size"] = DB_POOL_MAX_SIZE

# The suite runs no Celery worker: readiness requires none unless a test says which queues (tests/ops starts real
# workers for that).
HEALTH_WORKER_QUEUES: list[str] = []
