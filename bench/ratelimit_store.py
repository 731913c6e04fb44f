"""Cost of one rate-limit hit in each store, side by side in one run: the process-local cache (what the embedded
default used: fast, but every worker counts alone), the SQLite counters file (common/counters.py, the embedded
default's shared store), the same upsert with the fsync per commit an application SQLite database does, and Redis
INCR when REDIS_URL is set.   Usage: .venv/bin/python bench/ratelimit_store.py [--hits 3000]"""

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _time(fn, hits: int) -> float:
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        for i in range(hits):
            fn(i)
        runs.append((time.perf_counter() - started) / hits * 1e6)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hits", type=int, default=3000)
    args = parser.parse_args()
    from django.core.cache.backends.locmem import LocMemCache

    from common import counters

    results: dict[str, float] = {}
    local = LocMemCache("bench", {})
    local.set("k", 0)
    results["local-memory cache incr (per process!)"] = _time(lambda i: local.incr("k"), args.hits)
    with tempfile.TemporaryDirectory() as tmp:
        store = counters.SqliteCounters(os.path.join(tmp, "counters.sqlite3"))
        results["sqlite counters file (WAL, synchronous=NORMAL)"] = _time(
            lambda i: store.hit(f"k{i % 50}", 60), args.hits
        )
        full = sqlite3.connect(os.path.join(tmp, "full.sqlite3"), isolation_level=None)
        full.execute("PRAGMA journal_mode=WAL")
        full.execute("PRAGMA synchronous=FULL")
        full.execute(counters._SCHEMA)

        def full_hit(i: int) -> None:
            now = time.time()
            full.execute(counters._HIT, (f"k{i % 50}", now + 60, now, now)).fetchone()

        results["same upsert, synchronous=FULL (app database)"] = _time(full_hit, max(200, args.hits // 10))
    if os.environ.get("REDIS_URL"):
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        results["redis INCR (one round trip)"] = _time(lambda i: client.incr("bench:ratelimit"), args.hits)
        client.delete("bench:ratelimit")
    base = results["sqlite counters file (WAL, synchronous=NORMAL)"]
    print(f"{'store':50} {'µs/hit':>10} {'× sqlite file':>14}")
    for name, micros in results.items():
        print(f"{name:50} {micros:10.1f} {micros / base:14.2f}")


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    main()
