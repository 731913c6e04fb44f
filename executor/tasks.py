"""Celery entry points of the executor, on the `executor` queue.

acks_late without reject_on_worker_lost: a run whose worker dies (a poison program, an OOM kill) is acknowledged,
not redelivered; the reaper marks it system_error. Prefetch 1 (settings) so one slow run never holds others back.
"""

from celery import shared_task

from executor import services

RUN_SOFT_LIMIT = 60
RUN_HARD_LIMIT = 90


@shared_task(
    name="executor.run_code", queue="executor", acks_late=True, reject_on_worker_lost=False,
    soft_time_limit=RUN_SOFT_LIMIT, time_limit=RUN_HARD_LIMIT, ignore_result=True,
)  # fmt: skip
def run_code(run_id: int) -> None:
    services.run_execute(run_id=run_id)


@shared_task(name="executor.reap_runs", queue="executor", ignore_result=True)
def reap_runs() -> int:
    return services.runs_reap()
