"""Code execution through the API: a real sandbox, and a real Celery worker when a broker is configured."""

import json
import time

import pytest
from django.conf import settings

from executor.models import CodeRun
from learning.models import CodeSubmission, PointAward, UserModuleProgress
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.learning.factories import ExerciseTestCaseFactory, ModuleFactory
from tests.users.test_auth_views import assert_error_shape

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sandbox", "celery_worker")]

EXECUTE_KEYS = {"success", "output", "error", "execution_time", "memory_usage", "status", "exit_code", "stdout",
                "stderr", "stdout_truncated", "stderr_truncated", "submission_id"}  # fmt: skip


@pytest.mark.parametrize("path", ["/api/learning/code/execute/", "/api/jac-execution/api/quick-execute/",
                                  "/api/jac-execution/api/execute"])  # fmt: skip
def test_execute_python_returns_the_spa_shape(path):
    user = UserFactory()
    resp = client_for(user).post(path, {"code": "print(input() + '!')", "language": "python", "stdin": "hi"},
                                 format="json")  # fmt: skip
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert set(body) == EXECUTE_KEYS
    assert (body["success"], body["output"], body["status"], body["exit_code"]) == (True, "hi!\n", "success", 0)
    assert body["execution_time"] > 0 and body["memory_usage"] > 0
    run = CodeRun.objects.get(pk=body["submission_id"])
    assert (run.owner_id, run.state, run.status) == (user.pk, "finished", "success")


def test_failing_code_is_still_200_with_the_error():
    resp = client_for(UserFactory()).post("/api/learning/code/execute/", {"code": "1/0", "language": "python"},
                                          format="json")  # fmt: skip
    assert resp.status_code == 200
    body = resp.json()
    assert body["success"] is False and body["status"] == "runtime_error"
    assert "ZeroDivisionError" in body["error"] and body["exit_code"] == 1


def test_test_input_alias_and_timeout_are_honoured():
    client = client_for(UserFactory())
    body = client.post("/api/learning/code/execute/", {"code": "print(input())", "test_input": "via alias"},
                       format="json").json()  # fmt: skip
    assert body["output"] == "via alias\n"
    slow = client.post("/api/learning/code/execute/", {"code": "import time\ntime.sleep(30)", "timeout": 1},
                       format="json").json()  # fmt: skip
    assert slow["status"] == "timeout" and slow["execution_time"] < 5


def test_jac_hello_world():
    body = client_for(UserFactory()).post(
        "/api/learning/code/execute/", {"code": 'with entry { print("Hello, Jac!"); }', "language": "jac"},
        format="json",
    ).json()  # fmt: skip
    assert (body["success"], body["output"]) == (True, "Hello, Jac!\n")


def test_nul_bytes_in_output_are_stored_and_returned_safely():
    body = client_for(UserFactory()).post(
        "/api/learning/code/execute/", {"code": "import sys\nsys.stdout.buffer.write(b'a\\x00b\\xff\\n')"},
        format="json",
    ).json()  # fmt: skip
    assert body["status"] == "success"
    assert body["output"] == "a\ufffdb\ufffd\n"
    assert CodeRun.objects.get(pk=body["submission_id"]).stdout == "a\ufffdb\ufffd\n"


@pytest.mark.parametrize(
    "body",
    [
        {"code": "", "language": "python"},
        {"code": "   \n", "language": "python"},
        {"code": "x = 1\n" * 12_000, "language": "python"},
        {"code": "print(1)", "language": "cobol"},
        {"code": "print('\u0000')", "language": "python"},
        {"code": "print(1)", "timeout": -1},
        {"code": "print(1)", "memory_limit": "lots"},
        {"language": "python"},
    ],
)
def test_bad_requests_are_400_and_enqueue_nothing(body):
    resp = client_for(UserFactory()).post("/api/learning/code/execute/", body, format="json")
    assert resp.status_code == 400
    assert_error_shape(resp.json())
    assert not CodeRun.objects.exists()


