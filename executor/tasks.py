"""Celery entry points of the executor, on the `executor` queue.

acks_late without reject_on_worker_lost: a run whose worker dies (a poison program, an OOM kill) is acknowledged,
not redelivered; the reaper marks it system_error. Prefetch 1 (settings) so one slow run never holds others back.
"""

import logging
from typing import Any

from celery import shared_task, signals

from executor import services

logger = logging.getLogger(__name__)
_consumes_executor = False


@signals.celeryd_after_setup.connect
def _check_sandbox_at_start(sender: str, instance: Any, **kwargs: Any) -> None:
    """A worker that consumes the executor queue refuses to start without a usable sandbox (cgroups included,
    unless EXECUTOR_ALLOW_WEAKER_LIMITS): a clear error at start instead of a system_error on every run."""
    global _consumes_executor
    queues = set(instance.app.amqp.queues.consume_from or instance.app.amqp.queues)
    if "executor" not in queues:
        return
    _consumes_executor = True
    from django.conf import settings

    from executor.backends import BackendUnavailable, get_backend
    from executor.hostcheck import host_problems

    problems = host_problems() if settings.EXECUTOR_BACKEND in ("bwrap", "auto") else []
    if problems and settings.EXECUTOR_BACKEND == "bwrap":
        message = "the host cannot run the sandbox: " + "; ".join(problems)
        logger.critical("The executor worker cannot start: %s", message)
        raise SystemExit(f"executor worker: {message}")
    for problem in problems:  # auto: the docker backend may still serve; the backend check below decides
        logger.warning("Executor host check: %s", problem)

    try:
        get_backend()
    except BackendUnavailable as exc:
        logger.critical("The executor worker cannot start: %s", exc)
        raise SystemExit(f"executor worker: {exc}") from None


@signals.worker_process_init.connect
def _prepare_sandbox_in_process(**kwargs: Any) -> None:
    """Each pool process sets up its slots' cgroups, cleans what a dead process left in free slots and starts its
    launcher before the first run arrives."""
    if not _consumes_executor:
        return
    from executor.backends import BackendUnavailable, get_backend
    from executor.backends.bwrap import BwrapBackend, LauncherClient

    try:
        if isinstance(get_backend(), BwrapBackend):
            LauncherClient.get()
    except BackendUnavailable:
        logger.exception("Sandbox unavailable in a new worker process")


RUN_SOFT_LIMIT = 60
RUN_HARD_LIMIT = 90


@shared_task(
    name="executor.run_code",
    acks_late=True,
    reject_on_worker_lost=False,
    soft_time_limit=RUN_SOFT_LIMIT,
    time_limit=RUN_HARD_LIMIT,
    ignore_result=True,
)
def run_code(run_id: int) -> None:
    services.run_execute(run_id=run_id)


@shared_task(name="executor.reap_runs", ignore_result=True)
def reap_runs() -> int:
    return services.runs_reap()
