"""Celery entry points of the cross-app plumbing."""

from celery import shared_task
from django.conf import settings

from common import jobs


@shared_task(name="common.prune_jobs", ignore_result=True)
def prune_jobs() -> int:
    return jobs.jobs_prune(older_than_days=settings.JOB_RETENTION_DAYS)


@shared_task(name="common.reap_jobs", ignore_result=True)
def reap_jobs() -> int:
    return jobs.jobs_reap(
        older_than_seconds=settings.JOB_REAP_AFTER_SECONDS, exclude_kinds=settings.JOB_KINDS_WITH_OWN_REAPER
    )


@shared_task(name="common.flush_expired_tokens", ignore_result=True)
def flush_expired_tokens() -> int:
    from common.pruning import tokens_flush_expired

    return tokens_flush_expired()


@shared_task(name="common.prune_recommender_versions", ignore_result=True)
def prune_recommender_versions() -> int:
    from common.pruning import recommender_versions_prune

    return recommender_versions_prune(keep_previous=settings.RECO_KEEP_PREVIOUS_VERSIONS)