def test_one_megabyte_source_is_refused():
    resp = client_for(UserFactory()).post(
        "/api/learning/code/execute/", {"code": "#" * (1024 * 1024 - 100), "language": "python"}, format="json"
    )
    assert resp.status_code in (400, 413)
    assert not CodeRun.objects.exists()


def test_execute_requires_authentication(api_client):
    assert api_client.post("/api/learning/code/execute/", {"code": "print(1)"}, format="json").status_code == 401
    assert not CodeRun.objects.exists()


def test_per_user_rate_limit(settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "code_runs": "3/1m"}
    client = client_for(UserFactory())
    for _ in range(3):
        assert client.post("/api/learning/code/execute/", {"code": "print(1)"}, format="json").status_code == 200
    resp = client.post("/api/learning/code/execute/", {"code": "print(1)"}, format="json")
    assert resp.status_code == 429 and int(resp["Retry-After"]) > 0
    assert CodeRun.objects.count() == 3
    assert client_for(UserFactory()).post("/api/learning/code/execute/", {"code": "print(1)"},
                                          format="json").status_code == 200  # fmt: skip


def test_per_user_concurrency_and_global_queue_cap(settings):
    user = UserFactory()
    for _ in range(settings.EXECUTOR_USER_CONCURRENCY):
        CodeRun.objects.create(owner=user, language="python", source="print(1)", state="running")
    resp = client_for(user).post("/api/learning/code/execute/", {"code": "print(1)"}, format="json")
    assert resp.status_code == 429
    settings.EXECUTOR_QUEUE_CAP = 2
    other = UserFactory()
    CodeRun.objects.create(owner=other, language="python", source="print(1)", state="queued")
    CodeRun.objects.create(owner=UserFactory(), language="python", source="print(1)", state="queued")
    resp = client_for(UserFactory()).post("/api/learning/code/execute/", {"code": "print(1)"}, format="json")
    assert resp.status_code == 503
    assert_error_shape(resp.json(), "service_unavailable")


def test_runs_are_private(api_client):
    owner, other, staff = UserFactory(), UserFactory(), UserFactory(is_staff=True)
    run_id = (
        client_for(owner)
        .post("/api/learning/code/execute/", {"code": "print(1)"}, format="json")
        .json()["submission_id"]
    )
    assert client_for(owner).get(f"/api/learning/code/execute/{run_id}/").json()["output"] == "1\n"
    assert client_for(other).get(f"/api/learning/code/execute/{run_id}/").status_code == 404
    assert client_for(staff).get(f"/api/learning/code/execute/{run_id}/").status_code == 200
    assert api_client.get(f"/api/learning/code/execute/{run_id}/").status_code == 401


def test_queued_run_answers_202_with_the_id_to_poll(settings):
    from executor.models import RunState

    user = UserFactory()
    run = CodeRun.objects.create(owner=user, language="python", source="print(1)", state=RunState.QUEUED)
    resp = client_for(user).get(f"/api/learning/code/execute/{run.pk}/")
    assert resp.status_code == 202
    assert resp.json()["submission_id"] == run.pk and resp.json()["status"] == "queued"


@pytest.fixture
def exercise():
    module = ModuleFactory(module_type="exercise", language="python")
    ExerciseTestCaseFactory(module=module, input="2\n3\n", expected_output="5\n", points=10)
    ExerciseTestCaseFactory(module=module, input="10\n-4\n", expected_output="6\n", points=10)
    ExerciseTestCaseFactory(module=module, input="7\n8\n", expected_output="15\n", points=20, is_hidden=True)
    return module


SOLUTION = "a = int(input())\nb = int(input())\nprint(a + b)   \n"


