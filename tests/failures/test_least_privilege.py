"""Least privilege for real (issue 22): a private stack whose broker Redis loads the shipped ACL
(deploy/redis/users.acl.template rendered by deploy/redis/render-acl.sh) and whose PostgreSQL has the executor role
(deploy/sql/executor_role.sql). Web and the default worker connect as `app`; the executor worker connects as the
`executor` Redis user and the `pathwise_executor` database role, as compose and deploy/k8s configure it. A code run
and a graded full pass of an exercise must complete end to end — points recorded by the default queue — and the
executor's credentials must still be refused what they are not for."""

import secrets
import subprocess
import time

import psycopg
import pytest
import redis

from tests.factories import PASSWORD
from tests.failures.stack import BIN, ROOT, Stack, missing_binaries, wait_for
from tests.sandbox import require_sandbox

pytestmark = pytest.mark.slow

APP_PASSWORD = secrets.token_urlsafe(12)
EXECUTOR_REDIS_PASSWORD = secrets.token_urlsafe(12)
EXECUTOR_DB_PASSWORD = secrets.token_urlsafe(12)

SETUP = """
import json
from tests.factories import UserFactory
from tests.learning.factories import ExerciseTestCaseFactory, ModuleFactory
learner = UserFactory(username="lp-learner", email="lp-learner@example.com")
module = ModuleFactory(module_type="exercise", language="python")
ExerciseTestCaseFactory(module=module, input="2\\n3\\n", expected_output="5\\n", points=10)
ExerciseTestCaseFactory(module=module, input="7\\n8\\n", expected_output="15\\n", points=10, is_hidden=True)
print(json.dumps({"module": module.pk}))
"""
POINTS = """
import json
from learning.models import PointAward, UserModuleProgress
print(json.dumps({"awards": PointAward.objects.filter(user__username="lp-learner").count(),
                  "completed": UserModuleProgress.objects.filter(user__username="lp-learner",
                                                                  status="completed").count()}))
"""


