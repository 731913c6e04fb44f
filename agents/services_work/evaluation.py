"""The code evaluator: static checks (ruff, jac check) and test cases run in the sandbox, as one job."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from agents import evaluator
from executor import services as executor_services
from executor.choices import RunState
from executor.models import CodeRun
from learning import services_code
from learning.models import (
    CodeSubmission,
    Module,
)
from users.models import User


def _static_python(code: str, check: CodeRun | None) -> dict[str, Any]:
    syntax = evaluator.python_syntax_errors(code)
    complete = check is not None and check.state == RunState.FINISHED and check.status == "success"
    findings = evaluator.ruff_findings(check.stdout) if complete and check is not None else []
    return {"checker": "ruff", "syntax_errors": syntax, "findings": findings, "complete": complete}


def _static_jac(check: CodeRun | None) -> dict[str, Any]:
    if check is None:
        return {"checker": "jac check", "syntax_errors": [], "findings": [], "complete": False}
    report = f"{check.stdout}\n{check.stderr}"
    findings = evaluator.jac_findings(report)
    syntax = [
        {"line": f["line"], "column": f["column"], "message": f"{f['code']}: {f['message']}"}
        for f in findings
        if f["severity"] == "error" and f["code"] < "E1000"  # E0xxx are the parser's errors
    ]
    complete = check.state == RunState.FINISHED and check.status in ("success", "runtime_error")
    return {"checker": "jac check", "syntax_errors": syntax, "findings": findings, "complete": complete}


def code_evaluate(
    *,
    user: User,
    code: str,
    language: str,
    test_cases: list[dict[str, str]] | None = None,
    module: Module | None = None,
    stdin: str = "",
) -> dict[str, Any]:
    """Run the code against the given (or the module's) test cases in the sandbox — or just run it when there are
    none — and add feedback: per-test results with a diff for each wrong output, syntax errors with line numbers and
    static findings (ruff for Python, `jac check` in the sandbox for Jac)."""
    submission: CodeSubmission | None = None
    run: CodeRun | None = None
    # One transaction: validation and admission of the grading come first, and nothing is enqueued before the
    # commit (on_commit), so a 400 or a 429 from any step leaves no row and costs no sandbox run.
    with transaction.atomic():
        if module is not None:
            submission = services_code.submission_create(user=user, module=module, code=code, language=language)
        elif test_cases:
            submission = services_code.submission_create_adhoc(
                user=user, code=code, language=language, test_cases=test_cases
            )
        else:
            run = executor_services.run_request(owner=user, language=language, source=code, stdin=stdin)
        # The language's checker (ruff, jac check) runs in the sandbox alongside the grading.
        check = executor_services.check_request(owner=user, language=language, source=code)
    if run is not None:
        run = executor_services.run_wait(run=run, timeout=executor_services.wait_budget(run))
    if submission is not None:
        submission = services_code.submission_wait(
            submission=submission, timeout=services_code.submission_wait_budget(submission)
        )
    if check is not None:
        check = executor_services.run_wait(run=check, timeout=executor_services.wait_budget(check))
    static = _static_python(code, check) if language == "python" else _static_jac(check)
    tests = evaluator.test_feedback(submission.results if submission else [])
    run_payload = services_code.execution_payload(run) if run is not None else None
    status = submission.status if submission else (run_payload or {}).get("status", "")
    return {
        "language": language,
        "status": status,
        "submission_id": submission.pk if submission else None,
        "run": run_payload,
        "tests_passed": submission.test_cases_passed if submission else None,
        "tests_total": submission.test_cases_total if submission else None,
        "score": submission.score if submission else None,
        "tests": tests,
        "static_analysis": static,
        "feedback": evaluator.summary_lines(
            tests=tests,
            syntax=static["syntax_errors"],
            findings=static["findings"],
            status=(run_payload or {}).get("status", ""),
        ),
    }
