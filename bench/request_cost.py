"""Where a request's cost goes under the server as `make run` starts it (gunicorn + 2 uvicorn ASGI workers): server
CPU per request (user + system of the gunicorn processes, from /proc), PostgreSQL and Redis CPU per request, for

- an empty view, one and three trivial queries, one Redis GET (probe views, bench/request_cost_urls.py);
- the JWT endpoints of bench/serving.py and their bare views (the same bytes from memory).

CPU per request is steadier than req/s on a shared machine; compare rows of one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pw_bench_serving REDIS_URL=redis://127.0.0.1:6379/10 \\
        .venv/bin/python bench/request_cost.py [--seconds 5] [--skip-prepare]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import bench_env, prepare, serve
from bench.serving import login


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes, from /proc/<pid>/stat (gone processes count 0)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _pids(pattern: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [pid, *[int(p) for p in out.split()]]


def _wrk(url: str, seconds: int, headers: dict[str, str]) -> tuple[float, int]:
    cmd = ["wrk", "-t2", "-c8", f"-d{seconds}s"]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return rps, total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--skip-prepare", action="store_true", help="the database is already migrated and seeded")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a throwaway PostgreSQL database (and REDIS_URL): this measures the real stack.")
    tmp = Path(tempfile.mkdtemp(prefix="pathwise-request-cost-"))
    env = bench_env(tmp)
    env["DJANGO_SETTINGS_MODULE"] = "bench.request_cost_settings"
    if not args.skip_prepare:
        prepare(env, seed=True)
    endpoints = ["/api/learning/learning-paths/", "/api/resources/search/?q=python"]
    rows = [("empty view", "/probe/nothing/"), ("one SELECT 1", "/probe/db/?n=1"), ("three SELECT 1", "/probe/db/?n=3"),
            ("one Redis GET", "/probe/redis/")]  # fmt: skip
    for endpoint in endpoints:
        bare = "/bench/bare/?of=" + urllib.parse.quote(endpoint, safe="/")
        rows += [(f"JWT {endpoint}", endpoint), (f"bare view of {endpoint}", bare)]
    with serve(env, "asgi", workers=2) as base:
        auth = {"Authorization": f"Bearer {login(base)}"}
        server = [p for p in _pids("config.asgi:application") if p != os.getpid()]
        server = sorted({c for p in server for c in _children(p)})
        print(f"\n== server CPU per request, wrk c=8, {args.seconds} s each (load {os.getloadavg()[0]:.1f}) ==")
        print(f"{'request':55} {'req/s':>8} {'server ms':>10} {'pg ms':>7} {'redis ms':>9}")
        for name, path in rows:
            url = base + path
            for _ in range(5):
                urllib.request.urlopen(urllib.request.Request(url, headers=auth)).read()
            pg, redis = _pids("postgres: "), _pids("redis-server")
            before = (_cpu_seconds(server), _cpu_seconds(pg), _cpu_seconds(redis))
            rps, total = _wrk(url, args.seconds, auth)
            after = (_cpu_seconds(server), _cpu_seconds(pg), _cpu_seconds(redis))
            per = [1000 * (a - b) / max(total, 1) for a, b in zip(after, before, strict=True)]
            print(f"{name:55} {rps:8.1f} {per[0]:10.2f} {per[1]:7.2f} {per[2]:9.2f}", flush=True)


if __name__ == "__main__":
    main()
