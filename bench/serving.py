"""The serving figures of issue 14 in one run, on the server exactly as `make run` and the Dockerfile start it
(gunicorn + 2 uvicorn ASGI workers), optionally with the WSGI variant (gthread) measured beside it:

- wrk c=8: a bare Django JSON view returning the same bytes, JWT `GET /api/learning/learning-paths/` and
  `GET /api/resources/search/?q=python`, and each endpoint's ratio to the bare view (target ≥ 0.5);
- PostgreSQL client connections to the database, sampled during every phase (target: bounded by configuration,
  i.e. ≤ workers × DB_POOL_MAX_SIZE, whatever the request count);
- at least 10,000 mixed requests at c=16 and their status codes (target: no 503, no 5xx).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pw_bench_serving REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python bench/serving.py [--seconds 10] [--wsgi]

Throttle rates are raised (the figure is the request path's cost, not the limiter's verdict); every other setting is
the default. Run on a throwaway database: it is migrated and seeded.
"""

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import ConnectionSampler, bench_env, pg_connections, prepare, serve, wrk

STATUS_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(total) do table.insert(parts, '"' .. status .. '": ' .. n) end
  io.write("STATUSES {" .. table.concat(parts, ", ") .. "}\\n")
end
"""

MIXED_LUA = """
local paths = {PATHS}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
"""


def login(base: str) -> str:
    body = json.dumps({"username": "bench", "password": "bench-Passw0rd!"}).encode()
    req = urllib.request.Request(f"{base}/api/users/auth/login/", body, {"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req).read())["tokens"]["access"]


def statuses(out: str) -> dict[str, int]:
    for line in out.splitlines():
        if line.startswith("STATUSES "):
            return json.loads(line[len("STATUSES ") :])
    return {}


def measure(kind: str, env: dict[str, str], args: argparse.Namespace, tmp: Path) -> dict:
    results: dict = {"kind": kind, "phases": {}}
    status_lua = tmp / "status.lua"
    status_lua.write_text(STATUS_LUA)
    with serve(env, kind, workers=args.workers) as base:
        auth = {"Authorization": f"Bearer {login(base)}"}
        phases = {
            "bare view (learning-paths JSON)": f"{base}/bench/bare/?of=/api/learning/learning-paths/",
            "GET learning-paths (JWT)": f"{base}/api/learning/learning-paths/",
            "bare view (search JSON)": f"{base}/bench/bare/?of=/api/resources/search/%3Fq%3Dpython",
            "GET resources/search?q=python (JWT)": f"{base}/api/resources/search/?q=python",
        }
        for url in phases.values():  # warm both workers' caches and the bare bodies
            for _ in range(4):
                urllib.request.urlopen(urllib.request.Request(url, headers=auth)).read()
        for name, url in phases.items():
            with ConnectionSampler(env["DATABASE_URL"]) as sampler:
                result = wrk(url, args.seconds, 8, script=str(status_lua), headers=auth)
            result["statuses"] = statuses(result.pop("output"))
            result["pg_peak"] = sampler.peak
            results["phases"][name] = result
            print(f"  [{kind}] {name}: {result['rps']:.1f} req/s, pg peak {sampler.peak}", flush=True)
        # >= 10,000 mixed requests at c=16 (catalogue, search, profile, health), authenticated.
        mixed = tmp / "mixed.lua"
        paths = [
            "/api/learning/learning-paths/",
            "/api/resources/search/?q=python",
            "/api/users/profile/",
            "/api/learning/learning-paths/?limit=2",
            "/api/resources/search/?q=sql%20joins",
            "/api/health/",
        ]
        mixed.write_text(MIXED_LUA.replace("{PATHS}", "{" + ", ".join(json.dumps(p) for p in paths) + "}")
                         + STATUS_LUA)  # fmt: skip
        seconds = args.seconds
        total: dict[str, int] = {}
        peak = 0
        requests = 0
        deadline = time.monotonic() + args.max_mixed_seconds
        while requests < 10_000 and time.monotonic() < deadline:
            seconds = max(1, min(seconds, int(deadline - time.monotonic())))
            with ConnectionSampler(env["DATABASE_URL"]) as sampler:
                result = wrk(base + "/", seconds, 16, script=str(mixed), headers=auth)
            for status, n in statuses(result["output"]).items():
                total[status] = total.get(status, 0) + n
            requests += result["requests"]
            peak = max(peak, sampler.peak or 0)
            seconds = max(3, int(seconds * (10_000 - requests) / max(result["requests"], 1)) + 2)
        results["mixed"] = {"requests": requests, "statuses": total, "pg_peak": peak}
        results["pg_after"] = pg_connections(env["DATABASE_URL"])
    return results


def report(results: dict, pool_max: int, workers: int) -> None:
    kind = results["kind"]
    server = "gunicorn + 2 uvicorn workers (ASGI, as make run)" if kind == "asgi" else "gunicorn gthread (WSGI)"
    print(f"\n== {server}, wrk c=8 ==")
    print(f"{'endpoint':40} {'req/s':>8} {'p50':>9} {'p99':>9} {'vs bare':>8} {'pg conns':>8}  statuses")
    phases = results["phases"]
    bare = {"learning": phases["bare view (learning-paths JSON)"]["rps"],
            "search": phases["bare view (search JSON)"]["rps"]}  # fmt: skip
    for name, r in phases.items():
        base = bare["search"] if "search" in name else bare["learning"]
        print(f"{name:40} {r['rps']:8.1f} {r['p50']:>9} {r['p99']:>9} {r['rps'] / base:8.2f} "
              f"{r['pg_peak'] if r['pg_peak'] is not None else '-':>8}  {r['statuses']}")  # fmt: skip
    mixed = results["mixed"]
    bound = workers * pool_max
    peaks = [r["pg_peak"] for r in phases.values() if r["pg_peak"] is not None] + [mixed["pg_peak"]]
    five = sum(n for s, n in mixed["statuses"].items() if s.startswith("5"))
    print(f"mixed c=16: {mixed['requests']} requests, statuses {mixed['statuses']}")
    lp = phases["GET learning-paths (JWT)"]["rps"] / bare["learning"]
    sr = phases["GET resources/search?q=python (JWT)"]["rps"] / bare["search"]
    verdict = lambda ok: "PASS" if ok else "MISS"  # noqa: E731
    print(f"VERDICT [{kind}] learning-paths / bare = {lp:.2f} (target >= 0.5): {verdict(lp >= 0.5)}")
    print(f"VERDICT [{kind}] search / bare = {sr:.2f} (target >= 0.5): {verdict(sr >= 0.5)}")
    if peaks and all(p is not None for p in peaks):
        peak = max(peaks)
        print(f"VERDICT [{kind}] PostgreSQL connections peak {peak}, after {results['pg_after']} (bound "
              f"{workers} workers x DB_POOL_MAX_SIZE {pool_max} = {bound}): {verdict(peak <= bound)}")  # fmt: skip
    print(f"VERDICT [{kind}] {mixed['requests']} requests at c=16: {mixed['statuses'].get('503', 0)} x 503, "
          f"{five} x 5xx (target none): {verdict(five == 0 and mixed['requests'] >= 10_000)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-mixed-seconds", type=int, default=240, help="stop the c=16 phase after this long")
    parser.add_argument("--skip-prepare", action="store_true", help="the database is already migrated and seeded")
    parser.add_argument("--wsgi", action="store_true", help="also measure the WSGI variant (gthread) in the same run")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a throwaway PostgreSQL database (and REDIS_URL): this measures the real stack.")
    with tempfile.TemporaryDirectory(prefix="pathwise-serving-") as tmp_name:
        tmp = Path(tmp_name)
        env = bench_env(tmp)
        if not args.skip_prepare:
            print("preparing: migrate, seed…", flush=True)
            prepare(env, seed=True)
        pool_max = int(env.get("DB_POOL_MAX_SIZE", "8"))
        kinds = ["asgi", "wsgi"] if args.wsgi else ["asgi"]
        all_results = [measure(kind, env, args, tmp) for kind in kinds]
    db = env["DATABASE_URL"].split(":", 1)[0]
    print(f"\ndb={db}, cache={'redis' if env.get('REDIS_URL') else 'local memory'}, {args.seconds}s per phase, "
          f"{os.cpu_count()} cores, loadavg {os.getloadavg()[0]:.1f}")  # fmt: skip
    for results in all_results:
        report(results, pool_max, args.workers)


if __name__ == "__main__":
    main()
