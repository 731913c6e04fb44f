"""HA scheduling: two beat replicas at once fire each periodic job once (real Redis; RedBeat's lock), and the
standby takes over when the active one dies."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs a real Redis (REDIS_URL)")

ROOT = Path(__file__).resolve().parents[2]
LOCK_TIMEOUT = 4


def _beat(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.ops.beat_app", "beat", "--loglevel", "DEBUG",
         "--pidfile", ""],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_two_beats_fire_each_periodic_job_once_and_the_standby_takes_over(tmp_path):
    queue, prefix = f"ops-ha-{uuid.uuid4().hex[:8]}", f"pathwise-test:redbeat-{uuid.uuid4().hex[:8]}:"
    env = {**os.environ, "OPS_BEAT_QUEUE": queue, "OPS_BEAT_PREFIX": prefix,
           "CELERY_REDBEAT_LOCK_TIMEOUT": str(LOCK_TIMEOUT), "CELERY_BEAT_MAX_LOOP_INTERVAL": "1"}  # fmt: skip
    client = redis.Redis.from_url(settings.REDIS_URL)
    logs = [tmp_path / "beat-a.log", tmp_path / "beat-b.log"]
    beats = [_beat(env, logs[0]), _beat(env, logs[1])]
    try:
        # Both beats up: one holds the lock and ticks, the other waits for the lock.
        assert _wait(lambda: sum("beat: Starting" in log.read_text() for log in logs) == 2, 60), _tails(logs)
        assert _wait(lambda: client.llen(queue) >= 1, 30), _tails(logs)
        holders = [i for i, log in enumerate(logs) if "beat: Acquired lock" in log.read_text()]
        assert len(holders) == 1, _tails(logs)
        start, first = time.monotonic(), client.llen(queue)
        time.sleep(6)
        fired, elapsed = client.llen(queue) - first, time.monotonic() - start
        # One job every second: about `elapsed` messages. Two unlocked beats would send about twice that.
        assert 2 <= fired <= elapsed + 1.5, (fired, elapsed, _tails(logs))
        assert [i for i, log in enumerate(logs) if "beat: Acquired lock" in log.read_text()] == holders

        # The active beat dies without releasing its lock: the standby takes over once the lock expires.
        active, standby = holders[0], 1 - holders[0]
        os.killpg(beats[active].pid, signal.SIGKILL)
        beats[active].wait(10)
        assert _wait(lambda: "beat: Acquired lock" in logs[standby].read_text(), LOCK_TIMEOUT + 20), _tails(logs)
        before = client.llen(queue)
        assert _wait(lambda: client.llen(queue) >= before + 2, 15), _tails(logs)
    finally:
        for beat in beats:
            if beat.poll() is None:
                os.killpg(beat.pid, signal.SIGTERM)
                try:
                    beat.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(beat.pid, signal.SIGKILL)
        client.delete(queue)
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)


def _tails(logs: list[Path]) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text()[-1500:]}" for log in logs)
