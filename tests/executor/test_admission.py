"""Admission: the per-learner concurrency cap holds when a learner's runs arrive at the same moment, and a rejected
request costs no sandbox run."""

import threading

import pytest
from django.db import connection, connections

from common.errors import RateLimited
from executor import services
from executor.models import CodeRun
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _no_dispatch(monkeypatch):
    """Admission only: the task is enqueued on commit; keep it from running so the runs stay active."""
    from executor import tasks

    monkeypatch.setattr(tasks.run_code, "delay", lambda *args, **kwargs: None)


def test_eight_simultaneous_runs_by_one_learner_admit_exactly_the_cap(settings, monkeypatch):
    if connection.vendor == "sqlite":
        pytest.skip(
            "SQLite's test database is in memory with a shared cache: concurrent writers from threads get "
            "'database table is locked' at once instead of waiting, so it cannot express this race; on a file "
            "database every transaction takes the write lock at BEGIN (transaction_mode IMMEDIATE)"
        )
    settings.EXECUTOR_USER_CONCURRENCY = 2
    _no_dispatch(monkeypatch)
    user = UserFactory()
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            barrier.wait()
            services.run_request(owner=user, language="python", source="print(1)")
            outcome = "admitted"
        except RateLimited:
            outcome = "throttled"
        except Exception as exc:  # reported in the assertion below
            outcome = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["admitted"] * 2 + ["throttled"] * 6, outcomes
    assert CodeRun.objects.filter(owner=user).count() == 2


def test_admission_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        services.run_admit(UserFactory())
