"""Mixed realistic load: 50 concurrent learners (locust, headless) against the server exactly as `make run` and the
Dockerfile start it (gunicorn + uvicorn ASGI workers; `--wsgi` measures the gthread WSGI variant after it in the same
run), a Celery worker as `make worker` starts it, PostgreSQL and Redis with the seeded data, on loopback, for a bounded
time. Prints throughput, p50/p95/p99 per endpoint, the status codes seen, the PostgreSQL connections sampled over the
run, and a verdict line per figure (reads p95 ≤ 300 ms, no 5xx, connections within the configured bound).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pathwise_load_h4 REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/load.py [--users 50] [--seconds 90] [--learners 200] [--wsgi]

Every simulated learner sends its requests from an address of its own through one trusted proxy: the server runs
with NUM_PROXIES=1 and locust adds `X-Forwarded-For: 10.x.y.z` per user, so per-IP limits see distinct clients
(anonymous reads are not all one client hitting the 600/min burst limit).

Why locust rather than wrk: a learner's session is stateful (a token per user, their own ids, a PATCH body, chained
reads), the figures are needed per endpoint, and users have think time (an open-ish workload, not a saturating
closed loop). locust's FastHttpUser (geventhttpclient) keeps its own CPU cost low enough to share this 2-core machine.
Targets: p95 ≤ 300 ms for reads, no 5xx, 429 the only non-2xx.
"""

import argparse
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(PY).parent

