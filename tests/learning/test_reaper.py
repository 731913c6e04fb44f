"""The submissions reaper (learning.reap_submissions): a submission whose grading worker died (left `running`) or that
no worker ever picked up (left `pending`) is failed after 15 minutes, with its job; fresh and finished ones are left
alone, and a second pass changes nothing."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from common import jobs
from common.models import Job, JobStatus
from learning.models import CodeSubmission, SubmissionStatus
from learning.tasks import reap_submissions
from tests.learning.factories import ModuleFactory

pytestmark = pytest.mark.django_db


def _submission(user, *, status: str, minutes_ago: int, module=None) -> CodeSubmission:
    then = timezone.now() - timedelta(minutes=minutes_ago)
    submission = CodeSubmission.objects.create(
        user=user, module=module, code="print(1)", language="python", status=status,
        started_at=then if status != SubmissionStatus.PENDING else None, test_cases_total=1,
    )  # fmt: skip
    CodeSubmission.objects.filter(pk=submission.pk).update(created_at=then, updated_at=then)
    kind = "code_submission" if module else "code_evaluation"
    jobs.job_create(
        kind=kind, ref=str(submission.pk), owner=user, title="Grade", started=status != SubmissionStatus.PENDING
    )
    return submission


def _reap() -> int:
    # Through Celery with JSON-round-tripped arguments (none), as the beat schedule sends it.
    return reap_submissions.apply(args=json.loads("[]")).get()


def test_reaper_fails_stuck_and_lost_submissions_and_their_jobs(user):
    module = ModuleFactory()
    stuck = _submission(user, status=SubmissionStatus.RUNNING, minutes_ago=20, module=module)
    lost = _submission(user, status=SubmissionStatus.PENDING, minutes_ago=20)
    fresh = _submission(user, status=SubmissionStatus.RUNNING, minutes_ago=5, module=module)
    done = _submission(user, status=SubmissionStatus.COMPLETED, minutes_ago=60, module=module)

    assert _reap() == 2

    stuck.refresh_from_db()
    lost.refresh_from_db()
    assert stuck.status == SubmissionStatus.FAILED
    assert stuck.error_message == "The code runner failed: grading stopped before it finished."
    assert stuck.finished_at is not None
    assert lost.status == SubmissionStatus.FAILED
    assert lost.error_message == "The code runner failed: grading never started."
    assert Job.objects.get(kind="code_submission", ref=str(stuck.pk)).status == JobStatus.FAILED
    assert Job.objects.get(kind="code_evaluation", ref=str(lost.pk)).status == JobStatus.FAILED
    # Within its time: still running, job open. Finished long ago: untouched.
    assert CodeSubmission.objects.get(pk=fresh.pk).status == SubmissionStatus.RUNNING
    assert Job.objects.get(kind="code_submission", ref=str(fresh.pk)).status == JobStatus.IN_PROGRESS
    assert CodeSubmission.objects.get(pk=done.pk).status == SubmissionStatus.COMPLETED
    assert CodeSubmission.objects.get(pk=done.pk).error_message == ""


def test_reaper_is_idempotent(user):
    _submission(user, status=SubmissionStatus.RUNNING, minutes_ago=30)
    assert _reap() == 1
    assert _reap() == 0
    assert CodeSubmission.objects.filter(status=SubmissionStatus.FAILED).count() == 1
