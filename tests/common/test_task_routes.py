"""Every task's queue comes from CELERY_TASK_ROUTES, resolved by Celery's own router.

Celery 5 warns about, and Celery 6 ignores, a `queue=` task attribute: a task relying on one would silently move to
the default queue on upgrade (the executor's sandbox jobs onto web-adjacent workers). The expected table is written
out so that a routing change is a visible decision.
"""

import importlib

import pytest

from config.celery import app

EXPECTED = {
    "agents.prune_search_log": "default",
    "agents.refresh_panels": "default",
    "common.flush_expired_tokens": "default",
    "common.prune_jobs": "default",
    "common.reap_jobs": "default",
    "executor.reap_runs": "executor",
    "executor.run_code": "executor",
    "learning.grade_submission": "executor",
    "learning.reap_submissions": "executor",
    "learning.record_exercise_pass": "default",
    "resources.reap_scrape_jobs": "scrape",
    "resources.scrape_job_run": "scrape",
    "resources.recommend.prune_versions": "reco",
    "resources.recommend.retrain": "reco",
    "roadmaps.generate": "llm",
    "roadmaps.reap": "llm",
    "users.prune_sessions": "default",
}


@pytest.fixture(scope="module")
def tasks():
    app.loader.import_default_modules()
    importlib.import_module("resources.recommend.tasks")
    # Celery's own tasks and tasks that tests register for themselves are not the application's.
    return {name: task for name, task in app.tasks.items() if not name.startswith(("celery.", "tests."))}


def _queue(name: str) -> str:
    route = app.amqp.router.route({}, name)
    queue = route["queue"]
    return getattr(queue, "name", queue)


def test_every_task_is_routed_to_its_queue_by_the_settings(tasks):
    assert {name: _queue(name) for name in tasks} == EXPECTED


def test_no_task_declares_its_own_queue(tasks):
    declared = [name for name, task in tasks.items() if "queue" in type(task).__dict__]
    assert declared == []


def test_every_routed_queue_is_consumed_by_make_run_workers_and_compose(tasks):
    from pathlib import Path

    from django.conf import settings

    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text()
    line = next(line for line in makefile.splitlines() if line.startswith("QUEUES ?="))
    consumed = set(line.split("=", 1)[1].strip().split(","))
    assert set(EXPECTED.values()) <= consumed
