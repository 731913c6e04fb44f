"""Writes for the executor: accepting a run, running it in a worker, waiting for it, and reaping stuck runs.

A CodeRun holds the program and its result and references its job (common.jobs); its `state` moves only through
the job engine, in the same transaction as the job: queued/pending → running/in_progress (claimed with a conditional
update, so one worker only) → finished/completed (or failed: a system error). Learner code only ever runs inside a
backend's sandbox, in a worker (or, in embedded mode, in the eager task), never in the web process's own interpreter.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from common import jobs, throttling
from common.errors import Invalid, RateLimited, Unavailable
from common.utils import get_by_pk
from executor.backends import BackendUnavailable, get_backend
from executor.choices import RunState
from executor.languages import CHECKERS, LANGUAGES, get_language
from executor.models import CodeRun
from executor.spec import MAX_SOURCE_BYTES, MAX_STDIN_BYTES, Limits, RunResult, RunSpec, RunStatus

if TYPE_CHECKING:  # the type of a run's owner (AUTH_USER_MODEL) only: at run time executor imports no other app
    from users.models import User

logger = logging.getLogger(__name__)

REAP_GRACE_SECONDS = 60
QUEUED_TOO_LONG = timedelta(minutes=15)
JOB_KIND = jobs.JobKind.CODE_RUN


def limits_for(*, language: str, timeout: float | None = None, memory_mb: int | None = None) -> Limits:
    lang = get_language(language)
    return lang.default_limits.with_request(timeout=timeout, memory_mb=memory_mb).clamp(lang.max_limits)


def validate_program(*, language: str, source: str, stdin: str = "") -> None:
    """400 for what must never be queued: unknown language, empty or oversized source or stdin."""
    errors: dict[str, list[str]] = {}
    if language not in LANGUAGES:
        errors["language"] = [f"Unsupported language; choose from {', '.join(sorted(LANGUAGES))}."]
    if not source.strip():
        errors["code"] = ["Code may not be empty."]
    elif len(source.encode("utf-8", errors="surrogatepass")) > MAX_SOURCE_BYTES:
        errors["code"] = [f"Code is larger than {MAX_SOURCE_BYTES // 1024} KiB."]
    if len(stdin.encode("utf-8", errors="surrogatepass")) > MAX_STDIN_BYTES:
        errors["stdin"] = [f"Input is larger than {MAX_STDIN_BYTES // 1024} KiB."]
    if errors:
        raise Invalid(fields=errors)


OPEN_STATES = (RunState.QUEUED.value, RunState.RUNNING.value)


# Admission runs on every code run: its two statements are written once (the ORM compiled the lock and the filtered
# aggregate on every request, ~2 ms of the web's CPU per run; these cost ~0.5).
@functools.cache
def _lock_owner_sql(for_update: bool) -> str:
    meta = get_user_model()._meta
    lock = " FOR UPDATE" if for_update else ""
    return f'SELECT 1 FROM "{meta.db_table}" WHERE "{meta.pk.column}" = %s{lock}'  # noqa: S608 - names from the model


@functools.cache
def _open_runs_sql() -> str:
    """The owner's open runs and the whole queue, in one statement (two index scans, one round trip)."""
    owner, state = CodeRun._meta.get_field("owner").column, CodeRun._meta.get_field("state").column
    mine, queued = f'("{owner}" = %s AND "{state}" IN (%s, %s))', f'"{state}" = %s'
    return (
        f"SELECT SUM(CASE WHEN {mine} THEN 1 ELSE 0 END), SUM(CASE WHEN {queued} THEN 1 ELSE 0 END) "  # noqa: S608
        f'FROM "{CodeRun._meta.db_table}" WHERE {mine} OR {queued}'
    )


