"""The generic job row's one service: every app records its long-running or agent work here.

Transitions are conditional updates (pending → in_progress → completed/failed), so a retried Celery task or a
reaper racing a worker moves a job once. After each committed transition the registered listeners are told the job's
id (`agents/` registers one that refreshes the agent's status and pushes WebSocket events) — a notification hook,
not domain logic: nothing here depends on who listens, and a failing listener never fails the work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from common.models import Job, JobPriority, JobStatus

logger = logging.getLogger(__name__)

Listener = Callable[[int], None]
_listeners: list[Listener] = []

OPEN = (JobStatus.PENDING, JobStatus.IN_PROGRESS)


def job_listen(listener: Listener) -> None:
    """Register a callable told the id of every job after a committed change (idempotent)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _announce(job_id: int) -> None:
    def run() -> None:
        for listener in list(_listeners):
            try:
                listener(job_id)
            except Exception:
                logger.exception("Job listener %r failed for job %s", listener, job_id)

    transaction.on_commit(run)


def _trim(value: Any, limit: int = 2000) -> str:
    return str(value)[:limit]


def job_create(
    *,
    kind: str,
    title: str,
    owner: Any = None,
    ref: str = "",
    description: str = "",
    input_data: dict[str, Any] | None = None,
    priority: str = JobPriority.MEDIUM,
    estimated_duration: float | None = None,
    started: bool = False,
    fresh: bool = False,
) -> Job:
    """Record new work. With a `ref`, an existing job for the same (kind, ref) is returned instead (retries).
    `fresh`: the caller just created the object `ref` names in this transaction, so no job can exist for it yet:
    a plain insert, without the look-up and the savepoint."""
    now = timezone.now()
    values = {
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
    if ref and fresh:
        job = Job.objects.create(kind=kind, ref=ref, **values)
    elif ref:
        existing = Job.objects.filter(kind=kind, ref=ref).first()
        if existing:
            return existing
        try:
            with transaction.atomic():
                job = Job.objects.create(kind=kind, ref=ref, **values)
        except IntegrityError:  # a concurrent retry created it first
            return Job.objects.get(kind=kind, ref=ref)
    else:
        job = Job.objects.create(kind=kind, **values)
    _announce(job.pk)
    return job


def _find(kind: str, ref: str) -> Job | None:
    return Job.objects.filter(kind=kind, ref=ref).only("pk", "status", "started_at", "created_at").first()


def job_start(*, job: Job | None = None, kind: str = "", ref: str = "") -> bool:
    """pending → in_progress. False when the job is unknown or already past pending."""
    job = job or _find(kind, ref)
    if job is None:
        return False
    now = timezone.now()
    moved = Job.objects.filter(pk=job.pk, status=JobStatus.PENDING).update(status=JobStatus.IN_PROGRESS, started_at=now)
    if moved:
        _announce(job.pk)
    return bool(moved)


def job_finish(
    *,
    job: Job | None = None,
    kind: str = "",
    ref: str = "",
    output: dict[str, Any] | None = None,
    error: str = "",
    failed: bool = False,
    now: datetime | None = None,
) -> bool:
    """Open → completed (or failed, with `error`). False when the job is unknown or already finished."""
    job = job or _find(kind, ref)
    if job is None:
        return False
    now = now or timezone.now()
    current = Job.objects.filter(pk=job.pk).values("started_at", "created_at").first()
    if current is None:
        return False
    started = current["started_at"] or current["created_at"]
    moved = Job.objects.filter(pk=job.pk, status__in=OPEN).update(
        status=JobStatus.FAILED if failed else JobStatus.COMPLETED,
        output_data=output or {},
        error=_trim(error),
        started_at=started,
        finished_at=now,
        duration=max(0.0, (now - started).total_seconds()),
    )
    if moved:
        _announce(job.pk)
    return bool(moved)


def job_run(
    *,
    kind: str,
    title: str,
    owner: Any = None,
    input_data: dict[str, Any] | None = None,
    description: str = "",
) -> JobRecorder:
    """Context manager for synchronous agent work done inside a request: the job is in_progress while the block
    runs, completed with `recorder.output` when it returns, failed (and the exception re-raised) when it raises."""
    return JobRecorder(kind=kind, title=title, owner=owner, input_data=input_data, description=description)


class JobRecorder:
    def __init__(self, **create: Any) -> None:
        self._create = create
        self.job: Job | None = None
        self.output: dict[str, Any] = {}

    def __enter__(self) -> JobRecorder:
        self.job = job_create(started=True, **self._create)
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        assert self.job is not None
        if exc is None:
            job_finish(job=self.job, output=self.output)
            return
        # Client errors (validation, permissions) are the caller's, not the agent's: they do not count as failures.
        from rest_framework.exceptions import APIException

        from common.errors import DomainError

        client_error = isinstance(exc, (APIException, DomainError)) and getattr(exc, "status_code", 500) < 500
        job_finish(job=self.job, failed=not client_error, error=f"{type(exc).__name__}: {exc}", output=self.output)


def jobs_prune(*, older_than_days: int, now: datetime | None = None) -> int:
    """Delete finished jobs older than the retention window (agent metrics then cover that window). Open jobs are
    never deleted: a stuck one is for its app's reaper to fail."""
    from datetime import timedelta

    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    deleted, _ = Job.objects.filter(status__in=[JobStatus.COMPLETED, JobStatus.FAILED], finished_at__lt=cutoff).delete()
    if deleted:
        logger.info("Pruned %s finished jobs older than %s days", deleted, older_than_days)
    return deleted


def jobs_reap(*, older_than_seconds: float, exclude_kinds: list[str], now: datetime | None = None) -> int:
    """Fail open jobs of kinds with no reaper of their own (their app's record and job move together there) that
    have been open longer than `older_than_seconds`: their worker died or the broker lost the message, and an open
    job keeps its agent `busy` for everyone. Returns how many were failed."""
    from datetime import timedelta

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    stale = (
        Job.objects.filter(status__in=OPEN, created_at__lt=cutoff)
        .exclude(kind__in=exclude_kinds)
        .exclude(started_at__gte=cutoff)
    )
    reaped = 0
    for job in list(stale.only("pk", "status", "started_at", "created_at")[:500]):
        if job_finish(job=job, failed=True, error="The worker running this job stopped before it finished.", now=now):
            reaped += 1
    if reaped:
        logger.warning("Reaped %s stuck jobs", reaped)
    return reaped
