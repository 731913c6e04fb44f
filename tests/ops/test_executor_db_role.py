"""Least privilege (PostgreSQL): the executor worker's role reads and writes its runs and submissions, and cannot
read users (the User model's table is `users`, not `users_user`), sessions or tokens (deploy/sql/executor_role.sql,
applied with psql as an operator would)."""

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
