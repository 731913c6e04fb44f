"""Failure injection against a private stack (tests/failures/stack.py): PostgreSQL restarted under traffic, Redis
stopped, a Celery worker SIGKILLed in the middle of an LLM task and of a sandboxed code run. In each case the API
answers in its error shape quickly, recovers by itself, runs work at most as often as it should, and loses nothing
already stored."""

import os
import re
import signal
import threading
import time

import psycopg
import pytest

from tests.factories import PASSWORD
from tests.sandbox import require_sandbox

pytestmark = pytest.mark.slow

COUNTS = """
import json
from learning.models import LearningPath, Module
from resources.models import Resource
from users.models import User
print(json.dumps({"users": User.objects.count(), "paths": LearningPath.objects.count(),
                  "modules": Module.objects.count(), "resources": Resource.objects.count()}))
"""


def db(stack, sql: str, *args):
    conn = psycopg.connect(host="127.0.0.1", port=stack.pg_port, user="postgres", dbname="pathwise",
                            connect_timeout=3)  # fmt: skip
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def assert_error_shape(resp) -> None:
    assert isinstance(resp.body, dict) and resp.body.get("detail") and resp.body.get("errors"), resp


@pytest.fixture(scope="module")
def learner(stack) -> str:
    return stack.login("fi-learner", PASSWORD)


@pytest.fixture(scope="module")
def stored(stack):
    return stack.shell(COUNTS)


