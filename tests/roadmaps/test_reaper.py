"""No stuck jobs: a roadmap whose worker was SIGKILLed mid-generation (left `generating` with its job in progress)
is failed by the reaper once its time limit plus the margin has passed, and its agent is no longer busy."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import AgentStatus
from agents.services import agent_refresh
from common import jobs
from common.models import Job, JobStatus
from common.tasks import reap_jobs
from roadmaps.models import Roadmap, RoadmapStatus
from roadmaps.services import JOB_KIND
from roadmaps.tasks import reap_roadmaps
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _killed_mid_generation(user, *, seconds_ago: int) -> Roadmap:
    """What a worker SIGKILLed inside `roadmap_generate` leaves: the roadmap `generating`, its job in progress."""
    roadmap = Roadmap.objects.create(
        user=user, title="Rust roadmap", concept="Rust", duration_weeks=4, hours_per_week=5,
        status=RoadmapStatus.GENERATING,
    )  # fmt: skip
    jobs.job_create(kind=JOB_KIND, ref=str(roadmap.pk), owner=user, title="Generate a roadmap for Rust", started=True)
    then = timezone.now() - timedelta(seconds=seconds_ago)
    Roadmap.objects.filter(pk=roadmap.pk).update(created_at=then, updated_at=then)
    Job.objects.filter(kind=JOB_KIND, ref=str(roadmap.pk)).update(created_at=then, started_at=then)
    return roadmap


def _agent_status() -> str:
    agent, _ = agent_refresh(agent_type="learning_coordinator")  # what the job listener does after each commit
    return agent.status


def test_reaper_fails_a_roadmap_whose_worker_died_and_frees_its_agent(user, settings):
    stuck = _killed_mid_generation(user, seconds_ago=settings.ROADMAP_REAP_AFTER_SECONDS + 5)
    recent = _killed_mid_generation(user, seconds_ago=settings.ROADMAP_REAP_AFTER_SECONDS - 60)
    assert reap_roadmaps.apply().get() == 1

    stuck.refresh_from_db()
    assert stuck.status == RoadmapStatus.FAILED
    assert "did not finish" in stuck.error
    assert Job.objects.get(kind=JOB_KIND, ref=str(stuck.pk)).status == JobStatus.FAILED
    # The other one is still within its time limit: left alone, and it keeps the agent busy.
    assert Roadmap.objects.get(pk=recent.pk).status == RoadmapStatus.GENERATING
    assert _agent_status() == AgentStatus.BUSY

    Job.objects.filter(kind=JOB_KIND, ref=str(recent.pk)).update(started_at=timezone.now() - timedelta(hours=1))
    Roadmap.objects.filter(pk=recent.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert reap_roadmaps.apply().get() == 1
    assert _agent_status() != AgentStatus.BUSY
    body = client_for(user).get(f"/api/roadmaps/{stuck.pk}/").json()
    assert body["status"] == "failed"
    assert reap_roadmaps.apply().get() == 0  # idempotent


def test_generic_reaper_fails_stale_jobs_of_kinds_without_their_own_reaper(user, settings):
    old = timezone.now() - timedelta(seconds=settings.JOB_REAP_AFTER_SECONDS + 10)
    chat = jobs.job_create(kind="chat_reply", owner=user, title="answer", started=True)
    fresh = jobs.job_create(kind="chat_reply", owner=user, title="answer now", started=True)
    owned = jobs.job_create(kind="code_run", ref="77", owner=user, title="run", started=True)
    Job.objects.filter(pk__in=[chat.pk, owned.pk]).update(created_at=old, started_at=old)
    assert reap_jobs.apply().get() == 1
    assert Job.objects.get(pk=chat.pk).status == JobStatus.FAILED
    assert Job.objects.get(pk=fresh.pk).status == JobStatus.IN_PROGRESS
    assert Job.objects.get(pk=owned.pk).status == JobStatus.IN_PROGRESS  # the executor's reaper owns these
