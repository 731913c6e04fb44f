"""Readiness tells the truth about workers: 503 when the only worker of a queue stops, 200 again when it returns
(real Redis, a real Celery worker writing heartbeats)."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from common import heartbeat

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs a real Redis (REDIS_URL) and a real worker"),
]


def _worker(queue: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.ops.worker_app", "worker", "-Q", queue, "-P", "solo",
         "--hostname", f"ops-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def _ready_status(client) -> tuple[int, dict]:
    resp = client.get("/api/health/ready/")
    return resp.status_code, resp.json()["checks"]


def _wait_for(client, code: int, timeout: float) -> tuple[int, dict]:
    deadline = time.monotonic() + timeout
    while True:
        status, checks = _ready_status(client)
        if status == code or time.monotonic() > deadline:
            return status, checks
        time.sleep(0.2)


def _stop(proc: subprocess.Popen, sig: int) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def test_readiness_follows_the_only_worker_of_a_queue(api_client, settings, tmp_path):
    queue, key = f"ops-ready-{uuid.uuid4().hex[:8]}", f"pathwise-test:workers-{uuid.uuid4().hex[:8]}"
    settings.HEALTH_WORKER_QUEUES = [queue]
    settings.HEALTH_HEARTBEAT_KEY = key
    settings.HEALTH_WORKER_TTL = 3.0
    env = {**os.environ, "HEALTH_HEARTBEAT_KEY": key, "HEALTH_HEARTBEAT_INTERVAL": "0.5"}
    status, checks = _ready_status(api_client)
    assert (status, checks[f"workers_{queue}"]) == (503, "none")

    worker = _worker(queue, env, tmp_path / "worker-1.log")
    try:
        status, checks = _wait_for(api_client, 200, 60)
        assert status == 200, (checks, (tmp_path / "worker-1.log").read_text()[-2000:])
        assert checks[f"workers_{queue}"] == "ok" and checks["migrations"] == "ok"

        # A clean stop removes the worker's heartbeat at once.
        _stop(worker, signal.SIGTERM)
        status, checks = _wait_for(api_client, 503, 5)
        assert (status, checks[f"workers_{queue}"]) == (503, "none")

        # It comes back: ready again.
        worker = _worker(queue, env, tmp_path / "worker-2.log")
        status, checks = _wait_for(api_client, 200, 60)
        assert status == 200, (checks, (tmp_path / "worker-2.log").read_text()[-2000:])

        # A worker that dies without a word (SIGKILL) is seen as dead once its heartbeat is older than the TTL.
        _stop(worker, signal.SIGKILL)
        status, checks = _wait_for(api_client, 503, settings.HEALTH_WORKER_TTL + 5)
        assert (status, checks[f"workers_{queue}"]) == (503, "none")
    finally:
        _stop(worker, signal.SIGTERM)
        heartbeat._client().delete(heartbeat.queue_key(queue))


def test_an_executor_worker_without_a_sandbox_fails_readiness(api_client, settings):
    key = f"pathwise-test:workers-{uuid.uuid4().hex[:8]}"
    settings.HEALTH_WORKER_QUEUES = ["executor"]
    settings.HEALTH_HEARTBEAT_KEY = key
    client = heartbeat._client()
    try:
        heartbeat._state["sandbox"] = "unavailable"
        heartbeat.beat_once("exec-1@host", ["executor"], client)
        status, checks = _ready_status(api_client)
        assert (status, checks["workers_executor"], checks["executor_sandbox"]) == (503, "ok", "unavailable")
        heartbeat._state["sandbox"] = "ok"
        heartbeat.beat_once("exec-2@host", ["executor"], client)
        status, checks = _ready_status(api_client)
        assert (status, checks["executor_sandbox"]) == (200, "ok")
    finally:
        heartbeat._state.pop("sandbox", None)
        client.delete(heartbeat.queue_key("executor"))