@pytest.fixture(scope="module")
def stack():
    missing = missing_binaries()
    if missing:
        pytest.skip(f"the private stack needs {', '.join(missing)}")
    require_sandbox()
    # The settings every deployment starts from (config.settings.test renames the key prefixes the ACL names) and
    # the key prefix the ACL's patterns are written for.
    stack = Stack(extra_env={"DJANGO_SETTINGS_MODULE": "config.settings.base", "CACHE_KEY_PREFIX": "pathwise"})
    stack.extra_env["REDIS_URL"] = f"redis://app:{APP_PASSWORD}@127.0.0.1:{stack.redis_port}/0"
    try:
        stack.pg_init()
        acl = stack.tmp / "users.acl"
        subprocess.run(
            ["sh", str(ROOT / "deploy/redis/render-acl.sh"), str(ROOT / "deploy/redis/users.acl.template"), str(acl)],
            env={"PATH": "/usr/bin:/bin", "REDIS_APP_PASSWORD": APP_PASSWORD,
                 "REDIS_EXECUTOR_PASSWORD": EXECUTOR_REDIS_PASSWORD},
            check=True, timeout=30,
        )  # fmt: skip
        stack._spawn("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(stack.redis_port), "--save", "",
                               "--appendonly", "no", "--dir", str(stack.tmp), "--aclfile", str(acl)])  # fmt: skip
        wait_for(lambda: app_redis(stack).ping(), 10, "redis with the shipped ACL")
        stack.manage("migrate", "--noinput")
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(stack.pg_port), "-U", "postgres", "-d", "pathwise", "-q",
             "-v", f"executor_password={EXECUTOR_DB_PASSWORD}", "-f", str(ROOT / "deploy/sql/executor_role.sql")],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        stack.ids = stack.shell(SETUP)
        stack.web_start()
        stack.worker_start(queues="default,llm,scrape,reco")
        env = {
            **stack.env,
            "DATABASE_URL": f"postgres://pathwise_executor:{EXECUTOR_DB_PASSWORD}@127.0.0.1:{stack.pg_port}/pathwise",
            "REDIS_URL": f"redis://executor:{EXECUTOR_REDIS_PASSWORD}@127.0.0.1:{stack.redis_port}/0",
            "CELERY_WORKER_ENABLE_REMOTE_CONTROL": "false",  # as compose and deploy/k8s run it
        }
        out = open(stack.log("executor"), "ab")
        stack.procs["executor"] = subprocess.Popen(
            [str(BIN / "celery"), "-A", "config", "worker", "-Q", "executor", "--concurrency", "1", "--pool",
             "prefork", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", "executor@%h"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            wait_for(lambda: "ready." in stack.log("executor").read_text(errors="replace"), 60, "executor worker")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{stack.log('executor').read_text(errors='replace')[-3000:]}") from None
        yield stack
    finally:
        stack.close()


def app_redis(stack) -> redis.Redis:
    return redis.Redis(port=stack.redis_port, username="app", password=APP_PASSWORD, socket_timeout=5)


def executor_redis(stack) -> redis.Redis:
    return redis.Redis(port=stack.redis_port, username="executor", password=EXECUTOR_REDIS_PASSWORD, socket_timeout=5)


def logs(stack) -> str:
    return "".join(f"\n--- {name} ---\n{stack.log(name).read_text(errors='replace')[-2500:]}"
                   for name in ("executor", "worker") if stack.log(name).exists())  # fmt: skip


def test_a_code_run_and_a_graded_full_pass_complete_with_least_privilege(stack):
    token = stack.login("lp-learner", PASSWORD)
    run = stack.request("POST", "/api/learning/code/execute/", {"code": "print(6 * 7)"}, token=token)
    assert run.status == 200 and run.body["output"] == "42\n", (run, logs(stack))
    solution = "a = int(input())\nb = int(input())\nprint(a + b)\n"
    body = {"module": stack.ids["module"], "code": solution, "language": "python"}
    sub = stack.request("POST", "/api/learning/code-submissions/", body, token=token)
    assert sub.status == 201, sub
    deadline = time.monotonic() + 30
    while sub.body["status"] in ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        sub = stack.request("GET", f"/api/learning/code-submissions/{sub.body['id']}/", token=token)
    assert (sub.body["status"], sub.body["test_cases_passed"]) == ("completed", 2), sub
    # Points and progress: written by the default queue's task, which the executor worker enqueued.
    try:
        wait_for(lambda: stack.shell(POINTS)["completed"] == 1, 30, "the full pass's progress")
    except AssertionError as exc:
        raise AssertionError(f"{exc}{logs(stack)}") from None
    assert stack.shell(POINTS)["awards"] >= 1
    # Readiness sees the executor worker's heartbeat, written with its own credentials.
    ready = stack.request("GET", "/api/health/ready/")
    assert ready.status == 200, ready
    log = stack.log("executor").read_text(errors="replace")
    for refused in ("NOPERM", "no permissions", "permission denied", "Could not bump"):
        assert refused not in log, log[-3000:]


def test_the_executor_credentials_are_refused_what_they_are_not_for(stack):
    ex = executor_redis(stack)
    for denied in (lambda: ex.rpop("default"), lambda: ex.lrange("llm", 0, -1), lambda: ex.keys("*"),
                   lambda: ex.get("redbeat::lock"), lambda: ex.flushall(), lambda: ex.config_get("*")):  # fmt: skip
        with pytest.raises(redis.exceptions.ResponseError, match=r"NOPERM|no permissions"):
            denied()
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(port=stack.redis_port, socket_timeout=5).ping()  # the default user is off
    conn = psycopg.connect(host="127.0.0.1", port=stack.pg_port, user="pathwise_executor",
                           password=EXECUTOR_DB_PASSWORD, dbname="pathwise", connect_timeout=3)  # fmt: skip
    try:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.cursor() as cur:
            cur.execute("SELECT * FROM users LIMIT 1")
    finally:
        conn.close()
