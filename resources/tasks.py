"""Celery entry points of resources: thin, idempotent, on their own queue."""

from celery import shared_task
from django.conf import settings

from resources import services


@shared_task(
    name="resources.scrape_job_run",
    ignore_result=True,
    soft_time_limit=settings.SCRAPER_JOB_SOFT_TIME_LIMIT,
    time_limit=settings.SCRAPER_JOB_SOFT_TIME_LIMIT + 60,
)
def scrape_job_run(job_id: int) -> None:
    """Run scrape job `job_id`; returns quietly when the job is gone or already claimed by another worker."""
    services.scrape_job_run(job_id=job_id)


@shared_task(name="resources.reap_scrape_jobs", ignore_result=True)
def reap_scrape_jobs() -> int:
    return services.scrape_jobs_reap()
