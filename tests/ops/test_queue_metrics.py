"""Queue depth, live workers and job age in /internal/metrics (what the workers' autoscalers read)."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from common import heartbeat
from common.models import Job, JobStatus

pytestmark = pytest.mark.django_db


def _metrics(client) -> str:
    resp = client.get("/internal/metrics", REMOTE_ADDR="127.0.0.1")
    assert resp.status_code == 200
    return resp.content.decode()


def test_the_oldest_open_job_age_per_kind(client):
    now = timezone.now()
    Job.objects.create(kind="roadmap_generation", status=JobStatus.PENDING, created_at=now - timedelta(seconds=120))
    Job.objects.create(kind="roadmap_generation", status=JobStatus.PENDING, created_at=now - timedelta(seconds=5))
    Job.objects.create(kind="code_run", status=JobStatus.IN_PROGRESS, created_at=now - timedelta(seconds=30))
    body = _metrics(client)
    ages = dict(re.findall(r'pathwise_job_oldest_seconds\{kind="([^"]+)",status="pending"\} ([0-9.e+]+)', body))
    assert 120 <= float(ages["roadmap_generation"]) < 180
    running = re.search(r'pathwise_job_oldest_seconds\{kind="code_run",status="in_progress"\} ([0-9.e+]+)', body)
    assert running and 30 <= float(running.group(1)) < 90


@pytest.mark.skipif(not settings.REDIS_URL, reason="queue depth is read from the Redis broker")
def test_queue_depth_and_workers_from_the_broker(client, settings):
    settings.HEALTH_HEARTBEAT_KEY = "pathwise-test:workers-metrics"
    redis = heartbeat._client()
    before = redis.llen("scrape")
    redis.rpush("scrape", b"{}", b"{}", b"{}")
    heartbeat.beat_once("reco-1@host", ["reco"], redis)
    try:
        body = _metrics(client)
        assert f'pathwise_queue_depth{{queue="scrape"}} {float(before + 3)}' in body
        assert 'pathwise_queue_workers{queue="reco"} 1.0' in body
        assert 'pathwise_queue_workers{queue="llm"} 0.0' in body
    finally:
        for _ in range(3):
            redis.rpop("scrape")
        redis.delete(heartbeat.queue_key("reco"))