def _eventually(read, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while (value := read()) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert value is not None
    return value


def test_submission_full_pass_awards_once_and_completes_the_module(exercise):
    user = UserFactory()
    client = client_for(user)
    resp = client.post("/api/learning/code-submissions/", {"module": exercise.pk, "code": SOLUTION,
                                                          "language": "python"}, format="json")  # fmt: skip
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["status"], body["test_cases_passed"], body["test_cases_total"], body["score"]) == (
        "completed", 3, 3, 100.0)  # fmt: skip
    hidden = [r for r in body["results"] if r["is_hidden"]]
    assert len(hidden) == 1 and hidden[0]["passed"] is True
    assert "expected_output" not in hidden[0] and "input" not in hidden[0] and "actual_output" not in hidden[0]
    assert b"15\\n" not in resp.content
    # Points and progress are recorded by a default-queue task once the result is committed (the executor's database
    # role cannot write them): immediately in eager mode, within moments with a worker.
    progress = _eventually(lambda: UserModuleProgress.objects.filter(user=user, module=exercise).first())
    assert progress.status == "completed"
    client.post("/api/learning/code-submissions/", {"module": exercise.pk, "code": SOLUTION, "language": "python"},
                format="json")  # fmt: skip
    time.sleep(0.5 if settings.REDIS_URL else 0)  # let a worker record the second pass, if it wrongly would
    assert PointAward.objects.filter(user=user, kind="exercise_passed", object_id=exercise.pk).count() == 1
    assert PointAward.objects.filter(user=user, kind="module_completed", object_id=exercise.pk).count() == 1


def test_submission_partial_pass_shows_visible_diffs_only(exercise):
    user = UserFactory()
    wrong = "a = int(input())\nb = int(input())\nprint(a + b if a < 5 else a - b)"
    body = client_for(user).post("/api/learning/code-submissions/", {"module": exercise.pk, "code": wrong,
                                                                     "language": "python"},
                                 format="json").json()  # fmt: skip
    assert (body["test_cases_passed"], body["score"]) == (1, 25.0)
    failed_visible = next(r for r in body["results"] if not r["passed"] and not r["is_hidden"])
    assert (failed_visible["expected_output"], failed_visible["actual_output"]) == ("6\n", "14\n")
    assert not PointAward.objects.filter(kind="exercise_passed").exists()
    assert not UserModuleProgress.objects.filter(user=user, status="completed").exists()


def test_submission_compile_error_stops_early(exercise):
    body = client_for(UserFactory()).post("/api/learning/code-submissions/", {
        "module": exercise.pk, "code": "def (:", "language": "python"}, format="json").json()  # fmt: skip
    assert body["status"] == "completed" and body["test_cases_passed"] == 0
    assert len(body["results"]) == 1 and body["results"][0]["status"] == "compile_error"
    assert "did not compile" in body["error_message"]


def test_submissions_are_private_and_validated(api_client, exercise):
    owner, other = UserFactory(), UserFactory()
    sub_id = client_for(owner).post("/api/learning/code-submissions/", {"module": exercise.pk, "code": SOLUTION},
                                    format="json").json()["id"]  # fmt: skip
    assert [s["id"] for s in client_for(owner).get("/api/learning/code-submissions/").json()] == [sub_id]
    assert client_for(other).get("/api/learning/code-submissions/").json() == []
    assert client_for(other).get(f"/api/learning/code-submissions/{sub_id}/").status_code == 404
    assert client_for(owner).get(f"/api/learning/code-submissions/{sub_id}").status_code == 200
    assert api_client.get("/api/learning/code-submissions/").status_code == 401
    lesson = ModuleFactory(module_type="lesson")
    assert client_for(owner).post("/api/learning/code-submissions/", {"module": lesson.pk, "code": "print(1)"},
                                  format="json").status_code == 400  # fmt: skip
    assert client_for(owner).post("/api/learning/code-submissions/", {"module": exercise.pk, "code": "x",
                                                                      "language": "jac"},
                                  format="json").status_code == 400  # fmt: skip
    assert client_for(owner).post("/api/learning/code-submissions/", {"module": 999999, "code": "print(1)"},
                                  format="json").status_code == 404  # fmt: skip
    assert CodeSubmission.objects.count() == 1


def test_editor_execute_with_test_cases_grades_them():
    resp = client_for(UserFactory()).post("/api/jac-execution/api/execute/", {
        "code": "print(input().upper())", "language": "python",
        "test_cases": [{"input": "ab", "expected_output": "AB"}, {"input": "x", "expected_output": "y"}],
    }, format="json")  # fmt: skip
    assert resp.status_code == 201
    body = resp.json()
    assert (body["test_cases_passed"], body["test_cases_total"], body["module"]) == (1, 2, None)


