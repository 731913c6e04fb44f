"""What Prometheus instrumentation costs: middleware per request, the DB wrapper per query, the cache wrapper per get.

Runs in-process (Django test client, no server) so that only the instrumentation differs between the columns.
  DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/metrics_overhead.py
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from common.redis_cache import MetricsRedisCache, RedisCache  # noqa: E402

ROUNDS = 15  # A and B alternate within each round, so that noise from other processes hits both alike


def compare(a, b, n: int) -> tuple[float, float]:
    """Median per-call time in microseconds of `a` and of `b`, measured alternately."""
    times_a, times_b = [], []
    for _ in range(ROUNDS):
        for fn, times in ((a, times_a), (b, times_b)):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            times.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(times_a), statistics.median(times_b)


def report(label: str, bare: float, counted: float) -> None:
    print(
        f"{label:<34} {bare:8.1f} µs bare  {counted:8.1f} µs instrumented  "
        f"(+{counted - bare:6.1f} µs, x{counted / bare:.3f})"
    )


def main() -> None:
    instrumented = list(settings.MIDDLEWARE)
    bare = [m for m in instrumented if "django_prometheus" not in m]
    with override_settings(MIDDLEWARE=bare):
        bare_client = Client()
        bare_client.get("/api/health/live/")
    with override_settings(MIDDLEWARE=instrumented):
        counted_client = Client()
        counted_client.get("/api/health/live/")
    report(
        "request GET /api/health/live/",
        *compare(lambda: bare_client.get("/api/health/live/"), lambda: counted_client.get("/api/health/live/"), 200),
    )

    params = dict(connections.settings["default"])
    vendor = connections["default"].vendor  # the engine itself may be ours (common.db.postgresql)
    engine = "django.db.backends." + vendor
    counted_engine = "django_prometheus.db.backends." + vendor
    connections.settings["bench_plain"] = {**params, "ENGINE": engine}
    connections.settings["bench_counted"] = {**params, "ENGINE": counted_engine}
    plain_db, counted_db = connections["bench_plain"], connections["bench_counted"]

    def query(db):
        def run() -> None:
            with db.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()

        return run

    report(f"query SELECT 1 ({plain_db.vendor})", *compare(query(plain_db), query(counted_db), 2000))
    plain_db.close()
    counted_db.close()

    if settings.REDIS_URL:
        options = {"KEY_PREFIX": "bench-metrics"}
        plain, counted = RedisCache(settings.REDIS_URL, options), MetricsRedisCache(settings.REDIS_URL, options)
        plain.set("k", "v")
        report("cache get, hit (Redis)", *compare(lambda: plain.get("k"), lambda: counted.get("k"), 2000))
        plain.delete("k")


if __name__ == "__main__":
    main()