PREPARE = """
import json, sys
from django.contrib.auth.hashers import make_password
from learning.models import LearningPath, Module
from users.models import User, UserPreferences
from users.tokens import tokens_for_user
n = int(sys.argv[-1]) if sys.argv[-1].isdigit() else 200
hashed = make_password("Load-Passw0rd!")
existing = set(User.objects.filter(username__startswith="load").values_list("username", flat=True))
User.objects.bulk_create([User(username=f"load{i}", email=f"load{i}@example.com", password=hashed)
                          for i in range(n) if f"load{i}" not in existing])
users = list(User.objects.filter(username__startswith="load").order_by("username")[:n])
UserPreferences.objects.bulk_create([UserPreferences(user=u) for u in users], ignore_conflicts=True)
print(json.dumps({
    "users": [{"id": str(u.pk), "token": tokens_for_user(user=u)["access"]} for u in users],
    "paths": list(LearningPath.objects.values_list("pk", flat=True)),
    "modules": list(Module.objects.values_list("pk", flat=True)),
}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment() -> dict[str, str]:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("Set DATABASE_URL (PostgreSQL, its own database) and REDIS_URL: this measures the real stack.")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or os.urandom(32).hex(),
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "NUM_PROXIES": "1",  # the bench is the trusted proxy: one X-Forwarded-For address per simulated learner
        "CACHE_KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "load"),
        "OPENBLAS_NUM_THREADS": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stdout[-2000:] + done.stderr[-2000:])
    return done.stdout


def create_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    conn = psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True)
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


def spawn(env: dict[str, str], args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50, help="concurrent learners")
    parser.add_argument("--seconds", type=int, default=90)
    parser.add_argument("--learners", type=int, default=200, help="distinct test accounts")
    parser.add_argument("--web-workers", type=int, default=2, help="as make run (WORKERS=2)")
    parser.add_argument("--skip-seed", action="store_true", help="the database is already migrated and seeded")
    parser.add_argument("--wsgi", action="store_true", help="also measure gunicorn gthread (WSGI) in the same run")
    args = parser.parse_args()
    env = environment()
    create_database(env["DATABASE_URL"])
    tmp = Path(tempfile.mkdtemp(prefix="pathwise-load-"))
    print("preparing: migrate, seed, users…", flush=True)
    if not args.skip_seed:
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "seed", "--no-progress")
    data_file = tmp / "data.json"
    prepared = manage(env, "shell", "-c", PREPARE.replace("sys.argv[-1]", repr(str(args.learners))))
    data_file.write_text(prepared.strip().splitlines()[-1])
    # `make worker`: all queues, Celery's default concurrency (one process per core).
    worker = spawn(env, [str(BIN / "celery"), "-A", "config", "worker", "-Q", "default,executor,llm,scrape,reco",
                         "--loglevel", "WARNING"], tmp / "worker.log")  # fmt: skip
    verdicts: list[str] = []
    try:
        for kind in ["asgi", "wsgi"] if args.wsgi else ["asgi"]:
            verdicts += run_load(kind, env, args, tmp, data_file)
    finally:
        stop(worker)
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    for line in verdicts:
        print(line)


def run_load(kind: str, env: dict[str, str], args: argparse.Namespace, tmp: Path, data_file: Path) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from bench._harness import ConnectionSampler, gunicorn_command

    port = free_port()
    web = spawn(env, gunicorn_command(kind, port, args.web_workers), tmp / f"web-{kind}.log")
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        label = "gunicorn + uvicorn workers (ASGI, as make run)" if kind == "asgi" else "gunicorn gthread (WSGI)"
        print(f"\n== {label}: {args.users} learners for {args.seconds} s…", flush=True)
        locust_env = {**env, "LOAD_DATA": str(data_file), "LOAD_STATUS": str(tmp / f"status-{kind}.json")}
        with ConnectionSampler(env["DATABASE_URL"], interval=1.0) as sampler:
            subprocess.run([str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                            "-u", str(args.users), "-r", "10", "-t", f"{args.seconds}s",
                            "--host", f"http://127.0.0.1:{port}", "--csv", str(tmp / f"load-{kind}"),
                            "--only-summary", "--loglevel", "WARNING"], cwd=ROOT, env=locust_env, check=False,
                           stdout=subprocess.DEVNULL)  # fmt: skip
        verdicts = report(tmp, kind, args.seconds)
        pool_max = int(env.get("DB_POOL_MAX_SIZE", "8"))
        # web workers' pools + the Celery worker (one connection per process, two processes) + beat-free bench.
        bound = args.web_workers * pool_max + 2 * pool_max
        peak = sampler.peak
        print(f"PostgreSQL connections over the run: peak {peak}, samples {len(sampler.samples)}")
        ok = "PASS" if peak is not None and peak <= bound else "MISS"
        verdicts.append(f"VERDICT [{kind}] PostgreSQL connections peak {peak} <= {bound} (web {args.web_workers} x "
                        f"{pool_max} + worker pools): {ok}")  # fmt: skip
        return verdicts
    finally:
        stop(web)
        errors = (tmp / f"web-{kind}.log").read_text(errors="replace")
        if "Traceback" in errors:
            print("\nweb log has tracebacks:\n" + errors[-3000:])


def report(tmp: Path, kind: str, seconds: int) -> list[str]:
    rows = list(csv.DictReader(open(tmp / f"load-{kind}_stats.csv")))
    status = json.loads((tmp / f"status-{kind}.json").read_text())
    print(f"\n{'endpoint':34} {'reqs':>6} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6}  statuses")
    for row in rows:
        name = row["Name"]
        codes = {k.split("|")[1]: v for k, v in status.items() if k.split("|")[0] == name}
        if name == "Aggregated":
            codes = {}
            for key, value in status.items():
                codes[key.split("|")[1]] = codes.get(key.split("|")[1], 0) + value
        print(f"{name:34} {row['Request Count']:>6} {float(row['Requests/s']):6.1f} {row['50%']:>6} {row['95%']:>6} "
              f"{row['99%']:>6}  {dict(sorted(codes.items()))}")  # fmt: skip
    total = sum(status.values())
    server_errors = sum(v for k, v in status.items() if k.split("|")[1].startswith("5"))
    other = {k: v for k, v in status.items() if k.split("|")[1] not in ("200", "201", "202", "429")}
    print(f"\nlatencies in ms; {total} requests in {seconds} s; 5xx: {server_errors} "
          f"({100 * server_errors / max(total, 1):.2f} %); non-2xx other than 429: {other or 'none'}")  # fmt: skip
    reads = [row for row in rows if row["Name"].startswith("GET ")]
    worst = max(reads, key=lambda row: float(row["95%"] or 0)) if reads else None
    worst_p95 = float(worst["95%"]) if worst else float("nan")
    return [
        f"VERDICT [{kind}] reads p95 <= 300 ms (worst: {worst['Name'] if worst else '-'} {worst_p95:.0f} ms): "
        f"{'PASS' if worst and worst_p95 <= 300 else 'MISS'}",
        f"VERDICT [{kind}] no 5xx over {total} requests ({server_errors} seen): "
        f"{'PASS' if server_errors == 0 else 'MISS'}",
    ]


if __name__ == "__main__":
    main()
