"""Writes for running learners' code: free runs (the code editor) and graded submissions (exercises).

The executor runs the code; this module decides what to run and grades what came back. Each test case runs in
a sandbox of its own; outputs are compared after right-stripping every line and dropping trailing blank lines.
"""

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common import jobs
from common.errors import Invalid, NotFound, RateLimited
from executor import services as executor_services
from executor.choices import RunState
from executor.models import CodeRun
from executor.spec import Limits, RunResult, RunSpec, RunStatus
from learning import services as learning_services
from learning.choices import AwardKind, ModuleType, ProgressStatus, SubmissionStatus
from learning.models import CodeSubmission, Module
from users.models import User

logger = logging.getLogger(__name__)

MAX_ADHOC_TEST_CASES = 20
STATUS_MESSAGES = {
    RunStatus.COMPILE_ERROR: "The code did not compile.",
    RunStatus.TIMEOUT: "Time limit exceeded.",
    RunStatus.MEMORY_LIMIT: "Memory limit exceeded.",
    RunStatus.OUTPUT_LIMIT: "Output limit exceeded; the output was truncated.",
    RunStatus.RESOURCE_LIMIT: "A resource limit was exceeded (processes, open files or file size).",
    RunStatus.SYSTEM_ERROR: "The code runner failed; please try again.",
}


def normalise_output(text: str) -> str:
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip("\n")


def outputs_match(expected: str, actual: str) -> bool:
    return normalise_output(expected) == normalise_output(actual)


# --- Free runs ------------------------------------------------------------------------------------------------------


def code_execute(
    *,
    user: User,
    code: str,
    language: str,
    stdin: str = "",
    timeout: float | None = None,
    memory_mb: int | None = None,
) -> CodeRun:
    """Queue a run and wait for it up to its wall limit plus a margin; the caller answers 202 if still running."""
    run = executor_services.run_request(
        owner=user, language=language, source=code, stdin=stdin, timeout=timeout, memory_mb=memory_mb
    )
    return executor_services.run_wait(run=run, timeout=executor_services.wait_budget(run))


def execution_payload(run: CodeRun) -> dict[str, Any]:
    """The SPA's shape for a run (API.md `/code/execute/`)."""
    finished = run.state == RunState.FINISHED
    success = finished and run.status == RunStatus.SUCCESS
    message = STATUS_MESSAGES.get(RunStatus(run.status), "") if run.status else ""
    error = run.stderr if run.stderr else ("" if success else message)
    if message and run.stderr and run.status not in (RunStatus.RUNTIME_ERROR, RunStatus.COMPILE_ERROR):
        error = f"{message}\n{run.stderr}"
    return {
        "success": success,
        "output": run.stdout,
        "error": error,
        "execution_time": run.wall_time or 0.0,
        "memory_usage": round((run.memory_kb or 0) / 1024, 2),
        "status": run.status or run.state,
        "exit_code": run.exit_code,
        "stdout": run.stdout,
        "stderr": run.stderr,
        "stdout_truncated": run.stdout_truncated,
        "stderr_truncated": run.stderr_truncated,
        "submission_id": run.pk,
    }


def code_run_get(*, user: User, run_id: int) -> CodeRun:
    queryset = CodeRun.objects.all() if user.is_staff else CodeRun.objects.filter(owner=user)
    run = queryset.filter(pk=run_id).first()
    if run is None:
        raise NotFound()
    return run


# --- Graded submissions ---------------------------------------------------------------------------------------------


def _admit_submission(user: User) -> None:
    executor_services.run_admit(user)
    active = CodeSubmission.objects.filter(
        user=user, status__in=[SubmissionStatus.PENDING, SubmissionStatus.RUNNING]
    ).count()
    if active >= settings.EXECUTOR_USER_CONCURRENCY:
        raise RateLimited(f"At most {settings.EXECUTOR_USER_CONCURRENCY} submissions at a time.", wait=2)


def _job_kind(submission: CodeSubmission) -> jobs.JobKind:
    return jobs.JobKind.CODE_SUBMISSION if submission.module_id else jobs.JobKind.CODE_EVALUATION


def _enqueue(submission: CodeSubmission) -> None:
    what = f"module {submission.module_id}" if submission.module_id else "given test cases"
    jobs.submit_for(
        submission,
        _job_kind(submission),
        owner=submission.user,
        title=f"Grade {submission.language} code against {what}",
        input_data={
            "submission_id": submission.pk,
            "module_id": submission.module_id,
            "language": submission.language,
            "test_cases": submission.test_cases_total,
        },
        estimated_duration=2.0 * max(submission.test_cases_total, 1),
    )

    transaction.on_commit(lambda: jobs.dispatch(_job_kind(submission), submission.pk))


