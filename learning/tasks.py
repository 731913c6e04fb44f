"""Celery entry points of learning. Grading runs learner code (through the executor's sandbox), so it lives on
the `executor` queue with the same delivery rules: acknowledged late, never redelivered after a worker loss."""

from celery import shared_task

from learning import services_code


@shared_task(
    name="learning.grade_submission",
    acks_late=True,
    reject_on_worker_lost=False,
    soft_time_limit=600,
    time_limit=660,
    ignore_result=True,
)
def grade_submission(submission_id: int) -> None:
    services_code.submission_grade(submission_id=submission_id)


@shared_task(name="learning.reap_submissions", ignore_result=True)
def reap_submissions() -> int:
    return services_code.submissions_reap()


@shared_task(name="learning.record_exercise_pass", ignore_result=True)
def record_exercise_pass(submission_id: int) -> None:
    """A graded full pass's points, progress and achievements (the executor worker cannot write them)."""
    services_code.submission_record_pass(submission_id=submission_id)
