"""Celery entry points of the cross-app plumbing."""

from celery import shared_task
from django.conf import settings

from common import jobs


@shared_task(name="common.prune_jobs", ignore_result=True)
def prune_jobs() -> int:
    return jobs.jobs_prune(older_than_days=settings.JOB_RETENTION_DAYS)


@shared_task(name="common.reap_jobs", ignore_result=True)
def reap_jobs() -> int:
    """Kinds whose app reaps its own rows (the registry's `own_reaper`) are left to that app."""
    return jobs.jobs_reap(older_than_seconds=settings.JOB_REAP_AFTER_SECONDS)


@shared_task(name="common.flush_expired_tokens", ignore_result=True)
def flush_expired_tokens() -> int:
    from common.pruning import tokens_flush_expired

    return tokens_flush_expired()
