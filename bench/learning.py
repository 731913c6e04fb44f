"""Queries per request and requests per second for the learning-path list and a module detail, under gunicorn
(2 workers) on the seeded catalogue, next to a bare Django view returning the same JSON, in one run.

Usage: .venv/bin/python bench/learning.py [--seconds 10] [--connections 8]
"""

import argparse
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import PY, ROOT, report, server, wrk

COUNT_QUERIES = """
import json
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from learning.models import Module
client = Client()
module = Module.objects.order_by("id").first()
out = {}
for name, url in [("paths", "/api/learning/learning-paths/"), ("module", f"/api/learning/modules/{module.pk}/")]:
    client.get(url, HTTP_HOST="127.0.0.1")
    with CaptureQueriesContext(connection) as ctx:
        client.get(url, HTTP_HOST="127.0.0.1")
    out[name] = len(ctx.captured_queries)
print(json.dumps({"module_id": module.pk, **out}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    with server(seed=True) as (base, env):
        counts = json.loads(
            subprocess.run(
                [PY, "manage.py", "shell", "-c", COUNT_QUERIES],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        paths_url = "/api/learning/learning-paths/"
        module_url = f"/api/learning/modules/{counts['module_id']}/"
        n_paths = len(json.loads(urllib.request.urlopen(base + paths_url).read()))
        s, c = args.seconds, args.connections
        results = {
            "bare view, path-list JSON": wrk(f"{base}/bench/bare/?of={paths_url}", s, c),
            f"GET {paths_url} ({n_paths} paths)": wrk(base + paths_url, s, c),
            "bare view, module JSON": wrk(f"{base}/bench/bare/?of={module_url}", s, c),
            f"GET {module_url}": wrk(base + module_url, s, c),
        }
        db = env["DATABASE_URL"].split(":", 1)[0]
        cache = "redis" if env.get("REDIS_URL") else "local memory"
    extra = {
        f"GET {paths_url} ({n_paths} paths)": {"queries": counts["paths"]},
        f"GET {module_url}": {"queries": counts["module"]},
        "bare view, path-list JSON": {"queries": 0},
        "bare view, module JSON": {"queries": 0},
    }
    report(f"gunicorn 2 workers, wrk {c} connections x {s}s, db={db}, cache={cache}; ratios vs the first bare view",
           results, "bare view, path-list JSON", extra)  # fmt: skip
    print(
        f"module detail vs its bare view: "
        f"{results[f'GET {module_url}']['rps'] / results['bare view, module JSON']['rps']:.2f}"
    )


if __name__ == "__main__":
    main()
