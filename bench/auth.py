"""Login and authenticated GET /api/users/profile/ under gunicorn (2 workers), next to a bare Django view returning
the same JSON, in one run.   Usage: .venv/bin/python bench/auth.py [--seconds 10] [--connections 8]"""

import argparse
import json
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import report, server, wrk


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    with server() as (base, env), tempfile.TemporaryDirectory() as tmp:
        body = json.dumps({"username": "bench", "password": "bench-Passw0rd!"}).encode()
        req = urllib.request.Request(f"{base}/api/users/auth/login/", body, {"Content-Type": "application/json"})
        access = json.loads(urllib.request.urlopen(req).read())["tokens"]["access"]
        auth = {"Authorization": f"Bearer {access}"}
        login_lua = Path(tmp) / "login.lua"
        login_lua.write_text(
            f'wrk.method = "POST"\nwrk.body = \'{body.decode()}\'\nwrk.headers["Content-Type"] = "application/json"\n'
        )
        results = {
            "bare Django view, same JSON": wrk(
                f"{base}/bench/bare/?of=/api/users/profile/", args.seconds, args.connections, headers=auth
            ),
            "GET /api/users/profile/ (JWT)": wrk(
                f"{base}/api/users/profile/", args.seconds, args.connections, headers=auth
            ),
            "POST /api/users/auth/login/ (argon2id)": wrk(
                f"{base}/api/users/auth/login/", args.seconds, args.connections, script=str(login_lua)
            ),
        }
        db = env["DATABASE_URL"].split(":", 1)[0]
        cache = "redis" if env.get("REDIS_URL") else "local memory"
    report(f"gunicorn 2 workers, wrk {args.connections} connections x {args.seconds}s, db={db}, cache={cache}",
           results, "bare Django view, same JSON")  # fmt: skip


if __name__ == "__main__":
    main()
