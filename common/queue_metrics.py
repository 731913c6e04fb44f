"""Queue depth, live workers and job age as Prometheus gauges, computed at scrape time (not per process, so the same
in every gunicorn worker): what an autoscaler (HPA through prometheus-adapter, or KEDA) scales the workers on.

- pathwise_queue_depth{queue}: messages waiting in the broker's list for the queue (all priority sub-lists);
- pathwise_queue_workers{queue}: workers with a fresh heartbeat on it (common/heartbeat.py);
- pathwise_job_oldest_seconds{kind,status}: age of the oldest open job (pending: waiting for a worker; in_progress:
  running) per kind, from the jobs table every app's work goes through (common/jobs.py).
"""

import logging
import time
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Min
from django.db.utils import Error as DatabaseError
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from common import heartbeat
from common.cache import CACHE_ERRORS

logger = logging.getLogger(__name__)

QUEUES = ("default", "executor", "llm", "scrape", "reco")
# kombu's Redis transport keeps a queue's prioritised messages in sub-lists "<queue>\x06\x16<priority>".
PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


class QueueCollector:
    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._broker()
        yield from self._jobs()

    def _broker(self) -> Iterator[GaugeMetricFamily]:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            return
        depth = GaugeMetricFamily("pathwise_queue_depth", "Messages waiting in the broker per queue", labels=["queue"])
        workers = GaugeMetricFamily(
            "pathwise_queue_workers", "Workers with a fresh heartbeat per queue", labels=["queue"]
        )
        try:
            client = heartbeat._client()
            with client.pipeline(transaction=False) as pipe:
                for queue in QUEUES:
                    for suffix in PRIORITY_SUFFIXES:
                        pipe.llen(queue + suffix)
                lengths = pipe.execute()
            live = heartbeat.live_workers(list(QUEUES), client)
        except CACHE_ERRORS:
            logger.warning("Metrics: the broker is unreachable", exc_info=True)
            return
        step = len(PRIORITY_SUFFIXES)
        for index, queue in enumerate(QUEUES):
            depth.add_metric([queue], sum(lengths[index * step : (index + 1) * step]))
            workers.add_metric([queue], len(live[queue]))
        yield depth
        yield workers

    def _jobs(self) -> Iterator[GaugeMetricFamily]:
        from common.models import Job, JobStatus

        age = GaugeMetricFamily(
            "pathwise_job_oldest_seconds", "Age of the oldest open job per kind and status", labels=["kind", "status"]
        )
        now = timezone.now()
        try:
            rows = (
                Job.objects.filter(status__in=[JobStatus.PENDING, JobStatus.IN_PROGRESS])
                .values("kind", "status")
                .annotate(oldest=Min("created_at"))
            )
            for row in rows:
                age.add_metric([row["kind"], row["status"]], max(0.0, (now - row["oldest"]).total_seconds()))
        except DatabaseError:
            logger.warning("Metrics: could not read the jobs table", exc_info=True)
            return
        yield age


def render() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueCollector())
    started = time.monotonic()
    body = generate_latest(registry)
    logger.debug("Queue metrics rendered in %.1f ms", (time.monotonic() - started) * 1000)
    return body