def test_postgres_restart_mid_traffic_gives_fast_503_then_recovers(stack, learner, stored):
    results: list[tuple[float, object]] = []
    done = threading.Event()

    def traffic() -> None:
        while not done.is_set():
            started = time.monotonic()
            resp = stack.request("GET", "/api/learning/progress/", token=learner, timeout=15)
            results.append((started, resp))
            time.sleep(0.05)

    threads = [threading.Thread(target=traffic) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    outage_start = time.monotonic()
    stack.pg_stop()
    time.sleep(3)
    stack.pg_start()
    outage_end = time.monotonic()
    time.sleep(1.5)
    done.set()
    for thread in threads:
        thread.join(timeout=30)

    statuses = [resp.status for _, resp in results]
    assert set(statuses) <= {200, 503}, statuses
    during = [resp for started, resp in results if outage_start + 0.2 < started < outage_end - 0.5]
    assert during and all(resp.status == 503 for resp in during), [r.status for r in during]
    for resp in during:
        assert resp.seconds < 5, resp.seconds
        assert_error_shape(resp)
    # The first request after recovery succeeds (health-checked connections are replaced, not reused broken).
    after = stack.request("GET", "/api/learning/progress/", token=learner)
    assert after.status == 200, after
    assert stack.shell(COUNTS) == stored


def test_redis_stopped_code_runs_503_reads_fail_open_login_fails_closed(stack, learner, stored):
    stack.redis_stop()
    try:
        run = stack.request("POST", "/api/learning/code/execute/", {"code": "print(1)", "language": "python"},
                            token=learner)  # fmt: skip
        assert run.status == 503 and run.seconds < 5, run
        assert_error_shape(run)
        search = stack.request("GET", "/api/resources/search/?q=python")
        assert search.status == 200 and search.body, search.status
        paths = stack.request("GET", "/api/learning/learning-paths/")
        assert paths.status == 200 and paths.body
        progress = stack.request("GET", "/api/learning/progress/", token=learner)
        assert progress.status == 200
        login = stack.request("POST", "/api/users/auth/login/", {"username": "fi-learner", "password": PASSWORD})
        assert login.status == 503 and login.seconds < 5, login
        assert_error_shape(login)
        # A run whose task was lost with the broker (queued, never picked up) is failed by the reaper, which needs
        # only the database.
        run_id = stack.shell(
            "import json\nfrom executor.models import CodeRun\nfrom users.models import User\n"
            "run = CodeRun.objects.create(owner=User.objects.get(username='fi-learner'), purpose='execute', "
            "language='python', source='print(1)', stdin='', limits={'wall_seconds': 5})\n"
            "print(json.dumps(run.pk))"
        )
        reaped = stack.shell(
            "import json\nfrom datetime import timedelta\nfrom django.utils import timezone\n"
            "from executor.services import runs_reap\nprint(json.dumps(runs_reap(now=timezone.now() + "
            "timedelta(minutes=16))))"
        )
        assert reaped >= 1
        assert db(stack, "SELECT state, status FROM executor_coderun WHERE id = %s", run_id) == [
            ("finished", "system_error")
        ]
    finally:
        stack.redis_start()
    assert (
        stack.request("POST", "/api/users/auth/login/", {"username": "fi-learner", "password": PASSWORD}).status == 200
    )
    assert stack.shell(COUNTS) == stored


def test_worker_killed_during_roadmap_generation_runs_it_again_once_and_writes_once(stack, learner, slow_llm, stored):
    resp = stack.request("POST", "/api/roadmaps/generate/", {"concept": "python", "duration": 4}, token=learner)
    assert resp.status == 202, resp
    roadmap_id = resp.body["roadmap"]["id"]
    assert slow_llm.first_started.wait(30), "the worker never called the LLM"
    children = stack.worker_children()
    assert len(children) == 1
    os.kill(children[0], signal.SIGKILL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        status = db(stack, "SELECT status FROM roadmaps WHERE id = %s", roadmap_id)[0][0]
        if status != "generating":
            break
        time.sleep(0.5)
    assert status == "draft", status
    assert slow_llm.requests == 2  # delivered again exactly once
    steps = db(stack, "SELECT count(*), count(DISTINCT order_index) FROM roadmap_steps WHERE roadmap_id = %s",
               roadmap_id)[0]  # fmt: skip
    assert steps[0] > 0 and steps[0] == steps[1]
    jobs = db(stack, "SELECT status FROM common_job WHERE kind = 'roadmap_generation' AND ref = %s", str(roadmap_id))
    assert jobs == [("completed",)]
    body = stack.request("GET", f"/api/roadmaps/{roadmap_id}/", token=learner).body
    assert len(body["steps"]) == steps[0]
    assert stack.shell(COUNTS) == stored


def test_worker_killed_during_code_run_fails_it_and_never_reruns_it(stack, learner, stored):
    require_sandbox()
    result: dict = {}
    code = "import time\nprint('started', flush=True)\ntime.sleep(4)\nprint('done')"

    def post() -> None:
        result["resp"] = stack.request("POST", "/api/learning/code/execute/", {"code": code}, token=learner)

    thread = threading.Thread(target=post)
    thread.start()
    deadline = time.monotonic() + 30
    run = None
    while time.monotonic() < deadline:
        rows = db(stack, "SELECT id, state, started_at FROM executor_coderun WHERE source = %s", code)
        if rows and rows[-1][1] == "running":
            run = rows[-1]
            break
        time.sleep(0.1)
    assert run is not None, "the run never started"
    os.kill(stack.worker_children()[0], signal.SIGKILL)
    thread.join(timeout=30)
    assert result["resp"].status in (200, 202), result["resp"]
    time.sleep(6)  # a redelivery would have been picked up by the respawned child by now
    assert db(stack, "SELECT state, started_at FROM executor_coderun WHERE id = %s", run[0]) == [("running", run[2])]
    # Received once: acknowledged despite the lost worker (acks_late without reject_on_worker_lost), not redelivered.
    assert len(re.findall(r"Task executor\.run_code\[[^\]]+\] received", stack.log("worker").read_text())) == 1
    reaped = stack.shell(
        "import json\nfrom datetime import timedelta\nfrom django.utils import timezone\n"
        "from executor.services import runs_reap\nprint(json.dumps(runs_reap(now=timezone.now() + "
        "timedelta(minutes=2))))"
    )
    assert reaped == 1
    after = stack.request("GET", f"/api/learning/code/execute/{run[0]}/", token=learner)
    assert after.status == 200 and after.body["status"] == "system_error", after
    assert stack.shell(COUNTS) == stored