def test_reaper_fails_runs_whose_worker_died():
    from datetime import timedelta

    from django.utils import timezone

    from executor.services import runs_reap

    user = UserFactory()
    stuck = CodeRun.objects.create(owner=user, language="python", source="print(1)", state="running",
                                   started_at=timezone.now() - timedelta(minutes=10))  # fmt: skip
    fresh = CodeRun.objects.create(owner=user, language="python", source="print(1)", state="running",
                                   started_at=timezone.now())  # fmt: skip
    assert runs_reap() == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert (stuck.state, stuck.status) == ("finished", "system_error")
    assert fresh.state == "running"


def test_run_task_through_celery_with_json_arguments():
    """The task takes a primary key and is idempotent: a second delivery of the same run does nothing."""
    from executor.tasks import run_code

    user = UserFactory()
    run = CodeRun.objects.create(owner=user, language="python", source="print(6 * 7)", limits={
        "wall_seconds": 5, "cpu_seconds": 2, "memory_mb": 256, "processes": 32, "open_files": 256,
        "file_size_mb": 1, "tmp_mb": 64, "output_bytes": 65536})  # fmt: skip
    run_code.apply(args=json.loads(json.dumps([run.pk])))
    run.refresh_from_db()
    assert (run.state, run.status, run.stdout) == ("finished", "success", "42\n")
    finished_at = run.finished_at
    run_code.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.finished_at == finished_at


def test_hidden_cases_report_pass_fail_only(exercise):
    """A program whose time, memory, output and error depend on its input tells nothing of a hidden input."""
    probe = (
        "import sys, time\nlines = sys.stdin.read().split()\nblob = bytearray(int(lines[0]) * 4 * 1024 * 1024)\n"
        "time.sleep(int(lines[0]) / 20)\nprint('secret-input', lines)\nprint('secret-input', lines, file=sys.stderr)"
        "\nsys.exit(int(lines[0]) % 7)"
    )
    user = UserFactory()
    resp = client_for(user).post("/api/learning/code-submissions/", {"module": exercise.pk, "code": probe,
                                                                     "language": "python"}, format="json")  # fmt: skip
    assert resp.status_code == 201, resp.content
    body = resp.json()
    hidden = [r for r in body["results"] if r["is_hidden"]]
    assert hidden == [{"test_case_id": hidden[0]["test_case_id"], "passed": False, "status": "failed", "points": 0,
                       "is_hidden": True}]  # fmt: skip
    visible = [r for r in body["results"] if not r["is_hidden"]]
    assert len(visible) == 2 and all("execution_time" in r for r in visible)
    # The submission's totals are the visible cases' own: the hidden case's 0.35 s sleep and 28 MiB are not in them.
    assert body["execution_time"] == pytest.approx(sum(r["execution_time"] for r in visible), abs=1e-3)
    assert "'7'" not in resp.content.decode() and "'8'" not in resp.content.decode()
    detail = client_for(user).get(f"/api/learning/code-submissions/{body['id']}/").json()
    assert [r for r in detail["results"] if r["is_hidden"]] == hidden


def test_hidden_case_stored_with_timing_is_still_shown_as_pass_fail(exercise):
    """Results stored before the trim still answer pass/fail only for hidden cases."""
    user = UserFactory()
    submission = CodeSubmission.objects.create(
        user=user, module=exercise, code="print(1)", language="python", status="completed", test_cases_total=1,
        results=[{"test_case_id": 3, "passed": True, "status": "success", "points": 20, "is_hidden": True,
                  "execution_time": 0.4321, "actual_output": "15\n"}],
    )  # fmt: skip
    body = client_for(user).get(f"/api/learning/code-submissions/{submission.pk}/").json()
    assert body["results"] == [{"test_case_id": 3, "passed": True, "status": "passed", "points": 20,
                                "is_hidden": True}]  # fmt: skip