@transaction.atomic
def submission_create(*, user: User, module: Module, code: str, language: str) -> CodeSubmission:
    """Grade `code` against the exercise's test cases (hidden ones included)."""
    cases = list(module.test_cases.order_by("order_index", "id"))
    if module.module_type != ModuleType.EXERCISE or not cases:
        raise Invalid(fields={"module": ["This module has no test cases to grade against."]})
    if module.language and language != module.language:
        raise Invalid(fields={"language": [f"This exercise is written in {module.language}."]})
    executor_services.validate_program(language=language, source=code)
    _admit_submission(user)
    snapshot = [
        {
            "id": c.pk,
            "input": c.input,
            "expected_output": c.expected_output,
            "points": c.points,
            "is_hidden": c.is_hidden,
        }
        for c in cases
    ]
    submission = CodeSubmission.objects.create(
        user=user, module=module, code=code, language=language, test_cases=snapshot, test_cases_total=len(cases)
    )
    _enqueue(submission)
    return submission


@transaction.atomic
def submission_create_adhoc(
    *, user: User, code: str, language: str, test_cases: list[dict[str, Any]]
) -> CodeSubmission:
    """Grade `code` against test cases the caller gives (the code evaluator); nothing is awarded."""
    if not test_cases:
        raise Invalid(fields={"test_cases": ["Give at least one test case."]})
    if len(test_cases) > MAX_ADHOC_TEST_CASES:
        raise Invalid(fields={"test_cases": [f"At most {MAX_ADHOC_TEST_CASES} test cases."]})
    executor_services.validate_program(language=language, source=code)
    _admit_submission(user)
    snapshot = [
        {
            "id": index + 1,
            "input": c.get("input", ""),
            "expected_output": c.get("expected_output", ""),
            "points": 1,
            "is_hidden": False,
        }
        for index, c in enumerate(test_cases)
    ]
    submission = CodeSubmission.objects.create(
        user=user, code=code, language=language, test_cases=snapshot, test_cases_total=len(snapshot)
    )
    _enqueue(submission)
    return submission


def _grade_case(language: str, code: str, case: dict[str, Any]) -> tuple[dict[str, Any], RunResult]:
    limits: Limits = executor_services.limits_for(language=language)
    result = executor_services.execute_spec(RunSpec(language=language, source=code, stdin=case["input"], limits=limits))
    passed = result.status == RunStatus.SUCCESS and outputs_match(case["expected_output"], result.stdout)
    outcome: dict[str, Any] = {
        "test_case_id": case["id"],
        "passed": passed,
        "points": case["points"] if passed else 0,
        "is_hidden": case["is_hidden"],
    }
    if case["is_hidden"]:
        # Pass/fail only: a hidden case's time, memory, status, output or error would tell its input (one learner
        # read the exact lengths of three hidden inputs off per-case times).
        outcome["status"] = "passed" if passed else "failed"
    else:
        outcome.update(
            status=result.status,
            execution_time=result.wall_time,
            input=case["input"],
            expected_output=case["expected_output"],
            actual_output=result.stdout,
            error=result.stderr[-2000:],
        )
    return outcome, result