def run_admit(owner: User) -> None:
    """Per-user rate (EXECUTOR_USER_RATE) and concurrency, and the global queue cap.

    Must run inside the transaction that then inserts the run: it locks the owner's row, so a second admission for
    the same learner waits until the first has committed (or rolled back) its row and counts it; counting and
    inserting can no longer interleave. (SQLite: every transaction takes the write lock at BEGIN, the same effect.)"""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("run_admit must be called inside transaction.atomic() with the insert it admits")
    try:
        state = throttling.hit("code_runs", f"user:{owner.pk}")
    except throttling.CACHE_ERRORS:
        raise Unavailable("Code execution is temporarily unavailable; try again shortly.") from None
    if state.exceeded:
        raise RateLimited("Too many code runs; slow down.", wait=state.retry_after)
    connection = transaction.get_connection()
    owner_key = CodeRun._meta.get_field("owner").get_db_prep_value(owner.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(_lock_owner_sql(connection.features.has_select_for_update), [owner_key])
        cursor.fetchall()
        # After the lock (a statement of its own, so it counts what the previous holder committed).
        cursor.execute(_open_runs_sql(), [owner_key, *OPEN_STATES, RunState.QUEUED.value] * 2)
        active, queued = (int(count or 0) for count in cursor.fetchone())
    if active >= settings.EXECUTOR_USER_CONCURRENCY:
        raise RateLimited(f"At most {settings.EXECUTOR_USER_CONCURRENCY} runs at a time.", wait=1)
    if queued >= settings.EXECUTOR_QUEUE_CAP:
        raise Unavailable("The code runner is busy; try again in a few seconds.", wait=5)


@transaction.atomic
def run_request(
    *,
    owner: User,
    language: str,
    source: str,
    stdin: str = "",
    timeout: float | None = None,
    memory_mb: int | None = None,
    purpose: str = "execute",
) -> CodeRun:
    """Accept a run and queue it; the task is enqueued only after the row is committed."""
    validate_program(language=language, source=source, stdin=stdin)
    run_admit(owner)
    limits = limits_for(language=language, timeout=timeout, memory_mb=memory_mb)
    return _queue(
        owner=owner,
        purpose=purpose,
        language=language,
        source=source,
        stdin=stdin,
        limits=limits,
        title=f"Run {language} code ({purpose})",
        job_language=language,
    )


def _queue(
    *, owner: User, purpose: str, language: str, source: str, stdin: str, limits: Limits, title: str, job_language: str
) -> CodeRun:
    """The run and its job in one transaction (one commit). With a real broker the
    task is enqueued on commit before the job listeners (the agents' events) run, so the worker starts while the web
    finishes that bookkeeping; eagerly (embedded mode) the run happens inside the enqueue, so it goes last and its
    job's events still follow the job's creation."""
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    # Callers hold the admission's transaction already: no savepoint (two round trips) inside it.
    with transaction.atomic(savepoint=False):
        run = CodeRun.objects.create(
            owner=owner, purpose=purpose, language=language, source=source, stdin=stdin, limits=limits.__dict__
        )
        if not eager:
            transaction.on_commit(lambda: jobs.dispatch(JOB_KIND, run.pk))
        jobs.submit_for(
            run,
            JOB_KIND,
            owner=owner,
            title=title,
            input_data={"run_id": run.pk, "language": job_language, "purpose": purpose, "chars": len(source)},
            estimated_duration=float(limits.wall_seconds),
        )
        if eager:
            transaction.on_commit(lambda: jobs.dispatch(JOB_KIND, run.pk))
    return run


@transaction.atomic
def check_request(*, owner: User, language: str, source: str) -> CodeRun | None:
    """Queue the language's static checker over `source` (e.g. `jac check`) as a run of its own; None when the
    language has no sandboxed checker."""
    checker = f"{language}:check"
    if checker not in CHECKERS:
        return None
    validate_program(language=language, source=source)
    run_admit(owner)
    limits = get_language(checker).default_limits
    return _queue(
        owner=owner,
        purpose="check",
        language=checker,
        source=source,
        stdin="",
        limits=limits,
        title=f"Check {language} code",
        job_language=checker,
    )


def execute_spec(spec: RunSpec) -> RunResult:
    """Run one program in the configured sandbox now (inside a worker). Never raises for the program's sake."""
    language = get_language(spec.language)
    try:
        return get_backend().run(spec, language).clamped()
    except BackendUnavailable as exc:
        logger.error("Sandbox unavailable: %s", exc)
        return RunResult(status=RunStatus.SYSTEM_ERROR, detail=str(exc))


def _result_values(result: RunResult, now: datetime) -> dict[str, Any]:
    return {
        "state": RunState.FINISHED,
        "status": result.status,
        "stdout": result.stdout,
        "stderr": result.stderr,
        "stdout_truncated": result.stdout_truncated,
        "stderr_truncated": result.stderr_truncated,
        "exit_code": result.exit_code,
        "signal": result.signal,
        "wall_time": result.wall_time,
        "cpu_time": result.cpu_time,
        "memory_kb": result.memory_kb,
        "backend": result.backend,
        "error_detail": result.detail[:2000],
        "finished_at": now,
        "updated_at": now,
    }


def run_execute(*, run_id: int) -> CodeRun | None:
    """Claim a queued run (one worker only) with its job, run it, store the result with the job's end (one
    transaction each), and wake the waiter on commit."""
    run = get_by_pk(CodeRun, run_id)
    if run is None or run.state != RunState.QUEUED:
        return None
    now = timezone.now()
    claimed = jobs.claim(
        run.job_id,
        change=jobs.Change(
            CodeRun.objects.filter(pk=run_id, state=RunState.QUEUED),
            {"state": RunState.RUNNING, "started_at": now, "updated_at": now},
        ),
        now=now,
    )
    if not claimed:
        return None
    spec = RunSpec(language=run.language, source=run.source, stdin=run.stdin, limits=Limits(**run.limits))
    result = execute_spec(spec)
    run.started_at = now
    _save_result(run, result)
    return run


def _save_result(run: CodeRun, result: RunResult) -> None:
    """A running run's result and its job's end in one transaction (completed, or failed for a system error); the
    waiter is woken on commit. `run` is updated in memory too."""
    finished = timezone.now()
    values = _result_values(result, finished)
    output = {"status": result.status, "exit_code": result.exit_code, "wall_time": result.wall_time}
    change = jobs.Change(CodeRun.objects.filter(pk=run.pk, state=RunState.RUNNING), values)
    if result.status == RunStatus.SYSTEM_ERROR:
        moved = jobs.fail(
            run.job_id, error=result.detail, output=output, change=change, now=finished, started_at=run.started_at
        )
    else:
        moved = jobs.finish(run.job_id, output=output, change=change, now=finished, started_at=run.started_at)
    if moved and run.job_id is None:  # a row without a job (from before runs referenced one): wake it by name
        jobs.notify_key(f"run:{run.pk}")
    if moved:
        for name, value in values.items():
            setattr(run, name, value)


def run_wait(*, run: CodeRun, timeout: float) -> CodeRun:
    """Wait for a run to finish (up to `timeout` seconds) and return it as it then is."""

    current = run

    def finished() -> bool:
        # The check reads the whole row: the last check before `wait` returns is the run as it then is, so the
        # answer needs no second query.
        nonlocal current
        current = get_by_pk(CodeRun, run.pk) or current
        return current.state == RunState.FINISHED

    jobs.wait(run.job_id, timeout, finished, name=None if run.job_id is not None else f"run:{run.pk}")
    return current


def wait_budget(run: CodeRun) -> float:
    return float(run.limits.get("wall_seconds", 5)) + float(settings.EXECUTOR_WAIT_MARGIN_SECONDS)


def runs_reap(*, now: Any = None) -> int:
    """Fail runs stuck past their limits (a worker died mid-run, or nothing ever picked them up), each with its job.
    Runs are never re-run: a program that killed its worker must not get a second try."""
    now = now or timezone.now()
    overdue = [
        run.pk
        for run in CodeRun.objects.filter(state=RunState.RUNNING).only("pk", "limits", "started_at")
        if run.started_at
        and run.started_at < now - timedelta(seconds=float(run.limits.get("wall_seconds", 5)) + REAP_GRACE_SECONDS)
    ]
    stuck = [
        (
            CodeRun.objects.filter(pk__in=overdue, state=RunState.RUNNING),
            "the worker running this program stopped before it finished",
            "worker stopped mid-run",
        ),
        (
            CodeRun.objects.filter(state=RunState.QUEUED, created_at__lt=now - QUEUED_TOO_LONG),
            "no worker picked this run up in time",
            "never picked up",
        ),
    ]
    reaped = 0
    for stale, detail, error in stuck:
        reaped += jobs.reap(
            JOB_KIND,
            stale=stale,
            error=error,
            now=now,
            values={
                "state": RunState.FINISHED,
                "status": RunStatus.SYSTEM_ERROR,
                "finished_at": now,
                "updated_at": now,
                "error_detail": detail,
            },
            on_reaped=lambda pk: transaction.on_commit(lambda: jobs.notify_key(f"run:{pk}")),
        )
    if reaped:
        logger.warning("Reaped %s stuck code runs", reaped)
    return reaped
