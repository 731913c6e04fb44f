"""Celery entry points of the recommender, on the queue "reco" (see CELERY_TASK_ROUTES): thin and idempotent."""

from celery import shared_task
from django.conf import settings

from resources.recommend import services


@shared_task(name="resources.recommend.retrain", ignore_result=True, soft_time_limit=1800)
def recommender_retrain(force: bool = False) -> int | None:
    """Retrain and maybe promote; a no-op when the interactions did not change since the last version (or when
    another retrain holds the lock). Returns the stored version's id."""
    version = services.retrain(force=bool(force))
    return version.pk if version is not None else None


@shared_task(name="resources.recommend.prune_versions", ignore_result=True)
def prune_recommender_versions() -> int:
    """Old recommender versions go daily (the current one and RECO_KEEP_PREVIOUS_VERSIONS others stay)."""
    return services.recommender_versions_prune(keep_previous=settings.RECO_KEEP_PREVIOUS_VERSIONS)
