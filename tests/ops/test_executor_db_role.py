"""Least privilege (PostgreSQL): the executor worker's role reads and writes its runs and submissions, and cannot
read users (the User model's table is `users`, not `users_user`), sessions or tokens (deploy/sql/executor_role.sql,
applied with psql as an operator would)."""

import contextlib
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.utils import ProgrammingError

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="PostgreSQL roles"),
    pytest.mark.skipif(shutil.which("psql") is None, reason="needs psql"),
]


def _apply_script() -> None:
    db = connection.settings_dict
    env = {"PGPASSWORD": db.get("PASSWORD") or "", "PATH": "/usr/bin:/bin"}
    subprocess.run(
        ["psql", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"], "-d", db["NAME"],
         "-q", "-v", f"executor_password={secrets.token_urlsafe(16)}",
         "-f", str(ROOT / "deploy/sql/executor_role.sql")],
        check=True, env=env, capture_output=True, timeout=60,
    )  # fmt: skip


def _as_executor(sql: str) -> list:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE pathwise_executor")
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else []


def test_the_executor_role_cannot_read_users_but_can_do_its_work():
    from agents.models import Agent
    from common.models import Job
    from executor.models import CodeRun
    from learning.models import CodeSubmission, Module

    _apply_script()
    _apply_script()  # idempotent
    # The script names the tables the models really use.
    for model in (CodeRun, CodeSubmission, Module, Job, Agent):
        assert model._meta.db_table in (ROOT / "deploy/sql/executor_role.sql").read_text()
    for table in ("users", "user_preferences", "user_sessions", "token_blacklist_outstandingtoken", "django_session"):
        with pytest.raises(ProgrammingError, match="permission denied"):
            _as_executor(f"SELECT 1 FROM {table} LIMIT 1")
    with pytest.raises(ProgrammingError, match="permission denied"):
        _as_executor("DELETE FROM executor_coderun")
    with pytest.raises(ProgrammingError, match="permission denied"):
        _as_executor("CREATE TABLE executor_escape (id int)")
    _as_executor("SELECT count(*) FROM executor_coderun")
    _as_executor("UPDATE executor_coderun SET updated_at = updated_at WHERE id < 0")
    _as_executor("UPDATE code_submissions SET updated_at = updated_at WHERE id < 0")
    _as_executor("SELECT count(*) FROM modules")
    _as_executor("UPDATE common_job SET status = status WHERE id < 0")


@contextlib.contextmanager
def _executor_role():
    with connection.cursor() as cursor:
        cursor.execute("SET ROLE pathwise_executor")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def test_grading_and_a_code_run_complete_under_the_executor_role(sandbox, django_capture_on_commit_callbacks):
    """The executor queue's real work — claim, run in the sandbox, record the result with the job's end, then the
    job's after-commit listeners — needs nothing beyond the script's grants (rows are created by web, as owner)."""
    from executor import services as executor_services
    from executor.models import CodeRun, RunState
    from learning import services_code
    from learning.models import CodeSubmission
    from tests.factories import UserFactory
    from tests.learning.factories import ExerciseTestCaseFactory, ModuleFactory

    _apply_script()
    user = UserFactory()
    module = ModuleFactory(module_type="exercise", language="python")
    ExerciseTestCaseFactory(module=module, input="2\n3\n", expected_output="5\n", points=10)
    ExerciseTestCaseFactory(module=module, input="7\n8\n", expected_output="15\n", points=10, is_hidden=True)
    with django_capture_on_commit_callbacks(execute=False):  # web's part: the rows and jobs, no task run here
        submission = services_code.submission_create(
            user=user, module=module, code="a = int(input())\nprint(a * 2)\n", language="python"
        )
        run = executor_services.run_request(owner=user, language="python", source="print(6 * 7)")
    with _executor_role():
        with django_capture_on_commit_callbacks(execute=True):
            services_code.submission_grade(submission_id=submission.pk)
        with django_capture_on_commit_callbacks(execute=True):
            executor_services.run_execute(run_id=run.pk)
        assert _as_executor("SELECT current_user") == [("pathwise_executor",)]
    submission = CodeSubmission.objects.get(pk=submission.pk)
    assert (submission.status, submission.test_cases_passed) == ("completed", 0)  # graded: 4 != 5, 14 != 15
    assert submission.job.status == "completed"
    run = CodeRun.objects.get(pk=run.pk)
    assert (run.state, run.stdout) == (RunState.FINISHED, "42\n")
