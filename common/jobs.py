"""The job engine: the one place where long-running and agent work changes state.

Every piece of work is a `common.Job` row of a registered kind (`KINDS`, one registry, typed `JobKind`s) with one
status (`JobStatus`: pending → in_progress → completed | failed). An app's own record of that work (a `CodeRun`, a
`CodeSubmission`, a `ScrapeJob`, a `Roadmap`) keeps its payload and its public vocabulary, references its job
(`job` foreign key) and never moves on its own: each transition here takes the domain row's conditional update
(`Change`) and applies it in the same transaction as the job's, so both move or neither does.

    submit  create the job (pending, or in_progress for work done right away)
    claim   pending → in_progress, gated by the domain row's own claim (a worker takes the work; one worker only)
    start   pending → in_progress without a domain row
    finish  open → completed, with the domain row's result
    fail    open → failed, with the domain row's failure
    reap    fail the domain rows (and their jobs) a dead worker left open
    wait    block until a job is finished: one Redis round trip, woken by finish/fail on commit
    dispatch  send the Celery task that does a job of a kind (by the task name KINDS registers for it)

Services never import their app's tasks module (the tasks import the services they call): they dispatch the task by
its registered name, through the task object's `apply_async`, which honours CELERY_TASK_ALWAYS_EAGER (the embedded
mode runs it inline). Each app's AppConfig.ready imports its tasks, so every name is registered in every process.

After each committed transition: waiters are woken (finish/fail), the job version is bumped (readers that derive
figures from jobs, e.g. the agents' status, cache by it) and the registered listeners are told the job's id
(`agents/` pushes its WebSocket events) — notification hooks, not domain logic: nothing here depends on who
listens, and a failing listener never fails the work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Final

import redis
from celery import current_app
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from common import slots
from common.cache import CACHE_ERRORS
from common.models import Job, JobKind, JobPriority, JobStatus

logger = logging.getLogger(__name__)

__all__ = [
    "KINDS",
    "OPEN",
    "Change",
    "JobKind",
    "JobStatus",
    "KindSpec",
    "claim",
    "dispatch",
    "enqueue_task",
    "fail",
    "finish",
    "job_create",
    "job_finish",
    "job_id_for",
    "job_listen",
    "job_run",
    "job_start",
    "jobs_prune",
    "jobs_reap",
    "kinds_with_own_reaper",
    "notify_key",
    "reap",
    "start",
    "submit",
    "submit_for",
    "version",
    "wait",
    "wait_key",
]


# --- the registry ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindSpec:
    """What the engine knows of a kind of work. `own_reaper`: the kind's app fails its stuck domain rows (and their
    jobs, through `reap`); the generic reaper leaves those jobs alone."""

    kind: JobKind
    label: str
    own_reaper: bool = False
    task: str | None = None  # the registered name of the Celery task that does a job of this kind


KINDS: Final[Mapping[JobKind, KindSpec]] = {
    spec.kind: spec
    for spec in (
        KindSpec(JobKind.CODE_RUN, "Run code in the sandbox", own_reaper=True, task="executor.run_code"),
        KindSpec(
            JobKind.CODE_SUBMISSION, "Grade an exercise submission", own_reaper=True, task="learning.grade_submission"
        ),
        KindSpec(
            JobKind.CODE_EVALUATION,
            "Grade code against given test cases",
            own_reaper=True,
            task="learning.grade_submission",
        ),
        KindSpec(JobKind.RESOURCE_SCRAPE, "Scrape resource sources", own_reaper=True, task="resources.scrape_job_run"),
        KindSpec(JobKind.ROADMAP_GENERATION, "Generate a roadmap", own_reaper=True, task="roadmaps.generate"),
        KindSpec(JobKind.CHAT_REPLY, "Answer a chat message"),
        KindSpec(JobKind.LEARNING_RECOMMENDATION, "Recommend what to learn next"),
        KindSpec(JobKind.CONTENT_GENERATION, "Draft lesson content or quiz questions"),
        KindSpec(JobKind.PROGRESS_ANALYSIS, "Analyse a learner's progress"),
        KindSpec(JobKind.KNOWLEDGE_GRAPH_QUERY, "Query the knowledge graph"),
        KindSpec(JobKind.RECOMMENDER_RETRAIN, "Retrain the recommender", task="resources.recommend.retrain"),
    )
}
assert set(KINDS) == set(JobKind), "every JobKind is registered"


def kind_of(kind: JobKind | str) -> JobKind:
    """The registered kind named `kind`; ValueError for a name nobody registered (a typo is not a new kind)."""
    return JobKind(kind)


def kinds_with_own_reaper() -> list[str]:
    return [spec.kind.value for spec in KINDS.values() if spec.own_reaper]


def enqueue_task(name: str, *args: Any, **kwargs: Any) -> None:
    """Send the Celery task registered under `name` (JSON arguments): queued, or run inline in eager mode.
    `app.send_task` would ignore eager mode, so this goes through the registered task object; a name no process
    registered (its app's AppConfig.ready imports its tasks) is a LookupError, not a message nobody consumes."""
    try:
        task = current_app.tasks[name]
    except KeyError:
        raise LookupError(f"No Celery task is registered as {name!r}.") from None
    task.apply_async(args=args, kwargs=kwargs)


def dispatch(kind: JobKind | str, *args: Any, **kwargs: Any) -> None:
    """Send the task that does a job of `kind` (KINDS names it), with the task's arguments (the domain row's key)."""
    name = KINDS[kind_of(kind)].task
    if name is None:
        raise LookupError(f"No task does jobs of kind {kind!r}.")
    enqueue_task(name, *args, **kwargs)


OPEN: Final = (JobStatus.PENDING, JobStatus.IN_PROGRESS)
FINISHED: Final = (JobStatus.COMPLETED, JobStatus.FAILED)


# --- listeners, the job version and waking waiters --------------------------------------------------------------------

Listener = Callable[[int], None]
_listeners: list[Listener] = []
VERSION_KEY: Final = "jobs:version"


def job_listen(listener: Listener) -> None:
    """Register a callable told the id of every job after a committed change (idempotent)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _version_key() -> str:
    return f"{settings.CACHE_KEY_PREFIX}:{VERSION_KEY}"


def version() -> int | None:
    """A number that changes after every committed job transition (None without Redis: then readers must not cache
    figures derived from jobs). It never repeats, even when Redis was emptied (it restarts from the clock in
    microseconds), so a figure cached under an old number is never taken for a new one.

    It lives on the broker's Redis (REDIS_URL), next to the done-notifications, not in the cache: every process that
    moves jobs reaches the broker — the executor's workers only the broker, as their own ACL user — while the cache
    may be a separate Redis they cannot reach."""
    if not settings.REDIS_URL:
        return None
    try:
        client = _redis()
        value = client.get(_version_key())
        if value is None:
            client.set(_version_key(), time.time_ns() // 1000, nx=True)
            value = client.get(_version_key())
    except CACHE_ERRORS:
        return None
    return int(value) if value is not None else None


def _bump_version() -> None:
    if not settings.REDIS_URL:
        return
    try:
        client = _redis()
        # SET NX first: after Redis was emptied the number restarts from the clock, above any number seen before.
        pipe = client.pipeline(transaction=False)
        pipe.set(_version_key(), time.time_ns() // 1000, nx=True)
        pipe.incr(_version_key())
        pipe.execute()
    except CACHE_ERRORS:
        logger.warning("Could not bump the job version; job-derived figures may be stale until the next change")


def _after_commit(job_id: int, *, done: bool) -> None:
    def run() -> None:
        if done:
            notify_key(wait_key(job_id))
        _bump_version()
        for listener in list(_listeners):
            try:
                listener(job_id)
            except Exception:
                logger.exception("Job listener %r failed for job %s", listener, job_id)

    transaction.on_commit(run)


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=30)


def wait_key(job_id: int) -> str:
    return f"job:{job_id}"


def _redis_key(name: str) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:done:{name}"


def notify_key(name: str) -> None:
    """Wake whoever waits on `name` (a job's `wait_key`). The token stays for two minutes, so a waiter arriving after
    the finish still returns at once, and waking one waiter does not consume it for the others."""
    if not settings.REDIS_URL:
        return
    try:
        pipe = _redis().pipeline()
        pipe.rpush(_redis_key(name), 1)
        pipe.expire(_redis_key(name), 120)
        pipe.execute()
    except CACHE_ERRORS:
        pass  # waiters fall back to polling the database


def wait(job_id: int | None, timeout: float, is_finished: Callable[[], bool], *, name: str | None = None) -> bool:
    """Block until the job is finished (True) or `timeout` seconds passed. With Redis: one blocking round trip
    (BRPOPLPUSH onto the same list: a rotation, so the token stays for every other waiter), then one query to confirm
    the row is final (`finish`/`fail` push the token only after their commit; the check guards against a token left
    for a reused id).
    Without Redis, or when Redis fails, or for a row without a job: `is_finished()` is polled.
    The request's database connection goes back to the pool while it waits."""
    deadline = time.monotonic() + timeout
    key = name or (wait_key(job_id) if job_id is not None else None)
    if key is None or not settings.REDIS_URL:
        if is_finished():
            return True
    if not connection.in_atomic_block:
        # A request waiting seconds for a run must not hold one of its process's DB_POOL_MAX_SIZE connections.
        connection.close()
    with slots.given_back():  # … nor one of its worker's request slots
        return _wait_for(key, deadline, is_finished)


def _wait_for(key: str | None, deadline: float, is_finished: Callable[[], bool]) -> bool:
    if key is not None and settings.REDIS_URL:
        try:
            remaining = deadline - time.monotonic()
            if remaining > 0:
                # BRPOPLPUSH takes whole or fractional seconds; 0 would mean "forever".
                woken = _redis().brpoplpush(_redis_key(key), _redis_key(key), timeout=max(remaining, 0.01))
                # A token is left for two minutes; a job id seen again within them (a database recreated with
                # its sequences restarted, as every test run does) would find an old one: the row decides.
                if woken is not None and is_finished():
                    return True
        except CACHE_ERRORS:
            pass
    while time.monotonic() < deadline:
        if is_finished():
            return True
        time.sleep(0.05)
    return is_finished()


# --- transitions ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A domain row's conditional update that belongs to a job transition: `rows` is filtered to the row *and* the
    state the transition expects (so a retried task or a racing reaper moves it once); `values` is what to write."""

    rows: QuerySet[Any]
    values: Mapping[str, Any]

    def apply(self) -> int:
        return self.rows.update(**self.values)


JobRef = Job | int | None


def _job_id(job: JobRef) -> int | None:
    if job is None:
        return None
    return job if isinstance(job, int) else job.pk


def _trim(value: object, limit: int = 2000) -> str:
    return str(value)[:limit]


def submit(
    kind: JobKind | str,
    *,
    title: str,
    owner: Model | None = None,
    ref: str = "",
    description: str = "",
    input_data: dict[str, Any] | None = None,
    priority: str = JobPriority.MEDIUM,
    estimated_duration: float | None = None,
    started: bool = False,
    fresh: bool = False,
) -> Job:
    """Record new work (call it in the transaction that creates the domain row, then give that row `job=`).
    With a `ref`, an existing job for the same (kind, ref) is returned instead (a retried request). `fresh`: no job
    can exist for `ref` yet (its object was just created in this transaction): a plain insert."""
    kind = kind_of(kind)
    now = timezone.now()
    values: dict[str, Any] = {
        "owner": owner,
        "title": title[:200],
        "description": description,
        "input_data": input_data or {},
        "priority": priority,
        "estimated_duration": estimated_duration,
        "status": JobStatus.IN_PROGRESS if started else JobStatus.PENDING,
        "created_at": now,
        "started_at": now if started else None,
    }
    if ref and not fresh:
        existing = Job.objects.filter(kind=kind, ref=ref).first()
        if existing:
            return existing
        try:
            with transaction.atomic():
                job = Job.objects.create(kind=kind, ref=ref, **values)
        except IntegrityError:  # a concurrent retry created it first
            return Job.objects.get(kind=kind, ref=ref)
    else:
        job = Job.objects.create(kind=kind, ref=ref, **values)
    _after_commit(job.pk, done=False)
    return job


def submit_for(
    row: Model,
    kind: JobKind | str,
    *,
    title: str,
    owner: Model | None = None,
    description: str = "",
    input_data: dict[str, Any] | None = None,
    priority: str = JobPriority.MEDIUM,
    estimated_duration: float | None = None,
) -> Job:
    """The job of a domain row created in this transaction: named by the row (`ref` = its pk, for admins and
    operators) and referenced by it (the row's `job`), in the same transaction."""
    job = submit(
        kind,
        title=title,
        owner=owner,
        ref=str(row.pk),
        fresh=True,
        description=description,
        input_data=input_data,
        priority=priority,
        estimated_duration=estimated_duration,
    )
    type(row)._default_manager.filter(pk=row.pk).update(job=job)
    setattr(row, "job", job)  # noqa: B010 - every domain model has `job`; Model does not say so
    return job


def claim(job: JobRef, *, change: Change | None = None, now: datetime | None = None) -> bool:
    """pending → in_progress. With `change` (the domain row's own claim, e.g. queued → running) both happen in one
    transaction, and the domain claim decides: False when it matched nothing (someone else has the work). Without
    it, False when the job is unknown or already past pending."""
    now = now or timezone.now()
    job_id = _job_id(job)
    with transaction.atomic():
        if change is not None and not change.apply():
            return False
        moved = 0
        if job_id is not None:
            moved = Job.objects.filter(pk=job_id, status=JobStatus.PENDING).update(
                status=JobStatus.IN_PROGRESS, started_at=now
            )
        if moved and job_id is not None:
            _after_commit(job_id, done=False)
    return True if change is not None else bool(moved)


def start(job: JobRef, *, now: datetime | None = None) -> bool:
    """pending → in_progress for work without a domain claim of its own."""
    return claim(job, now=now)


def _end(
    job: JobRef,
    *,
    status: JobStatus,
    output: dict[str, Any] | None,
    error: str,
    change: Change | None,
    now: datetime | None,
    started_at: datetime | None,
) -> bool:
    now = now or timezone.now()
    job_id = _job_id(job)
    with transaction.atomic():
        if change is not None and not change.apply():
            return False
        moved = 0
        if job_id is not None:
            if started_at is None:
                current = Job.objects.filter(pk=job_id).values_list("started_at", "created_at").first()
                started_at = (current[0] or current[1]) if current else now
            moved = Job.objects.filter(pk=job_id, status__in=OPEN).update(
                status=status,
                output_data=output or {},
                error=_trim(error),
                started_at=started_at,
                finished_at=now,
                duration=max(0.0, (now - started_at).total_seconds()),
            )
        if moved and job_id is not None:
            _after_commit(job_id, done=True)
    return True if change is not None else bool(moved)


def finish(
    job: JobRef,
    *,
    output: dict[str, Any] | None = None,
    change: Change | None = None,
    now: datetime | None = None,
    started_at: datetime | None = None,
) -> bool:
    """Open → completed, with the domain row's result (`change`) in the same transaction; waiters are woken after
    the commit. False when the domain change matched nothing, or (without one) the job was already finished.
    `started_at`: when the caller knows it (it claimed the job), saves reading it back for the duration."""
    return _end(job, status=JobStatus.COMPLETED, output=output, error="", change=change, now=now, started_at=started_at)


def fail(
    job: JobRef,
    *,
    error: str,
    output: dict[str, Any] | None = None,
    change: Change | None = None,
    now: datetime | None = None,
    started_at: datetime | None = None,
) -> bool:
    """Open → failed with `error`, with the domain row's failure in the same transaction (see `finish`)."""
    return _end(job, status=JobStatus.FAILED, output=output, error=error, change=change, now=now, started_at=started_at)


def reap(
    kind: JobKind | str,
    *,
    stale: QuerySet[Any],
    values: Mapping[str, Any],
    error: str,
    now: datetime | None = None,
    limit: int = 500,
    on_reaped: Callable[[int], None] | None = None,
) -> int:
    """Fail the domain rows in `stale` (rows a dead worker or a lost message left open, with a `job` reference) and
    their jobs, each in its own transaction; `values` is the domain row's failure. A row that moved meanwhile is
    left alone (the stale filter is re-applied). Rows from before jobs were referenced are matched by (kind, ref).
    `on_reaped(pk)` runs after each. Returns how many domain rows were failed."""
    kind = kind_of(kind)
    now = now or timezone.now()
    reaped = 0
    for pk, job_id in list(stale.values_list("pk", "job_id")[:limit]):
        job = job_id if job_id is not None else job_id_for(kind, str(pk))
        if fail(job, error=error, change=Change(stale.filter(pk=pk), values), now=now):
            reaped += 1
            if on_reaped is not None:
                on_reaped(pk)
    return reaped


def job_id_for(kind: JobKind | str, ref: str) -> int | None:
    """The job named (kind, ref), for domain rows from before they referenced their job."""
    return Job.objects.filter(kind=kind, ref=ref).values_list("pk", flat=True).first()


# --- the older names (kept: callers and tests use them) ---------------------------------------------------------------


def job_create(
    *,
    kind: JobKind | str,
    title: str,
    owner: Model | None = None,
    ref: str = "",
    description: str = "",
    input_data: dict[str, Any] | None = None,
    priority: str = JobPriority.MEDIUM,
    estimated_duration: float | None = None,
    started: bool = False,
    fresh: bool = False,
) -> Job:
    return submit(
        kind,
        title=title,
        owner=owner,
        ref=ref,
        description=description,
        input_data=input_data,
        priority=priority,
        estimated_duration=estimated_duration,
        started=started,
        fresh=fresh,
    )


def job_start(*, job: JobRef = None, kind: str = "", ref: str = "") -> bool:
    """pending → in_progress. False when the job is unknown or already past pending."""
    job_id = _job_id(job) if job is not None else job_id_for(kind, ref)
    return job_id is not None and start(job_id)


def job_finish(
    *,
    job: JobRef = None,
    kind: str = "",
    ref: str = "",
    output: dict[str, Any] | None = None,
    error: str = "",
    failed: bool = False,
    now: datetime | None = None,
) -> bool:
    """Open → completed (or failed, with `error`). False when the job is unknown or already finished."""
    job_id = _job_id(job) if job is not None else job_id_for(kind, ref)
    if job_id is None:
        return False
    if failed:
        return fail(job_id, error=error, output=output, now=now)
    return finish(job_id, output=output, now=now)


def job_run(
    *,
    kind: JobKind | str,
    title: str,
    owner: Model | None = None,
    input_data: dict[str, Any] | None = None,
    description: str = "",
) -> JobRecorder:
    """Context manager for synchronous agent work done inside a request: the job is in_progress while the block
    runs, completed with `recorder.output` when it returns, failed (and the exception re-raised) when it raises."""
    return JobRecorder(kind=kind, title=title, owner=owner, input_data=input_data, description=description)


class JobRecorder:
    def __init__(
        self,
        *,
        kind: JobKind | str,
        title: str,
        owner: Model | None,
        input_data: dict[str, Any] | None,
        description: str,
    ) -> None:
        self._kind = kind
        self._title = title
        self._owner = owner
        self._input_data = input_data
        self._description = description
        self.job: Job | None = None
        self.output: dict[str, Any] = {}

    def __enter__(self) -> JobRecorder:
        self.job = submit(
            self._kind,
            title=self._title,
            owner=self._owner,
            input_data=self._input_data,
            description=self._description,
            started=True,
        )
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        assert self.job is not None
        started_at = self.job.started_at
        if exc is None:
            finish(self.job, output=self.output, started_at=started_at)
            return
        # Client errors (bad input, permissions: a 4xx) are the caller's, not the agent's: they do not count as
        # failures. Any exception carrying a status code below 500 is one.
        status_code = getattr(exc, "status_code", 500)
        client_error = isinstance(status_code, int) and status_code < 500
        message = f"{type(exc).__name__}: {exc}"
        if client_error:
            _end(
                self.job,
                status=JobStatus.COMPLETED,
                output=self.output,
                error=message,
                change=None,
                now=None,
                started_at=started_at,
            )
        else:
            fail(self.job, error=message, output=self.output, started_at=started_at)


# --- housekeeping -----------------------------------------------------------------------------------------------------


def jobs_prune(*, older_than_days: int, now: datetime | None = None) -> int:
    """Delete finished jobs older than the retention window (agent metrics then cover that window). Open jobs are
    never deleted: a stuck one is for its app's reaper to fail. Domain rows keep their payload (job set null)."""
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    deleted, _ = Job.objects.filter(status__in=FINISHED, finished_at__lt=cutoff).delete()
    if deleted:
        logger.info("Pruned %s finished jobs older than %s days", deleted, older_than_days)
        _bump_version()
    return deleted


def jobs_reap(*, older_than_seconds: float, exclude_kinds: list[str] | None = None, now: datetime | None = None) -> int:
    """Fail open jobs of kinds with no reaper of their own (the registry's `own_reaper`; `exclude_kinds` adds to
    them) open longer than `older_than_seconds`: their worker died or the broker lost the message, and an open job
    keeps its agent `busy` for everyone. Returns how many were failed."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    excluded = set(kinds_with_own_reaper()) | set(exclude_kinds or ())
    stale = (
        Job.objects.filter(status__in=OPEN, created_at__lt=cutoff)
        .exclude(kind__in=excluded)
        .exclude(started_at__gte=cutoff)
    )
    reaped = 0
    for job_id, started_at, created_at in list(stale.values_list("pk", "started_at", "created_at")[:500]):
        error = "The worker running this job stopped before it finished."
        if fail(job_id, error=error, now=now, started_at=started_at or created_at):
            reaped += 1
    if reaped:
        logger.warning("Reaped %s stuck jobs", reaped)
    return reaped
