"""The job engine sends tasks by their registered names: services never import their tasks modules."""

import re

import pytest
from celery import current_app, shared_task

from common import jobs

calls: list[tuple[tuple, dict]] = []


@shared_task(name="tests.common.record_call")
def record_call(*args: object, **kwargs: object) -> None:
    calls.append((args, kwargs))


@pytest.fixture
def eager():
    before = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    calls.clear()
    yield
    current_app.conf.task_always_eager = before


def test_every_kind_with_a_task_names_a_task_the_apps_registered():
    """AppConfig.ready registers every app's tasks: a misspelt name in KINDS fails here, not at the first job."""
    named = {spec.kind: spec.task for spec in jobs.KINDS.values() if spec.task is not None}
    assert named == {
        jobs.JobKind.CODE_RUN: "executor.run_code",
        jobs.JobKind.CODE_SUBMISSION: "learning.grade_submission",
        jobs.JobKind.CODE_EVALUATION: "learning.grade_submission",
        jobs.JobKind.RESOURCE_SCRAPE: "resources.scrape_job_run",
        jobs.JobKind.ROADMAP_GENERATION: "roadmaps.generate",
        jobs.JobKind.RECOMMENDER_RETRAIN: "resources.recommend.retrain",
    }
    assert [name for name in named.values() if name not in current_app.tasks] == []
    assert "learning.record_exercise_pass" in current_app.tasks


def test_enqueue_task_runs_inline_in_eager_mode_with_its_arguments(eager):
    """`app.send_task` ignores task_always_eager; the engine goes through the task object, which honours it."""
    jobs.enqueue_task("tests.common.record_call", 7, force=True)
    assert calls == [((7,), {"force": True})]


def test_an_unregistered_task_name_is_a_lookup_error_and_sends_nothing(eager):
    with pytest.raises(LookupError, match=re.escape("tests.common.no_such_task")):
        jobs.enqueue_task("tests.common.no_such_task", 1)
    assert calls == []


def test_a_kind_no_task_does_cannot_be_dispatched():
    with pytest.raises(LookupError):
        jobs.dispatch(jobs.JobKind.CHAT_REPLY, 1)
    with pytest.raises(ValueError):
        jobs.dispatch("no_such_kind", 1)
