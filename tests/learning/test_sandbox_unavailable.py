"""Default mode without a usable sandbox: code execution answers 503 `sandbox_unavailable` with the remedy, nothing
is queued, and readiness says so (without failing)."""

import pytest

from common.models import Job
from executor.models import CodeRun
from learning import sandbox
from learning.models import CodeSubmission
from tests.learning.factories import ModuleFactory
from tests.users.test_auth_views import assert_error_shape

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_sandbox(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the web process runs code itself (the embedded default)
    settings.EXECUTOR_BACKEND = "bwrap"
    settings.EXECUTOR_BWRAP_PATH = "/nonexistent/bwrap"
    sandbox._cache.clear()
    yield
    sandbox._cache.clear()


@pytest.mark.parametrize(
    "path,body",
    [
        ("/api/learning/code/execute/", {"code": "print(1)", "language": "python"}),
        ("/api/jac-execution/api/quick-execute/", {"code": "print(1)", "language": "python"}),
        ("/api/jac-execution/api/execute/", {"code": "print(1)", "language": "python",
                                             "test_cases": [{"input": "", "expected_output": "1"}]}),
        ("/api/agents/code-evaluator/evaluate/", {"code": "print(1)", "language": "python"}),
    ],
)  # fmt: skip
def test_code_execution_without_a_sandbox_is_503_with_the_remedy(auth_client, no_sandbox, path, body):
    resp = auth_client.post(path, body, format="json")
    assert resp.status_code == 503, resp.content
    payload = resp.json()
    assert_error_shape(payload, "sandbox_unavailable")
    assert "bubblewrap is not installed" in payload["detail"]
    assert "apt-get install bubblewrap" in payload["detail"] and "make sandbox" in payload["detail"]
    assert CodeRun.objects.count() == 0 and CodeSubmission.objects.count() == 0
    assert not Job.objects.filter(kind__in=["code_run", "code_submission", "code_evaluation"]).exists()


def test_exercise_submission_without_a_sandbox_is_503(auth_client, no_sandbox):
    module = ModuleFactory()
    resp = auth_client.post(
        "/api/learning/code-submissions/", {"module": module.pk, "code": "print(1)", "language": "python"},
        format="json",
    )  # fmt: skip
    assert resp.status_code == 503
    assert_error_shape(resp.json(), "sandbox_unavailable")
    assert CodeSubmission.objects.count() == 0


def test_bad_input_is_still_400_before_the_sandbox_is_asked(auth_client, no_sandbox):
    resp = auth_client.post("/api/learning/code/execute/", {"code": "", "language": "python"}, format="json")
    assert resp.status_code == 400


def test_readiness_shows_the_missing_sandbox_without_failing(api_client, no_sandbox):
    resp = api_client.get("/api/health/ready/")
    assert resp.status_code == 200, resp.content
    checks = resp.json()["checks"]
    assert checks["sandbox"] == "unavailable"
    assert "apt-get install bubblewrap" in checks["sandbox_remedy"]


def test_readiness_adds_nothing_when_workers_run_code_remotely(no_sandbox, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the executor workers, not this process, run code
    assert sandbox.health_check() == {}
