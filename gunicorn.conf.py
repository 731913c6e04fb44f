"""Gunicorn settings read from the working directory (Dockerfile, compose, `make run`): hooks and logging only; the
command line keeps the app, worker class, bind address and worker count visible.

- Prometheus: each worker is a process with its own counters; with PROMETHEUS_MULTIPROC_DIR they write to files
  there and /internal/metrics aggregates every worker. The directory is emptied at start and a dead worker's files
  are marked, as prometheus_client's multiprocess mode requires.
  The directory is removed at exit when gunicorn chose it.
- Logging: gunicorn's and uvicorn's own lines (start, worker boot/exit, errors) as JSON like the application's.
"""

import os
import shutil
import tempfile
from pathlib import Path

# Our own directory when the operator names none: removed again at exit (on_exit), so no run leaves one behind.
_OWN_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / f"pathwise-prometheus-{os.getpid()}")
)
# Client addresses: uvicorn rewrites the client address from X-Forwarded-For only for the peers listed here. None:
# the throttles' NUM_PROXIES alone decides which X-Forwarded-For entry is the client (every command line passes
# --forwarded-allow-ips too, so no default of gunicorn's — 127.0.0.1 — can come back).
forwarded_allow_ips = ""
# Keep an idle client connection open for 75 s (uvicorn's workers take gunicorn's `keepalive`; its default is 2 s).
# With 2 s, a client that pauses a little between requests (a learner, a proxy's pooled connection) sends its next
# request just as the server closes the connection: the request fails with a reset and nothing to retry on for a
# PATCH or POST (bench/load.py: "PATCH user-module-progress: HTTP 0"). 75 s outlives the usual idle timeouts of
# proxies and load balancers in front (60 s), as nginx's own default does. Idle connections cost an async worker
# next to nothing. GUNICORN_KEEPALIVE overrides it.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
_LOG_FORMAT = "plain" if os.environ.get("LOG_FORMAT") == "plain" else "json"

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "common.logs.RequestIdFilter"},
        "redact": {"()": "common.logs.RedactingFilter"},
    },
    "formatters": {"json": {"()": "common.logs.JsonFormatter"}, "plain": {"()": "common.logs.PlainFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": _LOG_FORMAT,
            "filters": ["request_id", "redact"],
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        # Access lines come from the application (common.access, with the request id and duration).
        "gunicorn.access": {"level": "WARNING", "handlers": ["console"], "propagate": False},
    },
}


def on_starting(server: object) -> None:
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)


def child_exit(server: object, worker: object) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


def on_exit(server: object) -> None:
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
