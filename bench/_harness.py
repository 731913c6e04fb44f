"""Shared benchmark plumbing: a migrated database, gunicorn with 2 workers on loopback — serving the ASGI application
with uvicorn workers exactly as `make run` and the Dockerfile do, or the WSGI variant (gthread) beside it — and wrk.

Uses DATABASE_URL / REDIS_URL from the environment when set (PostgreSQL + Redis for production-like figures),
else a throwaway SQLite file and local-memory cache. Needs `wrk` (apt-get install wrk). Loopback only, bounded time.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env(tmp: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or os.urandom(32).hex(),
        "THROTTLE_LOGIN_IP": "1000000/1m",
        "THROTTLE_LOGIN_FAILURES": "1000000/1m",
        "THROTTLE_USER": "1000000/1m",
        "THROTTLE_ANON": "1000000/1m",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    return env


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True,
                          text=True).stdout  # fmt: skip


def gunicorn_command(kind: str, port: int, workers: int = 2, threads: int = 4) -> list[str]:
    """The server command line: "asgi" is `make run`'s and the Dockerfile's (gunicorn + uvicorn workers), "wsgi" the
    synchronous variant (gthread workers), for comparison in the same run."""
    gunicorn = str(Path(PY).parent / "gunicorn")
    common = ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning"]
    if kind == "asgi":
        return [gunicorn, "config.asgi:application", "-k", "uvicorn_worker.UvicornWorker", *common]
    return [gunicorn, "config.wsgi:application", "--worker-class", "gthread", "--threads", str(threads), *common]


def prepare(env: dict[str, str], seed: bool = False) -> None:
    manage(env, "migrate", "--noinput", "-v0")
    if seed:
        manage(env, "seed", "--no-progress")
    manage(env, "shell", "-c", (
        "from users.models import User, UserPreferences;"
        "u=User.objects.filter(username='bench').first() or User.objects.create_user('bench','bench@example.com',"
        "'bench-Passw0rd!');UserPreferences.objects.get_or_create(user=u)"
    ))  # fmt: skip


def wait_until_up(base: str, proc: subprocess.Popen | None = None) -> None:
    for _ in range(300):
        if proc is not None and proc.poll() is not None:
            sys.exit(f"the server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"{base}/api/health/live/", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{base} did not come up")


@contextmanager
def serve(env: dict[str, str], kind: str = "asgi", workers: int = 2, cwd: Path = ROOT):
    """Yield the base URL of a gunicorn (see gunicorn_command) on a free loopback port; stop it afterwards."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(gunicorn_command(kind, port, workers), cwd=cwd, env=env)
    try:
        wait_until_up(base, proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@contextmanager
def server(workers: int = 2, seed: bool = False, kind: str = "asgi"):
    """Yield (base_url, env) of a gunicorn serving the project on a free loopback port (ASGI as `make run`)."""
    if not shutil.which("wrk"):
        sys.exit("wrk is required: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="pathwise-bench-"))
    env = bench_env(tmp)
    prepare(env, seed)
    try:
        with serve(env, kind, workers) as base:
            yield base, env
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def pg_connections(database_url: str) -> int | None:
    """Client connections PostgreSQL has open to the benchmark's database (None when it is not PostgreSQL)."""
    if not database_url.startswith("postgres"):
        return None
    import psycopg

    name = database_url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'"
            " AND pid <> pg_backend_pid()",
            [name],
        ).fetchone()
    return int(row[0])


class ConnectionSampler:
    """Samples pg_connections() every `interval` seconds in a thread; `peak` is the largest count seen."""

    def __init__(self, database_url: str, interval: float = 0.5) -> None:
        import threading

        self.url = database_url
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            count = pg_connections(self.url)
            if count is not None:
                self.samples.append(count)
            self._stop.wait(self.interval)

    def __enter__(self) -> "ConnectionSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    @property
    def peak(self) -> int | None:
        return max(self.samples) if self.samples else None


def wrk(url: str, seconds: int, connections: int, script: str | None = None, headers: dict | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"\s+(50|99)%\s+([\d.]+\w+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {"rps": rps, "p50": lat.get("50"), "p99": lat.get("99"), "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "requests": int(total.group(1)) if total else 0, "output": out}  # fmt: skip


def report(title: str, results: dict[str, dict], baseline: str, extra: dict[str, dict] | None = None) -> None:
    print(f"\n{title}")
    bare = results[baseline]["rps"]
    cols = list((extra or {}).get(next(iter(results)), {}).keys())
    header = f"{'endpoint':40} {'req/s':>9} {'p50':>9} {'p99':>9} {'non-2xx':>8} {'vs bare':>8}"
    print(header + "".join(f" {c:>8}" for c in cols))
    for name, r in results.items():
        line = f"{name:40} {r['rps']:9.1f} {r['p50']:>9} {r['p99']:>9} {r['non2xx']:8d} {r['rps'] / bare:8.2f}"
        print(line + "".join(f" {(extra or {}).get(name, {}).get(c, '')!s:>8}" for c in cols))
