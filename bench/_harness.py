"""Shared benchmark plumbing: a migrated database, gunicorn with 2 workers on loopback, and wrk.

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


@contextmanager
def server(workers: int = 2, seed: bool = False):
    """Yield (base_url, env) of a gunicorn serving the project on a free loopback port."""
    if not shutil.which("wrk"):
        sys.exit("wrk is required: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="pathwise-bench-"))
    env = bench_env(tmp)
    manage(env, "migrate", "--noinput", "-v0")
    if seed:
        manage(env, "seed", "--no-progress")
    manage(env, "shell", "-c", (
        "from users.models import User, UserPreferences;"
        "u=User.objects.filter(username='bench').first() or User.objects.create_user('bench','bench@example.com',"
        "'bench-Passw0rd!');UserPreferences.objects.get_or_create(user=u)"
    ))  # fmt: skip
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(Path(PY).parent / "gunicorn"), "config.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", str(workers),
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/api/health/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield base, env
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


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
    return {"rps": rps, "p50": lat.get("50"), "p99": lat.get("99"), "non2xx": int(non2xx.group(1)) if non2xx else 0}


def report(title: str, results: dict[str, dict], baseline: str, extra: dict[str, dict] | None = None) -> None:
    print(f"\n{title}")
    bare = results[baseline]["rps"]
    cols = list((extra or {}).get(next(iter(results)), {}).keys())
    header = f"{'endpoint':40} {'req/s':>9} {'p50':>9} {'p99':>9} {'non-2xx':>8} {'vs bare':>8}"
    print(header + "".join(f" {c:>8}" for c in cols))
    for name, r in results.items():
        line = f"{name:40} {r['rps']:9.1f} {r['p50']:>9} {r['p99']:>9} {r['non2xx']:8d} {r['rps'] / bare:8.2f}"
        print(line + "".join(f" {(extra or {}).get(name, {}).get(c, '')!s:>8}" for c in cols))