def submission_grade(*, submission_id: int) -> CodeSubmission | None:
    """Run every test case (claiming the submission with its job first, so it is graded once) and record the
    outcome with the job's end, in one transaction."""
    submission = CodeSubmission.objects.select_related("module").filter(pk=submission_id).first()
    if submission is None:
        return None
    started = timezone.now()
    claimed = jobs.claim(
        submission.job_id,
        change=jobs.Change(
            CodeSubmission.objects.filter(pk=submission_id, status=SubmissionStatus.PENDING),
            {"status": SubmissionStatus.RUNNING, "started_at": started, "updated_at": started},
        ),
        now=started,
    )
    if not claimed:
        return None
    outcomes, results = [], []
    for case in submission.test_cases:
        outcome, result = _grade_case(submission.language, submission.code, case)
        outcomes.append(outcome)
        results.append(result)
        if result.status in (RunStatus.COMPILE_ERROR, RunStatus.SYSTEM_ERROR):
            break  # every other case would fail the same way
    total_points = sum(c["points"] for c in submission.test_cases) or 1
    earned = sum(o["points"] for o in outcomes)
    passed = sum(1 for o in outcomes if o["passed"])
    system_error = any(r.status == RunStatus.SYSTEM_ERROR for r in results)
    # Submission-level figures and messages come from visible cases only (see _grade_case).
    visible = [r for r, o in zip(results, outcomes, strict=True) if not o["is_hidden"]]
    failures = [r for r, o in zip(results, outcomes, strict=True) if not o["passed"] and not o["is_hidden"]]
    first_failure = failures[0] if failures else None
    first_visible = visible[0] if visible else None
    error = ""
    if first_failure is not None:
        message = STATUS_MESSAGES.get(first_failure.status, "")
        error = "\n".join(part for part in (message, first_failure.stderr[-4000:]) if part) or "Wrong answer."
    elif passed < len(outcomes):
        error = "A hidden test case failed."
    if system_error and not error:
        error = STATUS_MESSAGES[RunStatus.SYSTEM_ERROR]
    finished = timezone.now()
    values = dict(
        status=SubmissionStatus.FAILED if system_error else SubmissionStatus.COMPLETED,
        results=outcomes,
        test_cases_passed=passed,
        score=round(100.0 * earned / total_points, 2),
        execution_time=round(sum(r.wall_time for r in visible), 4),
        memory_usage=round(max((r.memory_kb for r in visible), default=0) / 1024, 2),
        output=first_visible.stdout if first_visible else "",
        error_message=error,
        finished_at=finished,
        updated_at=finished,
    )
    change = jobs.Change(CodeSubmission.objects.filter(pk=submission.pk, status=SubmissionStatus.RUNNING), values)
    output = {"score": values["score"], "passed": passed, "total": submission.test_cases_total}
    with transaction.atomic():
        if system_error:
            moved = jobs.fail(
                submission.job_id, error=error, output=output, change=change, now=finished, started_at=started
            )
        else:
            moved = jobs.finish(submission.job_id, output=output, change=change, now=finished, started_at=started)
        submission.refresh_from_db()
    if moved and submission.module_id and passed == submission.test_cases_total and not system_error:
        # Points, progress and achievements are recorded on the default queue, after the result is committed: the
        # executor worker's database role cannot read users (deploy/sql/executor_role.sql). Eager mode runs it here,
        # before the response.
        jobs.enqueue_task("learning.record_exercise_pass", submission.pk)
    if submission.job_id is None:  # a row without a job (from before submissions referenced one)
        jobs.notify_key(f"submission:{submission.pk}")
    return submission


def submission_record_pass(*, submission_id: int) -> None:
    submission = CodeSubmission.objects.select_related("user", "module").get(pk=submission_id)
    if submission.module is None:
        return
    exercise_passed(user=submission.user, module=submission.module, score=submission.score)


def exercise_passed(*, user: User, module: Module, score: float) -> None:
    """A full pass: exercise points once, and the module completed when its prerequisites allow."""
    learning_services.award_once(
        user=user,
        kind=AwardKind.EXERCISE_PASSED,
        object_id=module.pk,
        points=learning_services.POINTS[AwardKind.EXERCISE_PASSED],
    )
    ready = not learning_services.missing_prerequisites(user=user, module=module)
    learning_services.progress_update(
        user=user,
        module=module,
        status=ProgressStatus.COMPLETED if ready else ProgressStatus.IN_PROGRESS,
        score=score,
    )
    learning_services.achievements_evaluate(user=user)


def submission_wait(*, submission: CodeSubmission, timeout: float) -> CodeSubmission:
    def finished() -> bool:
        # Reads the whole row: the last check before `wait` returns leaves `submission` as it then is.
        submission.refresh_from_db()
        return submission.status in (SubmissionStatus.COMPLETED, SubmissionStatus.FAILED)

    name = None if submission.job_id is not None else f"submission:{submission.pk}"
    jobs.wait(submission.job_id, timeout, finished, name=name)
    return submission


def submission_wait_budget(submission: CodeSubmission) -> float:
    limits = executor_services.limits_for(language=submission.language)
    return min(limits.wall_seconds * max(submission.test_cases_total, 1), 30.0) + float(
        settings.EXECUTOR_WAIT_MARGIN_SECONDS
    )


def submissions_reap(*, now: Any = None) -> int:
    """Fail submissions whose grading worker died (running too long) or that were never picked up, each with its
    job."""
    from datetime import timedelta

    now = now or timezone.now()
    stuck = CodeSubmission.objects.filter(status=SubmissionStatus.RUNNING, started_at__lt=now - timedelta(minutes=15))
    lost = CodeSubmission.objects.filter(status=SubmissionStatus.PENDING, created_at__lt=now - timedelta(minutes=15))
    count = 0
    for queryset, reason in ((stuck, "grading stopped before it finished"), (lost, "grading never started")):
        for kind, with_module in ((jobs.JobKind.CODE_SUBMISSION, True), (jobs.JobKind.CODE_EVALUATION, False)):
            count += jobs.reap(
                kind,
                stale=queryset.filter(module__isnull=not with_module),
                error=reason,
                now=now,
                values={
                    "status": SubmissionStatus.FAILED,
                    "error_message": f"The code runner failed: {reason}.",
                    "finished_at": now,
                    "updated_at": now,
                },
                on_reaped=lambda pk: jobs.notify_key(f"submission:{pk}"),
            )
    return count
