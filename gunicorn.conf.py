"""Gunicorn settings read from the working directory (Dockerfile, compose, `make run`): hooks and logging only; the
command line keeps the app, worker class, bind address and worker count visible.

- Prometheus: each worker is a process with its own counters; with PROMETHEUS_MULTIPROC_DIR they write to files
  there and /internal/metrics aggregates every worker. The directory is emptied at start and a dead worker's files
  are marked, as prometheus_client's multiprocess mode requires.
- Logging: gunicorn's and uvicorn's own lines (start, worker boot/exit, errors) as JSON like the application's.
"""

import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / f"pathwise-prometheus-{os.getpid()}")
)
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
