"""Login and authenticated-profile throughput under gunicorn (2 workers) next to a bare Django JSON view.

Usage:  .venv/bin/python bench/auth.py [--seconds 10] [--connections 8]
Uses DATABASE_URL / REDIS_URL from the environment when set (PostgreSQL + Redis for production-like figures),
else a throwaway SQLite file and local-memory cache. Needs `wrk` (apt-get install wrk). Loopback only.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is required: apt-get install wrk")

    tmp = Path(tempfile.mkdtemp(prefix="pathwise-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or os.urandom(32).hex(),
        "THROTTLE_LOGIN_IP": "1000000/1m",
        "THROTTLE_LOGIN_FAILURES": "1000000/1m",
        "THROTTLE_USER": "1000000/1m",
        "THROTTLE_ANON": "1000000/1m",
        "LOG_LEVEL": "WARNING",
    }
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    manage = [PY, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    create = (
        "from users.models import User, UserPreferences;"
        "u=User.objects.filter(username='bench').first() or User.objects.create_user('bench','bench@example.com',"
        "'bench-Passw0rd!');UserPreferences.objects.get_or_create(user=u)"
    )
    subprocess.run([*manage, "shell", "-c", create], cwd=ROOT, env=env, check=True)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = subprocess.Popen(
        [str(Path(PY).parent / "gunicorn"), "config.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "2",
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/api/health/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        body = json.dumps({"username": "bench", "password": "bench-Passw0rd!"}).encode()
        req = urllib.request.Request(f"{base}/api/users/auth/login/", body, {"Content-Type": "application/json"})
        access = json.loads(urllib.request.urlopen(req).read())["tokens"]["access"]
        auth = {"Authorization": f"Bearer {access}"}
        urllib.request.urlopen(f"{base}/bench/bare-profile/").read()  # warm

        login_lua = tmp / "login.lua"
        login_lua.write_text(
            'wrk.method = "POST"\nwrk.body = \'{"username": "bench", "password": "bench-Passw0rd!"}\'\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        results = {
            "bare Django JSON view": wrk(f"{base}/bench/bare-profile/", args.seconds, args.connections),
            "GET /api/users/profile/ (JWT)": wrk(
                f"{base}/api/users/profile/", args.seconds, args.connections, headers=auth
            ),
            "POST /api/users/auth/login/": wrk(
                f"{base}/api/users/auth/login/", args.seconds, args.connections, script=str(login_lua)
            ),
        }
    finally:
        gunicorn.terminate()
        gunicorn.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)

    db = env["DATABASE_URL"].split(":", 1)[0]
    cache = "redis" if env.get("REDIS_URL") else "local memory"
    print(f"\ngunicorn 2 workers, wrk {args.connections} connections x {args.seconds}s, db={db}, cache={cache}")
    bare = results["bare Django JSON view"]["rps"]
    print(f"{'endpoint':34} {'req/s':>9} {'p50':>9} {'p99':>9} {'non-2xx':>8} {'vs bare':>8}")
    for name, r in results.items():
        print(f"{name:34} {r['rps']:9.1f} {r['p50']:>9} {r['p99']:>9} {r['non2xx']:8d} {r['rps'] / bare:8.2f}")


if __name__ == "__main__":
    main()
